"""JD and Pinduoduo stock publishers: one SKU a call, full set, refusals per SKU, the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import responses

from synchub.config.connector_checks import load_connector
from synchub.registry import REGISTRY
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.jd.store import JdStore, sku_id
from synchub.sandbox.pinduoduo.store import PinduoduoStore, goods_sku
from synchub.stock.publish import ListingChange, StockPublisher, create_publisher
from synchub.systems.cn_gateway.errors import GatewayAuthError
from synchub.systems.jd.stock import JdSkuStockPublisher
from synchub.systems.pinduoduo.stock import PddGoodsQuantityPublisher

ROOT = Path(__file__).resolve().parents[2]
JD = "https://api.jd.com"
PDD = "https://gw-api.pinduoduo.com"
JD_SIGNED = {"app_key", "access_token", "timestamp", "sign_method", "sign"}
PDD_SIGNED = {"client_id", "access_token", "timestamp", "sign"}


def client(system: str, host: str, key: str = "k", secret: str = "s",
           token: str = "t") -> ConnectorClient:
    spec = load_connector(ROOT / "connectors" / system / "connector.yaml")
    conn = ConnectionInfo(conn_id=system, conn_type="http", host=host, login=key,
                          password=secret, extra={"session": token})
    return ConnectorClient(spec, conn, sleep=lambda s: None)


def publisher(c: ConnectorClient) -> StockPublisher:
    assert c.spec.stock_publisher is not None
    return create_publisher(c.spec.stock_publisher, c, run_id="run-1")


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def forms(mock: responses.RequestsMock, signed: set[str]) -> list[dict[str, str]]:
    out = []
    for call in mock.calls:
        form = dict(parse_qsl(str(call.request.body)))
        assert set(form) >= signed      # every call signed
        out.append({k: v for k, v in form.items() if k not in signed})
    return out


def test_registry() -> None:
    assert REGISTRY.get("stock_publisher", "jd_sku_stock") is JdSkuStockPublisher
    assert REGISTRY.get("stock_publisher", "pdd_goods_quantity") is PddGoodsQuantityPublisher


# --- JD: the HTTP contract ------------------------------------------------------------------

JD_OK = {"jingdong_stock_write_updateSkuStock_responce": {"code": "0", "success": True}}


def test_jd_one_sku_a_call_as_json_text(mock_http: responses.RequestsMock) -> None:
    for _ in range(2):
        mock_http.post(f"{JD}/routerjson", json=JD_OK)
    pub = publisher(client("jd", JD))
    changes = [ListingChange("100012000001", 5, None), ListingChange("1000800:100012000002", 0,
                                                                     None),
               ListingChange("100012000001", 7, None)]   # coalesced to the last figure
    outcomes = pub.push(changes)
    assert forms(mock_http, JD_SIGNED) == [
        {"method": "jingdong.stock.write.updateSkuStock", "v": "2.0", "format": "json",
         "360buy_param_json": json.dumps({"skuId": sku, "stockNum": n},
                                         separators=(",", ":"))}
        for sku, n in ((100012000001, 7), (100012000002, 0))]
    assert [(o.status, o.channel_quantity) for o in outcomes] == [
        ("pushed", 5), ("pushed", 0), ("pushed", 7)]
    assert pub.stats.write_calls == pub.minimum_calls(changes) == 2


def test_jd_refusal_fails_that_sku_and_the_others_go_on(mock_http: responses.RequestsMock
                                                        ) -> None:
    mock_http.post(f"{JD}/routerjson", json={"error_response": {
        "code": "10100083", "zh_desc": "SKU 1 不存在", "en_desc": "sku 1 does not exist"}})
    mock_http.post(f"{JD}/routerjson", json={
        "jingdong_stock_write_updateSkuStock_responce": {"code": "0", "success": False}})
    mock_http.post(f"{JD}/routerjson", json=JD_OK)
    outcomes = publisher(client("jd", JD)).push(
        [ListingChange("1", 1, None), ListingChange("2", 2, None), ListingChange("3", 3, None),
         ListingChange("JD-NO-ID", 3, None)])
    assert [(o.status, o.error) for o in outcomes] == [
        ("failed", "10100083: SKU 1 不存在"),
        ("failed", "0: the answer's success is not true"),
        ("pushed", None),
        ("failed", JdSkuStockPublisher.unnamed)]


def test_jd_refused_token_stops_the_run(mock_http: responses.RequestsMock) -> None:
    mock_http.post(f"{JD}/routerjson", json={"error_response": {
        "code": "19", "zh_desc": "token已过期", "en_desc": "Invalid access_token"}})
    with pytest.raises(GatewayAuthError, match="'jd'"):
        publisher(client("jd", JD)).push([ListingChange("1", 1, None)])


# --- Pinduoduo: the HTTP contract -------------------------------------------------------------

PDD_OK = {"goods_quantity_update_response": {"is_success": True}}


def test_pdd_one_sku_a_call_full_set(mock_http: responses.RequestsMock) -> None:
    mock_http.post(f"{PDD}/api/router", json={"error_response": {
        "error_code": 52101, "error_msg": "业务处理失败", "sub_code": "goods_in_promotion",
        "sub_msg": "商品 300 在资源位上, 不能减少库存"}})
    mock_http.post(f"{PDD}/api/router", json=PDD_OK)
    pub = publisher(client("pinduoduo", PDD))
    changes = [ListingChange("300:1100", 0, None), ListingChange("301:1110", 8, None),
               ListingChange("301", 8, None)]
    outcomes = pub.push(changes)
    assert forms(mock_http, PDD_SIGNED) == [
        {"type": "pdd.goods.quantity.update", "data_type": "JSON", "version": "V1",
         "goods_id": g, "sku_id": s, "quantity": q, "update_type": "1"}
        for g, s, q in (("300", "1100", "0"), ("301", "1110", "8"))]
    assert [(o.status, o.error) for o in outcomes] == [
        ("failed", "goods_in_promotion: 商品 300 在资源位上, 不能减少库存"),
        ("pushed", None), ("failed", PddGoodsQuantityPublisher.unnamed)]
    assert pub.stats.write_calls == pub.minimum_calls(changes) == 2


# --- against the sandbox ----------------------------------------------------------------------

def test_jd_pushes_reach_the_simulator() -> None:
    sandbox = Sandbox(seed=7)
    shop: JdStore = sandbox.store("jd", "demo", orders=0)
    shop.refuse_sku(sku_id(2), "10100090", "该 SKU 已锁定库存, 不能修改")
    c = shop.credentials()
    with SandboxServer(sandbox) as server, client(
            "jd", server.url("jd", shop.name), c["app_key"], c["app_secret"],
            c["access_token"]) as cl:
        pub = publisher(cl)
        outcomes = pub.push([ListingChange(sku_id(0), 4, None),
                             ListingChange(f"1000:{sku_id(1)}", 9, None),
                             ListingChange(sku_id(2), 1, None),
                             ListingChange("999", 1, None)])
        wrong = publisher(client("jd", server.url("jd", shop.name), c["app_key"], "bad",
                                 c["access_token"]))
        signed_badly = wrong.push([ListingChange(sku_id(0), 1, None)])
    assert (shop.stock[sku_id(0)], shop.stock[sku_id(1)], shop.stock[sku_id(2)]) == (4, 9, 0)
    assert [(o.status, o.error) for o in outcomes] == [
        ("pushed", None), ("pushed", None),
        ("failed", "10100090: 该 SKU 已锁定库存, 不能修改"),
        ("failed", "10100083: SKU 999 不存在或不属于该商家")]
    assert pub.stats.write_calls == 4
    assert signed_badly[0].error == "12: 无效签名"
    assert shop.stock[sku_id(0)] == 4


def test_pdd_pushes_reach_the_simulator_and_a_promotion_refuses_decreases() -> None:
    sandbox = Sandbox(seed=7)
    shop: PinduoduoStore = sandbox.store("pinduoduo", "demo", orders=0)
    (g0, s0), (g1, s1) = goods_sku(0), goods_sku(1)
    shop.stock[(g1, s1)] = 10
    shop.promote(g1)
    c = shop.credentials()
    with SandboxServer(sandbox) as server, client(
            "pinduoduo", server.url("pinduoduo", shop.name), c["client_id"],
            c["client_secret"], c["access_token"]) as cl:
        pub = publisher(cl)
        first = pub.push([ListingChange(f"{g0}:{s0}", 6, None),
                          ListingChange(f"{g1}:{s1}", 3, None)])
        second = pub.push([ListingChange(f"{g1}:{s1}", 12, None)])
    assert [(o.status, o.error) for o in first] == [
        ("pushed", None),
        ("failed", f"goods_in_promotion: 商品 {g1} 在资源位上, 不能减少库存")]
    assert second[0].status == "pushed"          # an increase is taken
    assert (shop.stock[(g0, s0)], shop.stock[(g1, s1)]) == (6, 12)
