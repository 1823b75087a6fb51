"""PostgreSQL: a bulk load keeps the planner's statistics current, so lookups use indexes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from synchub.store import Store
from tests.store.conftest import make_product


@pytest.mark.postgres
def test_a_grown_table_is_analyzed(pg_url: str) -> None:
    store = Store.from_url(pg_url)
    store.upgrade()

    def reltuples() -> float:
        with store.engine.connect() as conn:
            return float(conn.execute(sa.text(
                "select reltuples from pg_class where oid = 'products'::regclass")).scalar_one())

    try:
        assert reltuples() <= 0  # never analyzed (-1), as on a fresh database
        for page in range(4):
            store.write_page(connection="shop", stream="products", records=[
                make_product(f"{page}-{n}", f"SKU-{page}-{n}") for n in range(2000)])
        assert reltuples() <= 0  # 8,000 rows: not yet
        store.write_page(connection="shop", stream="products", records=[
            make_product(f"5-{n}", f"SKU-5-{n}") for n in range(2500)])
        assert reltuples() > 10_000 * 0.9
    finally:
        store.dispose()


@pytest.mark.postgres
def test_a_refused_analyze_is_logged_not_raised(pg_url: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    from synchub.store.store import analyze

    store = Store.from_url(pg_url)
    try:
        analyze(store.engine, "no_such_table")
    finally:
        store.dispose()
    assert "could not analyze no_such_table" in caplog.text
