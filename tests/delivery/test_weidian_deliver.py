"""Weidian tracking back through the delivery engine, against the simulator: the client
the engine opens takes its token from the store (``auth.cache: store``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from cryptography.fernet import Fernet

from synchub.canonical import SourceRef
from synchub.canonical.shipment import Shipment, TrackingEvent
from synchub.delivery.engine import run_push
from synchub.delivery.writers import writer_class
from synchub.plan import load_hub
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.weidian.store import WeidianStore
from synchub.store import Store
from synchub.store.delivery_tables import deliveries
from synchub.store.token_tables import auth_tokens
from synchub.systems.weidian.deliver import WeidianDeliverWriter
from tests.e2e.conftest import write_hub

AT = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


def shipment(order_id: str, *, carrier: str = "SF Express", number: str = "SF1234567890123",
             ext: str = "picking:1") -> Shipment:
    return Shipment(
        source=SourceRef(connection="erp", system="odoo", external_id=ext), external_id=ext,
        order_connection="wd", order_external_id=order_id, carrier=carrier,
        tracking_number=number, status="in_transit",
        events=[TrackingEvent(at=AT, status="in_transit")], updated_at=AT)


def test_registered() -> None:
    assert writer_class("weidian_deliver") is WeidianDeliverWriter


def test_push_run_ships_the_order_with_the_stored_token_and_dead_letters_an_unknown_carrier(
        tmp_path: Path, db_url: str, sandbox: tuple[Sandbox, SandboxServer],
        monkeypatch: pytest.MonkeyPatch) -> None:
    sb, srv = sandbox
    shop: WeidianStore = sb.store("weidian", "ship", orders=30, customers=1, products=7)
    waiting = [o for o, v in shop.orders_by_id.items() if v["status"] == "unship"][:2]
    path = write_hub(tmp_path, {
        "wd": {"connector": "weidian", "conn_id": "wd", "roles": ["channel"]},
        "erp": {"connector": "odoo", "conn_id": "erp", "roles": ["erp"]}})
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    doc["sinks"] = {"wd": {"tracking": {"from": ["erp"]}}}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    hub = load_hub(path)
    c = shop.credentials()
    monkeypatch.setenv("AIRFLOW_CONN_WD", json.dumps({
        "conn_type": "http", "host": srv.url("weidian", "ship"), "login": c["appkey"],
        "password": c["secret"]}))
    monkeypatch.setenv("SYNCHUB_TOKEN_KEY", Fernet.generate_key().decode())
    store = Store.from_url(db_url)
    store.upgrade()
    try:
        store.write_page(connection="erp", stream="shipments", records=[
            shipment(waiting[0], ext="picking:1"),
            shipment(waiting[1], carrier="Hermes", number="H100", ext="picking:2")])
        first = run_push(store, hub, "wd", run_id="r1")     # the engine opens the client
        assert (first["delivered"], first["dead"]) == (1, 1)
        assert shop.shipments == {waiting[0]: {"express_type": "1",
                                               "express_no": "SF1234567890123"}}
        assert shop.orders_by_id[waiting[0]]["status"] == "shiped"
        with store.engine.connect() as db:
            (dead,) = db.execute(sa.select(deliveries.c.last_error).where(
                deliveries.c.status == "dead")).scalars()
            assert db.execute(sa.select(auth_tokens.c.fetches)).scalar() == 1
        assert "carrier 'Hermes'" in dead
        again = run_push(store, hub, "wd", run_id="r2")
        assert (again["routed"], again["delivered"]) == (0, 0)
        delivered = [m for m, _v, _p in shop.calls if m == "vdian.order.deliver"]
        assert len(delivered) == 1
        assert shop.token_requests == 1
    finally:
        store.dispose()
