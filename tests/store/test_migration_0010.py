"""0010_feed_views_types: deleted_at on every entity table and the remade views, down and up."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from synchub.store import Store
from synchub.store.migrate import alembic_config, upgrade_to
from synchub.store.tables import ENTITY_TABLE_NAMES
from tests.store.test_migrations import downgrade, view_definitions

REVISION = "0010_feed_views_types"


def test_0010_down_restores_the_views_and_tables_before_it_and_up_again(db_url: str) -> None:
    before_0010 = ScriptDirectory.from_config(alembic_config()).get_revision(REVISION)
    assert before_0010 is not None
    previous = str(before_0010.down_revision)
    store = Store.from_url(db_url)
    try:
        upgrade_to(store.engine, previous)
        with store.engine.connect() as conn:
            before = view_definitions(conn)
        upgrade_to(store.engine, REVISION)
        with store.engine.connect() as conn:
            inspector = sa.inspect(conn)
            # the entity tables of that time (later revisions add entities of their own)
            tables = [t for t in ENTITY_TABLE_NAMES.values() if inspector.has_table(t)]
            assert len(tables) >= len(ENTITY_TABLE_NAMES) - 1 and "orders" in tables
            for table in tables:
                assert "deleted_at" in {c["name"] for c in inspector.get_columns(table)}
            assert "total_e4" in {c["name"] for c in inspector.get_columns("feed_orders")}
        downgrade(store, previous)
        with store.engine.connect() as conn:
            assert view_definitions(conn) == before
            inspector = sa.inspect(conn)
            for table in tables:
                assert "deleted_at" not in {c["name"] for c in inspector.get_columns(table)}
        store.upgrade()
    finally:
        store.dispose()
