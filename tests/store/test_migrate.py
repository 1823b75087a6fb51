"""Schema comes from the migrations, migrating twice changes nothing, and a store behind
the code is refused (never migrated) by ``check_current``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from synchub.errors import ConfigError
from synchub.store import ENTITY_TABLE_NAMES, Store
from synchub.store.store import StoreNotCurrentError, head_revision

EXPECTED = {*ENTITY_TABLE_NAMES.values(), "stock_positions", "stock_reservations",
            "stock_publications", "bindings", "sync_state", "dead_letters", "outbox",
            "change_counters", "sync_runs", "alembic_version", "ledger_lines",
            "ledger_closes", "ledger_runs", "settlement_items", "reconciliation_rows"}


def test_migrate_from_empty_then_again_is_a_noop(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        store.migrate()
        with store.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            version = conn.execute(sa.text("select version_num from alembic_version")).all()
            counters = conn.execute(sa.text("select count(*) from change_counters")).scalar()
        assert tables >= EXPECTED
        assert len(version) == 1
        # + stock exceptions and alerts, + the reconciliation report
        assert counters == len(ENTITY_TABLE_NAMES) + 3

        store.migrate()
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
        store.migrate()
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


def _upgrade_to(store: Store, revision: str) -> None:
    """Migrate to an older revision than the head, as an earlier release would have."""
    from alembic import command

    from synchub.store.migrate import alembic_config

    cfg = alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_upgrade_says_from_which_revision_to_which(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        assert store.upgrade() == (None, head_revision())
        assert store.upgrade() == (head_revision(), head_revision())
        store.check_current()
    finally:
        store.dispose()


def test_check_current_refuses_an_empty_store_and_names_the_fix(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        with pytest.raises(StoreNotCurrentError) as caught:
            store.check_current()
        assert isinstance(caught.value, ConfigError)
        message = caught.value.message
        assert "no schema yet" in message and head_revision() in message
        assert "run `synchub db upgrade`" in message
        with store.engine.connect() as conn:  # checking never migrates
            assert "alembic_version" not in sa.inspect(conn).get_table_names()
    finally:
        store.dispose()


def test_check_current_refuses_a_store_behind_the_code(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        _upgrade_to(store, "0003_delivery")
        with pytest.raises(StoreNotCurrentError, match="revision 0003_delivery; this code "
                           f"needs revision {head_revision()}: run `synchub db upgrade`"):
            store.check_current()
        assert store.upgrade() == ("0003_delivery", head_revision())
        store.check_current()
    finally:
        store.dispose()


def test_check_current_refuses_a_store_newer_than_the_code(sqlite_url: str) -> None:
    store = Store.from_url(sqlite_url)
    try:
        store.upgrade()
        with store.engine.begin() as conn:
            conn.execute(sa.text("update alembic_version set version_num = '9999_future'"))
        with pytest.raises(StoreNotCurrentError, match="9999_future, which this code"):
            store.check_current()
    finally:
        store.dispose()
