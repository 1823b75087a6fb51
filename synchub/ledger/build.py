"""Building the ledger: the journals of a day (or a range of days) from the stored records.

Each day is built from what happened on it (UTC): orders placed or cancelled, refunds
created, balance movements processed, payouts issued. Records are read by their typed
columns in pages (keyset on the hub id), posted by :mod:`synchub.ledger.posting`, and each
page is written in one transaction with its dead letters. A day builds exactly its own
entries, so rebuilding a day changes nothing unless its records changed; a record that
cannot be posted is dead-lettered (stream ``ledger``) and resolved when it posts later.
Closed days are never rewritten (see :mod:`synchub.ledger.revise`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from synchub.canonical import BalanceTransaction, LedgerEntry, Order, Payout, Refund
from synchub.canonical.base import CanonicalRecord
from synchub.errors import ConfigError, redact
from synchub.ledger.journal_store import put_entries, resolve_dead_letters
from synchub.ledger.periods import closed_through, lock_closes
from synchub.ledger.posting import (
    PostingContext,
    post_movement,
    post_order,
    post_payout,
    post_refund,
)
from synchub.ledger.rates import PostingError, RateSource
from synchub.ledger.revise import revise, stale_entries
from synchub.store.ledger_tables import ledger_lines, ledger_runs
from synchub.store.tables import entity_table
from synchub.store.types import DeadLetterIn

log = logging.getLogger("synchub.ledger")

PAGE = 500
# the entry kinds each entity's posting makes (a day's entries of these kinds with a line
# from a record are what that record made on that day; corrections are never among them)
KINDS: dict[str, tuple[str, ...]] = {
    "order": ("sale", "commission", "cancellation"),
    "refund": ("refund",),
    "balance_transaction": ("fees", "chargeback", "reserve", "adjustment"),
    "payout": ("payout",),
}
MODELS: dict[str, type[CanonicalRecord]] = {
    "order": Order, "refund": Refund, "balance_transaction": BalanceTransaction,
    "payout": Payout,
}


@dataclass
class LedgerSummary:
    """What a build did; ``as_dict()`` is small and JSON-ready (the DAG task's result)."""

    days: int = 0
    entries_built: int = 0
    stored: int = 0
    unchanged: int = 0
    corrections: int = 0
    withdrawn: int = 0
    dead: int = 0
    resolved: int = 0
    suspense_lines: int = 0
    suspense: dict[str, Decimal] = field(default_factory=dict)
    per_kind: dict[str, int] = field(default_factory=dict)
    per_channel: dict[str, int] = field(default_factory=dict)
    run_id: int | None = None

    def add(self, entries: Sequence[LedgerEntry]) -> None:
        """Count built entries by kind and channel, and their suspense lines."""
        for entry in entries:
            self.per_kind[entry.kind] = self.per_kind.get(entry.kind, 0) + 1
            self.per_channel[entry.channel] = self.per_channel.get(entry.channel, 0) + 1
            for ln in entry.lines:
                if ln.rule.startswith("suspense:"):
                    self.suspense_lines += 1
                    self.suspense[entry.currency] = (self.suspense.get(entry.currency,
                                                                        Decimal(0))
                                                     + ln.debit + ln.credit)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "days": self.days, "entries_built": self.entries_built,
            "stored": self.stored, "unchanged": self.unchanged,
            "corrections": self.corrections, "withdrawn": self.withdrawn, "dead": self.dead,
            "resolved": self.resolved,
            "suspense": {"lines": self.suspense_lines,
                         "amounts": {c: format(a, "f") for c, a in sorted(self.suspense.items())}},
            "per_kind": dict(sorted(self.per_kind.items())),
            "per_channel": dict(sorted(self.per_channel.items())),
        }


# what a build reads day by day (SQLite's planner needs their statistics, see
# Store.refresh_statistics)
MONEY_TABLES = ("orders", "refunds", "balance_transactions", "payouts", "ledger_entries",
                "ledger_lines")


def build_ledger(store: Any, hub: Any, *, first_day: date, last_day: date,
                 rates: RateSource | None = None, now: datetime | None = None) -> LedgerSummary:
    """Build (or rebuild) the journals of ``first_day`` .. ``last_day``, one day at a time.

    ``rates`` defaults to the store's ``fx_rates`` (:class:`synchub.ledger.fx.StoreRates`).
    The run is recorded in ``ledger_runs``; an error fails it (days already built stay).
    """
    config = hub.ledger
    if config is None:
        raise ConfigError("the hub keeps no ledger: add a `ledger:` section (functional "
                          "currency, channels) or mappings/ledger/*.yaml", file=str(hub.path),
                          key="ledger")
    if last_day < first_day:
        raise ConfigError(f"last day {last_day.isoformat()} is before first day "
                          f"{first_day.isoformat()}")
    if rates is None:
        from synchub.ledger.fx import StoreRates

        rates = StoreRates(store, config.rates)
    ctx = PostingContext(config=config, rates=rates)
    store.refresh_statistics(*MONEY_TABLES)
    summary = LedgerSummary()
    summary.run_id = _start_run(store, first_day, last_day, now)
    try:
        day = first_day
        while day <= last_day:
            _DayBuild(store, hub, ctx, day, summary, now).run()
            summary.days += 1
            day += timedelta(days=1)
    except Exception as exc:
        _finish_run(store, summary, "failed", redact(f"{type(exc).__name__}: {exc}"))
        raise
    # records dead-lettered do not fail a run (as in a sync): the summary counts them
    _finish_run(store, summary, "success", None)
    return summary


