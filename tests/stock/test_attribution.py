"""Oversell attribution: the orders placed last are short, whatever order pages commit in.

Each test runs on SQLite and PostgreSQL (``db_url``).
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from synchub.canonical import Order
from synchub.stock.ingest import StockIngest
from synchub.stock.oversells import Claim, shortfalls
from synchub.store import Store
from synchub.store.delivery_tables import deliveries
from synchub.store.stock_tables import stock_exceptions, stock_positions, stock_reservations
from tests.stock.conftest import NOW, ingest, level, order, shipment

# the report's example: a Woo order placed at 12:29:36, a Shopify order at 12:29:41
DAY = (NOW - timedelta(days=1)).replace(hour=12, minute=29, second=0, microsecond=0)
WOO_AT = DAY.replace(second=36)
SHOP_AT = DAY.replace(second=41)


def write(store: Store, ing: StockIngest, connection: str, records: list[Any]) -> dict[str, int]:
    return store.write_page(connection=connection, stream="s", records=records,
                            hooks=ing.hooks_for(connection)).hooks


def open_exceptions(store: Store) -> dict[tuple[str, str, str], int]:
    """(connection, order external id, sku) -> shortfall of every open oversell."""
    t = stock_exceptions
    with store.engine.connect() as conn:
        return {(r.connection, r.order_external_id, r.sku): int(r.shortfall)
                for r in conn.execute(sa.select(t).where(t.c.resolved_at.is_(None)))}


def held(store: Store, sku: str) -> dict[str, int]:
    """Open units per order external id of one SKU."""
    t = stock_reservations
    with store.engine.connect() as conn:
        return {r.order_external_id: int(r.open_qty) for r in conn.execute(
            sa.select(t).where(t.c.sku == sku, t.c.open_qty > 0))}


def position(store: Store, sku: str) -> tuple[int, int, int]:
    with store.engine.connect() as conn:
        r = conn.execute(sa.select(stock_positions).where(stock_positions.c.sku == sku)).one()
    return int(r.on_hand), int(r.master_reserved), int(r.reserved)


def assert_books_balance(store: Store, sku: str) -> None:
    """The counter equals the open units; the units not short equal what the master has."""
    on_hand, master_reserved, reserved = position(store, sku)
    units = held(store, sku)
    short = sum(v for (_c, _o, s), v in open_exceptions(store).items() if s == sku)
    assert reserved == sum(units.values())
    assert reserved - short == min(reserved, on_hand - master_reserved)


def shop(ext: str, units: int, placed: datetime, sku: str = "LAST") -> Order:
    return order(ext, {sku: units}, connection="shop", placed=placed)


def woo(ext: str, units: int, placed: datetime, sku: str = "LAST") -> Order:
    return order(ext, {sku: units}, connection="woo", placed=placed)


def test_an_earlier_order_committed_after_a_later_one_takes_the_last_unit(store: Store
                                                                          ) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("LAST", "WH", 1)])
    # the Shopify page commits first and takes the last unit
    assert write(store, ing, "shop", [shop("s41", 1, SHOP_AT)]).get("oversold", 0) == 0
    assert open_exceptions(store) == {}
    # the Woo order, placed five seconds earlier, commits next: it keeps its unit and the
    # Shopify order, placed later, is the oversell
    counts = write(store, ing, "woo", [woo("w36", 1, WOO_AT)])
    assert counts["oversold"] == 1
    assert open_exceptions(store) == {("shop", "s41", "LAST"): 1}
    assert held(store, "LAST") == {"s41": 1, "w36": 1}
    assert_books_balance(store, "LAST")
    # what the hub reports moves with the exception: its feed document names the order
    docs = store.read_feed("stock_exception").records
    assert [(d["connection"], d["order_external_id"], d["status"]) for d in docs] == [
        ("shop", "s41", "open")]


def test_the_reverse_commit_order_gives_the_same_attribution(store: Store) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("LAST", "WH", 1)])
    write(store, ing, "woo", [woo("w36", 1, WOO_AT)])
    counts = write(store, ing, "shop", [shop("s41", 1, SHOP_AT)])
    assert counts["oversold"] == 1
    assert open_exceptions(store) == {("shop", "s41", "LAST"): 1}
    assert_books_balance(store, "LAST")
    assert len(store.read_feed("stock_exception").records) == 1


@pytest.mark.parametrize("commits", list(itertools.permutations("abc")))
def test_three_orders_for_two_units_in_any_commit_order(store: Store,
                                                        commits: tuple[str, ...]) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("X", "WH", 2)])
    placed = {"a": DAY, "b": DAY + timedelta(seconds=1), "c": DAY + timedelta(seconds=2)}
    channel = {"a": "woo", "b": "shop", "c": "woo"}
    for name in commits:
        write(store, ing, channel[name],
              [order(name, {"X": 1}, connection=channel[name], placed=placed[name])])
    assert open_exceptions(store) == {("woo", "c", "X"): 1}
    assert_books_balance(store, "X")


def test_a_partial_shortfall_falls_on_the_latest_orders(store: Store) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("X", "WH", 2)])
    write(store, ing, "woo", [woo("c", 1, DAY + timedelta(seconds=2), "X")])
    write(store, ing, "shop", [shop("b", 2, DAY + timedelta(seconds=1), "X")])
    assert open_exceptions(store) == {("woo", "c", "X"): 1}
    # the order placed first arrives last: b, placed next, is left with one of its two
    write(store, ing, "woo", [woo("a", 1, DAY, "X")])
    assert open_exceptions(store) == {("shop", "b", "X"): 1, ("woo", "c", "X"): 1}
    assert_books_balance(store, "X")


@pytest.mark.parametrize("first", ["shop", "woo"])
def test_a_tie_on_placement_time_goes_by_connection_then_order_id(store: Store,
                                                                  first: str) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("LAST", "WH", 1)])
    pages = {"shop": [shop("9", 1, DAY), shop("10", 1, DAY)], "woo": [woo("1", 1, DAY)]}
    for conn in (first, "woo" if first == "shop" else "shop"):
        write(store, ing, conn, pages[conn])
    # "shop" sorts before "woo", and "10" before "9" (ids compare as text)
    assert open_exceptions(store) == {("shop", "9", "LAST"): 1, ("woo", "1", "LAST"): 1}


def test_a_misattributed_exception_moves_to_the_later_order(store: Store) -> None:
    """An exception held by the earlier order (as commit order attributed it) moves on the
    next change of the SKU's reservations: resolved for one, raised for the other."""
    ing = ingest()
    write(store, ing, "erp", [level("LAST", "WH", 1)])
    write(store, ing, "shop", [shop("s41", 1, SHOP_AT)])
    write(store, ing, "woo", [woo("w36", 1, WOO_AT)])
    # a store where the earlier order was flagged instead (attribution by commit order)
    with store.transaction() as conn:
        w36 = conn.execute(sa.select(stock_reservations.c.order_id).where(
            stock_reservations.c.order_external_id == "w36")).scalar_one()
        conn.execute(sa.update(stock_exceptions).values(
            order_id=w36, connection="woo", order_external_id="w36",
            data={"order_id": w36, "connection": "woo", "order_external_id": "w36",
                  "sku": "LAST", "shortfall": 1}))
    assert open_exceptions(store) == {("woo", "w36", "LAST"): 1}
    cursor = store.read_feed("stock_exception").next_cursor
    # the next order for the SKU re-evaluates it: the two orders placed last are short
    write(store, ing, "shop", [shop("s99", 1, SHOP_AT + timedelta(minutes=10))])
    assert open_exceptions(store) == {("shop", "s41", "LAST"): 1, ("shop", "s99", "LAST"): 1}
    docs = store.read_feed("stock_exception", since=cursor).records
    by_order = {d["order_external_id"]: d for d in docs}
    assert set(by_order) == {"w36", "s41", "s99"}
    assert (by_order["w36"]["status"], by_order["w36"]["resolution"]) == (
        "resolved", "reattributed")
    assert {"connection": "shop", "order_external_id": "s41"} in by_order["w36"][
        "reattributed_to"]
    assert by_order["s41"]["status"] == by_order["s99"]["status"] == "open"
    assert_books_balance(store, "LAST")


