"""The reported case end to end: Woo sells the last unit first, the Shopify page commits first.

Against the sandbox's Odoo, Shopify and WooCommerce, with the real connectors and stock sync.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from synchub.jobs.stock import stock_report
from synchub.store.stock_tables import stock_exceptions
from tests.stock.test_stock_e2e import World


@pytest.fixture
def world(sandbox: Any, tmp_path: Path, db_url: str) -> Iterator[World]:
    w = World(sandbox, tmp_path, db_url)
    yield w
    w.close()


def _after(placed: str) -> None:
    """Wait until the clock is past ``placed`` (a naive UTC time in whole seconds).

    Each simulator stamps its changes strictly after its previous ones, so its clock may
    run a second or two ahead of the real one; the next order placed elsewhere must be
    placed strictly later.
    """
    deadline = datetime.fromisoformat(placed).replace(tzinfo=UTC) + timedelta(seconds=1)
    while datetime.now(UTC) < deadline:
        time.sleep(0.05)


def test_the_order_placed_later_is_flagged_whichever_channel_syncs_first(world: World
                                                                         ) -> None:
    for name in ("odoo", "shop", "woo"):
        world.sync(name)
    world.stock()
    sku = world.common_skus()[0]
    odoo = world.sb.odoo("demo")
    for loc, free in (("WH/Stock", 1), ("WH2/Stock", 0)):
        q = odoo.quant(sku, loc)
        if q is not None:  # one unit free in all
            odoo.set_stock(sku, int(q["reserved_quantity"]) + free, loc)
    world.sync("odoo")
    world.stock()
    # WooCommerce sells the last unit, then Shopify sells it too
    woo = world.sb.woocommerce("demo")
    woo_order = woo.place_order([{"sku": sku, "quantity": 1}])
    _after(woo.orders.get(woo_order["id"])["date_created_gmt"])
    shop_order = world.sb.shopify("demo").place_order([{"sku": sku, "quantity": 1}])
    # the Shopify orders page commits first and the Woo one after it
    world.sync("shop")
    world.sync("woo")
    with world.store.engine.connect() as conn:
        flagged = conn.execute(sa.select(stock_exceptions.c.connection,
                                         stock_exceptions.c.order_external_id,
                                         stock_exceptions.c.sku).where(
            stock_exceptions.c.resolved_at.is_(None))).all()
    assert flagged == [("shop", str(shop_order["id"]), sku)]
    assert str(woo_order["id"]) not in {row[1] for row in flagged}
    # the stock_sync report lists the Shopify order; both channels show 0
    url = world.store.engine.url.render_as_string(hide_password=False)
    report = stock_report(world.hub.path, [], store=url)
    assert [(r["connection"], r["order_external_id"]) for r in report["open_oversells"]] == [
        ("shop", str(shop_order["id"]))]
    world.stock()
    assert world.shop_shows(sku) == 0
    assert world.woo_shows(sku) == 0