def _start_run(store: Any, first: date, last: date, now: datetime | None) -> int:
    with store.transaction() as conn:
        return int(conn.execute(sa.insert(ledger_runs).values(
            first_day=first, last_day=last, started_at=(now or datetime.now(UTC)),
            status="running").returning(ledger_runs.c.id)).scalar_one())


def _finish_run(store: Any, summary: LedgerSummary, status: str, error: str | None) -> None:
    with store.transaction() as conn:
        conn.execute(sa.update(ledger_runs).where(ledger_runs.c.id == summary.run_id).values(
            finished_at=datetime.now(UTC), status=status, summary=summary.as_dict(),
            error=error))


Posted = list[tuple[CanonicalRecord, list[LedgerEntry] | PostingError]]


class _DayBuild:
    """One day: every source of the day in pages, then the records whose entries moved away."""

    def __init__(self, store: Any, hub: Any, ctx: PostingContext, day: date,
                 summary: LedgerSummary, now: datetime | None) -> None:
        self.store, self.hub, self.ctx, self.day = store, hub, ctx, day
        self.summary, self.now = summary, now
        self.start = datetime.combine(day, time(), UTC)
        self.end = self.start + timedelta(days=1)
        self.known = sorted(hub.connections)
        self.seen: dict[str, set[str]] = {e: set() for e in KINDS}

    def run(self) -> None:
        for entity, query in self._queries():
            for rows in self._pages(query, entity_table(entity).c.id):
                self._page(entity, rows)
        # records that made entries on this day before but were not selected now (a payout
        # moved to another day, an order no longer cancelled): posted again so that what
        # they no longer make is withdrawn
        for entity in KINDS:
            for ids in self._revisit(entity):
                t = entity_table(entity)
                with self.store.engine.connect() as conn:
                    rows = conn.execute(sa.select(t.c.id, t.c.data).where(
                        t.c.id.in_(ids), t.c.connection.in_(self.known))).all()
                if rows:
                    self._page(entity, rows)

    # -- selection -------------------------------------------------------------------------

    def _queries(self) -> Iterator[tuple[str, sa.Select[Any]]]:
        o, r = entity_table("order"), entity_table("refund")
        m, p = entity_table("balance_transaction"), entity_table("payout")
        start, end = self.start, self.end
        yield "order", sa.select(o.c.id, o.c.data).where(
            o.c.connection.in_(self.known), o.c.placed_at >= start, o.c.placed_at < end)
        # cancelled on the day (placed before it): cancelled_at is in the document only; a
        # cancellation updates the order, so its updated_at bounds the candidates
        cancelled = o.c.data["cancelled_at"].as_string()
        yield "order", sa.select(o.c.id, o.c.data).where(
            o.c.connection.in_(self.known), o.c.status == "cancelled", o.c.placed_at < start,
            o.c.source_updated_at >= start, cancelled >= self.day.isoformat(),
            cancelled < (self.day + timedelta(days=1)).isoformat())
        yield "refund", sa.select(r.c.id, r.c.data).where(
            r.c.connection.in_(self.known), r.c.created_at >= start, r.c.created_at < end)
        # a refund without its own time posts at its order's last update
        yield "refund", sa.select(r.c.id, r.c.data).join(o, sa.and_(
            o.c.connection == r.c.connection, o.c.external_id == r.c.order_external_id)).where(
            r.c.connection.in_(self.known), r.c.created_at.is_(None),
            o.c.source_updated_at >= start, o.c.source_updated_at < end)
        yield "balance_transaction", sa.select(m.c.id, m.c.data).where(
            m.c.connection.in_(self.known), m.c.processed_at >= start, m.c.processed_at < end)
        yield "payout", sa.select(p.c.id, p.c.data).where(
            p.c.connection.in_(self.known), p.c.issued_at >= start, p.c.issued_at < end)

    def _pages(self, query: sa.Select[Any], key: sa.ColumnElement[Any]
               ) -> Iterator[Sequence[sa.Row[Any]]]:
        """Keyset pages of ``query`` by ``key`` (the hub id): never the whole table."""
        last: Any = None
        while True:
            q = query if last is None else query.where(key > last)
            with self.store.engine.connect() as conn:
                rows = conn.execute(q.order_by(key).limit(PAGE)).all()
            if rows:
                yield rows
            if len(rows) < PAGE:
                return
            last = rows[-1][0]

    def _revisit(self, entity: str) -> Iterator[list[str]]:
        """Ids of records with entries of this day that this build has not posted."""
        ll, prefix = ledger_lines.c, f"{entity}:"
        query = sa.select(ll.source).distinct().where(
            ll.posted_on == self.day, ll.kind.in_(KINDS[entity]),
            ll.source.startswith(prefix, autoescape=True))
        for rows in self._pages(query, ll.source):
            ids = [row[0][len(prefix):] for row in rows]
            fresh = [i for i in ids if i not in self.seen[entity]]
            if fresh:
                yield fresh

    # -- posting ---------------------------------------------------------------------------

    def _post(self, entity: str, records: list[CanonicalRecord]) -> Posted:
        """Each record with its entries, or with the PostingError that stopped it."""
        orders = self._orders(records) if entity == "refund" else {}
        out: Posted = []
        for record in records:
            try:
                out.append((record, self._post_one(record, orders)))
            except PostingError as exc:
                out.append((record, exc))
        return out

    def _post_one(self, record: CanonicalRecord, orders: dict[tuple[str, str], Order]
                  ) -> list[LedgerEntry]:
        ctx = self.ctx
        if isinstance(record, Order):
            return post_order(record, ctx)
        if isinstance(record, Refund):
            return post_refund(record, orders.get((record.source.connection,
                                                   record.order_external_id)), ctx)
        # a movement or payout settles the orders of the first channel it is set up for
        channel = ctx.config.settles(record.source.connection)[0]
        if isinstance(record, BalanceTransaction):
            return post_movement(record, channel, ctx)
        assert isinstance(record, Payout)
        return post_payout(record, self._items(record), channel, ctx)

    def _orders(self, refunds: list[CanonicalRecord]) -> dict[tuple[str, str], Order]:
        """The orders of a page of refunds, by (connection, external id)."""
        o = entity_table("order")
        wanted: dict[str, set[str]] = {}
        for rec in refunds:
            assert isinstance(rec, Refund)
            wanted.setdefault(rec.source.connection, set()).add(rec.order_external_id)
        out: dict[tuple[str, str], Order] = {}
        with self.store.engine.connect() as conn:
            for connection, ids in wanted.items():
                for row in conn.execute(sa.select(o.c.data).where(
                        o.c.connection == connection, o.c.external_id.in_(sorted(ids)))):
                    order = Order.model_validate(row.data)
                    out[(connection, order.external_id)] = order
        return out

    def _items(self, payout: Payout) -> list[BalanceTransaction]:
        """The balance movements a payout settles (same connection, naming the payout)."""
        m = entity_table("balance_transaction")
        with self.store.engine.connect() as conn:
            return [BalanceTransaction.model_validate(row.data) for row in conn.execute(
                sa.select(m.c.data).where(
                    m.c.connection == payout.source.connection,
                    m.c.payout_external_id == payout.external_id).order_by(m.c.id))]

    def _page(self, entity: str, rows: Sequence[sa.Row[Any]]) -> None:
        """Post one page of records and write its entries, dead letters and resolutions."""
        records: list[CanonicalRecord] = []
        dead: list[tuple[str, DeadLetterIn]] = []
        for row in rows:
            self.seen[entity].add(row.id)
            try:
                records.append(MODELS[entity].model_validate(row.data))
            except ValidationError as exc:
                # a stored document the model no longer accepts: it cannot post until fixed
                err = exc.errors()[0]
                field_ = ".".join(str(k) for k in err["loc"])
                dead.append((row.data["source"]["connection"], DeadLetterIn(
                    entity=entity, record_id=str(row.data.get("external_id", row.id)),
                    reason=f"the stored {entity} is not valid: {field_}: {err['msg']}",
                    field=field_ or None, raw={"record": f"{entity}:{row.id}"})))
        built: dict[str, LedgerEntry] = {}
        posted: dict[str, list[str]] = {}
        sources: list[str] = []
        for record, result in self._post(entity, records):
            ext = str(getattr(record, "external_id", record.id))
            if isinstance(result, PostingError):
                dead.append((record.source.connection, DeadLetterIn(
                    entity=entity, record_id=ext, reason=result.message, field=result.field,
                    raw={"record": f"{entity}:{record.id}", "day": self.day.isoformat()})))
                continue
            posted.setdefault(record.source.connection, []).append(ext)
            sources.append(f"{entity}:{record.id}")
            built.update((e.id, e) for e in result if e.posted_on == self.day)
        entries = list(built.values())
        with self.store.transaction() as conn:
            lock_closes(conn, exclusive=False)
            closed = closed_through(conn)
            stale = stale_entries(conn, self.day, KINDS[entity], sources, set(built))
            plan = revise(conn, self.ctx, self.day, entries, stale, closed)
            written = put_entries(conn, plan.entries, dead_letters=dead)
            resolved = sum(resolve_dead_letters(conn, connection, entity, ids, self.now)
                           for connection, ids in sorted(posted.items()))
        s = self.summary
        s.entries_built += len(entries)
        s.stored += written.stored
        s.unchanged += written.unchanged
        s.corrections += len(plan.corrections)
        s.withdrawn += plan.withdrawn
        s.dead += len(dead)
        s.resolved += resolved
        s.add(entries)
        s.add(plan.corrections)
        if dead:
            log.warning("ledger %s: %d %s record(s) could not be posted, e.g. %s",
                        self.day, len(dead), entity, dead[0][1].reason)
