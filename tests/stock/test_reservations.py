"""Reservations at ingest: lifecycle, releases, oversell detection, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from synchub.stock.ingest import StockIngest
from synchub.store import Store
from synchub.store.stock_tables import stock_exceptions, stock_positions, stock_reservations
from tests.stock.conftest import NOW, ingest, level, order, shipment


def write(store: Store, ing: StockIngest, connection: str, records: list[Any]) -> dict[str, int]:
    result = store.write_page(connection=connection, stream="s", records=records,
                              hooks=ing.hooks_for(connection))
    return result.hooks


def positions(store: Store) -> dict[str, tuple[int, int, int]]:
    with store.engine.connect() as conn:
        return {r.sku: (r.on_hand, r.master_reserved, r.reserved) for r in conn.execute(
            sa.select(stock_positions))}


def open_units(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(stock_reservations.c.sku,
                                      sa.func.sum(stock_reservations.c.open_qty))
                            .group_by(stock_reservations.c.sku)).all()
    return {sku: int(total) for sku, total in rows}


def exceptions(store: Store) -> list[tuple[str, str, int]]:
    with store.engine.connect() as conn:
        return [(r.order_external_id, r.sku, r.shortfall) for r in conn.execute(
            sa.select(stock_exceptions).order_by(stock_exceptions.c.change_seq))]


def test_ingest_reserves_then_master_shipment_releases(store: Store) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("A", "WH", 10, reserved=1), level("A", "WH2", -3)])
    assert positions(store) == {"A": (10, 1, 0)}  # negative on hand counts as 0

    write(store, ing, "shop", [order("1", {"A": 2}), order("2", {"A": 3})])
    assert positions(store)["A"] == (10, 1, 5)
    assert open_units(store) == {"A": 5}

    # the same order again changes nothing; a changed quantity moves only the difference
    write(store, ing, "shop", [order("1", {"A": 2})])
    write(store, ing, "shop", [order("2", {"A": 4})])
    assert positions(store)["A"][2] == 6

    # the master ships order 1: its units leave the master's stock and the reservation
    write(store, ing, "erp", [level("A", "WH", 8, reserved=1),
                              shipment("m1", "shop", "1", {"A": 2})])
    assert positions(store)["A"] == (8, 1, 4)
    assert open_units(store) == {"A": 4}


def test_cancel_and_refund_release_rules(store: Store) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("A", "WH", 50), level("B", "WH", 50)])
    write(store, ing, "shop", [order("1", {"A": 3, "B": 2}), order("2", {"A": 4}),
                               order("3", {"B": 5})])
    assert open_units(store) == {"A": 7, "B": 7}
    # cancelled with restock: every unit back
    write(store, ing, "shop", [order("1", {"A": 3, "B": 2}, status="cancelled",
                                     refunds=[("A", 3, True), ("B", 2, True)])])
    assert open_units(store) == {"A": 4, "B": 5}
    # cancelled without restock: the units left the shelf, they stay held until the master
    write(store, ing, "shop", [order("2", {"A": 4}, status="cancelled",
                                     refunds=[("A", 4, False)])])
    assert open_units(store)["A"] == 4
    # a refund of 2 with restock on an open order gives 2 back; without restock nothing
    write(store, ing, "shop", [order("3", {"B": 5}, refunds=[("B", 2, True)])])
    assert open_units(store)["B"] == 3
    write(store, ing, "shop", [order("3", {"B": 5}, refunds=[("B", 2, True), ("B", 1, False)])])
    assert open_units(store)["B"] == 3
    assert {k: v[2] for k, v in positions(store).items()} == open_units(store)


def test_cancel_without_refund_lines_releases_everything(store: Store) -> None:
    ing = ingest()
    write(store, ing, "shop", [order("9", {"A": 2})])
    write(store, ing, "shop", [order("9", {"A": 2}, status="cancelled")])
    assert open_units(store) == {"A": 0}
    assert positions(store)["A"][2] == 0


def test_aliases_kits_and_age(store: Store) -> None:
    ing = ingest(aliases={"woo": {"W-A": "A"}}, kits={"KIT": {"A": 2, "B": 1}},
                 max_age=timedelta(days=3), since=NOW - timedelta(days=30))
    write(store, ing, "woo", [order("1", {"W-A": 1, "KIT": 2}, connection="woo")])
    assert open_units(store) == {"A": 5, "B": 2}
    # older than max_age: recorded (for sales velocity) but holding nothing
    write(store, ing, "shop", [order("2", {"A": 7}, placed=NOW - timedelta(days=4))])
    assert open_units(store)["A"] == 5
    # before `since`: not recorded at all
    write(store, ing, "shop", [order("3", {"A": 7}, placed=NOW - timedelta(days=40))])
    with store.engine.connect() as conn:
        ids = set(conn.execute(sa.select(stock_reservations.c.order_external_id)).scalars())
    assert ids == {"1", "2"}


def test_two_channels_sell_the_last_unit(store: Store) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("LAST", "WH", 1)])
    write(store, ing, "shop", [order("s1", {"LAST": 1})])
    assert exceptions(store) == []
    later = order("w1", {"LAST": 1}, connection="woo", placed=NOW - timedelta(minutes=5))
    counts = write(store, ing, "woo", [later])
    assert counts["oversold"] == 1
    assert exceptions(store) == [("w1", "LAST", 1)]
    # ingesting it again raises no second exception
    write(store, ing, "woo", [order("w1", {"LAST": 1}, connection="woo")])
    assert len(exceptions(store)) == 1
    # a SKU no master stocks is not an oversell (it is drift: missing in master)
    write(store, ing, "shop", [order("s2", {"GHOST": 3})])
    assert len(exceptions(store)) == 1


def test_oversell_in_one_page_flags_the_later_order(store: Store) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("X", "WH", 3)])
    early = order("e", {"X": 2}, placed=NOW - timedelta(minutes=30))
    late = order("l", {"X": 2}, placed=NOW - timedelta(minutes=10))
    write(store, ing, "shop", [late, early])
    assert exceptions(store) == [("l", "X", 1)]


def test_a_deleted_order_releases_what_it_held_and_a_changed_one_holds_again(
        store: Store) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("LAST", "WH", 1)])
    write(store, ing, "shop", [order("s1", {"LAST": 1}, placed=NOW - timedelta(hours=2))])
    write(store, ing, "woo", [order("w1", {"LAST": 1}, connection="woo")])
    assert positions(store)["LAST"][2] == 2 and exceptions(store) == [("w1", "LAST", 1)]

    counts: dict[str, int] = {}
    (gone,) = store.mark_deleted("order", "shop", ["s1"], hooks=ing.deletion_hooks_for("shop"),
                                 counts=counts)
    # the shop's order held the unit; the woo order placed later is no longer short
    assert counts["reservation_changes"] == 1 and counts["oversells_resolved"] == 1
    assert positions(store)["LAST"][2] == 1 and open_units(store) == {"LAST": 1}
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(stock_reservations).where(
            stock_reservations.c.order_id == gone)).one()
    assert (row.open_qty, row.status, row.reason) == (0, "released", "deleted")
    # marking it again moves nothing
    again: dict[str, int] = {}
    assert store.mark_deleted("order", "shop", ["s1"], hooks=ing.deletion_hooks_for("shop"),
                              counts=again) == [] and again == {}
    assert positions(store)["LAST"][2] == 1
    # a master's deletion is no channel order: no hook
    assert ing.deletion_hooks_for("erp") == []

    # the order restored with a change (one more unit) holds again
    write(store, ing, "shop", [order("s1", {"LAST": 2}, placed=NOW - timedelta(hours=2))])
    assert positions(store)["LAST"][2] == 3


def test_a_master_receipt_resolves_the_oversells_it_covers(store: Store) -> None:
    ing = ingest()
    write(store, ing, "erp", [level("R", "WH", 1), level("Q", "WH", 5)])
    write(store, ing, "shop", [order("a", {"R": 1}, placed=NOW - timedelta(hours=3)),
                               order("b", {"R": 2}, placed=NOW - timedelta(hours=2)),
                               order("c", {"R": 1}, placed=NOW - timedelta(hours=1))])
    assert sorted(exceptions(store)) == [("b", "R", 2), ("c", "R", 1)]

    # two units arrive: order b is covered, c (placed last) is still short of one
    counts = write(store, ing, "erp", [level("R", "WH", 3), level("Q", "WH", 5)])
    assert counts["oversells_resolved"] == 1
    with store.engine.connect() as conn:
        rows = {r.order_external_id: (r.shortfall, r.resolved_at is not None)
                for r in conn.execute(sa.select(stock_exceptions))}
    assert rows == {"b": (2, True), "c": (1, False)}

    # a fall moves nothing by itself (a shipment may be a page behind)
    counts = write(store, ing, "erp", [level("R", "WH", 0)])
    assert "oversold" not in counts
    with store.engine.connect() as conn:
        open_ = conn.execute(sa.select(sa.func.count()).select_from(stock_exceptions).where(
            stock_exceptions.c.resolved_at.is_(None))).scalar_one()
    assert open_ == 1
