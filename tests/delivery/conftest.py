"""Shared helpers for delivery tests: a hub with fake sink writers and a migrated store.

Other test packages may import :class:`PushWorld` and :func:`fake_writers`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.canonical import CanonicalRecord
from synchub.delivery.engine import run_push
from synchub.plan import Hub, load_hub
from synchub.registry import REGISTRY
from synchub.store import Store
from synchub.store.delivery_tables import deliveries
from tests.delivery import fakes
from tests.e2e.conftest import write_hub

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FAKE_WRITERS = {"fake": "tests.delivery.fakes:FakeWriter",
                "fake_order": "tests.delivery.fakes:FakeOrderWriter",
                "fake_child": "tests.delivery.fakes:FakeChildWriter"}
# the writers the test connectors declare (odoo is the ERP sink, shopify gets tracking back)
ERP_WRITERS = {"customers": {"type": "fake", "entity": "customer"},
               "orders": {"type": "fake_order", "entity": "order", "batch_size": 2},
               "refunds": {"type": "fake_child", "entity": "refund"}}
SHOP_WRITERS = {"tracking": {"type": "fake_child", "entity": "shipment",
                             "only_own_orders": True}}


def fake_writers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the fake writers and start every fake sink empty."""
    for name, target in FAKE_WRITERS.items():
        REGISTRY.add("writer", name, target, replace=True)
    fakes.SINKS.clear()


def write_push_hub(tmp_path: Path, sinks: dict[str, Any], feeds: dict[str, Any] | None = None,
                   erp_writers: dict[str, Any] | None = None,
                   erp_exports: dict[str, str] | None = None) -> Path:
    """hub.yaml with shop (Shopify), woo (WooCommerce), erp (Odoo), crm (HubSpot) and sinks.

    ``erp_writers`` replace the ERP's writers; ``erp_exports`` adds write mappings
    (name -> YAML text) under a copy of the project's mappings.
    """
    def patch(system: str, doc: dict[str, Any]) -> None:
        if system == "odoo":
            doc["writers"] = erp_writers or ERP_WRITERS
        if system == "shopify":
            doc["writers"] = SHOP_WRITERS

    path = write_hub(tmp_path, {
        "shop": {"connector": "shopify", "conn_id": "shop", "roles": ["channel"]},
        "woo": {"connector": "woocommerce", "conn_id": "woo", "roles": ["channel"]},
        "erp": {"connector": "odoo", "conn_id": "erp", "roles": ["erp"]},
        "crm": {"connector": "hubspot", "conn_id": "crm", "roles": ["crm"]},
    }, patch_connector=patch)
    doc = yaml.safe_load(path.read_text())
    if erp_exports:
        mappings = tmp_path / "mappings"
        shutil.copytree(Path(doc["mappings_dir"]), mappings, dirs_exist_ok=True)
        for name, text in erp_exports.items():
            (mappings / "odoo" / f"{name}.export.yaml").write_text(text)
        doc["mappings_dir"] = str(mappings)
    doc["sinks"] = sinks
    if feeds is not None:
        doc["feeds"] = feeds
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


class PushWorld:
    """A hub, a store and a clock: store records, push a sink, look at deliveries."""

    def __init__(self, hub: Hub, store: Store) -> None:
        self.hub, self.store, self.now, self.runs = hub, store, T0, 0

    def put(self, *records: CanonicalRecord, connection: str = "shop") -> None:
        self.store.write_page(connection=connection, stream="test", records=records)

    def push(self, sink: str = "erp", **kwargs: Any) -> dict[str, Any]:
        self.runs += 1
        return run_push(self.store, self.hub, sink, run_id=f"run-{self.runs}",
                        client_for=lambda _s: None, now=self.now, **kwargs)

    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def rows(self, sink: str = "erp") -> dict[str, Any]:
        """Deliveries of a sink by record id."""
        with self.store.engine.connect() as conn:
            return {r.record_id: r for r in conn.execute(
                sa.select(deliveries).where(deliveries.c.sink == sink))}

    def sink(self, name: str = "erp") -> fakes.FakeSink:
        return fakes.sink(name)


@pytest.fixture
def push_world(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[Callable[..., PushWorld]]:
    """Factory: ``push_world(sinks, feeds=None, **write_push_hub options)``, both databases."""
    fake_writers(monkeypatch)
    store = Store.from_url(db_url)
    store.migrate()

    def make(sinks: dict[str, Any], feeds: dict[str, Any] | None = None,
             **kwargs: Any) -> PushWorld:
        return PushWorld(load_hub(write_push_hub(tmp_path, sinks, feeds, **kwargs)), store)

    try:
        yield make
    finally:
        store.dispose()
