"""Tracking back to Taobao, JD and Pinduoduo by the ``gateway_call`` writer: the HTTP
contract of each vendor's shipment API (responses), then the push run on the simulators."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import responses
import sqlalchemy as sa
import yaml

from synchub.canonical import SourceRef
from synchub.canonical.shipment import Shipment
from synchub.config.connector_checks import load_connector
from synchub.delivery.base import DeliveryItem, DeliveryResult
from synchub.delivery.engine import run_push
from synchub.delivery.writers import writer_class
from synchub.mapping.engine import MappingContext
from synchub.mapping.export import load_export_mapping
from synchub.plan import load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.store import Store
from synchub.store.delivery_tables import deliveries
from synchub.systems.cn_gateway.writes import GatewayCallWriter
from tests.e2e.conftest import write_hub
from tests.systems.cn_gateway.connections import shop_connection

ROOT = Path(__file__).resolve().parents[2]
HOSTS = {"taobao": "https://eco.taobao.com", "jd": "https://api.jd.com",
         "pinduoduo": "https://gw-api.pinduoduo.com"}
PATHS = {"taobao": "/router/rest", "jd": "/routerjson", "pinduoduo": "/api/router"}
AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def shipment(order_connection: str, order_id: str, carrier: str | None = "顺丰速运",
             number: str = "SF1234567890", ext: str = "move:1") -> Shipment:
    return Shipment(source=SourceRef(connection="erp", system="odoo", external_id=ext),
                    external_id=ext, order_connection=order_connection,
                    order_external_id=order_id, carrier=carrier, tracking_number=number,
                    status="in_transit", updated_at=AT)


def item(system: str, s: Shipment, n: int = 1) -> DeliveryItem:
    doc = s.to_json_dict()
    export = load_export_mapping(ROOT / "mappings" / system / "tracking.export.yaml")
    return DeliveryItem(delivery_id=n, route="tracking", entity="shipment", record_id=s.id,
                        source_connection="erp", document=doc,
                        payload=export.apply(doc, MappingContext(connection=system,
                                                                 system=system)),
                        idempotency_key=f"{system}:tracking:{s.id}")


def writer(system: str, host: str | None = None, key: str = "k", secret: str = "s",
           token: str = "t") -> GatewayCallWriter:
    spec = load_connector(ROOT / "connectors" / system / "connector.yaml")
    conn = ConnectionInfo(conn_id=system, conn_type="http", host=host or HOSTS[system],
                          login=key, password=secret, extra={"session": token})
    w = writer_class(spec.writers["tracking"].type)(
        spec.writers["tracking"], ConnectorClient(spec, conn, sleep=lambda _s: None),
        sink=system, run_id="r1")
    assert isinstance(w, GatewayCallWriter)
    return w


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def form(call: Any) -> dict[str, str]:
    sent = dict(parse_qsl(str(call.request.body)))
    assert "sign" in sent and "timestamp" in sent        # signed
    return sent


# --- the HTTP contracts --------------------------------------------------------------------

def test_taobao_offline_send(mock_http: responses.RequestsMock) -> None:
    mock_http.post(HOSTS["taobao"] + PATHS["taobao"], json={
        "logistics_offline_send_response": {"shipping": {"is_success": True}}})
    (result,) = writer("taobao").write([item("taobao", shipment("taobao", "42"))])
    sent = form(mock_http.calls[0])
    assert {k: sent[k] for k in ("method", "tid", "out_sid", "company_code")} == {
        "method": "taobao.logistics.offline.send", "tid": "42", "out_sid": "SF1234567890",
        "company_code": "SF"}
    assert (result.outcome, result.remote_id) == ("delivered", "42")


def test_jd_order_shipment_as_json_text(mock_http: responses.RequestsMock) -> None:
    mock_http.post(HOSTS["jd"] + PATHS["jd"], json={"jingdong_pop_order_shipment_responce": {
        "code": "0", "sopjosshipment_result": {"success": True}}})
    (result,) = writer("jd").write([item("jd", shipment("jd", "2900001", "ZTO Express"))])
    sent = form(mock_http.calls[0])
    assert sent["method"] == "jingdong.pop.order.shipment"
    assert json.loads(sent["360buy_param_json"]) == {
        "orderId": "2900001", "logiCoprId": "1499", "logiNo": "SF1234567890"}
    assert (result.outcome, result.remote_id) == ("delivered", "2900001")


def test_pdd_online_send(mock_http: responses.RequestsMock) -> None:
    mock_http.post(HOSTS["pinduoduo"] + PATHS["pinduoduo"], json={
        "logistics_online_send_response": {"is_success": True}})
    (result,) = writer("pinduoduo").write([item("pinduoduo", shipment(
        "pinduoduo", "261207-000000000000001", "韵达快递"))])
    sent = form(mock_http.calls[0])
    assert {k: sent[k] for k in ("type", "order_sn", "logistics_id", "tracking_number")} == {
        "type": "pdd.logistics.online.send", "order_sn": "261207-000000000000001",
        "logistics_id": "121", "tracking_number": "SF1234567890"}
    assert result.outcome == "delivered"


def test_refusals_fail_the_shipment_with_the_vendors_words(mock_http: responses.RequestsMock
                                                           ) -> None:
    mock_http.post(HOSTS["taobao"] + PATHS["taobao"], json={"error_response": {
        "code": 15, "msg": "Remote service error", "sub_code": "isv.trade-not-exist",
        "sub_msg": "交易不存在"}})
    mock_http.post(HOSTS["taobao"] + PATHS["taobao"], json={"error_response": {
        "code": 15, "msg": "Remote service error",
        "sub_code": "isv.logistics-offline-service-error:B04", "sub_msg": "交易 43 已发货"}})
    mock_http.post(HOSTS["jd"] + PATHS["jd"], json={"jingdong_pop_order_shipment_responce": {
        "code": "0", "sopjosshipment_result": {"success": False, "errorCode": "order.state.error",
                                               "chineseErrCode": "订单当前状态不能出库"}}})
    gone, shipped = writer("taobao").write([item("taobao", shipment("taobao", "41"), 1),
                                            item("taobao", shipment("taobao", "43"), 2)])
    (jd,) = writer("jd").write([item("jd", shipment("jd", "2900001"))])
    assert (gone.outcome, gone.error) == (
        "failed", f"shipment {shipment('taobao', '41').id} -> tid 41: isv.trade-not-exist: "
                  "交易不存在")
    assert shipped == DeliveryResult(2, "skipped", remote_id="43")   # shipped already
    assert jd.outcome == "failed"
    assert "order.state.error: 订单当前状态不能出库" in (jd.error or "")


def test_a_shipment_without_a_carrier_fails_naming_it_without_a_call() -> None:
    (result,) = writer("taobao").write([item("taobao", shipment("taobao", "42", None))])
    assert result.outcome == "failed"
    assert "no company_code" in (result.error or "")


# --- the push run on the simulators ------------------------------------------------------------

def test_tracking_reaches_the_three_marketplaces_through_the_push_run(
        tmp_path: Path, db_url: str, sandbox: tuple[Sandbox, SandboxServer]) -> None:
    sb, srv = sandbox
    tb, jd, pdd = (sb.store(s, "ship") for s in ("taobao", "jd", "pinduoduo"))
    tid = str(next(t for t, v in tb.trades.items() if v["status"] == "WAIT_SELLER_SEND_GOODS"))
    jd_id = next(o for o, v in jd.orders.items() if v["orderState"] == "WAIT_SELLER_STOCK_OUT")
    sn = next(o for o, v in pdd.orders.items() if v["order_status"] == 1)
    path = write_hub(tmp_path, {
        "tb": {"connector": "taobao", "conn_id": "tb", "roles": ["channel"]},
        "jd": {"connector": "jd", "conn_id": "jd", "roles": ["channel"]},
        "pdd": {"connector": "pinduoduo", "conn_id": "pdd", "roles": ["channel"]},
        "erp": {"connector": "odoo", "conn_id": "erp", "roles": ["erp"]}})
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    doc["sinks"] = {name: {"tracking": {"from": ["erp"]}} for name in ("tb", "jd", "pdd")}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    hub = load_hub(path)
    conns = {name: shop_connection(name, shop, srv.url(shop.system, "ship"))
             for name, shop in (("tb", tb), ("jd", jd), ("pdd", pdd))}
    store = Store.from_url(db_url)
    store.migrate()
    try:
        store.write_page(connection="erp", stream="shipments", records=[
            shipment("tb", tid, "顺丰速运", "SF100", "move:1"),
            shipment("jd", jd_id, "zto", "ZT200", "move:2"),
            shipment("pdd", sn, "韵达快递", "YD300", "move:3"),
            shipment("pdd", sn, "Foo Post", "FP400", "move:4")])   # a carrier PDD lacks
        runs = {name: run_push(store, hub, name, run_id=f"r-{name}", client_for=lambda s,
                               n=name: ConnectorClient(hub.connection(n).connector, conns[n],
                                                       sleep=lambda _x: None))
                for name in ("tb", "jd", "pdd")}
        assert [runs[n]["delivered"] for n in ("tb", "jd", "pdd")] == [1, 1, 1]
        assert runs["pdd"]["dead"] == 1
        assert tb.shipments == [{"tid": int(tid), "out_sid": "SF100", "company_code": "SF"}]
        assert tb.trades[int(tid)]["status"] == "WAIT_BUYER_CONFIRM_GOODS"
        assert jd.shipments == [{"orderId": jd_id, "logiCoprId": "1499", "logiNo": "ZT200"}]
        assert jd.orders[jd_id]["orderState"] == "WAIT_GOODS_RECEIVE_CONFIRM"
        assert pdd.shipments == [{"order_sn": sn, "logistics_id": 121,
                                  "tracking_number": "YD300"}]
        assert pdd.orders[sn]["order_status"] == 2
        with store.engine.connect() as conn:
            dead = conn.execute(sa.select(deliveries).where(
                deliveries.c.status == "dead")).one()
        assert (dead.sink, dead.record_id) == ("pdd", shipment("pdd", sn, ext="move:4").id)
        assert "logistics_id" in dead.last_error and "foo_post" in dead.last_error
    finally:
        store.dispose()