def test_an_exception_is_resolved_when_the_sku_is_no_longer_short(store: Store) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("LAST", "WH", 1)])
    write(store, ing, "woo", [woo("w36", 1, WOO_AT)])
    write(store, ing, "shop", [shop("s41", 1, SHOP_AT)])
    assert open_exceptions(store) == {("shop", "s41", "LAST"): 1}
    # the earlier order is cancelled: the later one has its unit after all
    write(store, ing, "woo", [order("w36", {"LAST": 1}, connection="woo", status="cancelled",
                                    placed=WOO_AT)])
    assert open_exceptions(store) == {}
    doc = store.read_feed("stock_exception").records[-1]
    assert (doc["order_external_id"], doc["status"], doc["resolution"]) == (
        "s41", "resolved", "covered")
    # short again (a new earlier order): the same exception reopens, with a new change
    write(store, ing, "woo", [woo("w30", 1, WOO_AT - timedelta(seconds=6))])
    assert open_exceptions(store) == {("shop", "s41", "LAST"): 1}
    assert store.read_feed("stock_exception").records[-1]["status"] == "open"


def test_an_order_delivered_to_the_master_keeps_its_units_against_a_backfill(store: Store
                                                                             ) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("LAST", "WH", 1)])
    write(store, ing, "shop", [shop("s41", 1, SHOP_AT)])
    # the Shopify order went to the ERP before the earlier Woo order arrived (a backfill)
    with store.transaction() as conn:
        order_id = conn.execute(sa.select(stock_reservations.c.order_id)).scalar_one()
        conn.execute(sa.insert(deliveries).values(
            sink="erp", route="orders", entity="order", record_id=order_id,
            source_connection="shop", content_hash="h", status="delivered",
            available_at=NOW, idempotency_key="k", created_at=NOW, updated_at=NOW,
            delivered_at=NOW))
    write(store, ing, "woo", [woo("w36", 1, WOO_AT)])
    assert open_exceptions(store) == {("woo", "w36", "LAST"): 1}
    assert_books_balance(store, "LAST")


