"""Weimob stock publisher: weimob_shop/stock/update with up to 50 SKUs a call, overwrite;
the SKUs in failList fail alone; and a stock run end to end against the simulator, the
listings read from the store's SKU list, a refused SKU dead-lettered, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
import yaml
from cryptography.fernet import Fernet

from synchub.config.connector import ConnectorSpec
from synchub.config.connector_checks import load_connector
from synchub.pipeline import sync_stream
from synchub.plan import load_hub
from synchub.registry import REGISTRY
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.runtime.tokens import MemoryTokenCache
from synchub.sandbox.weimob.store import GOODS_BASE, SKU_BASE, WeimobStore
from synchub.stock.ingest import StockIngest
from synchub.stock.publish import ListingChange, create_publisher
from synchub.stock.service import prepare, run_shard
from synchub.store import Store
from synchub.systems.weimob.errors import WeimobTokenError
from synchub.systems.weimob.stock import WeimobStockPublisher
from tests.stock.conftest import level

ROOT = Path(__file__).resolve().parents[2]
HOST = "https://dopen.weimob.com"
UPDATE = f"{HOST}/apigw/weimob_shop/v2.0/stock/update"
VID = 6000321521837
G1, G2 = GOODS_BASE, GOODS_BASE + 5000           # LJ-250 (3 SKUs), MOON-8 (one SKU)
OK = {"errcode": "0", "errmsg": "success"}


def spec() -> ConnectorSpec:
    return load_connector(ROOT / "connectors" / "weimob" / "connector.yaml")


def client(host: str = HOST) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="weimob", conn_type="http", host=host, login="cid",
                          password="s3cret", extra={"shop_id": "1", "shop_type": "t",
                                                    "vid": str(VID)})
    return ConnectorClient(spec(), conn, sleep=lambda s: None, tokens=MemoryTokenCache())


def publisher(c: ConnectorClient | None = None) -> WeimobStockPublisher:
    s = spec().stock_publisher
    assert s is not None
    pub = create_publisher(s, c or client(), run_id="run-1")
    assert isinstance(pub, WeimobStockPublisher)
    return pub


def sku(goods: int, sku_id: int, quantity: int) -> ListingChange:
    return ListingChange(f"{goods}:{sku_id}", quantity, None)


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(f"{HOST}/fuwu/b/oauth2/token", json={"access_token": "tok",
                                                       "expires_in": 7200})
        yield mock


def bodies(mock: responses.RequestsMock) -> list[dict[str, Any]]:
    return [json.loads(c.request.body) for c in mock.calls if "/apigw/" in c.request.url]


def test_registry() -> None:
    assert REGISTRY.get("stock_publisher", "weimob_stock_update") is WeimobStockPublisher
    assert publisher().max_batch == 50


def test_one_call_for_the_batch_grouped_by_goods_coalesced_overwrite(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(UPDATE, json={"code": OK, "data": {"failList": []}})
    changes = [sku(G1, SKU_BASE + 1, 5), sku(G2, SKU_BASE + 500, 7),
               sku(G1, SKU_BASE + 2, 1), sku(G1, SKU_BASE + 1, 4)]
    pub = publisher()
    outcomes = pub.push(changes)
    assert bodies(mock_http) == [{
        "basicInfo": {"vid": VID}, "quantityEditType": 1, "goodsList": [
            {"goodsId": G1, "skuList": [{"skuId": SKU_BASE + 1, "stockNum": 4},
                                        {"skuId": SKU_BASE + 2, "stockNum": 1}]},
            {"goodsId": G2, "skuList": [{"skuId": SKU_BASE + 500, "stockNum": 7}]}]}]
    assert [o.status for o in outcomes] == ["pushed"] * 4
    assert pub.stats.write_calls == pub.minimum_calls(changes) == 1


def test_more_than_fifty_skus_take_two_calls(mock_http: responses.RequestsMock) -> None:
    for _ in range(2):
        mock_http.post(UPDATE, json={"code": OK, "data": {"failList": []}})
    changes = [sku(G1, SKU_BASE + n, n) for n in range(60)]
    pub = publisher()
    pub.push(changes)
    assert [sum(len(g["skuList"]) for g in b["goodsList"]) for b in bodies(mock_http)] == [
        50, 10]
    assert pub.minimum_calls(changes) == 2


def test_a_sku_in_faillist_fails_alone(mock_http: responses.RequestsMock) -> None:
    mock_http.post(UPDATE, json={"code": OK, "data": {"failList": [
        {"goodsId": G1, "skuIdSet": [SKU_BASE + 9], "message": "规格不存在"}]}})
    outcomes = publisher().push([sku(G1, SKU_BASE + 9, 0), sku(G1, SKU_BASE, 2)])
    assert [(o.status, o.error) for o in outcomes] == [
        ("failed", "规格不存在"), ("pushed", None)]


def test_a_refused_call_fails_its_listings_with_the_errcode(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(UPDATE, json={"code": {"errcode": "80001001000101",
                                          "errmsg": "basicInfo.vid 不存在"}, "data": None})
    outcomes = publisher().push([sku(G1, SKU_BASE, 2)])
    assert (outcomes[0].status, outcomes[0].error) == (
        "failed", "80001001000101: basicInfo.vid 不存在")


def test_a_refused_token_stops_the_run(mock_http: responses.RequestsMock) -> None:
    refused = {"code": {"errcode": "80001001000119", "errmsg": "accesstoken 无效"}}
    mock_http.post(UPDATE, json=refused)
    mock_http.post(f"{HOST}/fuwu/b/oauth2/token", json={"access_token": "tok2",
                                                        "expires_in": 7200})
    mock_http.post(UPDATE, json=refused)
    with pytest.raises(WeimobTokenError, match="connection 'weimob'"):
        publisher().push([sku(G1, SKU_BASE, 1)])


def test_a_listing_without_numeric_goods_and_sku_fails_without_a_call() -> None:
    outcomes = publisher().push([ListingChange("LJ-250", 1, None)])
    assert outcomes[0].status == "failed" and "goodsId" in (outcomes[0].error or "")


# --- a stock run against the simulator ----------------------------------------------------

def test_listings_read_then_a_master_change_reaches_weimob_and_a_refusal_is_dead_lettered(
        sandbox: Any, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCHUB_TOKEN_KEY", Fernet.generate_key().decode())  # auth.cache
    sb, srv = sandbox
    shop: WeimobStore = sb.store("weimob", "demo", orders=0)
    lj = sorted(shop.goods[G1]["skus"])
    refused_goods = GOODS_BASE + 1000
    (refused_sku, *_) = sorted(shop.goods[refused_goods]["skus"])
    shop.refuse_sku(refused_sku, "分销商品不支持修改库存")
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "connections": {"erp": {"connector": "woocommerce", "conn_id": "erp", "roles": ["erp"]},
                        "wm": {"connector": "weimob", "conn_id": "wm"}},
        "stock": {"masters": {"erp": {"locations": ["WH"]}}, "channels": {"wm": {}}}}))
    hub = load_hub(path)
    store = Store.from_url(db_url)
    store.migrate()
    c = shop.credentials()
    info = ConnectionInfo(conn_id="wm", conn_type="http", host=srv.url("weimob", "demo"),
                          login=c["client_id"], password=c["client_secret"],
                          extra={k: c[k] for k in ("shop_id", "shop_type", "vid")})
    try:
        ingest = StockIngest.from_hub(hub)
        assert ingest is not None
        listed = sync_stream(hub, "wm", "listings", store=store, conn_info=info)
        assert listed.status == "success" and listed.fetched == shop.counts()["skus"]
        store.write_page(connection="erp", stream="levels", hooks=ingest.hooks_for("erp"),
                         records=[level("LJ-250", "WH", 10), level("LJ-250-01", "WH", 11),
                                  level("LJ-250-02", "WH", 12), level("MOON-8", "WH", 5),
                                  level("SC-SILK-RED", "WH", 3)])
        prepare(hub, store)
        summary = run_shard(hub, store, run_id="run1", conn_info=lambda name: info)
        (wm,) = summary.channels
        assert (wm.changed, wm.pushed, wm.failed) == (5, 4, 1)
        assert wm.write_calls == wm.min_calls == 1            # one call for the lot
        assert [shop.stock(G1, s) for s in lj] == [10, 11, 12]
        assert shop.stock(G2, SKU_BASE + 500) == 5
        assert shop.stock(refused_goods, refused_sku) == 0
        (letter,) = store.dead_letters()
        assert (letter["connection"], letter["stream"], letter["record_id"]) == (
            "wm", "stock_publish", f"{refused_goods}:{refused_sku}")
        assert "分销商品不支持修改库存" in letter["reason"]
    finally:
        store.dispose()
