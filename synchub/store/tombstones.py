"""Records deleted at their source: the store marks them, the feeds serve their tombstones.

A deleted record keeps its row (its last version, for the views and for audits) with
``deleted_at`` set, and gets a new ``change_seq`` in the same transaction: the change feed,
the exports and the SQL views all see the deletion after a reader's cursor, in commit
order, like any other change. Marking is idempotent (a record already deleted is left as
it is, its change_seq too). A later *changed* version of the record (e.g. an order restored
from the trash) is stored as usual and clears ``deleted_at``; the same content arriving
again (a stale re-read) does not bring it back, since the store skips unchanged content.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from synchub.store.tables import entity_table
from synchub.store.types import DeletionHook
from synchub.store.writer import assign_change_seq

# Bound parameters per IN list, as in the writer.
_IN_CHUNK = 5000


def mark_deleted(conn: sa.Connection, entity: str, connection: str, keys: Sequence[str], *,
                 deleted_at: datetime, now: datetime, match: str | None = None,
                 hooks: Sequence[DeletionHook] = (), counts: dict[str, int] | None = None
                 ) -> list[str]:
    """Mark the records of ``connection`` whose ``external_id`` (or document field ``match``,
    a dotted path such as ``parent.external_id``) is one of ``keys`` as deleted.

    Runs inside the caller's transaction; returns the hub ids newly marked (each with a new
    change_seq), in id order. ``hooks`` run in the same transaction with those ids (a
    deleted order releases its stock reservations); their counts add up in ``counts``.
    """
    table = entity_table(entity)
    keys = sorted({str(k) for k in keys})
    if match is None:
        field: Any = table.c.external_id
    else:
        field = table.c.data[tuple(match.split("."))].as_string()
    ids: list[str] = []
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start:start + _IN_CHUNK]
        ids += conn.execute(
            sa.select(table.c.id).where(table.c.connection == connection, field.in_(chunk),
                                        table.c.deleted_at.is_(None))).scalars().all()
    ids = sorted(set(ids))  # sorted: a stable lock order between concurrent writers
    for start in range(0, len(ids), _IN_CHUNK):
        conn.execute(sa.update(table).where(table.c.id.in_(ids[start:start + _IN_CHUNK]))
                     .values(deleted_at=deleted_at, updated_at=now))
    if ids:
        assign_change_seq(conn, entity, ids)
        for hook in hooks:
            for key, value in (hook(conn, {entity: ids}, now) or {}).items():
                if counts is not None:
                    counts[key] = counts.get(key, 0) + value
    return ids


def utc_text(moment: datetime) -> str:
    """A stored time as the documents spell it (SQLite hands back UTC without its zone)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def tombstone(entity: str, row: Any, data: dict[str, Any]) -> dict[str, Any]:
    """What a feed serves for a deleted record: who it was, and when it went.

    ``row`` has the entity table's ``id``, ``connection``, ``external_id`` and ``deleted_at``;
    ``data`` is its last document (for ``source.system``).
    """
    found = data.get("source")
    source: dict[str, Any] = found if isinstance(found, dict) else {}
    return {"op": "delete", "entity": entity, "id": row.id, "connection": row.connection,
            "external_id": row.external_id,
            "source": {"connection": row.connection, "system": source.get("system"),
                       "external_id": row.external_id},
            "deleted_at": utc_text(row.deleted_at)}
