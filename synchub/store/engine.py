"""Engines for the store: SQLite with the right pragmas, PostgreSQL through psycopg 3."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

# Execution option that makes a SQLite transaction take the write lock at BEGIN. A deferred
# transaction that reads first and writes later can fail with SQLITE_BUSY without waiting
# (busy_timeout does not apply to a lock upgrade); BEGIN IMMEDIATE waits up front instead.
SQLITE_IMMEDIATE = "synchub_sqlite_immediate"


def _default(value: Any) -> Any:
    # raw source records may carry exact decimals or datetimes; keep them as text
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class RawJson(str):
    """A document already serialized to JSON text; the store writes it as it is."""

    __slots__ = ()


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """Compact JSON, as the store writes every document (``sort_keys`` for hashing)."""
    if isinstance(value, RawJson):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys,
                      default=_default)


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine for ``url``: SQLite (file, WAL) or PostgreSQL (``postgresql+psycopg://``)."""
    engine_url = sa.make_url(url)
    if engine_url.drivername == "postgresql":
        # psycopg 3 is the one PostgreSQL driver the project ships
        engine_url = engine_url.set(drivername="postgresql+psycopg")
    options: dict[str, Any] = {"json_serializer": dumps}
    if engine_url.get_backend_name() == "postgresql":
        options["pool_pre_ping"] = True
    options.update(kwargs)
    engine = sa.create_engine(engine_url, **options)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # take transaction control from the sqlite3 module so BEGIN is ours (see below)
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
        cur.execute("PRAGMA busy_timeout=30000")  # wait for the write lock, up to 30 s
        cur.execute("PRAGMA foreign_keys=ON")
        # with WAL, NORMAL never corrupts; a power cut may undo the last commits, but a page
        # and its cursor are one transaction, so they are undone together and re-fetched
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
