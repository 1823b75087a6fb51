"""The migration scripts themselves: what single revisions do, up and down."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command

from synchub.store import Store
from synchub.store.migrate import alembic_config


def alembic(store: Store, action: str, revision: str) -> None:
    """Run ``alembic upgrade|downgrade <revision>`` on the store's database."""
    cfg = alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def table_ddl(conn: sa.Connection, table: str) -> list[Any]:
    """Everything the database says defines a table: columns, constraints, indexes."""
    if conn.dialect.name == "sqlite":
        # the CREATE statements exactly as SQLite keeps them
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = :t ORDER BY type, name"),
            {"t": table})]
    columns = conn.execute(sa.text(
        "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = :t ORDER BY ordinal_position"), {"t": table}).all()
    constraints = conn.execute(sa.text(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = CAST(:t AS regclass) ORDER BY conname"), {"t": table}).all()
    indexes = conn.execute(sa.text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = :t ORDER BY indexname"), {"t": table}).all()
    return [tuple(r) for r in (*columns, *constraints, *indexes)]


def test_0007_drops_the_outbox_and_its_downgrade_recreates_it_as_0001_made_it(
        db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        alembic(store, "upgrade", "0006_ledger_views")
        with store.engine.connect() as conn:
            made_by_0001 = table_ddl(conn, "outbox")
        assert "uq_outbox_idempotency_key" in str(made_by_0001)
        assert "ix_outbox_pending" in str(made_by_0001)

        alembic(store, "upgrade", "0007_drop_outbox")
        with store.engine.connect() as conn:
            assert "outbox" not in sa.inspect(conn).get_table_names()

        alembic(store, "downgrade", "0006_ledger_views")
        with store.engine.connect() as conn:
            assert table_ddl(conn, "outbox") == made_by_0001
        alembic(store, "upgrade", "head")
    finally:
        store.dispose()
