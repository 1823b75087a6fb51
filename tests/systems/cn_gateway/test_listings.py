"""Listings of Taobao, JD and Pinduoduo read into canonical InventoryLevels against the
simulators: the levels name what each stock publisher expects, a publish from them changes
the shop, and the next read shows the new figure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from synchub.config.connector_checks import load_connector
from synchub.pipeline import sync_stream
from synchub.plan import Hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.stock.publish import ListingChange, create_publisher
from synchub.store import Store
from tests.systems.cn_gateway.connections import ROOT, one_connection_hub, shop_connection


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


def levels(store: Store) -> dict[str, dict[str, Any]]:
    return {d["external_id"]: d
            for d in store.read_feed("inventory_level", limit=1000).records}


def read(plan: Hub, store: Store, conn: ConnectionInfo, stream: str = "listings") -> Any:
    result = sync_stream(plan, "cn", stream, store=store, conn_info=conn,
                         window_end=datetime.now(UTC))
    assert result.status == "success", result
    return result


def publish(plan: Hub, conn: ConnectionInfo, docs: list[dict[str, Any]], quantity: int
            ) -> list[Any]:
    """Push ``quantity`` to the listings of ``docs`` as the stock engine builds the change
    from a stored level (synchub.stock.service._change)."""
    spec = load_connector(ROOT / "connectors" / plan.file.connections["cn"].connector
                          / "connector.yaml")
    assert spec.stock_publisher is not None
    client = ConnectorClient(spec, conn, sleep=lambda s: None)
    publisher = create_publisher(spec.stock_publisher, client, run_id="run-1")
    changes = [ListingChange(listing_id=d["external_id"], quantity=quantity, expected=None,
                             sku=d.get("sku"), inventory_item_id=d.get(
                                 "inventory_item_external_id"),
                             location_id=d["location_external_id"],
                             product_id=d.get("product_external_id"))
               for d in docs]
    outcomes = publisher.push(changes)
    assert {o.status for o in outcomes} == {"pushed"}, outcomes
    return outcomes


def test_taobao_listings_are_every_sku_and_plain_item_and_follow_a_publish(
        tmp_path: Path, store: Store) -> None:
    plan = one_connection_hub(tmp_path, "cn", "taobao")
    sandbox = Sandbox(seed=7)
    shop = sandbox.store("taobao", "demo", orders=0)
    item, sku = 600_000_000_000, "5100000000000"          # LJ-250, its first SKU
    with SandboxServer(sandbox) as server:
        conn = shop_connection("cn", shop, server.url("taobao", "demo"))
        shop.items[item]["skus"][sku]["quantity"] = 7
        read(plan, store, conn)
        got = levels(store)
        onsale = {iid: i for iid, i in shop.items.items() if i["approve_status"] == "onsale"}
        expected = {f"{iid}:{sid}" for iid, i in onsale.items() for sid in i["skus"]} | {
            str(iid) for iid, i in onsale.items() if not i["skus"]}
        assert set(got) == expected
        first = got[f"{item}:{sku}"]
        assert (first["sku"], first["product_external_id"], first["inventory_item_external_id"],
                first["location_external_id"], first["available"]) == (
                    "LJ-250", str(item), sku, "taobao", 7)
        moon = got["600000000005"]                          # MOON-8: no SKUs
        assert moon["sku"] == "MOON-8" and moon.get("inventory_item_external_id") is None
        # the SKUs came 20 items a call, one call for this catalogue
        details = [c for c in shop.calls if c["method"] == "taobao.items.seller.list.get"]
        assert len(details) == 1 and len(details[0]["num_iids"].split(",")) == len(onsale)

        publish(plan, conn, [first, moon], 12)
        assert shop.quantity(item, sku) == 12 and shop.quantity(600_000_000_005) == 12
        second = read(plan, store, conn)
        assert second.changed["inventory_level"] == 2
        after = levels(store)
        assert after[f"{item}:{sku}"]["available"] == 12
        assert after["600000000005"]["available"] == 12

        # the items in the warehouse come through their own stream, keyed the same way
        read(plan, store, conn, "listings_in_stock")
        assert "600000000006" in levels(store)              # BAMBOO-L: instock


def test_jd_listings_are_the_skus_and_follow_a_publish(tmp_path: Path, store: Store) -> None:
    plan = one_connection_hub(tmp_path, "cn", "jd")
    sandbox = Sandbox(seed=7)
    shop = sandbox.store("jd", "demo", orders=0)
    with SandboxServer(sandbox) as server:
        conn = shop_connection("cn", shop, server.url("jd", "demo"))
        shop.stock["100012000003"] = 40                     # JLY-5L
        read(plan, store, conn)
        got = levels(store)
        assert set(got) == set(shop.stock)
        level = got["100012000003"]
        assert (level["sku"], level["product_external_id"], level["location_external_id"],
                level["available"]) == ("JLY-5L", "10000800003", "jd", 40)

        publish(plan, conn, [level], 9)
        assert shop.stock["100012000003"] == 9
        second = read(plan, store, conn)
        assert second.changed["inventory_level"] == 1
        assert levels(store)["100012000003"]["available"] == 9
        asked = [c for c in shop.calls if c["method"] == "jingdong.sku.read.searchSkuList"]
        assert all('"skuStatuValue":"1,2"' in c["360buy_param_json"] for c in asked)


def test_pinduoduo_listings_are_goods_skus_and_follow_a_publish(
        tmp_path: Path, store: Store) -> None:
    plan = one_connection_hub(tmp_path, "cn", "pinduoduo")
    sandbox = Sandbox(seed=7)
    shop = sandbox.store("pinduoduo", "demo", orders=0)
    goods, sku = 300_000_001, 1_100_000_010                 # PUER-357
    with SandboxServer(sandbox) as server:
        conn = shop_connection("cn", shop, server.url("pinduoduo", "demo"))
        shop.stock[(goods, sku)] = 15
        read(plan, store, conn)
        got = levels(store)
        assert set(got) == {f"{g}:{s}" for g, s in shop.stock}
        level = got[f"{goods}:{sku}"]
        assert (level["sku"], level["product_external_id"], level["inventory_item_external_id"],
                level["location_external_id"], level["available"]) == (
                    "PUER-357", str(goods), str(sku), "pinduoduo", 15)

        publish(plan, conn, [level], 4)
        assert shop.stock[(goods, sku)] == 4
        second = read(plan, store, conn)
        assert second.changed["inventory_level"] == 1
        assert levels(store)[f"{goods}:{sku}"]["available"] == 4
