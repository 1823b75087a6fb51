"""Weimob tracking back: weimob_shop/fulfill/logistics/update per shipment, the contract
(responses), then a push run through the delivery engine against the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses
import sqlalchemy as sa
from cryptography.fernet import Fernet

from synchub.canonical.shipment import Shipment
from synchub.config.connector_checks import load_connector
from synchub.delivery.base import DeliveryItem
from synchub.delivery.engine import run_push
from synchub.delivery.writers import writer_class
from synchub.mapping.engine import MappingContext
from synchub.mapping.export import load_export_mapping
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.runtime.tokens import MemoryTokenCache
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.weimob.store import TO_SHIP, WeimobStore
from synchub.store import Store
from synchub.store.delivery_tables import deliveries
from synchub.systems.weimob.logistics import WeimobLogisticsWriter
from tests.delivery.tracking_back import shipment as tracking_shipment
from tests.delivery.tracking_back import tracking_hub, tracking_item

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_connector(ROOT / "connectors" / "weimob" / "connector.yaml")
WRITER = SPEC.writers["tracking"]
EXPORT = load_export_mapping(ROOT / "mappings" / "weimob" / "tracking.export.yaml")
CTX = MappingContext(connection="wm", system="weimob")
HOST = "https://dopen.weimob.com"
UPDATE = f"{HOST}/apigw/weimob_shop/v2.0/fulfill/logistics/update"
VID = 6000321521837


def shipment(order_no: str, **kw: Any) -> Shipment:
    return tracking_shipment("wm", order_no, **kw)


def item(s: Shipment, n: int = 1, remote_id: str | None = None) -> DeliveryItem:
    return tracking_item(s, EXPORT, CTX, n, remote_id)


def writer(host: str = HOST) -> WeimobLogisticsWriter:
    conn = ConnectionInfo(conn_id="wm", conn_type="http", host=host, login="cid",
                          password="secret", extra={"shop_id": "1", "shop_type": "t",
                                                    "vid": str(VID)})
    return WeimobLogisticsWriter(WRITER, ConnectorClient(SPEC, conn, sleep=lambda _s: None,
                                                         tokens=MemoryTokenCache()),
                                 sink="wm", run_id="r1")


def token(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{HOST}/fuwu/b/oauth2/token", json={"access_token": "tok", "expires_in": 7200})


def test_registered() -> None:
    assert writer_class("weimob_logistics_update") is WeimobLogisticsWriter


def test_contract_one_delivery_with_the_company_code_and_waybill() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token(rsps)
        rsps.post(UPDATE, json={"code": {"errcode": "0", "errmsg": "success"},
                                "data": {"success": True}})
        (result,) = writer().write([item(shipment("30250000010756"))])
        sent = json.loads(rsps.calls[1].request.body)
    assert sent == {"orderNo": 30250000010756, "isSplitPackage": False, "fulfillMethod": 1,
                    "basicInfo": {"vid": VID},
                    "logistics": {"deliveryNo": "SF1234567890123",
                                  "deliveryCompanyCode": "shunfeng",
                                  "deliveryCompanyName": "顺丰速运"}}
    assert (result.outcome, result.remote_id) == ("delivered", "SF1234567890123")


def test_contract_a_shipment_delivered_before_sends_nothing() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        (result,) = writer().write([item(shipment("1"), remote_id="SF1234567890123")])
    assert result.outcome == "skipped"


def test_contract_a_carrier_missing_from_the_table_fails_by_name() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        (result,) = writer().write([item(shipment("1", carrier="Hermes"))])
    assert result.outcome == "failed"
    assert "carrier 'Hermes'" in (result.error or "") and "tracking.export.yaml" in (
        result.error or "")


def test_contract_a_refusal_names_weimobs_errcode_and_the_order() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token(rsps)
        rsps.post(UPDATE, json={"code": {"errcode": "80001001000101",
                                         "errmsg": "订单 9 不存在"}, "data": None})
        (result,) = writer().write([item(shipment("9"))])
    assert result.outcome == "failed"
    assert "order 9" in (result.error or "") and "errcode 80001001000101: 订单 9 不存在" in (
        result.error or "")


def test_contract_already_shipped_counts_as_delivered() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token(rsps)
        rsps.post(UPDATE, json={"code": {"errcode": "80001001000701",
                                         "errmsg": "订单已发货, 不能重复发货"}, "data": None})
        (result,) = writer().write([item(shipment("2"))])
    assert (result.outcome, result.remote_id) == ("delivered", "SF1234567890123")


def test_contract_a_timeout_is_not_resent_blindly() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token(rsps)
        rsps.post(UPDATE, status=504)
        (result,) = writer().write([item(shipment("3"))])
        assert len(rsps.calls) == 2
    assert result.outcome == "retry"


# --- through the delivery engine, against the simulator ------------------------------------

def test_push_run_ships_the_order_and_dead_letters_an_unknown_carrier(
        tmp_path: Path, db_url: str, sandbox: tuple[Sandbox, SandboxServer],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCHUB_TOKEN_KEY", Fernet.generate_key().decode())  # auth.cache
    sb, srv = sandbox
    shop: WeimobStore = sb.store("weimob", "ship", orders=30, customers=1, products=7)
    waiting = [str(n) for n, o in shop.orders_by_no.items()
               if o["orderInfo"]["orderBaseInfo"]["orderStatus"] == TO_SHIP][:2]
    hub = tracking_hub(tmp_path, "wm", "weimob")
    c = shop.credentials()
    conn = ConnectionInfo(conn_id="wm", conn_type="http", host=srv.url("weimob", "ship"),
                          login=c["client_id"], password=c["client_secret"],
                          extra={k: c[k] for k in ("shop_id", "shop_type", "vid")})
    store = Store.from_url(db_url)
    store.migrate()
    client = lambda _s: ConnectorClient(hub.connection("wm").connector, conn,  # noqa: E731
                                        sleep=lambda _x: None, tokens=store.tokens)
    try:
        store.write_page(connection="erp", stream="shipments", records=[
            shipment(waiting[0], ext="picking:1"),
            shipment(waiting[1], carrier="Hermes", number="H100", ext="picking:2")])
        first = run_push(store, hub, "wm", run_id="r1", client_for=client)
        assert (first["delivered"], first["dead"]) == (1, 1)
        assert shop.shipments == {int(waiting[0]): {"code": "shunfeng",
                                                    "number": "SF1234567890123"}}
        shipped = shop.orders_by_no[int(waiting[0])]
        assert shipped["orderInfo"]["orderBaseInfo"]["orderStatus"] == 2
        assert shipped["fulfillOrderList"][0]["deliveryInfo"]["number"] == "SF1234567890123"
        with store.engine.connect() as db:
            (dead,) = db.execute(sa.select(deliveries.c.last_error).where(
                deliveries.c.status == "dead")).scalars()
        assert "carrier 'Hermes'" in dead
        again = run_push(store, hub, "wm", run_id="r2", client_for=client)
        assert (again["routed"], again["delivered"]) == (0, 0)
        updates = [a for a, _b in shop.calls if a.endswith("fulfill/logistics/update")]
        assert len(updates) == 1
    finally:
        store.dispose()
