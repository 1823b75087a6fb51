"""Schema comes from the migrations, and upgrading twice changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from synchub.store import ENTITY_TABLE_NAMES, Store
from synchub.store.migrate import head_revision

EXPECTED = {*ENTITY_TABLE_NAMES.values(), "stock_positions", "stock_reservations",
            "stock_publications", "bindings", "sync_state", "dead_letters",
            "change_counters", "sync_runs", "alembic_version", "ledger_lines",
            "ledger_closes", "ledger_runs", "settlement_items", "reconciliation_rows"}


def test_upgrade_from_empty_then_again_is_a_noop(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        store.upgrade()
        with store.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            version = conn.execute(sa.text("select version_num from alembic_version")).all()
            counters = conn.execute(sa.text("select count(*) from change_counters")).scalar()
        assert tables >= EXPECTED
        assert "outbox" not in tables   # dropped by 0007 (ADR 0007)
        assert len(version) == 1
        # + stock exceptions and alerts, + the reconciliation report
        assert counters == len(ENTITY_TABLE_NAMES) + 3

        store.upgrade()
        with store.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) == tables
            again = conn.execute(sa.text("select version_num from alembic_version")).all()
            assert again == version
            assert conn.execute(sa.text("select count(*) from change_counters")).scalar() \
                == counters
    finally:
        store.dispose()


def test_schema_matches_table_definitions(db_url: str) -> None:
    """The migrations and the Core tables the code uses describe the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from synchub.store.tables import metadata

    store = Store.from_url(db_url)
    try:
        store.upgrade()
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    finally:
        store.dispose()


def test_sqlite_pragmas(sqlite_url: str) -> None:
    store = Store.from_url(sqlite_url)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.dispose()


def test_upgrade_says_from_which_revision_to_which(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        assert store.upgrade() == (None, head_revision())
        assert store.upgrade() == (head_revision(), head_revision())
        store.check_current()
    finally:
        store.dispose()
