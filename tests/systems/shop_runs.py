"""What the Youzan and Weimob end-to-end tests share: a hub on the project's connector
(one stream's keys or the auth overridden in a copy), the hub store per database, pages
mapped in process, and the ids a run stored.

The fixtures reach a test folder through its ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.plan import Hub, load_hub
from synchub.store import Store

ROOT = Path(__file__).resolve().parents[2]


def hub_for(tmp_path: Path, system: str, *, auth: dict[str, Any] | None = None,
            **stream: Any) -> Hub:
    """A hub with one connection named ``system``; ``stream`` overrides keys of its orders
    stream (a mapping merged into the key's mapping), ``auth`` keys of its auth."""
    connectors = ROOT / "connectors"
    if stream or auth:
        connectors = tmp_path / "connectors"
        (connectors / system).mkdir(parents=True)
        spec = yaml.safe_load((ROOT / "connectors" / system / "connector.yaml").read_text())
        orders = spec["streams"]["orders"]
        for key, value in stream.items():
            if isinstance(value, dict) and isinstance(orders.get(key), dict):
                orders[key] = {**orders[key], **value}
            else:
                orders[key] = value
        spec["auth"].update(auth or {})
        (connectors / system / "connector.yaml").write_text(yaml.safe_dump(
            spec, allow_unicode=True))
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(connectors), "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {system: {"connector": system, "conn_id": system}}}))
    return load_hub(path)


@pytest.fixture(autouse=True)
def map_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of a few orders: starting mapping workers would cost more than they save."""
    monkeypatch.setenv("SYNCHUB_MAP_WORKERS", "0")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """The hub store on the test's database, migrated."""
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


def stored_ids(db_url: str, table: str = "orders") -> list[str]:
    """The external ids a table holds."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [str(r[0]) for r in conn.execute(sa.text(f"select external_id from {table}"))]
    finally:
        engine.dispose()
