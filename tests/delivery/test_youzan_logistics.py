"""Youzan tracking back: youzan.logistics.online.confirm per shipment, the contract
(responses), then a push run through the delivery engine against the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import responses
import sqlalchemy as sa

from synchub.canonical.shipment import Shipment
from synchub.config.connector_checks import load_connector
from synchub.delivery.base import DeliveryItem
from synchub.delivery.engine import run_push
from synchub.delivery.writers import writer_class
from synchub.mapping.engine import MappingContext
from synchub.mapping.export import load_export_mapping
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.youzan.store import YouzanStore
from synchub.store import Store
from synchub.store.delivery_tables import deliveries
from synchub.systems.youzan.logistics import YouzanLogisticsWriter
from tests.delivery.tracking_back import shipment as tracking_shipment
from tests.delivery.tracking_back import tracking_hub, tracking_item

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_connector(ROOT / "connectors" / "youzan" / "connector.yaml")
WRITER = SPEC.writers["tracking"]
EXPORT = load_export_mapping(ROOT / "mappings" / "youzan" / "tracking.export.yaml")
CTX = MappingContext(connection="yz", system="youzan")
HOST = "https://open.youzanyun.com"
CONFIRM = f"{HOST}/api/youzan.logistics.online.confirm/3.0.0"


def shipment(tid: str, **kw: Any) -> Shipment:
    return tracking_shipment("yz", tid, **kw)


def item(s: Shipment, n: int = 1, remote_id: str | None = None) -> DeliveryItem:
    return tracking_item(s, EXPORT, CTX, n, remote_id)


def writer(host: str = HOST) -> YouzanLogisticsWriter:
    conn = ConnectionInfo(conn_id="yz", conn_type="http", host=host, login="cid",
                          password="secret", extra={"kdt_id": "160000001"})
    return YouzanLogisticsWriter(WRITER, ConnectorClient(SPEC, conn, sleep=lambda _s: None),
                                 sink="yz", run_id="r1")


def token(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{HOST}/auth/token", json={"success": True, "code": 200, "data": {
        "access_token": "tok", "expires": 4_102_444_800_000}})


def test_registered() -> None:
    assert writer_class("youzan_logistics_confirm") is YouzanLogisticsWriter


def test_contract_one_confirm_with_the_carrier_id_and_waybill() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token(rsps)
        rsps.post(CONFIRM, json={"response": {"is_success": True}})
        (result,) = writer().write([item(shipment("E2025000001"))])
        sent = json.loads(rsps.calls[1].request.body)
    assert sent == {"tid": "E2025000001", "is_no_express": 0, "out_stype": "7",
                    "out_sid": "SF1234567890123"}
    assert (result.outcome, result.remote_id) == ("delivered", "SF1234567890123")


def test_contract_a_shipment_confirmed_before_sends_nothing() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        (result,) = writer().write([item(shipment("E1"), remote_id="SF1234567890123")])
    assert result.outcome == "skipped"


def test_contract_a_carrier_missing_from_the_table_fails_by_name() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        (result,) = writer().write([item(shipment("E1", carrier="Hermes"))])
    assert result.outcome == "failed"
    assert "carrier 'Hermes'" in (result.error or "") and "tracking.export.yaml" in (
        result.error or "")


def test_contract_a_refusal_names_youzans_code_and_the_order() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token(rsps)
        rsps.post(CONFIRM, json={"error_response": {"code": 40001, "msg": "订单 E9 不存在"}})
        (result,) = writer().write([item(shipment("E9"))])
    assert result.outcome == "failed"
    assert "order E9" in (result.error or "") and "code 40001: 订单 E9 不存在" in (
        result.error or "")


def test_contract_already_shipped_counts_as_delivered() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token(rsps)
        rsps.post(CONFIRM, json={"error_response": {"code": 101130009,
                                                    "msg": "订单已发货, 不能重复发货"}})
        (result,) = writer().write([item(shipment("E2"))])
    assert (result.outcome, result.remote_id) == ("delivered", "SF1234567890123")


def test_contract_a_timeout_is_not_resent_blindly() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token(rsps)
        rsps.post(CONFIRM, status=504)
        (result,) = writer().write([item(shipment("E3"))])
        assert len(rsps.calls) == 2            # one attempt; the engine tries again later
    assert result.outcome == "retry"


# --- through the delivery engine, against the simulator ------------------------------------

def test_push_run_confirms_the_order_and_dead_letters_an_unknown_carrier(
        tmp_path: Path, db_url: str, sandbox: tuple[Sandbox, SandboxServer]) -> None:
    sb, srv = sandbox
    shop: YouzanStore = sb.store("youzan", "ship", orders=30, customers=1, products=7)
    waiting = [tid for tid, t in shop.trades.items()
               if t["order_info"]["status"] == "WAIT_SELLER_SEND_GOODS"][:2]
    hub = tracking_hub(tmp_path, "yz", "youzan")
    c = shop.credentials()
    conn = ConnectionInfo(conn_id="yz", conn_type="http", host=srv.url("youzan", "ship"),
                          login=c["client_id"], password=c["client_secret"],
                          extra={"kdt_id": c["kdt_id"]})
    store = Store.from_url(db_url)
    store.migrate()
    client = lambda _s: ConnectorClient(hub.connection("yz").connector, conn,  # noqa: E731
                                        sleep=lambda _x: None)
    try:
        store.write_page(connection="erp", stream="shipments", records=[
            shipment(waiting[0], ext="picking:1"),
            shipment(waiting[1], carrier="Hermes", number="H100", ext="picking:2")])
        first = run_push(store, hub, "yz", run_id="r1", client_for=client)
        assert (first["delivered"], first["dead"]) == (1, 1)
        assert shop.shipments == {waiting[0]: {"out_stype": 7, "out_sid": "SF1234567890123"}}
        assert shop.trades[waiting[0]]["order_info"]["status"] == "WAIT_BUYER_CONFIRM_GOODS"
        with store.engine.connect() as db:
            (dead,) = db.execute(sa.select(deliveries.c.last_error).where(
                deliveries.c.status == "dead")).scalars()
        assert "carrier 'Hermes'" in dead
        again = run_push(store, hub, "yz", run_id="r2", client_for=client)
        assert (again["routed"], again["delivered"]) == (0, 0)
        confirms = [m for m, _v, _b in shop.calls if m == "youzan.logistics.online.confirm"]
        assert len(confirms) == 1
    finally:
        store.dispose()
