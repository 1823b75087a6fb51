"""What a day's freshly built journals change in the store, given the closed period.

- An entry of an open day is written as built: new, replaced, or unchanged (same hash).
- An entry already stored in a closed day is never rewritten: when the new build differs,
  a correction (``<external id>#c<n>``) posts the difference in the first open day.
- A new entry whose day is closed (a record synced late) posts in the first open day.
- An entry a record no longer makes (a payout that failed, a commission line removed) is
  withdrawn: zeroed in an open day, reversed by a correction in a closed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from synchub.canonical import LedgerEntry
from synchub.ledger.journal_store import entries_table, read_entries
from synchub.ledger.posting import PostingContext, correction

WITHDRAWN = "withdrawn: the records it came from no longer make this entry"
_CHUNK = 1000


@dataclass
class Revision:
    """The entries to write for one page, and how many are corrections or withdrawals."""

    entries: list[LedgerEntry] = field(default_factory=list)
    corrections: list[LedgerEntry] = field(default_factory=list)
    withdrawn: int = 0


def redate(entry: LedgerEntry, on: date) -> LedgerEntry:
    """The entry posted on ``on`` (midnight UTC) instead of its own, closed, day."""
    data = entry.model_dump(exclude={"id", "content_hash"})
    note = f"event of {entry.posted_on.isoformat()}, a closed day: posted in the first open day"
    data.update(posted_on=on, posted_at=datetime.combine(on, time(), UTC),
                memo=f"{entry.memo}; {note}" if entry.memo else note)
    return LedgerEntry.model_validate(data)


def zeroed(entry: LedgerEntry) -> LedgerEntry:
    """The entry with every amount zero: what a withdrawn entry becomes."""
    data = entry.model_dump(exclude={"id", "content_hash"})
    zero = Decimal(0)
    data["lines"] = [{**ln, "debit": zero, "credit": zero, "functional_debit": zero,
                      "functional_credit": zero} for ln in data["lines"]]
    data["memo"] = WITHDRAWN
    return LedgerEntry.model_validate(data)


def is_withdrawn(entry: LedgerEntry) -> bool:
    """True for an entry already zeroed by a withdrawal."""
    return entry.memo == WITHDRAWN and not any(entry.totals())


def _stored(conn: sa.Connection, ids: Sequence[str]) -> dict[str, tuple[str, date]]:
    t = entries_table
    out: dict[str, tuple[str, date]] = {}
    for start in range(0, len(ids), _CHUNK):
        for row in conn.execute(sa.select(t.c.id, t.c.content_hash, t.c.posted_on)
                                .where(t.c.id.in_(ids[start:start + _CHUNK]))):
            out[row.id] = (row.content_hash, row.posted_on)
    return out


def _documents(conn: sa.Connection, ids: Sequence[str]) -> list[LedgerEntry]:
    t = entries_table
    return [LedgerEntry.model_validate(row.data) for start in range(0, len(ids), _CHUNK)
            for row in conn.execute(sa.select(t.c.data).where(
                t.c.id.in_(ids[start:start + _CHUNK])).order_by(t.c.id))]


def revise(conn: sa.Connection, ctx: PostingContext, day: date,
           built: Sequence[LedgerEntry], stale_ids: Sequence[str],
           closed: date | None) -> Revision:
    """The writes that make the store hold ``built`` for ``day`` and nothing in ``stale_ids``.

    Runs in the write transaction, after the close lock is taken (see periods.lock_closes).
    """
    page = {e.id: e for e in built}
    stale = [i for i in stale_ids if i not in page]
    stored = _stored(conn, sorted({*page, *stale}))
    out = Revision()
    first_open = closed + timedelta(days=1) if closed is not None else None

    def apply(amended: LedgerEntry, target: LedgerEntry) -> None:
        known = stored.get(amended.id)
        if known is None or closed is None or known[1] > closed:
            out.entries.append(target)  # open day: new, replaced or unchanged
            return
        if known[0] in (amended.content_hash, target.content_hash):
            return
        original = _documents(conn, [amended.id])[0]
        earlier = read_entries(conn, channel=original.channel, corrects=original.external_id)
        assert first_open is not None
        fix = correction(original, amended, earlier, max(first_open, day), ctx)
        if fix is not None:
            out.entries.append(fix)
            out.corrections.append(fix)

    for entry in page.values():
        late = first_open is not None and entry.posted_on < first_open
        apply(entry, redate(entry, first_open) if late and first_open else entry)
    for original in _documents(conn, [i for i in stale if i in stored]):
        if original.kind == "correction" or is_withdrawn(original):
            continue
        gone = zeroed(original)
        before = len(out.entries)
        apply(gone, gone)
        out.withdrawn += len(out.entries) - before
    return out


def stale_entries(conn: sa.Connection, day: date, kinds: Sequence[str],
                  sources: Sequence[str], built_ids: set[str]) -> list[str]:
    """Entries of ``day`` of ``kinds`` with a line from one of ``sources`` not among
    ``built_ids``: what these records made before and no longer make."""
    from synchub.store.ledger_tables import ledger_lines as ll

    found: set[str] = set()
    for start in range(0, len(sources), _CHUNK):
        found.update(conn.execute(
            sa.select(ll.c.entry_id).distinct().where(
                ll.c.posted_on == day, ll.c.kind.in_(kinds),
                ll.c.source.in_(sources[start:start + _CHUNK]))).scalars())
    return sorted(found - built_ids)

