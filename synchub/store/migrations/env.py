"""Alembic environment of the hub store; run programmatically by ``Store.upgrade()``.

The caller hands over an open connection in ``config.attributes["connection"]``, so the
URL (and its options, e.g. a PostgreSQL ``search_path``) is used exactly as the store uses it.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from synchub.store.tables import metadata

config = context.config
target_metadata = metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the given connection, or one made from ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run Store.upgrade()")
run_migrations_online()
