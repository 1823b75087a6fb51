"""The demo's own databases: ECShop's shop created and seeded once on the MariaDB server,
with a read user and a stock user that may change goods_number only; a clear error naming
the server when it cannot be reached."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from synchub.demo_databases import DemoDatabase, ecshop_database
from synchub.errors import SynchubError
from synchub.sandbox.ecshop.seed import drop_shop, server_url
from tests.systems.ecshop.conftest import MYSQL_HOST, MYSQL_PORT, MYSQL_USER, require_mysql


@pytest.fixture
def demo_db(tmp_path: Path) -> Iterator[DemoDatabase]:
    require_mysql()
    db = DemoDatabase(tmp_path, MYSQL_HOST, MYSQL_PORT, MYSQL_USER)
    yield db
    server = server_url(MYSQL_HOST, MYSQL_PORT, MYSQL_USER)
    drop_shop(server, f"synchub_demo_{tmp_path.name}")
    admin = sa.create_engine(server)
    with admin.begin() as conn:
        for user in ("read", "stock"):
            conn.execute(sa.text(f"DROP USER IF EXISTS 'synchub_{user}_{tmp_path.name}'@'%'"))
    admin.dispose()


def _engine(conn: dict[str, object], login: str, password: str) -> sa.Engine:
    return sa.create_engine(sa.URL.create(
        "mysql+pymysql", username=login, password=password, host=str(conn["host"]),
        port=int(str(conn["port"])), database=str(conn["schema"])))


def test_the_shop_is_made_once_and_its_users_may_do_only_their_part(
        demo_db: DemoDatabase, tmp_path: Path) -> None:
    conn, created = ecshop_database(demo_db, tmp_path.name)
    again, created_again = ecshop_database(demo_db, tmp_path.name)
    assert (created, created_again) == (True, False) and again == conn
    extra = conn["extra"]
    assert isinstance(extra, dict) and extra["time_zone"] == "Asia/Shanghai"
    reader = _engine(conn, str(conn["login"]), str(conn["password"]))
    writer = _engine(conn, extra["writer_login"], extra["writer_password"])
    with reader.connect() as db:
        codes = db.execute(sa.text("SELECT goods_sn FROM ecs_goods ORDER BY goods_id")).scalars()
        assert list(codes)[:2] == ["SKU-00001-1", "SKU-00002-1"]   # the ERP's codes
        with pytest.raises(sa.exc.OperationalError):
            db.execute(sa.text("UPDATE ecs_goods SET goods_number = 1"))
    with writer.begin() as db:
        db.execute(sa.text("UPDATE ecs_goods SET goods_number = 7 WHERE goods_id = 1"))
        with pytest.raises(sa.exc.OperationalError):
            db.execute(sa.text("UPDATE ecs_goods SET shop_price = 1 WHERE goods_id = 1"))
    reader.dispose()
    writer.dispose()
    assert (tmp_path / f"synchub_stock_{tmp_path.name}.password").stat().st_mode & 0o077 == 0


def test_an_unreachable_server_is_named(tmp_path: Path) -> None:
    db = DemoDatabase(tmp_path, "127.0.0.1", 1, "root")
    with pytest.raises(SynchubError, match=r"shop: the ECShop demo database needs "
                                           r"MySQL/MariaDB at root@127.0.0.1:1"):
        ecshop_database(db, "shop")
