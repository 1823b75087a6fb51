"""ECShop's fixtures: a fresh database on the MariaDB/MySQL server per test, installed from
ECShop's schema and seeded; the hub store and in-process mapping of the shop runs.

Without a reachable server the tests are skipped with the reason, except under ``CI=true``,
where they fail (like the PostgreSQL fixture of tests/conftest.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from synchub.runtime import ConnectionInfo
from synchub.sandbox.ecshop.seed import EcshopSeed, create_shop, drop_shop
from tests.conftest import IN_CI
from tests.systems.shop_runs import map_in_process, store  # noqa: F401 - fixtures

MYSQL_HOST = os.environ.get("SYNCHUB_TEST_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("SYNCHUB_TEST_MYSQL_PORT", "3306"))
MYSQL_USER = os.environ.get("SYNCHUB_TEST_MYSQL_USER", "root")
SERVER = sa.URL.create("mysql+pymysql", username=MYSQL_USER, host=MYSQL_HOST,
                       port=MYSQL_PORT, query={"charset": "utf8mb4"})
_state: dict[str, str | None] = {}


def mysql_unavailable_reason() -> str | None:
    """None when the server answers; otherwise why not (checked once per session)."""
    if "reason" not in _state:
        try:
            engine = sa.create_engine(SERVER, connect_args={"connect_timeout": 3})
            with engine.connect() as db:
                db.execute(sa.text("select 1"))
            engine.dispose()
            _state["reason"] = None
        except Exception as exc:  # any failure to reach the server is the reason to skip
            _state["reason"] = (f"MariaDB/MySQL not reachable at {MYSQL_HOST}:{MYSQL_PORT} "
                                f"as {MYSQL_USER}: {exc.__class__.__name__}")
    return _state["reason"]


def require_mysql() -> None:
    """Skip (or, under CI=true, fail) a test that needs MariaDB when it is not there."""
    reason = mysql_unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: MariaDB tests may not be skipped)")
        pytest.skip(reason)


ShopFactory = Callable[..., tuple[sa.Engine, EcshopSeed, ConnectionInfo]]


@pytest.fixture
def ecshop_db() -> Iterator[ShopFactory]:
    """Make a fresh ECShop database (``EcshopSeed`` keys as arguments); dropped afterwards.

    Returns the engine on it, the seed and the read Connection the hub uses.
    """
    require_mysql()
    made: list[tuple[str, sa.Engine]] = []

    def make(**seed: object) -> tuple[sa.Engine, EcshopSeed, ConnectionInfo]:
        name = f"ecshop_t_{uuid.uuid4().hex[:10]}"
        shop = EcshopSeed(**seed)  # type: ignore[arg-type]
        engine = create_shop(SERVER, name, shop)
        made.append((name, engine))
        conn = ConnectionInfo(conn_id="ecshop", conn_type="mysql", host=MYSQL_HOST,
                              port=MYSQL_PORT, login=MYSQL_USER, schema=name,
                              extra={"time_zone": shop.time_zone})
        return engine, shop, conn

    yield make
    for name, engine in made:
        engine.dispose()
        drop_shop(SERVER, name)
