"""End-to-end fixtures: the sandbox on loopback, a hub file pointing at it, a store."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.sandbox import Sandbox, SandboxServer
from synchub.store import Store

ROOT = Path(__file__).resolve().parents[2]


def write_hub(tmp_path: Path, connections: dict[str, Any],
              patch_connector: Callable[[str, dict[str, Any]], None] | None = None) -> Path:
    """A hub file in tmp_path using the project's connectors (optionally patched) and mappings."""
    conn_dir = tmp_path / "connectors"
    for system in {c["connector"] for c in connections.values()}:
        src = ROOT / "connectors" / system / "connector.yaml"
        dst = conn_dir / system / "connector.yaml"
        dst.parent.mkdir(parents=True, exist_ok=True)
        if patch_connector:
            doc = yaml.safe_load(src.read_text())
            patch_connector(system, doc)
            dst.write_text(yaml.safe_dump(doc, sort_keys=False))
        else:
            shutil.copy(src, dst)
    hub = {"version": 1, "connectors_dir": str(conn_dir),
           "mappings_dir": str(ROOT / "mappings"),
           "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
           "connections": connections}
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(hub, sort_keys=False))
    return path


def shopify_conn(srv: SandboxServer, sb: Sandbox, store: str = "demo") -> ConnectionInfo:
    return ConnectionInfo(conn_id="shop", conn_type="http", host=srv.shopify_url(store),
                          password=sb.shopify(store).access_token)


def woo_conn(srv: SandboxServer, sb: Sandbox, store: str = "demo") -> ConnectionInfo:
    w = sb.woocommerce(store)
    return ConnectionInfo(conn_id="woo", conn_type="http", host=srv.woocommerce_url(store),
                          login=w.consumer_key, password=w.consumer_secret)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def shop_hub(tmp_path: Path) -> Hub:
    return load_hub(write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop"}}))


@pytest.fixture
def woo_hub(tmp_path: Path) -> Hub:
    return load_hub(write_hub(tmp_path, {"woo": {"connector": "woocommerce", "conn_id": "woo"}}))
