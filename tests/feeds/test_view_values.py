"""Every view gives exact money that sums exactly, and ISO 8601 UTC times ending in Z,
spelled the same on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from synchub.feeds.ledger_views import LEDGER_VIEWS
from synchub.feeds.views import VIEWS
from synchub.store import Store
from synchub.store.ledger_tables import reconciliation_rows

from .conftest import make_order

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
# 97 x 1677.73 + 1.24: summed as binary floats this is 162741.05000000013
TOTALS = ["1677.73"] * 97 + ["1.24"]


def query(store: Store, sql: str) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.text(sql)).all())


def seed_orders(store: Store) -> None:
    orders = [make_order(str(n), total=str(Decimal(t) - Decimal("4.90")))
              for n, t in enumerate(TOTALS)]
    store.write_page(connection="shop", stream="orders", records=orders)


def test_order_totals_sum_exactly_through_the_view(store: Store) -> None:
    seed_orders(store)
    assert sum(float(t) for t in TOTALS) != 162741.05  # the trap the view must avoid
    ((e4, count),) = query(store, "SELECT SUM(total_e4), COUNT(*) FROM feed_orders")
    assert (e4, count) == (1627410500, 98)
    assert Decimal(e4) / 10000 == Decimal("162741.05")
    ((shipping,),) = query(store, "SELECT SUM(shipping_total_e4) FROM feed_orders")
    assert shipping == 98 * 49000
    if store.engine.dialect.name == "postgresql":
        ((total,),) = query(store, "SELECT SUM(total) FROM feed_orders")
        assert total == Decimal("162741.05")
    # each row's exact amount is still its decimal text (SQLite) or numeric (PostgreSQL)
    ((total, e4),) = query(store, "SELECT total, total_e4 FROM feed_orders "
                                  "WHERE external_id = '97'")
    assert (format(Decimal(str(total)), "f"), e4) == ("1.24", 12400)


def test_times_are_iso_utc_text_ending_in_z_on_both_databases(store: Store) -> None:
    seed_orders(store)
    ((placed, updated, stored, cancelled),) = query(
        store, "SELECT placed_at, updated_at, stored_at, cancelled_at FROM feed_orders "
               "ORDER BY change_seq LIMIT 1")
    assert placed == "2025-03-01T10:15:00.000000Z" and updated == placed
    assert isinstance(stored, str) and ISO_Z.match(stored), stored
    assert cancelled is None
    moment = datetime.fromisoformat(stored)
    assert abs((datetime.now(UTC) - moment).total_seconds()) < 600
    ((line_stored,),) = query(store, "SELECT stored_at FROM feed_orders WHERE external_id = '0'")
    assert line_stored == stored


def test_every_time_column_of_every_view_is_iso_text(store: Store) -> None:
    """Each view column of kind ``time`` reads as ``...Z`` text, never a driver datetime."""
    seed_orders(store)
    built = datetime(2026, 12, 7, 12, 10, 43, 859820, tzinfo=UTC)
    with store.transaction() as conn:
        conn.execute(sa.insert(reconciliation_rows).values(
            day=date(2026, 12, 7), channel="shop", metric="orders_amount", currency="EUR",
            channel_value=Decimal("162741.05"), hub_value=Decimal("162741.05"),
            erp_value=None, difference=Decimal("0"), status="ok", detail="", built_at=built,
            change_seq=1))
    ((built_at, value, value_e4),) = query(
        store, "SELECT built_at, channel_value, channel_value_e4 FROM feed_reconciliation")
    assert built_at == "2026-12-07T12:10:43.859820Z"
    assert value_e4 == 1627410500 and Decimal(str(value)) == Decimal("162741.05")
    for view in (*VIEWS, *LEDGER_VIEWS):
        times = [c.name for c in view.columns if c.kind == "time"]
        if not times:
            continue
        for row in query(store, f"SELECT {', '.join(times)} FROM {view.name}"):
            for name, value in zip(times, row, strict=True):
                assert value is None or (isinstance(value, str) and ISO_Z.match(value)), (
                    view.name, name, value)


def test_every_amount_column_has_an_exact_integer_twin() -> None:
    for view in (*VIEWS, *LEDGER_VIEWS):
        names = set(view.column_names)
        for column in view.columns:
            if column.kind in ("amount", "functional_amount", "figure", "money"):
                assert f"{column.name}_e4" in names, (view.name, column.name)
