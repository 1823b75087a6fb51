"""stock_sync without pushing (publish: false): figures, reruns, drift, alerts, explain."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.canonical import InventoryLevel, SourceRef
from synchub.plan import Hub, load_hub
from synchub.stock.ingest import StockIngest
from synchub.stock.report import build_alerts, build_drift, explain
from synchub.stock.service import prepare, run_shard
from synchub.store import Store
from synchub.store.stock_tables import stock_alerts, stock_drift, stock_publications
from tests.stock.conftest import NOW, level, order

ROOT = Path(__file__).resolve().parents[2]


def make_hub(tmp_path: Path, stock: dict[str, Any]) -> Hub:
    doc = {"version": 1, "connectors_dir": str(ROOT / "connectors"),
           "mappings_dir": str(ROOT / "mappings"),
           "connections": {"shop": {"connector": "shopify", "conn_id": "shop_c"},
                           "erp": {"connector": "woocommerce", "conn_id": "erp_c",
                                   "roles": ["erp"]}},
           "stock": stock}
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_hub(path)


STOCK = {"masters": {"erp": {"locations": ["WH", "WH2"]}},
         "channels": {"shop": {"publish": False, "buffer": 1, "locations": ["WH"],
                               "aliases": {"SHOP-B": "B"}, "skus": {"C": {"sync": False}}}},
         "kits": {"KIT": {"A": 2, "B": 1}},
         "alerts": {"low_stock": 3, "days_of_cover": 10}}


def listing(item: str, sku: str, available: int) -> InventoryLevel:
    ext = f"{item}:L1"
    return InventoryLevel(source=SourceRef(connection="shop", system="shopify", external_id=ext),
                          external_id=ext, sku=sku, inventory_item_external_id=item,
                          location_external_id="L1", available=available)


def publications(store: Store) -> dict[str, tuple[int | None, str]]:
    with store.engine.connect() as conn:
        return {r.listing_id: (r.desired, r.status) for r in conn.execute(
            sa.select(stock_publications))}


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return make_hub(tmp_path, STOCK)


def seed(store: Store, hub: Hub) -> None:
    ing = StockIngest.from_hub(hub)
    assert ing is not None
    store.write_page(connection="erp", stream="levels", hooks=ing.hooks_for("erp"), records=[
        level("A", "WH", 20), level("A", "WH2", 50), level("B", "WH", 4), level("C", "WH", 9),
        level("D", "WH", 2), level("A", "OUTSIDE", 99)])
    store.write_page(connection="shop", stream="levels", records=[
        listing("1", "A", 19), listing("2", "SHOP-B", 0), listing("3", "C", 5),
        listing("4", "KIT", 0), listing("5", "GHOST", 7)])
    store.write_page(connection="shop", stream="orders", hooks=ing.hooks_for("shop"), records=[
        order("o1", {"A": 3}), order("o2", {"SHOP-B": 1}, placed=NOW - timedelta(days=2))])


def test_figures_rerun_and_changes(store: Store, hub: Hub) -> None:
    seed(store, hub)
    prepare(hub, store)
    first = run_shard(hub, store, run_id="r1").channels[0]
    # A: WH only (20) - 3 reserved - buffer 1 = 16; B via alias: 4 - 1 - 1 = 2;
    # KIT: min(17 // 2, 3 // 1) = 3 - 1 = 2; C opted out; GHOST not in master
    assert publications(store) == {"1:L1": (16, "computed"), "2:L1": (2, "computed"),
                                   "4:L1": (2, "computed")}
    assert (first.listings, first.changed, first.opted_out, first.not_in_master) == (5, 3, 1, 1)
    assert first.write_calls == 0  # publish: false

    # the master changes one SKU: only the listings it feeds are computed again
    ing = StockIngest.from_hub(hub)
    assert ing is not None
    store.write_page(connection="erp", stream="levels", hooks=ing.hooks_for("erp"),
                     records=[level("B", "WH", 10)])
    again = run_shard(hub, store, run_id="r2").channels[0]
    # publish: false never reaches the channel, so every listing still differs from it
    assert (again.changed, again.unchanged, again.write_calls) == (3, 0, 0)
    assert publications(store)["2:L1"] == (8, "computed")
    assert publications(store)["4:L1"] == (7, "computed")  # min(17 // 2, 9) - 1


def test_shards_split_the_skus_without_overlap(store: Store, hub: Hub) -> None:
    seed(store, hub)
    prepare(hub, store)
    counts = [run_shard(hub, store, run_id="s", shard=s, shards=3).channels[0].listings
              for s in range(3)]
    assert sum(counts) == 5


def test_drift_and_alerts(store: Store, hub: Hub) -> None:
    seed(store, hub)
    prepare(hub, store)
    run_shard(hub, store, run_id="r1")
    drift = build_drift(hub, store)
    assert drift["shop"]["missing_in_master"] == 1
    assert drift["shop"]["missing_on_channel"] == 1          # D is on no listing
    with store.engine.connect() as conn:
        keys = {(r.kind, r.key) for r in conn.execute(sa.select(stock_drift))}
    assert ("missing_in_master", "5:L1") in keys and ("missing_on_channel", "D") in keys

    counts = build_alerts(hub, store)
    with store.engine.connect() as conn:
        raised = {(r.sku, r.kind) for r in conn.execute(
            sa.select(stock_alerts).where(stock_alerts.c.status == "raised"))}
    # D has 2 (<= 3); B has 4 - 1 reserved = 3 (<= 3); A sells 3 in 14 days: plenty of cover
    assert {("D", "low_stock"), ("B", "low_stock")} <= raised
    assert counts["raised_now"] == len(raised)
    assert build_alerts(hub, store)["raised_now"] == 0        # nothing new the second time

    ing = StockIngest.from_hub(hub)
    assert ing is not None
    store.write_page(connection="erp", stream="levels", hooks=ing.hooks_for("erp"),
                     records=[level("D", "WH", 40)])
    assert build_alerts(hub, store)["cleared_now"] == 1
    feed = store.read_feed("stock_alert")
    assert [d["sku"] for d in feed.records].count("D") == 1 and feed.next_cursor


def test_explain_shows_each_step(store: Store, hub: Hub) -> None:
    seed(store, hub)
    prepare(hub, store)
    run_shard(hub, store, run_id="r1")
    info = explain(hub, store, "A")
    comp = info["channels"][0]["computation"]
    assert [(r["location"], r["counted"]) for r in comp["locations"]] == [
        ("WH", True), ("WH2", False)]
    assert comp["hub_reserved"] == 3 and comp["base"] == 17
    assert comp["steps"] == [{"rule": "available", "value": 17}, {"rule": "buffer", "value": 16}]
    assert info["reservations"][0]["order_external_id"] == "o1"
    kit = explain(hub, store, "KIT")["channels"][0]["computation"]
    assert [(p["sku"], p["kits"]) for p in kit["kit"]] == [("A", 8), ("B", 3)]


def test_days_of_cover_come_from_sales_velocity(store: Store, hub: Hub) -> None:
    seed(store, hub)
    ing = StockIngest.from_hub(hub)
    assert ing is not None
    # a cancelled order is not a sale; then 60 units of A sold (A: 70 on hand, 3 held before)
    store.write_page(connection="shop", stream="orders", hooks=ing.hooks_for("shop"),
                     records=[order("big0", {"A": 500}, status="cancelled")])
    build_alerts(hub, store)
    with store.engine.connect() as conn:
        assert not conn.execute(sa.select(stock_alerts).where(
            stock_alerts.c.kind == "low_cover")).all()
    store.write_page(connection="shop", stream="orders", hooks=ing.hooks_for("shop"),
                     records=[order("big", {"A": 60})])
    build_alerts(hub, store)
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(stock_alerts).where(
            stock_alerts.c.sku == "A", stock_alerts.c.kind == "low_cover")).one()
    # 63 units in 14 days = 4.5 a day; 7 left -> 1.56 days of cover, under the 10 configured
    assert row.available == 7 and row.velocity == Decimal("4.5")
    assert row.days_of_cover == Decimal("1.56") and row.status == "raised"
