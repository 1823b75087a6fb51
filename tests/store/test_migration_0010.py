"""0010_feed_views_types: deleted_at on every entity table and the remade views, down and up."""

from __future__ import annotations

import sqlalchemy as sa

from synchub.store import Store
from synchub.store.migrate import upgrade_to
from synchub.store.tables import ENTITY_TABLE_NAMES
from tests.store.test_migrations import downgrade, view_definitions


def test_0010_down_restores_the_views_and_tables_of_0007_and_up_again(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        upgrade_to(store.engine, "0007_drop_outbox")
        with store.engine.connect() as conn:
            before = view_definitions(conn)
        upgrade_to(store.engine, "0010_feed_views_types")
        with store.engine.connect() as conn:
            inspector = sa.inspect(conn)
            for table in ENTITY_TABLE_NAMES.values():
                assert "deleted_at" in {c["name"] for c in inspector.get_columns(table)}
            assert "total_e4" in {c["name"] for c in inspector.get_columns("feed_orders")}
        downgrade(store, "0007_drop_outbox")
        with store.engine.connect() as conn:
            assert view_definitions(conn) == before
            inspector = sa.inspect(conn)
            for table in ENTITY_TABLE_NAMES.values():
                assert "deleted_at" not in {c["name"] for c in inspector.get_columns(table)}
        store.upgrade()
    finally:
        store.dispose()
