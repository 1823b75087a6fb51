"""Stock out to the marketplaces end to end: a master's change reaches the Amazon, Taobao,
JD and Pinduoduo simulators through the hub's stock run, on SQLite and PostgreSQL.

The channels' listings are written to the store as their InventoryLevels (Amazon: the
seller SKU at its marketplace; Taobao: ``<num_iid>:<sku_id>``, or the item alone; JD: the
skuId; Pinduoduo: ``<goods_id>:<sku_id>``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.canonical import InventoryLevel, SourceRef
from synchub.delivery.replay import replay
from synchub.errors import ConfigError
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.sandbox.jd.store import sku_id
from synchub.sandbox.pinduoduo.store import goods_sku
from synchub.stock.ingest import StockIngest
from synchub.stock.service import StockSummary, prepare, run_shard
from synchub.store import Store
from synchub.store.stock_tables import stock_publications
from tests.stock.conftest import level
from tests.systems.cn_gateway.connections import shop_connection

ROOT = Path(__file__).resolve().parents[2]
MARKET = "A1PA6795UKMFR9"
ITEM, PLAIN = 600_000_000_000, 600_000_000_005   # LJ-250 (25 SKUs), MOON-8 (no SKUs)


def make_hub(tmp_path: Path) -> Hub:
    doc = {"version": 1, "connectors_dir": str(ROOT / "connectors"),
           "mappings_dir": str(ROOT / "mappings"),
           "connections": {"erp": {"connector": "woocommerce", "conn_id": "erp",
                                   "roles": ["erp"]},
                           "amz": {"connector": "amazon", "conn_id": "amz"},
                           "tb": {"connector": "taobao", "conn_id": "tb"},
                           "jd": {"connector": "jd", "conn_id": "jd"},
                           "pdd": {"connector": "pinduoduo", "conn_id": "pdd"}},
           "stock": {"masters": {"erp": {"locations": ["WH"]}},
                     "channels": {"amz": {}, "tb": {}, "jd": {}, "pdd": {}}}}
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_hub(path)


def listing(connection: str, ext: str, sku: str, location: str, *, item: str | None = None,
            product: str | None = None) -> InventoryLevel:
    return InventoryLevel(
        source=SourceRef(connection=connection, system=connection, external_id=ext),
        external_id=ext, sku=sku, inventory_item_external_id=item,
        product_external_id=product, location_external_id=location, available=0)


class Marketplaces:
    """The four simulators, the hub and its store."""

    def __init__(self, sandbox: Any, tmp_path: Path, db_url: str) -> None:
        self.sb, srv = sandbox
        self.amazon = self.sb.store("amazon", "demo", orders=0)
        self.taobao = self.sb.store("taobao", "demo", orders=0)
        self.jd = self.sb.store("jd", "demo", orders=0)
        self.pdd = self.sb.store("pinduoduo", "demo", orders=0)
        self.jd.refuse_sku(sku_id(4), "10100090", "该 SKU 已锁定库存, 不能修改")
        self.pdd.stock[goods_sku(2)] = 50
        self.pdd.promote(goods_sku(2)[0])       # in a promotion slot: no decrease
        self.amazon.refuse("SKU-009", "8560", "SKU-009 is not eligible for merchant "
                           "fulfilment in this marketplace.")
        self.hub = make_hub(tmp_path)
        base = srv.url("amazon", "demo")
        self.infos = {
            "amz": ConnectionInfo(conn_id="amz", conn_type="http", host=base,
                                  login=self.amazon.client_id,
                                  password=self.amazon.client_secret,
                                  extra={"refresh_token": self.amazon.refresh_token,
                                         "token_url": f"{base}/auth/o2/token",
                                         "seller_id": self.amazon.seller_id,
                                         "marketplace_id": MARKET}),
            **{name: shop_connection(name, shop, srv.url(shop.system, "demo"))
               for name, shop in (("tb", self.taobao), ("jd", self.jd), ("pdd", self.pdd))}}
        self.store = Store.from_url(db_url)
        self.store.migrate()
        self.ingest = StockIngest.from_hub(self.hub)
        self.tb_skus = sorted(self.taobao.items[ITEM]["skus"])[:22]
        self.runs = 0

    def seed(self) -> None:
        masters = [level(f"SKU-{n:03d}", "WH", 10 + n) for n in range(1, 10)]
        masters += [level(f"LJ-{n:02d}", "WH", 30 + n) for n in range(22)]
        masters.append(level("MOON-8", "WH", 5))
        masters += [level(f"JD-{n}", "WH", 20 + n) for n in range(5)]
        masters += [level(f"PDD-{n}", "WH", 40 + n) for n in range(3)]
        self.master(masters)
        self.store.write_page(connection="amz", stream="listings", records=[
            listing("amz", f"SKU-{n:03d}", f"SKU-{n:03d}", MARKET) for n in range(1, 10)])
        self.store.write_page(connection="tb", stream="listings", records=[
            listing("tb", f"{ITEM}:{sid}", f"LJ-{n:02d}", "taobao", item=sid,
                    product=str(ITEM)) for n, sid in enumerate(self.tb_skus)] + [
            listing("tb", str(PLAIN), "MOON-8", "taobao", product=str(PLAIN))])
        self.store.write_page(connection="jd", stream="listings", records=[
            listing("jd", sku_id(n), f"JD-{n}", "jd") for n in range(5)])
        self.store.write_page(connection="pdd", stream="listings", records=[
            listing("pdd", "{}:{}".format(*goods_sku(n)), f"PDD-{n}", "pinduoduo")
            for n in range(3)])

    def master(self, levels: list[InventoryLevel]) -> None:
        assert self.ingest is not None
        self.store.write_page(connection="erp", stream="levels",
                              hooks=self.ingest.hooks_for("erp"), records=levels)

    def stock(self) -> dict[str, Any]:
        self.runs += 1
        prepare(self.hub, self.store)
        summary: StockSummary = run_shard(self.hub, self.store, run_id=f"run{self.runs}",
                                          conn_info=lambda name: self.infos[name])
        return {ch.channel: ch for ch in summary.channels}


@pytest.fixture
def world(sandbox: Any, tmp_path: Path, db_url: str) -> Any:
    w = Marketplaces(sandbox, tmp_path, db_url)
    yield w
    w.store.dispose()


def test_a_master_change_reaches_every_marketplace(world: Marketplaces) -> None:
    world.seed()
    first = world.stock()
    amz, tb = first["amz"], first["tb"]
    # Amazon: one call per SKU; the refused one fails alone with Amazon's words
    assert (amz.changed, amz.pushed, amz.failed) == (9, 8, 1)
    assert amz.write_calls == amz.min_calls == 9
    assert [world.amazon.quantity(f"SKU-{n:03d}") for n in range(1, 9)] == list(
        range(11, 19))
    assert world.amazon.quantity("SKU-009") == 0
    # Taobao: 22 SKUs of one item in two calls, the item without SKUs in one
    assert (tb.changed, tb.pushed, tb.failed) == (23, 23, 0)
    assert tb.write_calls == tb.min_calls == 3
    assert [world.taobao.quantity(ITEM, s) for s in world.tb_skus] == list(range(30, 52))
    assert world.taobao.quantity(PLAIN) == 5
    # JD: one call per SKU; the locked SKU fails alone with JD's words
    jd, pdd = first["jd"], first["pdd"]
    assert (jd.changed, jd.pushed, jd.failed) == (5, 4, 1)
    assert jd.write_calls == jd.min_calls == 5
    assert [world.jd.stock[sku_id(n)] for n in range(5)] == [20, 21, 22, 23, 0]
    # Pinduoduo: one call per SKU; goods in a promotion slot refuse the decrease
    assert (pdd.changed, pdd.pushed, pdd.failed) == (3, 2, 1)
    assert pdd.write_calls == pdd.min_calls == 3
    assert [world.pdd.stock[goods_sku(n)] for n in range(3)] == [40, 41, 50]
    with world.store.engine.connect() as conn:
        refused = conn.execute(sa.select(stock_publications.c.status,
                                         stock_publications.c.error).where(
            stock_publications.c.listing_id == "SKU-009")).one()
    assert refused.status == "failed"
    assert "8560: SKU-009 is not eligible" in refused.error
    letters = sorted(world.store.dead_letters(), key=lambda d: d["connection"])
    assert [(d["connection"], d["stream"], d["record_id"]) for d in letters] == [
        ("amz", "stock_publish", "SKU-009"), ("jd", "stock_publish", sku_id(4)),
        ("pdd", "stock_publish", "{}:{}".format(*goods_sku(2)))]
    assert "8560: SKU-009 is not eligible" in letters[0]["reason"]
    assert "10100090: 该 SKU 已锁定库存" in letters[1]["reason"]
    assert "goods_in_promotion" in letters[2]["reason"]
    with pytest.raises(ConfigError, match="refused"):
        replay(world.store, world.hub, target=f"dl-{letters[0]['id']}")

    # the master changes two SKUs sold on each marketplace: only those are written
    world.master([level("SKU-002", "WH", 3), level("SKU-005", "WH", 0),
                  level("LJ-00", "WH", 1), level("MOON-8", "WH", 2),
                  level("JD-0", "WH", 2), level("PDD-0", "WH", 1)])
    amazon_calls = len(world.amazon.requests)
    second = world.stock()
    assert (second["amz"].changed, second["amz"].write_calls) == (3, 3)  # + the refused one
    assert (second["tb"].changed, second["tb"].write_calls) == (2, 2)
    assert (second["jd"].changed, second["jd"].write_calls) == (2, 2)     # + the refused one
    assert (second["pdd"].changed, second["pdd"].write_calls) == (2, 2)   # + the refused one
    assert (world.jd.stock[sku_id(0)], world.pdd.stock[goods_sku(0)]) == (2, 1)
    assert (world.amazon.quantity("SKU-002"), world.amazon.quantity("SKU-005")) == (3, 0)
    assert world.taobao.quantity(ITEM, world.tb_skus[0]) == 1
    assert world.taobao.quantity(PLAIN) == 2
    assert world.taobao.quantity(ITEM, world.tb_skus[1]) == 31       # untouched
    assert len([r for r in world.amazon.requests[amazon_calls:] if r.method == "PATCH"
                and r.status != 429]) == 3
    assert [d["attempts"] for d in world.store.dead_letters()] == [2, 2, 2]  # refused again

    # once the channel takes the listing, its dead letter is resolved
    world.amazon.refusals.clear()
    world.jd.stock_refusals.clear()
    world.pdd.promoted.clear()
    world.master([level("SKU-009", "WH", 4), level("JD-4", "WH", 6), level("PDD-2", "WH", 7)])
    world.stock()
    assert world.amazon.quantity("SKU-009") == 4
    assert (world.jd.stock[sku_id(4)], world.pdd.stock[goods_sku(2)]) == (6, 7)
    assert world.store.dead_letters() == []
