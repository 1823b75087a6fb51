"""ECShop stock writes on a real ECShop database: goods_number set per goods with a
compare-and-set on the figure last read, one transaction per batch, and only with the
Connection's write user."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from synchub.config.connector_writes import StockPublisherSpec
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.stock.publish.base import ListingChange
from synchub.systems.ecshop.stock import GoodsNumberPublisher
from tests.systems.ecshop.conftest import ShopFactory
from tests.systems.shop_runs import hub_for

SPEC = StockPublisherSpec(type="ecshop_goods_number", path="ecs_goods", batch_size=2)


def publisher(conn: ConnectionInfo, tmp_path) -> GoodsNumberPublisher:  # type: ignore[no-untyped-def]
    connector = hub_for(tmp_path, "ecshop").connection("ecshop").connector
    return GoodsNumberPublisher(SPEC, ConnectorClient(connector, conn), run_id="t")


def figures(engine: sa.Engine) -> dict[int, int]:
    with engine.connect() as db:
        return dict(db.execute(sa.text("SELECT goods_id, goods_number FROM ecs_goods")).all())


def writer(engine: sa.Engine, conn: ConnectionInfo) -> ConnectionInfo:
    """The documented write user: SELECT and UPDATE of goods_number on ecs_goods, no more."""
    user, password = f"w{conn.schema[-10:]}", "stock-writer-pw"
    with engine.begin() as db:
        db.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"))
        db.execute(sa.text(f"GRANT SELECT (goods_id, goods_number), UPDATE (goods_number) "
                           f"ON `{conn.schema}`.`ecs_goods` TO '{user}'@'%'"))
    return dataclasses.replace(conn, extra={**conn.extra, "writer_login": user,
                                            "writer_password": password})


def drop_writer(engine: sa.Engine, conn: ConnectionInfo) -> None:
    with engine.begin() as db:
        db.execute(sa.text(f"DROP USER IF EXISTS 'w{conn.schema[-10:]}'@'%'"))


def test_figures_are_set_where_the_shop_still_shows_the_last_read_one(
        ecshop_db: ShopFactory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine, _, conn = ecshop_db(goods=5, orders=0, users=0)
    before = figures(engine)
    with engine.begin() as db:    # a sale in the shop after the hub's last read of goods 2
        db.execute(sa.text("UPDATE ecs_goods SET goods_number = goods_number - 1 "
                           "WHERE goods_id = 2"))
    changes = [ListingChange("1:default", before[1] + 5, expected=before[1]),
               ListingChange("2:default", 3, expected=before[2]),
               ListingChange("3:default", before[3], expected=before[3]),
               ListingChange("99:default", 4, expected=0),
               ListingChange("4:default", 70_000, expected=before[4])]
    try:
        out = publisher(writer(engine, conn), tmp_path).push(changes)
    finally:
        drop_writer(engine, conn)
    assert [o.status for o in out] == ["pushed", "conflict", "unchanged", "failed", "failed"]
    assert out[1].channel_quantity == before[2] - 1
    assert "not in the shop" in (out[3].error or "")
    assert "does not fit goods_number" in (out[4].error or "")
    after = figures(engine)
    assert after[1] == before[1] + 5
    assert after[2] == before[2] - 1          # the sale is not overwritten
    assert after[4] == before[4]


def test_without_a_write_user_nothing_is_written(ecshop_db: ShopFactory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine, _, conn = ecshop_db(goods=2, orders=0, users=0)
    before = figures(engine)
    out = publisher(conn, tmp_path).push([ListingChange("1:default", 1, expected=before[1])])
    assert out[0].status == "failed" and "not granted write" in (out[0].error or "")
    assert figures(engine) == before
