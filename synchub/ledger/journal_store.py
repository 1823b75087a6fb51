"""Journals in the store: entries (``ledger_entries``) with their lines (``ledger_lines``).

An entry and its lines are written together, in one transaction: the lines of every entry
whose content changed are replaced first, then :func:`synchub.store.writer.write_page`
upserts the entry rows (binding ids, numbering the changed ones in ``change_seq``). That order
matters on SQLite, where the balance trigger compares an entry row with its lines when the
row is written; PostgreSQL checks the same at commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from synchub.canonical import LedgerEntry
from synchub.store.ledger_tables import ledger_lines
from synchub.store.rows import to_stored
from synchub.store.tables import dead_letters as dead_letters_table
from synchub.store.tables import entity_table
from synchub.store.types import DeadLetterIn
from synchub.store.writer import existing_hashes, write_page

STREAM = "ledger"
_CHUNK = 1000  # ids per IN list

entries_table = entity_table("ledger_entry")


@dataclass
class WriteResult:
    """What one write did: entries stored (new or changed), unchanged, and their ids."""

    stored: int = 0
    unchanged: int = 0
    changed_ids: list[str] = field(default_factory=list)


def line_rows(entry: LedgerEntry) -> list[dict[str, Any]]:
    """The ``ledger_lines`` rows of an entry, numbered from 1."""
    return [{
        "entry_id": entry.id, "line_no": n, "channel": entry.channel, "kind": entry.kind,
        "posted_on": entry.posted_on, "account": ln.account, "currency": entry.currency,
        "debit": ln.debit, "credit": ln.credit,
        "functional_currency": entry.functional_currency,
        "functional_debit": ln.functional_debit, "functional_credit": ln.functional_credit,
        "rule": ln.rule, "source": ln.source, "description": ln.description,
    } for n, ln in enumerate(entry.lines, start=1)]


def put_entries(
    conn: sa.Connection, entries: Sequence[LedgerEntry], *,
    dead_letters: Iterable[tuple[str, DeadLetterIn]] = (), connection: str = STREAM,
) -> WriteResult:
    """Write entries and their lines inside the caller's transaction.

    ``dead_letters`` are (record connection, letter) pairs, stored under stream ``ledger``.
    """
    page = {e.id: e for e in entries}  # the same id twice: the last one wins
    stored = {i: to_stored(e) for i, e in page.items()}
    ids = sorted(page)
    known = existing_hashes(conn, entries_table, ids)
    changed = [i for i in ids if known.get(i) != stored[i].content_hash]
    for start in range(0, len(changed), _CHUNK):
        conn.execute(sa.delete(ledger_lines).where(
            ledger_lines.c.entry_id.in_(changed[start:start + _CHUNK])))
    rows = [row for i in changed for row in line_rows(page[i])]
    if rows:
        conn.execute(sa.insert(ledger_lines), rows)
    result = write_page(conn, connection=connection, stream=STREAM,
                        records=[stored[i] for i in ids])
    by_conn: dict[str, list[DeadLetterIn]] = {}
    for conn_name, letter in dead_letters:
        by_conn.setdefault(conn_name, []).append(letter)
    for conn_name in sorted(by_conn):
        write_page(conn, connection=conn_name, stream=STREAM, records=(),
                   dead_letters=by_conn[conn_name])
    written = result.changed_ids.get("ledger_entry", [])
    return WriteResult(stored=len(written), unchanged=len(ids) - len(written),
                       changed_ids=written)


def write_entries(
    store: Any, entries: Sequence[LedgerEntry], *,
    dead_letters: Iterable[tuple[str, DeadLetterIn]] = (), connection: str = STREAM,
) -> WriteResult:
    """Write entries, their lines and dead letters in one transaction of ``store``."""
    with store.transaction() as conn:
        return put_entries(conn, entries, dead_letters=dead_letters, connection=connection)


def resolve_dead_letters(conn: sa.Connection, connection: str, entity: str,
                         record_ids: Sequence[str], now: datetime | None = None) -> int:
    """Mark the ledger dead letters of records that have now been posted as resolved."""
    dl = dead_letters_table.c
    done = 0
    for start in range(0, len(record_ids), _CHUNK):
        res = conn.execute(sa.update(dead_letters_table).where(
            dl.connection == connection, dl.stream == STREAM, dl.entity == entity,
            dl.record_id.in_(record_ids[start:start + _CHUNK]), dl.resolved_at.is_(None),
        ).values(resolved_at=now or datetime.now(UTC)))
        done += int(res.rowcount or 0)
    return done


def source_ids_contain(conn: sa.Connection, ref: str) -> sa.ColumnElement[bool]:
    """``ledger_entries.data.source_ids`` contains ``ref`` (JSON containment per dialect)."""
    data = entries_table.c.data
    if conn.dialect.name == "postgresql":
        return sa.type_coerce(data, postgresql.JSONB).contains({"source_ids": [ref]})  # @>
    each = sa.func.json_each(data, "$.source_ids").table_valued("value")
    return sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value == ref))


def _entry_query(conn: sa.Connection, *, day: date | None, source: str | None,
                 external_id: str | None, channel: str | None, kind: str | None,
                 corrects: str | None) -> sa.Select[Any]:
    t = entries_table
    query = sa.select(t.c.data)
    if day is not None:
        query = query.where(t.c.posted_on == day)
    if external_id is not None:
        query = query.where(t.c.external_id == external_id)
    if channel is not None:
        query = query.where(t.c.connection == channel)
    if kind is not None:
        query = query.where(t.c.kind == kind)
    if corrects is not None:
        query = query.where(t.c.corrects == corrects)
    if source is not None:
        by_line = sa.select(ledger_lines.c.entry_id).where(ledger_lines.c.source == source)
        query = query.where(sa.or_(t.c.id.in_(by_line), source_ids_contain(conn, source)))
    return query.order_by(t.c.posted_on, t.c.connection, t.c.external_id)


def entries_for(
    store: Any, *, day: date | None = None, source: str | None = None,
    external_id: str | None = None, channel: str | None = None, kind: str | None = None,
    corrects: str | None = None,
) -> list[LedgerEntry]:
    """Stored entries matching every filter given, by day, channel and external id.

    ``source`` is ``entity:hub id``: entries with a line from that record or listing it in
    ``source_ids``. ``corrects``: the corrections of an entry (by its external id).
    """
    with store.engine.connect() as conn:
        return read_entries(conn, day=day, source=source, external_id=external_id,
                            channel=channel, kind=kind, corrects=corrects)


def read_entries(conn: sa.Connection, **filters: Any) -> list[LedgerEntry]:
    """:func:`entries_for` on an open connection (keyword filters of the same names)."""
    args = {k: filters.get(k) for k in ("day", "source", "external_id", "channel", "kind",
                                        "corrects")}
    return [LedgerEntry.model_validate(row.data)
            for row in conn.execute(_entry_query(conn, **args))]


def lines_for(
    store: Any, *, entry_id: str | None = None, day: date | None = None,
    channel: str | None = None, account: str | None = None, source: str | None = None,
) -> list[dict[str, Any]]:
    """Stored journal lines (``ledger_lines`` rows as dicts) in entry and line order."""
    c = ledger_lines.c
    query = sa.select(ledger_lines)
    for col, value in ((c.entry_id, entry_id), (c.posted_on, day), (c.channel, channel),
                       (c.account, account), (c.source, source)):
        if value is not None:
            query = query.where(col == value)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query.order_by(c.entry_id, c.line_no))]