def test_an_order_the_master_shipped_is_never_reattributed(store: Store) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("LAST", "WH", 1)])
    write(store, ing, "shop", [shop("s41", 1, SHOP_AT)])
    # the master ships it: its unit leaves the master's stock and its reservation
    write(store, ing, "erp", [level("LAST", "WH", 0), shipment("m1", "shop", "s41",
                                                               {"LAST": 1})])
    write(store, ing, "woo", [woo("w36", 1, WOO_AT)])
    assert open_exceptions(store) == {("woo", "w36", "LAST"): 1}


def _claim(order_id: str, second: int, units: int = 1, *, connection: str = "shop",
           settled: bool = False) -> Claim:
    return Claim(order_id, connection, order_id, DAY + timedelta(seconds=second), units,
                 settled)


@pytest.mark.parametrize(("claims", "deficit", "short"), [
    # nothing short
    ([_claim("a", 0), _claim("b", 1)], 0, {}),
    # the order placed last is short, wherever it stands in the list
    ([_claim("b", 1), _claim("a", 0)], 1, {"b": 1}),
    # a deficit larger than the last order spills to the one before it
    ([_claim("a", 0, 3), _claim("b", 1, 2)], 4, {"b": 2, "a": 2}),
    # a settled order is served first, however late it was placed
    ([_claim("a", 0), _claim("b", 1, settled=True)], 1, {"a": 1}),
    # ties on time: connection name, then the channel's order id (as text)
    ([_claim("1", 0, connection="woo"), _claim("2", 0, connection="shop")], 1, {"1": 1}),
    ([_claim("10", 0), _claim("9", 0)], 1, {"9": 1}),
    # more short than claimed: every claim is short of all it holds
    ([_claim("a", 0, 2)], 5, {"a": 2}),
])
def test_shortfalls_fall_on_the_claims_served_last(claims: list[Claim], deficit: int,
                                                    short: dict[str, int]) -> None:
    assert shortfalls(claims, deficit) == short
