"""``write_page``: one page of records, dead letters and the stream state in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from synchub.canonical import CanonicalRecord
from synchub.errors import ConfigError
from synchub.store.pgbulk import copy_upsert
from synchub.store.rows import (
    binding_row,
    dead_letter_rows,
    entity_row,
    to_stored,
)
from synchub.store.tables import (
    bindings,
    change_counters,
    dead_letters,
    entity_table,
    sync_state,
)
from synchub.store.types import DeadLetterIn, PageHook, PageResult, StoredRecord

# Bound parameters per IN list: well under SQLite's and PostgreSQL's limits.
_IN_CHUNK = 5000


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ConfigError(f"the store supports SQLite and PostgreSQL, not {name}; set the store "
                      "URL to sqlite:///... or postgresql+psycopg://...")


def write_page(
    conn: sa.Connection,
    *,
    connection: str,
    stream: str,
    records: Iterable[CanonicalRecord | StoredRecord],
    dead_letters: Sequence[DeadLetterIn] = (),
    state: dict[str, Any] | None = None,
    hooks: Sequence[PageHook] = (),
) -> PageResult:
    """Write one page inside the caller's transaction; the caller commits or rolls back.

    ``hooks`` run after the records are stored, in the same transaction, with the records
    that changed per entity (stock reservations ride on this); their counts add up in
    ``PageResult.hooks``.
    """
    now = datetime.now(UTC)
    by_entity: dict[str, dict[str, StoredRecord]] = {}
    for record in records:
        # the same id twice in a page: the last one wins
        stored = to_stored(record)
        by_entity.setdefault(stored.entity, {})[stored.id] = stored

    result = PageResult(quarantined=len(dead_letters))
    # entities in a fixed order so that concurrent writers lock rows in the same order
    for entity in sorted(by_entity):
        page = by_entity[entity]
        changed = _store_entity(conn, entity, page, now)
        result.stored += len(changed)
        result.unchanged += len(page) - len(changed)
        result.changed_ids[entity] = changed

    if hooks:
        touched = {e: [by_entity[e][i] for i in ids] for e, ids in result.changed_ids.items()
                   if ids}
        for hook in hooks:
            for key, value in (hook(conn, touched, now) or {}).items():
                result.hooks[key] = result.hooks.get(key, 0) + value
    if dead_letters:
        _upsert_dead_letters(conn, dead_letters, connection, stream, now)
    if state is not None:
        upsert_state(conn, connection, stream, state, now)
    for entity in sorted(result.changed_ids):
        if result.changed_ids[entity]:
            assign_change_seq(conn, entity, result.changed_ids[entity])
    return result


def _store_entity(
    conn: sa.Connection, entity: str, page: dict[str, StoredRecord], now: datetime
) -> list[str]:
    """Bind, compare hashes and upsert the changed records; returns the ids really written.

    The written rows get their ``change_seq`` at the end of the transaction
    (:func:`assign_change_seq`): that number, in the same transaction as the change, is the
    record of what changed that feeds and delivery routing read (docs/adr/0007).
    """
    table = entity_table(entity)
    ids = sorted(page)  # sorted: a stable lock order between concurrent writers
    existing = existing_hashes(conn, table, ids)
    # A stored record was bound in the transaction that first stored it, so only new ids
    # need a binding. The id map is enforced by its unique key (a concurrent writer binding
    # the same id is a no-op), never by check-then-insert.
    unbound = [i for i in ids if i not in existing]
    pg = conn.dialect.name == "postgresql"
    if unbound and pg:
        copy_upsert(conn, bindings, [binding_row(page[i], now) for i in unbound],
                    conflict=["connection", "entity", "external_id"])
    elif unbound:
        bind = dialect_insert(conn, bindings).on_conflict_do_nothing(
            index_elements=[bindings.c.connection, bindings.c.entity, bindings.c.external_id])
        conn.execute(bind, [binding_row(page[i], now) for i in unbound])
    changed = [i for i in ids if existing.get(i) != page[i].content_hash]
    if not changed:
        return []

    keep = {"id", "first_seen_at", "change_seq"}
    rows = [entity_row(page[i], now) for i in changed]
    # RETURNING says which rows were really written: a concurrent writer that stored the
    # same content first makes our upsert a no-op, and such a row must not get a new
    # change_seq (it would appear in the feed, and be routed, twice)
    if pg:
        written = set(copy_upsert(
            conn, table, rows, conflict=["id"],
            update=[c for c in rows[0] if c not in keep],
            update_where="{t}.content_hash <> EXCLUDED.content_hash", returning="id"))
    else:
        # SQLite has one writer at a time (BEGIN IMMEDIATE), so no one else can have
        # written these rows since their hashes were read
        ins = dialect_insert(conn, table)
        conn.execute(ins.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={c.name: ins.excluded[c.name] for c in table.c if c.name not in keep},
            where=table.c.content_hash != ins.excluded.content_hash,
        ), rows)
        written = set(changed)
    return [i for i in changed if i in written]


def existing_hashes(conn: sa.Connection, table: sa.Table, ids: Sequence[str]
                    ) -> dict[str, str]:
    """Stored content hash per id, for the ids that exist (one query per chunk)."""
    found: dict[str, str] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start:start + _IN_CHUNK]
        rows = conn.execute(sa.select(table.c.id, table.c.content_hash)
                            .where(table.c.id.in_(chunk)))
        found.update({row.id: row.content_hash for row in rows})
    return found


def _upsert_dead_letters(
    conn: sa.Connection, letters: Sequence[DeadLetterIn], connection: str, stream: str,
    now: datetime,
) -> None:
    rows = dead_letter_rows(letters, connection, stream, now)
    ins = dialect_insert(conn, dead_letters)
    # the same record failing the same way again counts an attempt (and reopens it)
    stmt = ins.on_conflict_do_update(
        index_elements=[dead_letters.c.connection, dead_letters.c.stream,
                        dead_letters.c.dedupe_key],
        set_={
            "attempts": dead_letters.c.attempts + ins.excluded.attempts,
            "last_seen_at": ins.excluded.last_seen_at,
            "raw": ins.excluded.raw,
            "field": ins.excluded.field,
            "entity": ins.excluded.entity,
            "resolved_at": None,
        },
    )
    conn.execute(stmt, rows)


def upsert_state(
    conn: sa.Connection, connection: str, stream: str, state: dict[str, Any], now: datetime
) -> None:
    """Set the state (cursor) of one stream."""
    ins = dialect_insert(conn, sync_state).values(
        connection=connection, stream=stream, state=state, updated_at=now)
    conn.execute(ins.on_conflict_do_update(
        index_elements=[sync_state.c.connection, sync_state.c.stream],
        set_={"state": ins.excluded.state, "updated_at": ins.excluded.updated_at},
    ))


def assign_change_seq(conn: sa.Connection, entity: str, ids: Sequence[str]) -> None:
    """Give the rows changed in this transaction the next block of the entity's change_seq.

    Feed readers page with ``change_seq > cursor``. Were numbers taken early, a transaction
    holding 5 could commit after another holding 6; a reader that saw 6 would move its
    cursor past 5 and never see it. So this runs last, right before commit: the UPDATE
    locks the entity's counter row until commit, hence blocks are handed out in commit
    order, and every row a reader can see below its cursor was committed before it read.
    """
    assign_seq_block(conn, entity, entity_table(entity), ids)


def take_seq_block(conn: sa.Connection, counter: str, count: int) -> int:
    """Reserve the next ``count`` numbers of ``counter``; returns the one before the block.

    The counter row stays locked until commit, so blocks are handed out in commit order
    (see :func:`assign_change_seq`); rows written with the numbers directly (new rows of a
    table without an ``id``, e.g. a rebuilt report day) need no UPDATE afterwards.
    """
    top = conn.execute(
        sa.update(change_counters)
        .where(change_counters.c.entity == counter)
        .values(value=change_counters.c.value + count)
        .returning(change_counters.c.value)
    ).scalar_one()
    return int(top) - count


def assign_seq_block(conn: sa.Connection, counter: str, table: sa.Table,
                     ids: Sequence[Any]) -> None:
    """Number ``ids`` of ``table`` with the next block of ``counter``, in the order given."""
    base = take_seq_block(conn, counter, len(ids))  # the block is base+1 .. base+len(ids)
    if conn.dialect.name == "postgresql":
        # one set-based statement instead of one UPDATE per row
        id_type = postgresql.ARRAY(sa.String) if isinstance(ids[0], str) else \
            postgresql.ARRAY(sa.BigInteger)
        block = sa.func.unnest(
            sa.bindparam("ids", list(ids), type_=id_type)
        ).table_valued("id", with_ordinality="ord").render_derived()
        conn.execute(
            sa.update(table)
            .where(table.c.id == block.c.id)
            .values(change_seq=base + block.c.ord)
        )
    else:
        conn.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("b_id"))
            .values(change_seq=sa.bindparam("b_seq")),
            [{"b_id": rid, "b_seq": base + n} for n, rid in enumerate(ids, start=1)],
        )
