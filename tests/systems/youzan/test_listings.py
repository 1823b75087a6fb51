"""Youzan listings end to end: the simulator on loopback, the project's connector and
mappings, a hub store on SQLite and on PostgreSQL.

The ``listings`` stream reads every item on sale and each item's SKUs into canonical
InventoryLevels keyed as the stock publisher sets them (``<item_id>:<sku_id>``, ``<item_id>``
for an item without SKUs); a publish from those levels changes the shop, and the next read
shows the new figure. An item taken off the shelf is no listing.
"""

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
from synchub.sandbox.youzan.store import ITEM_BASE, SKU_BASE, YouzanStore
from synchub.stock.publish import ListingChange, create_publisher
from synchub.store import Store
from tests.systems.youzan.test_contract import conn_for, hub

ROOT = Path(__file__).resolve().parents[3]
ITEM, SKU, PLAIN = ITEM_BASE, SKU_BASE, ITEM_BASE + 5     # LJ-250, its first SKU; MOON-8


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


def levels(store: Store) -> dict[str, dict[str, Any]]:
    return {d["external_id"]: d
            for d in store.read_feed("inventory_level", limit=1000).records}


def read(plan: Hub, store: Store, conn: ConnectionInfo) -> Any:
    result = sync_stream(plan, "youzan", "listings", store=store, conn_info=conn,
                         window_end=datetime.now(UTC))
    assert result.status == "success", result
    return result


def publish(conn: ConnectionInfo, docs: list[dict[str, Any]], quantity: int) -> None:
    """Push ``quantity`` to the listings of ``docs`` as the stock engine builds the change
    from a stored level (synchub.stock.service._change)."""
    spec = load_connector(ROOT / "connectors/youzan/connector.yaml")
    assert spec.stock_publisher is not None
    client = ConnectorClient(spec, conn, sleep=lambda s: None)
    publisher = create_publisher(spec.stock_publisher, client, run_id="run-1")
    changes = [ListingChange(listing_id=d["external_id"], quantity=quantity, expected=None,
                             sku=d.get("sku"),
                             inventory_item_id=d.get("inventory_item_external_id"),
                             location_id=d["location_external_id"],
                             product_id=d.get("product_external_id"))
               for d in docs]
    outcomes = publisher.push(changes)
    assert {o.status for o in outcomes} == {"pushed"}, outcomes


def test_listings_are_every_sku_and_plain_item_and_follow_a_publish(
        tmp_path: Path, store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: YouzanStore = sandbox.store("youzan", "demo", orders=0)
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        shop.set_quantity(ITEM, SKU, 7)
        shop.items[ITEM_BASE + 6]["is_listing"] = False       # BAMBOO-L off the shelf
        read(plan, store, conn)
        got = levels(store)
        onsale = {iid: i for iid, i in shop.items.items() if i["is_listing"]}
        assert set(got) == {f"{iid}:{sid}" for iid, i in onsale.items() for sid in i["skus"]
                            } | {str(iid) for iid, i in onsale.items() if not i["skus"]}
        first = got[f"{ITEM}:{SKU}"]
        assert (first["sku"], first["product_external_id"],
                first["inventory_item_external_id"], first["location_external_id"],
                first["available"]) == ("LJ-250", str(ITEM), str(SKU), "youzan", 7)
        moon = got[str(PLAIN)]
        assert moon["sku"] == "MOON-8" and moon.get("inventory_item_external_id") is None
        # one list page, then one detail call per item on sale, each named by its number
        asked = [(m, b) for m, _v, b in shop.calls if m.startswith("youzan.item")]
        assert [m for m, _b in asked].count("youzan.items.onsale.get") == 1
        assert sorted(b["item_id"] for m, b in asked if m == "youzan.item.get") == \
            sorted(onsale)

        publish(conn, [first, moon], 12)
        assert shop.quantity(ITEM, SKU) == 12 and shop.quantity(PLAIN) == 12
        second = read(plan, store, conn)
        assert second.changed["inventory_level"] == 2
        after = levels(store)
        assert after[f"{ITEM}:{SKU}"]["available"] == 12
        assert after[str(PLAIN)]["available"] == 12
