"""Closing the books: entries on or before the closed day are never rewritten.

A close only moves forward (there is no reopen): what was handed to the accountants stays as
it was, and a later change to a record of a closed day posts a correction in the first open
day (:mod:`synchub.ledger.build`). The newest ``ledger_closes`` row counts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from synchub.errors import ConfigError
from synchub.store.ledger_tables import ledger_closes

# PostgreSQL advisory lock key of "the closed period": a close holds it exclusively while
# it writes, a ledger build shares it while it decides what a closed day allows.
CLOSE_LOCK = 0x5C1E_D6E4


def lock_closes(conn: sa.Connection, *, exclusive: bool) -> None:
    """Hold the close lock until the end of the transaction (PostgreSQL; SQLite's single
    writer already serializes a close with a build's write transaction)."""
    if conn.dialect.name == "postgresql":
        fn = sa.func.pg_advisory_xact_lock if exclusive else \
            sa.func.pg_advisory_xact_lock_shared
        conn.execute(sa.select(fn(CLOSE_LOCK)))


def closed_through(conn_or_store: Any) -> date | None:
    """The last closed day, or None when no period has been closed."""
    query = (sa.select(ledger_closes.c.closed_through)
             .order_by(ledger_closes.c.id.desc()).limit(1))
    value: date | None
    if isinstance(conn_or_store, sa.Connection):
        value = conn_or_store.execute(query).scalar_one_or_none()
    else:
        with conn_or_store.engine.connect() as conn:
            value = conn.execute(query).scalar_one_or_none()
    return value


def close_through(store: Any, day: date, note: str | None = None,
                  now: datetime | None = None) -> date:
    """Close the books through ``day`` (inclusive); returns the closed day.

    Closing the same day again changes nothing; an earlier day is refused, since a close
    never moves backwards.
    """
    with store.transaction() as conn:
        lock_closes(conn, exclusive=True)
        current = closed_through(conn)
        if current is not None and day < current:
            raise ConfigError(
                f"cannot close through {day.isoformat()}: the books are already closed "
                f"through {current.isoformat()}, and a close never moves backwards (a change "
                "to a closed day posts as a correction in the first open day)")
        if current == day:
            return day
        conn.execute(sa.insert(ledger_closes).values(
            closed_through=day, closed_at=(now or datetime.now(UTC)).astimezone(UTC),
            note=note))
    return day


def closes(store: Any) -> list[dict[str, Any]]:
    """Every close, newest first (closed_through, closed_at, note)."""
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(ledger_closes).order_by(ledger_closes.c.id.desc()))]
