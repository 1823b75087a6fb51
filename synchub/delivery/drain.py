"""Drain: hand due deliveries to a sink's writers in dependency order and record outcomes.

The writer sees :class:`~synchub.delivery.base.DeliveryItem` batches and answers
:class:`~synchub.delivery.base.DeliveryResult` per item; it never sees the store. This
module never sees HTTP: what the sink said arrives as outcomes or as the error taxonomy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from synchub.delivery.base import DeliveryItem, DeliveryResult, SinkWriter
from synchub.delivery.routes import Route
from synchub.errors import FatalAPIError, RecordError, RetriableAPIError, redact
from synchub.mapping import MappingContext
from synchub.store import entity_table
from synchub.store.delivery_tables import deliveries, delivery_attempts
from synchub.store.tables import bindings
from synchub.store.writer import dialect_insert

WINDOW = 500          # due rows read at a time (keyset pages; constant memory)
Tx = Callable[[], AbstractContextManager[sa.Connection]]


@dataclass
class DrainCounts:
    """Outcomes of one route in one drain."""

    delivered: int = 0
    skipped: int = 0
    retried: int = 0
    deferred: int = 0
    dead: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "skipped": self.skipped,
                "retried": self.retried, "deferred": self.deferred, "dead": self.dead}


@dataclass
class _Decision:
    """What the engine records for one delivery after a batch."""

    row: Any
    outcome: str                      # delivered | skipped | retry | failed | deferred
    remote_id: str | None = None
    error: str | None = None
    retry_after: float | None = None
    attempted: bool = True            # False: the engine deferred it without the writer


@dataclass
class Drainer:
    """Drains one sink: ``writers`` by route name, ``now`` fixed for the run."""

    tx: Tx
    read: Callable[[], AbstractContextManager[sa.Connection]]
    sink: str
    routes: dict[str, Route]
    writers: dict[str, SinkWriter]
    run_id: str
    now: datetime
    budget: float | None = None
    counts: dict[str, DrainCounts] = field(default_factory=dict)
    stopped: str | None = None

    def run(self) -> dict[str, DrainCounts]:
        """Drain every due delivery once, unless the time budget runs out first."""
        self.counts = {name: DrainCounts() for name in self.routes}
        started = time.monotonic()
        over = False
        for route_name, rows in self._batches():
            if over:      # only said when something was left undone
                self.stopped = "budget"
                break
            self._batch(self.routes[route_name], rows)
            # checked after a batch, so that every run makes progress
            over = self.budget is not None and time.monotonic() - started >= self.budget
        return self.counts

    # -- reading ---------------------------------------------------------------------------

    def _batches(self) -> Iterator[tuple[str, list[Any]]]:
        """Due rows in (rank, change_seq, id) order, cut into per-route writer batches.

        Keyset paging: each due row is seen once per run, even one that becomes due again
        (a retry with no backoff) while the run goes on.
        """
        d = deliveries.c
        last: tuple[int, int, int] | None = None
        while True:
            query = (sa.select(deliveries)
                     .where(d.sink == self.sink, d.route.in_(list(self.routes)),
                            d.status.in_(["pending", "deferred"]), d.available_at <= self.now)
                     .order_by(d.rank, d.change_seq, d.id).limit(WINDOW))
            if last is not None:
                query = query.where(sa.tuple_(d.rank, d.change_seq, d.id) > last)
            with self.read() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return
            batch: list[Any] = []
            for row in rows:
                if batch and (row.route != batch[0].route
                              or len(batch) >= self.writers[row.route].max_batch):
                    yield batch[0].route, batch
                    batch = []
                batch.append(row)
            if batch:
                yield batch[0].route, batch
            last = (rows[-1].rank, rows[-1].change_seq, rows[-1].id)
            if len(rows) < WINDOW:
                return

    def _documents(self, entity: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        table = entity_table(entity)
        with self.read() as conn:
            return {r.id: r.data for r in conn.execute(
                sa.select(table.c.id, table.c.data).where(table.c.id.in_(ids)))}

    def _parents(self, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[bool, Any]]:
        """Per (entity, canonical id): (routed to this sink and not there yet, sink id)."""
        out: dict[tuple[str, str], tuple[bool, Any]] = {}
        if not wanted:
            return out
        d, b = deliveries.c, bindings.c
        ids = sorted({cid for _, cid in wanted})
        with self.read() as conn:
            # a parent skipped as not for this sink will never arrive: not waited for
            routed = {(r.entity, r.record_id): r.remote_id for r in conn.execute(
                sa.select(d.entity, d.record_id, d.remote_id)
                .where(d.sink == self.sink, d.record_id.in_(ids),
                       sa.or_(d.status != "skipped", d.remote_id.is_not(None))))}
            bound = {(r.entity, r.canonical_id): r.external_id for r in conn.execute(
                sa.select(b.entity, b.canonical_id, b.external_id)
                .where(b.connection == self.sink, b.canonical_id.in_(ids)))}
        for key in wanted:
            if key in routed and routed[key] is not None:
                out[key] = (False, routed[key])
            elif key in routed:
                out[key] = (True, None)       # routed here, not delivered yet: wait
            else:
                # not routed here: the sink may know it anyway (its own record); else None
                out[key] = (False, bound.get(key))
        return out

    # -- one batch -------------------------------------------------------------------------

    def _batch(self, route: Route, rows: list[Any]) -> None:
        writer = self.writers[route.name]
        docs = self._documents(route.entity, [r.record_id for r in rows])
        decided: list[_Decision] = []
        wants: dict[int, list[tuple[str, str]]] = {}
        for row in rows:
            doc = docs.get(row.record_id)
            if doc is None:
                decided.append(_Decision(row, "failed", error=(
                    f"{route.entity} {row.record_id} is no longer in the store")))
                continue
            wants[row.id] = [(e, str(i)) for e, i in writer.parents(doc)]
        parents = self._parents(sorted({k for v in wants.values() for k in v}))
        ctx = MappingContext(connection=self.sink, system=route.system or "feed")
        items: list[DeliveryItem] = []
        by_id = {r.id: r for r in rows}
        for row in rows:
            if row.id not in wants:
                continue
            doc = docs[row.record_id]
            waiting = [k for k in wants[row.id] if parents[k][0]]
            if waiting:
                names = ", ".join(f"{e} {i}" for e, i in waiting)
                decided.append(_Decision(row, "deferred", attempted=False,
                                         error=f"waiting for {names} to reach {self.sink}"))
                continue
            try:
                payload = route.export.apply(doc, ctx, create=row.remote_id is None) \
                    if route.export is not None else None
            except RecordError as exc:
                decided.append(_Decision(row, "failed", error=exc.message, attempted=False))
                continue
            items.append(DeliveryItem(
                delivery_id=row.id, route=route.name, entity=route.entity,
                record_id=row.record_id, source_connection=row.source_connection,
                document=doc, payload=payload, idempotency_key=row.idempotency_key,
                remote_id=row.remote_id, delivered_hash=row.delivered_hash,
                attempt=row.attempts + 1,
                parents={e: parents[(e, i)][1] for e, i in wants[row.id]}))
        if items:
            decided.extend(self._write(writer, items, by_id))
        self._record(route, decided)

    def _write(self, writer: SinkWriter, items: Sequence[DeliveryItem],
               rows: dict[int, Any]) -> list[_Decision]:
        try:
            results = writer.write(items)
        except RetriableAPIError as exc:
            return [_Decision(rows[i.delivery_id], "retry", error=redact(exc.message),
                              retry_after=exc.retry_after) for i in items]
        except FatalAPIError as exc:
            return [_Decision(rows[i.delivery_id], "failed", error=redact(exc.message))
                    for i in items]
        answered: dict[int, DeliveryResult] = {r.delivery_id: r for r in results}
        out = []
        for item in items:
            res = answered.get(item.delivery_id)
            if res is None:  # a writer bug must not lose the item: try it again later
                out.append(_Decision(rows[item.delivery_id], "retry",
                                     error="the writer gave no result for this item"))
                continue
            out.append(_Decision(rows[item.delivery_id], res.outcome, res.remote_id,
                                 redact(res.error) if res.error else None, res.retry_after))
        return out

    # -- recording -------------------------------------------------------------------------

    def _record(self, route: Route, decided: list[_Decision]) -> None:
        """All outcomes of one batch in one short transaction (two executemany updates)."""
        counts = self.counts[route.name]
        cfg, now = route.config, self.now
        done: list[dict[str, Any]] = []       # delivered / skipped
        other: list[dict[str, Any]] = []      # retry / deferred / failed
        attempts_rows: list[dict[str, Any]] = []
        binds: list[dict[str, Any]] = []
        for dec in decided:
            row = dec.row
            tries = row.attempts + (1 if dec.attempted and dec.outcome != "deferred" else 0)
            if dec.outcome in ("delivered", "skipped"):
                remote = dec.remote_id or row.remote_id
                done.append({"b_id": row.id, "b_hash": row.content_hash,
                             "b_remote": None if remote is None else str(remote)})
                if dec.outcome == "delivered":
                    counts.delivered += 1
                else:
                    counts.skipped += 1
                if remote is not None:
                    binds.append({"connection": self.sink, "entity": route.entity,
                                  "external_id": str(remote),
                                  "canonical_id": row.record_id, "first_seen_at": now})
            else:
                status, error, due = "dead", dec.error, None
                attempts = tries
                if dec.outcome == "retry":
                    delay = dec.retry_after if dec.retry_after is not None else min(
                        cfg.backoff.total_seconds() * 2 ** (tries - 1),
                        cfg.max_backoff.total_seconds())
                    status = "dead" if tries >= cfg.max_attempts else "pending"
                    due = now + timedelta(seconds=delay)
                    if status == "dead":
                        counts.dead += 1
                    else:
                        counts.retried += 1
                elif dec.outcome == "deferred":
                    expired = now - _aware(row.created_at, now) >= cfg.max_defer
                    status = "dead" if expired else "deferred"
                    error = f"{dec.error}; waited longer than max_defer" if expired \
                        else dec.error
                    attempts, due = row.attempts, now + cfg.backoff
                    if expired:
                        counts.dead += 1
                    else:
                        counts.deferred += 1
                else:  # failed: retrying will not help until the cause is fixed
                    counts.dead += 1
                # a remote id the sink gave though the item is not done (a later step
                # failed): the next attempt updates that record instead of creating
                other.append({"b_id": row.id, "b_status": status, "b_attempts": attempts,
                              "b_error": error, "b_due": due,
                              "b_remote": None if dec.remote_id is None
                              else str(dec.remote_id)})
            attempts_rows.append({
                "delivery_id": row.id, "attempt": row.attempts + 1, "run_id": self.run_id,
                "idempotency_key": row.idempotency_key, "outcome": dec.outcome,
                "error": dec.error, "at": now})
        d = deliveries.c
        with self.tx() as conn:
            if done:
                conn.execute(
                    sa.update(deliveries).where(d.id == sa.bindparam("b_id")).values(
                        updated_at=now, delivered_at=now, attempts=0, last_error=None,
                        delivered_hash=sa.bindparam("b_hash"),
                        remote_id=sa.func.coalesce(sa.bindparam("b_remote", type_=sa.String),
                                                   d.remote_id),
                        # a newer version routed meanwhile stays pending
                        status=sa.case((d.content_hash == sa.bindparam("b_hash"),
                                        "delivered"), else_=d.status)),
                    done)
            if other:
                conn.execute(
                    sa.update(deliveries).where(d.id == sa.bindparam("b_id")).values(
                        updated_at=now, status=sa.bindparam("b_status"),
                        attempts=sa.bindparam("b_attempts"),
                        last_error=sa.bindparam("b_error"),
                        available_at=sa.func.coalesce(
                            sa.bindparam("b_due", type_=deliveries.c.available_at.type),
                            d.available_at),
                        remote_id=sa.func.coalesce(sa.bindparam("b_remote", type_=sa.String),
                                                   d.remote_id)),
                    other)
            if attempts_rows:
                conn.execute(sa.insert(delivery_attempts), attempts_rows)
            if binds:
                conn.execute(dialect_insert(conn, bindings).on_conflict_do_nothing(
                    index_elements=[bindings.c.connection, bindings.c.entity,
                                    bindings.c.external_id]), binds)


def _aware(value: datetime, now: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC
    if value.tzinfo is None and now.tzinfo is not None:
        return value.replace(tzinfo=now.tzinfo)
    return value
