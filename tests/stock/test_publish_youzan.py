"""Youzan stock publisher: one youzan.item.quantity.update per listing, full set; refusals
per listing; and a stock run end to end against the simulator, a refused SKU dead-lettered,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
import yaml

from synchub.canonical import InventoryLevel, SourceRef
from synchub.config.connector import ConnectorSpec
from synchub.config.connector_checks import load_connector
from synchub.plan import load_hub
from synchub.registry import REGISTRY
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox.youzan.store import ITEM_BASE, SKU_BASE, YouzanStore
from synchub.stock.ingest import StockIngest
from synchub.stock.publish import ListingChange, create_publisher
from synchub.stock.service import prepare, run_shard
from synchub.store import Store
from synchub.systems.youzan.errors import YouzanTokenError
from synchub.systems.youzan.stock import YouzanQuantityPublisher
from tests.stock.conftest import level

ROOT = Path(__file__).resolve().parents[2]
HOST = "https://open.youzanyun.com"
UPDATE = f"{HOST}/api/youzan.item.quantity.update/3.0.0"
ITEM, PLAIN = ITEM_BASE, ITEM_BASE + 5        # LJ-250 (3 SKUs), MOON-8 (no SKUs)


def spec() -> ConnectorSpec:
    return load_connector(ROOT / "connectors" / "youzan" / "connector.yaml")


def client(host: str = HOST, client_id: str = "cid", secret: str = "s3cret",
           kdt_id: str = "160000001") -> ConnectorClient:
    conn = ConnectionInfo(conn_id="youzan", conn_type="http", host=host, login=client_id,
                          password=secret, extra={"kdt_id": kdt_id})
    return ConnectorClient(spec(), conn, sleep=lambda s: None)


def publisher(c: ConnectorClient | None = None) -> YouzanQuantityPublisher:
    s = spec().stock_publisher
    assert s is not None
    pub = create_publisher(s, c or client(), run_id="run-1")
    assert isinstance(pub, YouzanQuantityPublisher)
    return pub


def sku(item: int, sku_id: int, quantity: int) -> ListingChange:
    return ListingChange(f"{item}:{sku_id}", quantity, None)


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(f"{HOST}/auth/token", json={"success": True, "code": 200, "data": {
            "access_token": "tok", "expires": 4_102_444_800_000}})
        yield mock


def bodies(mock: responses.RequestsMock) -> list[dict[str, Any]]:
    return [json.loads(c.request.body) for c in mock.calls if "/api/" in c.request.url]


def test_registry() -> None:
    assert REGISTRY.get("stock_publisher", "youzan_quantity") is YouzanQuantityPublisher
    assert publisher().max_batch == 1


def test_one_call_per_listing_coalesced_full_set(mock_http: responses.RequestsMock) -> None:
    for _ in range(3):
        mock_http.post(UPDATE, json={"response": {"is_success": True}})
    changes = [sku(ITEM, SKU_BASE + 1, 5), ListingChange(str(PLAIN), 7, None),
               sku(ITEM, SKU_BASE + 2, 1), sku(ITEM, SKU_BASE + 1, 4)]
    pub = publisher()
    outcomes = pub.push(changes)
    assert bodies(mock_http) == [
        {"item_id": ITEM, "quantity": 4, "type": 0, "sku_id": SKU_BASE + 1},
        {"item_id": PLAIN, "quantity": 7, "type": 0},
        {"item_id": ITEM, "quantity": 1, "type": 0, "sku_id": SKU_BASE + 2}]
    assert [o.status for o in outcomes] == ["pushed"] * 4
    assert pub.stats.write_calls == pub.minimum_calls(changes) == 3


def test_a_refusal_fails_that_listing_and_the_others_go_on(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(UPDATE, json={"error_response": {"code": 40001, "msg": "规格 9 不存在"}})
    mock_http.post(UPDATE, json={"response": {"is_success": True}})
    outcomes = publisher().push([sku(ITEM, 9, 0), sku(ITEM, SKU_BASE, 2)])
    assert [(o.status, o.error) for o in outcomes] == [
        ("failed", "40001: 规格 9 不存在"), ("pushed", None)]


def test_a_refused_token_stops_the_run(mock_http: responses.RequestsMock) -> None:
    refused = {"gw_err_resp": {"err_code": 10003, "err_msg": "access_token 过期或无效"}}
    mock_http.post(UPDATE, json=refused)
    mock_http.post(f"{HOST}/auth/token", json={"success": True, "code": 200, "data": {
        "access_token": "tok2", "expires": 4_102_444_800_000}})
    mock_http.post(UPDATE, json=refused)
    with pytest.raises(YouzanTokenError, match="connection 'youzan'"):
        publisher().push([sku(ITEM, SKU_BASE, 1)])


def test_a_listing_without_a_numeric_item_fails_without_a_call() -> None:
    outcomes = publisher().push([ListingChange("LJ-250", 1, None)])
    assert outcomes[0].status == "failed" and "item_id" in (outcomes[0].error or "")


# --- a stock run against the simulator ----------------------------------------------------

def listing(ext: str, sku_code: str, *, item: str | None, product: str) -> InventoryLevel:
    return InventoryLevel(
        source=SourceRef(connection="yz", system="youzan", external_id=ext), external_id=ext,
        sku=sku_code, inventory_item_external_id=item, product_external_id=product,
        location_external_id="youzan", available=0)


def test_a_master_change_reaches_youzan_and_a_refusal_is_dead_lettered(
        sandbox: Any, tmp_path: Path, db_url: str) -> None:
    sb, srv = sandbox
    shop: YouzanStore = sb.store("youzan", "demo", orders=0)
    skus = sorted(shop.items[ITEM]["skus"])
    refused_item = ITEM + 1
    refused_sku = sorted(shop.items[refused_item]["skus"])[0]
    shop.refuse_item(refused_item, 40003, "分销商品不支持修改库存")
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "connections": {"erp": {"connector": "woocommerce", "conn_id": "erp", "roles": ["erp"]},
                        "yz": {"connector": "youzan", "conn_id": "yz"}},
        "stock": {"masters": {"erp": {"locations": ["WH"]}}, "channels": {"yz": {}}}}))
    hub = load_hub(path)
    store = Store.from_url(db_url)
    store.migrate()
    try:
        ingest = StockIngest.from_hub(hub)
        assert ingest is not None
        store.write_page(connection="erp", stream="levels", hooks=ingest.hooks_for("erp"),
                         records=[level(f"LJ-{n}", "WH", 10 + n) for n in range(3)]
                         + [level("MOON-8", "WH", 5), level("SC-RED", "WH", 3)])
        store.write_page(connection="yz", stream="listings", records=[
            listing(f"{ITEM}:{s}", f"LJ-{n}", item=str(s), product=str(ITEM))
            for n, s in enumerate(skus)] + [
            listing(str(PLAIN), "MOON-8", item=None, product=str(PLAIN)),
            listing(f"{refused_item}:{refused_sku}", "SC-RED", item=str(refused_sku),
                    product=str(refused_item))])
        c = shop.credentials()
        info = ConnectionInfo(conn_id="yz", conn_type="http", host=srv.url("youzan", "demo"),
                              login=c["client_id"], password=c["client_secret"],
                              extra={"kdt_id": c["kdt_id"]})
        prepare(hub, store)
        summary = run_shard(hub, store, run_id="run1", conn_info=lambda name: info)
        (yz,) = summary.channels
        assert (yz.changed, yz.pushed, yz.failed) == (5, 4, 1)
        assert yz.write_calls == yz.min_calls == 5             # one call per listing
        assert [shop.quantity(ITEM, s) for s in skus] == [10, 11, 12]
        assert shop.quantity(PLAIN) == 5
        assert shop.quantity(refused_item, refused_sku) == 0
        (letter,) = store.dead_letters()
        assert (letter["connection"], letter["stream"], letter["record_id"]) == (
            "yz", "stock_publish", f"{refused_item}:{refused_sku}")
        assert "40003: 分销商品不支持修改库存" in letter["reason"]
    finally:
        store.dispose()
