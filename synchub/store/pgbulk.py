"""Bulk writes on PostgreSQL: COPY into a session-local staging table, then one statement.

Sending a page as 250 INSERT statements (even pipelined) costs the server a parse, plan and
round of protocol per row, and the client a bound-parameter conversion per value. COPY
streams the rows in one go; a single ``INSERT ... SELECT ... ON CONFLICT`` then applies them
with the same conflict rules as before, and ``RETURNING`` says which rows it really wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
import sqlalchemy as sa


def _q(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def copy_upsert(
    conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], *,
    conflict: Sequence[str], update: Sequence[str] | None = None,
    update_where: str | None = None, returning: str | None = None,
) -> list[Any]:
    """Insert ``rows`` into ``table`` through COPY; on conflict update ``update`` or do nothing.

    ``update_where`` is an extra condition on the conflicting row (``{t}`` names the target
    table, ``EXCLUDED`` the new row). Returns the ``returning`` column of the rows written.
    """
    if not rows:
        return []
    cols = list(rows[0])
    stage = _q(conn, f"_stage_{table.name}")
    target = _q(conn, table.name)
    col_list = ", ".join(_q(conn, c) for c in cols)
    raw = conn.connection.driver_connection
    assert raw is not None
    try:
        return _run(raw, stage, target, col_list, cols, rows, conn, conflict, update,
                    update_where, returning)
    except psycopg.Error as exc:
        # callers handle SQLAlchemy's exception classes (IntegrityError, DataError...)
        raise sa.exc.DBAPIError.instance(f"COPY {table.name}", None, exc,
                                         psycopg.Error) from exc


def _run(raw: Any, stage: str, target: str, col_list: str, cols: list[str],
         rows: Sequence[dict[str, Any]], conn: sa.Connection, conflict: Sequence[str],
         update: Sequence[str] | None, update_where: str | None, returning: str | None,
         ) -> list[Any]:
    with raw.cursor() as cur:
        # a temporary table lives as long as the session; its rows only until commit
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} "
                    f"(LIKE {target} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        cur.execute(f"TRUNCATE {stage}")
        with cur.copy(f"COPY {stage} ({col_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in cols])
        sql = (f"INSERT INTO {target} ({col_list}) SELECT {col_list} FROM {stage} "
               f"ON CONFLICT ({', '.join(_q(conn, c) for c in conflict)}) ")
        if update:
            sets = ", ".join(f"{_q(conn, c)} = EXCLUDED.{_q(conn, c)}" for c in update)
            sql += f"DO UPDATE SET {sets}"
            if update_where:
                sql += " WHERE " + update_where.format(t=target)
        else:
            sql += "DO NOTHING"
        if returning:
            sql += f" RETURNING {_q(conn, returning)}"
        cur.execute(sql)
        return [r[0] for r in cur.fetchall()] if returning else []
