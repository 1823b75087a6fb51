"""Amazon FBM listings end to end, on SQLite and PostgreSQL: the `listings` stream reads the
simulator's listings (searchListingsItems) into the channel's InventoryLevels, leaving out
the ones Amazon fulfils; a stock run publishes to exactly those listings with
patchListingsItem; the next sync reads back only the listings the run changed, showing
the figures it wrote, and the run after has nothing to publish."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.stock.ingest import StockIngest
from synchub.stock.service import prepare, run_shard
from synchub.store import Store
from synchub.store.tables import entity_table
from tests.stock.conftest import level

ROOT = Path(__file__).resolve().parents[3]
DE, FR = "A1PA6795UKMFR9", "A13V1IB3VIYZZH"
FBA = [f"AMAZON_FBA:{DE}", f"AMAZON_FBA:{FR}"]


def make_hub(tmp_path: Path) -> Hub:
    doc = {"version": 1, "connectors_dir": str(ROOT / "connectors"),
           "mappings_dir": str(ROOT / "mappings"),
           "connections": {
               "erp": {"connector": "woocommerce", "conn_id": "erp", "roles": ["erp"]},
               "amz": {"connector": "amazon", "conn_id": "amz", "roles": ["marketplace"]}},
           "stock": {"masters": {"erp": {"locations": ["WH"]},
                                 "amz": {"locations": FBA, "self_fulfilled": True}},
                     "channels": {"amz": {"locations": ["WH"]}}}}
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_hub(path)


class World:
    def __init__(self, sandbox: Any, tmp_path: Path, db_url: str) -> None:
        sb, srv = sandbox
        self.amazon = sb.store("amazon", "listings", orders=0)
        self.hub = make_hub(tmp_path)
        base = srv.url("amazon", "listings")
        self.info = ConnectionInfo(
            conn_id="amz", conn_type="http", host=base, login=self.amazon.client_id,
            password=self.amazon.client_secret,
            extra={"refresh_token": self.amazon.refresh_token,
                   "token_url": f"{base}/auth/o2/token", "seller_id": self.amazon.seller_id,
                   "marketplace_id": DE})
        self.store = Store.from_url(db_url)
        self.store.migrate()
        self.ingest = StockIngest.from_hub(self.hub)

    def sync(self) -> Any:
        result = sync_stream(self.hub, "amz", "listings", store=self.store,
                             conn_info=self.info)
        assert result.status == "success"
        return result

    def stock(self, run_id: str) -> Any:
        prepare(self.hub, self.store)
        summary = run_shard(self.hub, self.store, run_id=run_id,
                            conn_info=lambda name: self.info)
        return next(ch for ch in summary.channels if ch.channel == "amz")

    def levels(self) -> dict[str, tuple[Any, ...]]:
        t = entity_table("inventory_level")
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(
                t.c.external_id, t.c.location_external_id, t.c.available,
                t.c.item_external_id, t.c.product_external_id).where(t.c.connection == "amz"))
            return {r[0]: tuple(r[1:]) for r in rows}


@pytest.fixture
def world(sandbox: Any, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[World]:
    monkeypatch.setenv("SYNCHUB_MAP_WORKERS", "0")
    w = World(sandbox, tmp_path, db_url)
    yield w
    w.store.dispose()


def test_listings_are_read_published_to_and_read_back(world: World) -> None:
    first = world.sync()
    # 60 listings in 3 pages of 20; SKU-040..059 are Amazon's (AMAZON_EU): no level
    assert (first.fetched, first.changed["inventory_level"]) == (60, 40)
    levels = world.levels()
    assert sorted(levels) == [f"SKU-{n:03d}" for n in range(40)]
    assert levels["SKU-003"] == (DE, 0, "PRODUCT", "B000000003")
    searches = [r for r in world.amazon.requests if r.method == "GET"
                and r.path.startswith("/listings/")]
    assert len(searches) == 3

    world.store.write_page(connection="erp", stream="levels",
                           hooks=world.ingest.hooks_for("erp"),
                           records=[level(f"SKU-{n:03d}", "WH", 10 + n) for n in range(1, 6)])
    before = len(world.amazon.requests)
    run = world.stock("run1")
    # only the five SKUs the ERP holds change (the others stay at 0, as Amazon shows)
    assert (run.listings, run.pushed, run.write_calls) == (40, 5, 5)
    patched = sorted(r.path.rsplit("/", 1)[1] for r in world.amazon.requests[before:]
                     if r.method == "PATCH")
    assert patched == [f"SKU-{n:03d}" for n in range(1, 6)]
    shown = [world.amazon.quantity(f"SKU-{n:03d}") for n in range(1, 6)]
    assert shown == [11, 12, 13, 14, 15]

    again = world.sync()
    # from the cursor less the lookback (at or after: SKU-059, the last read, again,
    # unchanged) the five the patches moved, nothing older
    assert (again.fetched, again.changed["inventory_level"]) == (6, 5)
    assert [world.levels()[f"SKU-{n:03d}"][1] for n in range(1, 6)] == [11, 12, 13, 14, 15]
    quiet = world.stock("run2")
    assert (quiet.pushed, quiet.write_calls) == (0, 0)
