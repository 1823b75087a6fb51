"""Squarespace Commerce contract: the connector, the mapping and the simulator agree.

The sandbox serves ``synchub/sandbox/squarespace/`` on loopback; the ``orders`` stream is synced
through the project's connector and mapping files into SQLite. Written by ``synchub
new-system``: keep it passing while both sides are made real from the vendor's docs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.sandbox import Sandbox, SandboxServer
from synchub.store import Store

ROOT = Path(__file__).resolve().parents[3]


def hub(tmp_path: Path) -> Hub:
    """A hub with one squarespace connection over the project's connector and mappings."""
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"squarespace": {"connector": "squarespace", "conn_id": "squarespace"}}}))
    return load_hub(path)


def test_orders_sync_page_by_page_and_a_rerun_reads_only_changes(
        tmp_path: Path, sqlite_url: str) -> None:
    plan = hub(tmp_path)
    store = Store.from_url(sqlite_url)
    store.migrate()
    sandbox = Sandbox(seed=7)
    account: Any = sandbox.store("squarespace", "demo", orders=120)
    try:
        with SandboxServer(sandbox) as server:
            conn = ConnectionInfo(conn_id="squarespace", conn_type="http",
                                  host=server.url("squarespace", "demo"), password=account.api_key)
            first = sync_stream(plan, "squarespace", "orders", store=store, conn_info=conn)
            assert first.status == "success"
            assert (first.fetched, first.changed.get("order"), first.quarantined) == (120, 120, 0)
            assert first.pages == 3                                 # 50 + 50 + 20
            assert len(store.read_feed("order", limit=1000).records) == 120
            # the next pages are asked with the cursor the previous page gave
            asked = [r.query for r in account.requests if r.path == "/orders"]
            assert "cursor" not in asked[0] and all("cursor" in q for q in asked[1:])

            account.mutate(orders_created=2, orders_updated=3)
            second = sync_stream(plan, "squarespace", "orders", store=store, conn_info=conn)
            assert second.changed.get("order") == 5
            assert second.fetched < 20          # what changed, plus the lookback's overlap
            assert len(store.read_feed("order", limit=1000).records) == 122
    finally:
        store.dispose()
