"""Pages of a feed in change order, filtered to a consumer's connections inside the SQL.

Filtering in the query (not after it) is what keeps the cursor exact: a page holds the next
``limit`` rows *the consumer may see*, and its last ``change_seq`` is the cursor, so nothing
is skipped or repeated however the connections interleave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from synchub.feeds.ledger_views import ROW_FEEDS, read_rows
from synchub.store.stock_tables import STOCK_FEEDS
from synchub.store.tables import ENTITY_TABLES
from synchub.store.tombstones import tombstone

# every feed by name: the canonical entities, the stock feeds, then the ledger's row feeds
# (views whose rows are the records: journal lines, reconciliation rows)
FEEDS: dict[str, sa.TableClause] = {**ENTITY_TABLES, **STOCK_FEEDS,
                                    **{name: f.table for name, f in ROW_FEEDS.items()}}


def feed_table(entity: str) -> sa.TableClause:
    """The table behind a feed; KeyError naming the known feeds for an unknown one."""
    try:
        return FEEDS[entity]
    except KeyError:
        raise KeyError(f"unknown feed {entity!r}; known: {', '.join(sorted(FEEDS))}") from None


def has_connection(entity: str) -> bool:
    """Whether a feed's rows belong to a connection (stock alerts are per SKU, not channel)."""
    return "connection" in feed_table(entity).c


@dataclass(frozen=True, slots=True)
class Page:
    """Documents after a cursor, the cursor to resume from, and whether more are waiting."""

    records: list[dict[str, Any]]
    next_cursor: int
    has_more: bool


def scope_filter(table: sa.Table | Any, connections: Sequence[str] | None) -> Any:
    """The WHERE clause limiting a table (or view) to some connections; None = no limit."""
    if connections is None or "connection" not in table.c:
        return sa.true()
    return table.c.connection.in_(list(connections))


def read_page(conn: sa.Connection, entity: str, *, since: int, limit: int,
              connections: Sequence[str] | None = None, upto: int | None = None) -> Page:
    """Up to ``limit`` documents with ``since < change_seq (<= upto)`` in change order; a
    record deleted at its source comes as its tombstone (``{"op": "delete", ...}``).

    A row feed's page may hold more than ``limit`` rows: it never ends inside one change.
    """
    table = feed_table(entity)
    if entity in ROW_FEEDS:
        records, cursor, more = read_rows(conn, ROW_FEEDS[entity], since=since, limit=limit,
                                          scope=scope_filter(table, connections), upto=upto)
        return Page(records=records, next_cursor=cursor, has_more=more)
    deletable = "deleted_at" in table.c
    cols = [table.c.change_seq, table.c.data]
    if deletable:
        cols += [table.c.id, table.c.connection, table.c.external_id, table.c.deleted_at]
    query = (sa.select(*cols)
             .where(table.c.change_seq > since, scope_filter(table, connections))
             .order_by(table.c.change_seq).limit(limit + 1))
    if upto is not None:
        query = query.where(table.c.change_seq <= upto)
    rows = conn.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = int(rows[-1].change_seq) if rows else since
    return Page(records=[tombstone(entity, r, _doc(r.data))
                         if deletable and r.deleted_at is not None else _doc(r.data)
                         for r in rows], next_cursor=cursor, has_more=more)


def max_seq(conn: sa.Connection, entity: str, *, since: int,
            connections: Sequence[str] | None = None) -> int | None:
    """The newest change_seq after ``since`` the scope may see (None when nothing is new)."""
    table = feed_table(entity)
    value = conn.execute(sa.select(sa.func.max(table.c.change_seq)).where(
        table.c.change_seq > since, scope_filter(table, connections))).scalar_one_or_none()
    return int(value) if value is not None else None


def _doc(data: Any) -> dict[str, Any]:
    # SQLite hands JSON back parsed already; guard against a driver returning text
    if isinstance(data, str):
        import json

        parsed: dict[str, Any] = json.loads(data)
        return parsed
    return dict(data)
