"""Stock sync end to end against the sandbox: Odoo master, Shopify and WooCommerce channels.

Every system is a loopback simulator; the hub syncs them with the real connectors, computes
the figures and pushes them with the real publishers, and the tests read back what each
channel now shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.stock.service import StockSummary, prepare, run_shard
from synchub.store import Store
from synchub.store.stock_tables import stock_exceptions, stock_publications

ROOT = Path(__file__).resolve().parents[2]
LOCATION = "61000000000"  # the first location of a sandbox shop
STREAMS = {"odoo": ["products", "stock_quants", "deliveries"],
           "shop": ["orders", "products", "inventory_levels"],
           "woo": ["orders", "products", "product_variations"]}


def write_stock_hub(tmp_path: Path, stock_extra: dict[str, Any] | None = None) -> Hub:
    stock: dict[str, Any] = {
        "masters": {"odoo": {"locations": ["WH/Stock", "WH2/Stock"]}},
        "channels": {"shop": {"publish_location": LOCATION},
                     "woo": {"locations": ["WH/Stock", "WH2/Stock"]}},
        "reservations": {"max_age": "2d"},
    }
    stock.update(stock_extra or {})
    doc = {"version": 1, "connectors_dir": str(ROOT / "connectors"),
           "mappings_dir": str(ROOT / "mappings"),
           "connections": {
               "odoo": {"connector": "odoo", "conn_id": "odoo", "roles": ["erp"]},
               # the simulators answer at once: no need to leave the newest minute for later
               "shop": {"connector": "shopify", "conn_id": "shop",
                        "incremental": {"safety_lag": "0s"}},
               "woo": {"connector": "woocommerce", "conn_id": "woo",
                       "incremental": {"safety_lag": "0s"}}},
           "stock": stock}
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_hub(path)


def infos(sb: Any, srv: Any) -> dict[str, ConnectionInfo]:
    o, s, w = sb.odoo("demo"), sb.shopify("demo"), sb.woocommerce("demo")
    cred = o.credentials()
    return {
        "odoo": ConnectionInfo(conn_id="odoo", conn_type="http", host=srv.odoo_url("demo"),
                               schema=cred["db"], login=cred["login"],
                               password=cred["password"]),
        "shop": ConnectionInfo(conn_id="shop", conn_type="http", host=srv.shopify_url("demo"),
                               password=s.access_token),
        "woo": ConnectionInfo(conn_id="woo", conn_type="http", host=srv.woocommerce_url("demo"),
                              login=w.consumer_key, password=w.consumer_secret),
    }


class World:
    """The sandbox, the hub and its store, with the steps a deployment runs."""

    def __init__(self, sandbox: Any, tmp_path: Path, db_url: str,
                 stock_extra: dict[str, Any] | None = None) -> None:
        self.sb, self.srv = sandbox
        self.sb.odoo("demo", products=8)
        self.sb.shopify("demo", orders=0, customers=1, products=8)
        self.sb.woocommerce("demo", orders=0, customers=1, products=8)
        self.hub = write_stock_hub(tmp_path, stock_extra)
        self.infos = infos(self.sb, self.srv)
        self.store = Store.from_url(db_url)
        self.store.migrate()
        self.runs = 0

    def sync(self, connection: str) -> None:
        for stream in STREAMS[connection]:
            sync_stream(self.hub, connection, stream, store=self.store,
                        conn_info=self.infos[connection], workers=0)

    def stock(self) -> StockSummary:
        self.runs += 1
        prepare(self.hub, self.store)
        return run_shard(self.hub, self.store, run_id=f"run{self.runs}",
                         conn_info=lambda name: self.infos[name])

    def shop_shows(self, sku: str) -> int:
        for p in self.sb.shopify("demo").products:
            for v in p["_variants"]:
                if v["sku"] == sku:
                    for lv in v["inventoryItem"]["_levels"]:
                        if str(lv["_id"]) == LOCATION:
                            return int(lv["_q"]["available"])
        raise AssertionError(f"{sku} not stocked at the shop's first location")

    def woo_shows(self, sku: str) -> int:
        for p in self.sb.woocommerce("demo").products:
            for obj in (p, *p["_variations"]):
                if obj["sku"] == sku and obj.get("manage_stock"):
                    return int(obj["stock_quantity"])
        raise AssertionError(f"{sku} has no managed stock on the Woo site")

    def master_free(self, sku: str) -> int:
        odoo = self.sb.odoo("demo")
        total = 0
        for loc in ("WH/Stock", "WH2/Stock"):
            q = odoo.quant(sku, loc)
            if q is not None:
                total += max(int(q["quantity"]), 0) - int(q["reserved_quantity"])
        return total

    def common_skus(self) -> list[str]:
        """SKUs the master holds that both channels list with stock they manage."""
        out = []
        for p in self.sb.woocommerce("demo").products:
            for obj in (p, *p["_variations"]):
                sku = obj["sku"]
                if not sku or not obj.get("manage_stock"):
                    continue
                try:
                    self.shop_shows(sku)
                except AssertionError:
                    continue
                if self.sb.odoo("demo").quant(sku, "WH/Stock") is not None \
                        and self.master_free(sku) > 6:
                    out.append(sku)
        return sorted(out)

    def close(self) -> None:
        self.store.dispose()


@pytest.fixture
def world(sandbox: Any, tmp_path: Path, db_url: str) -> Any:
    w = World(sandbox, tmp_path, db_url)
    yield w
    w.close()


def test_a_shopify_order_lowers_woocommerce_and_the_reverse(world: World) -> None:
    for conn in ("odoo", "shop", "woo"):
        world.sync(conn)
    first = world.stock()
    pushed = {ch.channel: ch.pushed for ch in first.channels}
    assert pushed["shop"] > 0 and pushed["woo"] > 0
    sku = world.common_skus()[0]
    free = world.master_free(sku)
    assert world.woo_shows(sku) == free
    assert world.shop_shows(sku) == free

    # the rerun with nothing changed makes no API call at all
    shop_calls = len(world.sb.shopify("demo").requests)
    woo_calls = len(world.sb.woocommerce("demo").requests)
    again = world.stock()
    assert all(ch.changed == 0 and ch.write_calls == 0 for ch in again.channels)
    assert len(world.sb.shopify("demo").requests) == shop_calls
    assert len(world.sb.woocommerce("demo").requests) == woo_calls

    # two units sold on Shopify: the shop took them itself, WooCommerce learns it from the hub
    world.sb.shopify("demo").place_order([{"sku": sku, "quantity": 2}])
    world.sync("shop")
    world.stock()
    assert world.woo_shows(sku) == free - 2
    assert world.shop_shows(sku) == free - 2

    # and the reverse: three units sold on WooCommerce reach Shopify
    world.sb.woocommerce("demo").place_order([{"sku": sku, "quantity": 3}])
    world.sync("woo")
    summary = world.stock()
    assert world.shop_shows(sku) == free - 5
    assert world.woo_shows(sku) == free - 5
    shop = next(ch for ch in summary.channels if ch.channel == "shop")
    assert shop.write_calls == shop.min_calls == 1

    # the warehouse ships the Shopify order: the master's stock falls and the reservation
    # goes with it, so the published figure does not move
    order_id = world.store.read_feed("order").records[0]["external_id"]
    world.sb.odoo("demo").deliver(f"shop:{order_id}", [{"sku": sku, "quantity": 2,
                                                        "location": "WH/Stock"}])
    world.sync("odoo")
    world.stock()
    assert world.master_free(sku) == free - 2
    assert world.woo_shows(sku) == free - 5


def test_the_last_unit_sold_twice_is_flagged_and_zeroed_everywhere(world: World) -> None:
    for conn in ("odoo", "shop", "woo"):
        world.sync(conn)
    world.stock()
    sku = world.common_skus()[0]
    odoo = world.sb.odoo("demo")
    for loc, free in (("WH/Stock", 1), ("WH2/Stock", 0)):
        q = odoo.quant(sku, loc)
        if q is not None:  # one unit free in all: on hand = what the ERP reserves + free
            odoo.set_stock(sku, int(q["reserved_quantity"]) + free, loc)
    assert world.master_free(sku) == 1
    world.sync("odoo")
    world.stock()
    # both shops sell the last unit before the hub hears of either order
    world.sb.shopify("demo").place_order([{"sku": sku, "quantity": 1}])
    world.sb.woocommerce("demo").place_order([{"sku": sku, "quantity": 1}])
    world.sync("shop")
    world.sync("woo")
    with world.store.engine.connect() as conn:
        flagged = conn.execute(sa.select(stock_exceptions.c.connection,
                                         stock_exceptions.c.sku)).all()
    assert flagged == [("woo", sku)]
    world.stock()
    assert world.shop_shows(sku) == 0
    assert world.woo_shows(sku) == 0


def test_a_stale_compare_is_not_overwritten(world: World) -> None:
    for conn in ("odoo", "shop", "woo"):
        world.sync(conn)
    world.stock()
    sku = world.common_skus()[0]
    free = world.master_free(sku)
    # the master receives stock, and in the same moment the shop sells one unit the hub
    # has not ingested: the push's changeFromQuantity is stale
    odoo = world.sb.odoo("demo")
    q = odoo.quant(sku, "WH/Stock")
    assert q is not None
    odoo.set_stock(sku, int(q["quantity"]) + 10, "WH/Stock")
    world.sync("odoo")
    world.sb.shopify("demo").place_order([{"sku": sku, "quantity": 1}])
    summary = world.stock()
    shop = next(ch for ch in summary.channels if ch.channel == "shop")
    assert shop.conflicts == 1
    # the shop's own sale is kept: the figure is not raised over it in this run
    assert world.shop_shows(sku) == free - 1
    with world.store.engine.connect() as conn:
        status = conn.execute(sa.select(stock_publications.c.status).where(
            stock_publications.c.channel == "shop",
            stock_publications.c.master_sku == sku)).scalar_one()
    assert status == "conflict"
    # once the order is ingested, the next run publishes the right figure
    world.sync("shop")
    world.stock()
    assert world.shop_shows(sku) == free + 10 - 1


def test_a_replayed_order_reserves_its_units_like_a_synced_one(world: World) -> None:
    from synchub.delivery.replay import replay
    from synchub.store import DeadLetterIn
    from synchub.store.stock_tables import stock_reservations

    world.sync("odoo")
    sku = world.common_skus()[0]
    shop = world.sb.shopify("demo")
    placed = shop.place_order([{"sku": sku, "quantity": 2}])
    # the order was quarantined at ingest (say, by a mapping bug since fixed)
    world.store.write_page(connection="shop", stream="orders", records=[], dead_letters=[
        DeadLetterIn(entity="order", record_id=str(placed["id"]), reason="mapping bug",
                     raw=shop.order(placed["id"]))])
    result = replay(world.store, world.hub, connection="shop",
                    conn_info=lambda name: world.infos[name])
    assert (result.resolved, result.still_failing) == (1, 0)
    with world.store.engine.connect() as conn:
        held = conn.execute(sa.select(sa.func.sum(stock_reservations.c.open_qty)).where(
            stock_reservations.c.order_external_id == str(placed["id"]),
            stock_reservations.c.sku == sku)).scalar_one()
    assert held == 2
