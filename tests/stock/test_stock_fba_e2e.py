"""FBA end to end: the stock Amazon holds and ships itself is read from the simulator's FBA
inventory summaries into an Amazon-held location per marketplace, and the stock rules treat
that connection as a self-fulfilled master: the SKUs it holds are never published to it
(its FBM listings of other SKUs still are), a channel fed by "every location" does not
count them, and a channel that names the location does. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.canonical import InventoryLevel, SourceRef
from synchub.config.loader import ConfigErrors
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.stock.ingest import StockIngest
from synchub.stock.service import prepare, run_shard
from synchub.store import Store
from synchub.store.stock_tables import stock_publications
from synchub.store.tables import entity_table
from tests.stock.conftest import level

ROOT = Path(__file__).resolve().parents[2]
DE, FR = "A1PA6795UKMFR9", "A13V1IB3VIYZZH"
FBA_DE, FBA_FR = f"AMAZON_FBA:{DE}", f"AMAZON_FBA:{FR}"


def hub_doc(**stock_over: Any) -> dict[str, Any]:
    return {"version": 1, "connectors_dir": str(ROOT / "connectors"),
            "mappings_dir": str(ROOT / "mappings"),
            "connections": {
                "erp": {"connector": "woocommerce", "conn_id": "erp", "roles": ["erp"]},
                "amz": {"connector": "amazon", "conn_id": "amz", "roles": ["marketplace"]},
                "shop": {"connector": "shopify", "conn_id": "shop"},
                "shop_fba": {"connector": "shopify", "conn_id": "shop_fba"}},
            "stock": {"masters": {"erp": {"locations": ["WH"]},
                                  "amz": {"locations": [FBA_DE, FBA_FR],
                                          "self_fulfilled": True}},
                      "channels": {"amz": {},
                                   "shop": {"publish": False},
                                   "shop_fba": {"publish": False,
                                                "locations": ["WH", FBA_DE]}},
                      **stock_over}}


def make_hub(tmp_path: Path, doc: dict[str, Any]) -> Hub:
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_hub(path)


def listing(connection: str, sku: str, location: str) -> InventoryLevel:
    return InventoryLevel(source=SourceRef(connection=connection, system=connection,
                                           external_id=sku),
                          external_id=sku, sku=sku, location_external_id=location, available=0)


class World:
    def __init__(self, sandbox: Any, tmp_path: Path, db_url: str) -> None:
        self.sb, srv = sandbox
        self.amazon = self.sb.store("amazon", "fba", orders=0)
        self.amazon.marketplace_ids.remove("A1F83G8C2ARO7P")   # DE and FR
        self.hub = make_hub(tmp_path, hub_doc())
        base = srv.url("amazon", "fba")
        self.info = ConnectionInfo(
            conn_id="amz", conn_type="http", host=base, login=self.amazon.client_id,
            password=self.amazon.client_secret,
            extra={"refresh_token": self.amazon.refresh_token,
                   "token_url": f"{base}/auth/o2/token", "seller_id": self.amazon.seller_id,
                   "marketplace_id": DE})
        self.store = Store.from_url(db_url)
        self.store.migrate()
        self.ingest = StockIngest.from_hub(self.hub)
        self.runs = 0

    def sync_fba(self) -> Any:
        result = sync_stream(self.hub, "amz", "fba_inventory", store=self.store,
                             conn_info=self.info)
        assert result.status == "success"
        return result

    def stock(self) -> dict[str, Any]:
        self.runs += 1
        prepare(self.hub, self.store)
        summary = run_shard(self.hub, self.store, run_id=f"run{self.runs}",
                            conn_info=lambda name: self.info)
        return {ch.channel: ch for ch in summary.channels}

    def desired(self, channel: str, sku: str) -> int:
        p = stock_publications.c
        with self.store.engine.connect() as conn:
            return int(conn.execute(sa.select(p.desired).where(
                p.channel == channel, p.listing_id == sku)).scalar_one())


@pytest.fixture
def world(sandbox: Any, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[World]:
    monkeypatch.setenv("SYNCHUB_MAP_WORKERS", "0")
    w = World(sandbox, tmp_path, db_url)
    yield w
    w.store.dispose()


def test_fba_stock_is_a_master_amazon_is_never_published_and_other_channels_opt_in(
        world: World) -> None:
    first = world.sync_fba()
    # 20 FBA SKUs in each of the two marketplaces, one page of the 50 each
    assert (first.fetched, first.changed["inventory_level"]) == (40, 40)
    levels = entity_table("inventory_level")
    with world.store.engine.connect() as conn:
        row = conn.execute(sa.select(levels.c.external_id, levels.c.location_name,
                                     levels.c.available, levels.c.reserved,
                                     levels.c.on_hand).where(
            levels.c.connection == "amz", levels.c.sku == "SKU-045",
            levels.c.location_external_id == FBA_DE)).one()
    unit = world.amazon.fba[DE]["SKU-045"]
    assert row == (f"FBA:{DE}:SKU-045", "Amazon.de FBA", unit["fulfillable"],
                   unit["reserved"], unit["fulfillable"] + unit["reserved"])
    calls = len(world.amazon.requests)
    assert [r.path for r in world.amazon.requests].count("/fba/inventory/v1/summaries") == 2

    # the ERP holds the FBM SKUs and SKU-045 too; Amazon lists the FBM SKUs and SKU-045
    world.store.write_page(connection="erp", stream="levels", hooks=world.ingest.hooks_for("erp"),
                           records=[level(f"SKU-{n:03d}", "WH", 10 + n) for n in range(1, 6)]
                           + [level("SKU-045", "WH", 7)])
    world.store.write_page(connection="amz", stream="listings", records=[
        listing("amz", f"SKU-{n:03d}", DE) for n in (1, 2, 3, 4, 5, 45)])
    for shop in ("shop", "shop_fba"):
        world.store.write_page(connection=shop, stream="listings",
                               records=[listing(shop, "SKU-045", "1"),
                                        listing(shop, "SKU-001", "1")])
    run = world.stock()
    amz = run["amz"]
    # the FBA levels are not listings; SKU-045 is Amazon's to ship: never written
    assert (amz.listings, amz.self_fulfilled, amz.pushed, amz.write_calls) == (6, 1, 5, 5)
    patched = [r.path for r in world.amazon.requests[calls:] if r.method == "PATCH"]
    assert sorted(p.rsplit("/", 1)[1] for p in patched) == [f"SKU-{n:03d}" for n in range(1, 6)]
    assert world.amazon.fulfillable(DE, "SKU-045") == unit["fulfillable"]
    assert world.amazon.quantity("SKU-045") == 0                  # its FBM figure untouched
    # a channel fed by every location counts the ERP only; one naming FBA adds what Amazon
    # can ship (fulfillable: the reserved units are Amazon's customer orders)
    assert world.desired("shop", "SKU-045") == 7
    assert world.desired("shop_fba", "SKU-045") == 7 + unit["fulfillable"]
    assert world.desired("shop_fba", "SKU-001") == world.desired("shop", "SKU-001") == 11

    # Amazon's stock moves: the next read and run follow, still without writing to Amazon
    world.amazon.set_fba(DE, "SKU-045", 3, reserved=1)
    world.sync_fba()
    calls = len(world.amazon.requests)
    second = world.stock()
    assert (second["amz"].changed, second["amz"].write_calls) == (0, 0)
    assert not [r for r in world.amazon.requests[calls:] if r.method == "PATCH"]
    assert world.desired("shop_fba", "SKU-045") == 7 + 3


@pytest.mark.parametrize(("master", "message"), [
    ({"locations": [FBA_DE, FBA_FR]}, "cannot be both a stock master and a channel"),
    ({"self_fulfilled": True}, "name the locations that hold its stock"),
])
def test_a_channel_that_is_also_a_master_must_be_self_fulfilled_with_locations(
        tmp_path: Path, master: dict[str, Any], message: str) -> None:
    doc = hub_doc()
    doc["stock"]["masters"]["amz"] = master
    with pytest.raises(ConfigErrors, match=message):
        make_hub(tmp_path, doc)
