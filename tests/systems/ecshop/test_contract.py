"""ECShop end to end: a fresh ECShop database on MariaDB (its install schema, seeded as the
shop writes), the project's connector and mappings through the ``sql`` transport, a hub
store on SQLite and on PostgreSQL.

Orders land with their goods and the shop's times in UTC; an order whose add_time is not a
time is quarantined naming the column while the rest go through; a later run re-reads the
overlap window and stores only what changed, including a cancellation that moved none of
the order's times; keyset pages neither skip nor repeat rows; goods, stock figures and
members land, members without their credentials.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from synchub.pipeline import sync_stream
from synchub.runtime.sql import SqlReader
from synchub.sandbox.ecshop.seed import gmtime
from synchub.store import Store
from tests.systems.ecshop.conftest import ShopFactory
from tests.systems.shop_runs import hub_for, stored_ids

NOW = datetime(2025, 12, 31, tzinfo=UTC)


def rows(db_url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as db:
            return [tuple(r) for r in db.execute(sa.text(sql))]
    finally:
        engine.dispose()


def test_orders_land_a_bad_time_is_quarantined_and_a_rerun_stores_only_changes(
        tmp_path: Path, store: Store, db_url: str, ecshop_db: ShopFactory) -> None:
    engine, _, conn = ecshop_db(orders=40, poisoned=1)
    plan = hub_for(tmp_path, "ecshop", page_size=7)   # several keyset pages
    first = sync_stream(plan, "ecshop", "orders", store=store, conn_info=conn,
                        window_end=NOW)
    assert first.status == "success"
    assert (first.fetched, first.stored, first.quarantined) == (40, 39, 1)
    assert first.pages >= 6
    assert sorted(stored_ids(db_url), key=int) == [str(n) for n in range(2, 41)]
    [(reason, column, raw)] = rows(db_url, "select reason, field, raw from dead_letters")
    assert column == "add_time" and "add_time" in reason and "not a valid time" in reason
    raw = json.loads(raw) if isinstance(raw, str) else raw
    assert raw["order_id"] == 1 and raw["add_time"] == 4294967295   # the row, as read

    again = sync_stream(plan, "ecshop", "orders", store=store, conn_info=conn,
                        window_end=NOW)
    assert again.stored == 0            # the overlap re-read nothing that changed

    # a cancellation moves none of ECShop's order times: the overlap window finds it
    with engine.connect() as db:
        newest = db.execute(sa.text(
            "SELECT order_id FROM ecs_order_info WHERE add_time < 4294967295 "
            "AND order_status <> 2 ORDER BY GREATEST(add_time, confirm_time, pay_time, "
            "shipping_time) DESC LIMIT 1")).scalar_one()
    with engine.begin() as db:
        db.execute(sa.text("UPDATE ecs_order_info SET order_status = 2 WHERE order_id = :i"),
                   {"i": newest})
    third = sync_stream(plan, "ecshop", "orders", store=store, conn_info=conn,
                        window_end=NOW)
    assert third.stored == 1
    assert rows(db_url, f"select status from orders where external_id = '{newest}'") == [
        ("cancelled",)]


def test_order_times_are_the_shops_gmtime_read_back_in_its_zone(
        tmp_path: Path, store: Store, db_url: str, ecshop_db: ShopFactory) -> None:
    _, shop, conn = ecshop_db(orders=5, time_zone="Asia/Shanghai")
    plan = hub_for(tmp_path, "ecshop")
    sync_stream(plan, "ecshop", "orders", store=store, conn_info=conn, window_end=NOW)
    placed = dict(rows(db_url, "select external_id, placed_at from orders"))
    for n in range(5):
        true_utc = datetime.fromtimestamp(shop.when("order", n), UTC)
        got = placed[str(n + 1)]
        got = got if isinstance(got, datetime) else datetime.fromisoformat(str(got))
        assert got.replace(tzinfo=UTC) == true_utc


def test_an_order_paid_later_is_read_by_its_pay_time(
        tmp_path: Path, store: Store, db_url: str, ecshop_db: ShopFactory) -> None:
    engine, shop, conn = ecshop_db(orders=12)
    plan = hub_for(tmp_path, "ecshop", incremental={"lookback": "0s"})
    sync_stream(plan, "ecshop", "orders", store=store, conn_info=conn, window_end=NOW)
    with engine.connect() as db:
        unpaid = db.execute(sa.text("SELECT order_id FROM ecs_order_info WHERE pay_status = 0 "
                                    "ORDER BY order_id LIMIT 1")).scalar_one()
    paid_at = int((NOW - timedelta(hours=1)).timestamp())
    with engine.begin() as db:
        db.execute(sa.text("UPDATE ecs_order_info SET pay_status = 2, pay_time = :t, "
                           "money_paid = order_amount, order_amount = 0 WHERE order_id = :i"),
                   {"t": gmtime(paid_at, ZoneInfo(shop.time_zone)), "i": unpaid})
    later = sync_stream(plan, "ecshop", "orders", store=store, conn_info=conn,
                        window_end=NOW)
    assert later.stored == 1 and later.fetched == 2   # the start is inclusive: the newest re-read
    assert later.cursor is not None and later.cursor.startswith(
        (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H"))


def test_goods_stock_and_members_land(tmp_path: Path, store: Store, db_url: str,
                                      ecshop_db: ShopFactory) -> None:
    _, shop, conn = ecshop_db(goods=12, users=6, orders=0)
    plan = hub_for(tmp_path, "ecshop")
    products = sync_stream(plan, "ecshop", "products", store=store, conn_info=conn,
                           window_end=NOW)
    levels = sync_stream(plan, "ecshop", "stock_levels", store=store, conn_info=conn,
                         window_end=NOW)
    members = sync_stream(plan, "ecshop", "customers", store=store, conn_info=conn,
                          window_end=NOW)
    assert (products.stored, members.stored) == (12, 6)
    real = [i for i in range(12) if shop.goods_row(i)["is_real"]]
    assert levels.stored == len(real)
    figures = dict(rows(db_url, "select external_id, available from inventory_levels"))
    assert figures == {f"{i + 1}:default": shop.goods_row(i)["goods_number"] for i in real}


def test_member_rows_never_carry_credentials_and_pages_do_not_repeat(
        ecshop_db: ShopFactory, tmp_path: Path) -> None:
    _, _, conn = ecshop_db(users=23, orders=0, goods=1)
    spec = hub_for(tmp_path, "ecshop").connection("ecshop").connector.streams["customers"]
    spec = spec.model_copy(update={"page_size": 5})
    pages = list(SqlReader(spec, conn, "customers").pages(None, None, False))
    ids = [r["user_id"] for p in pages for r in p.records]
    assert ids == list(range(1, 24)) and len(pages) == 5
    keys = set().union(*(r.keys() for p in pages for r in p.records))
    assert not keys & {"password", "ec_salt", "salt", "answer", "passwd_answer"}
