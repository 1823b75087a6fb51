"""The hub store: canonical records, id map, change feed, cursors, dead letters, run log."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

import synchub.store.writer as writer
from synchub.canonical import CanonicalRecord
from synchub.errors import redact
from synchub.store import tombstones
from synchub.store.engine import SQLITE_IMMEDIATE, make_engine
from synchub.store.migrate import check_current, current_revisions, head_revision, upgrade_to
from synchub.store.owner import RunOwner, is_gone, on_this_host, this_process
from synchub.store.stock_tables import STOCK_FEEDS
from synchub.store.tables import dead_letters, entity_table, sync_runs, sync_state
from synchub.store.tokens import StoreTokenCache
from synchub.store.types import (
    DeadLetterIn,
    DeletionHook,
    FeedPage,
    PageHook,
    PageResult,
    StoredRecord,
)

log = logging.getLogger("synchub.store")


def analyze(engine: sa.Engine, *tables: str) -> None:
    """``ANALYZE`` tables (PostgreSQL or SQLite); a refusal is logged, never raised.

    Statistics help the planner; they are not part of a write, so a user that may not
    analyze (one that does not own the tables) loses nothing but speed.
    """
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            for name in tables:
                quoted = conn.dialect.identifier_preparer.quote(name)
                conn.exec_driver_sql(f"ANALYZE {quoted}")
    except sa.exc.DBAPIError as exc:
        log.warning("could not analyze %s: %s", ", ".join(tables), exc.orig)


class Store:
    """Access to the hub database (SQLite or PostgreSQL) through SQLAlchemy Core."""

    run_lease = timedelta(hours=1)
    """How long a run of another host stays alive without a heartbeat."""
    heartbeat_seconds = 60.0
    """How often a running stream records its heartbeat (at most)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._beats: dict[int, float] = {}  # run id -> monotonic time of its last heartbeat
        # PostgreSQL: rows written per table since this store last analyzed it (see _analyze)
        self._written: dict[str, int] = {}
        self._analyze_at: dict[str, int] = {}
        self._tokens: StoreTokenCache | None = None

    @classmethod
    def from_url(cls, url: str, **engine_options: Any) -> Store:
        """A store on ``sqlite:///path.db`` or ``postgresql+psycopg://...``."""
        return cls(make_engine(url, **engine_options))

    def upgrade(self) -> tuple[str | None, str]:
        """Create or upgrade the schema to the newest migration (idempotent); once per deploy.

        Returns (the revision before, or None for an empty database; the revision after).
        """
        with self.engine.connect() as conn:
            before = ",".join(current_revisions(conn)) or None
        upgrade_to(self.engine)
        return before, head_revision()

    def migrate(self) -> None:
        """Alias of :meth:`upgrade`, kept while callers outside the store move to it."""
        self.upgrade()

    def check_current(self) -> None:
        """Raise ``StoreNotCurrentError`` unless the database is at this code's newest migration.

        Cheap (one query), for every task and command that uses the store; the fix it names is
        an upgrade, which runs once per deploy.
        """
        check_current(self.engine)

    @property
    def tokens(self) -> StoreTokenCache:
        """The access tokens shared by every worker (``auth.cache: store``, ADR 0020)."""
        if self._tokens is None:
            self._tokens = StoreTokenCache(self.engine)
        return self._tokens

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One write transaction: committed on success, rolled back on any error."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{SQLITE_IMMEDIATE: True})
            with conn.begin():
                yield conn

    _write = transaction

    # -- pages -----------------------------------------------------------------------------

    def write_page(
        self,
        *,
        connection: str,
        stream: str,
        records: Iterable[CanonicalRecord | StoredRecord],
        dead_letters: Sequence[DeadLetterIn] = (),
        state: dict[str, Any] | None = None,
        hooks: Sequence[PageHook] = (),
    ) -> PageResult:
        """Store a page atomically: records, their change numbers, dead letters, the new state.

        ``state=None`` leaves the stream's state as it is. If anything fails, nothing of the
        page is written and the state does not advance.
        """
        # a safety net: reasons are redacted where they are made, and once more here
        dead_letters = [replace(d, reason=redact(d.reason)) for d in dead_letters]
        with self._write() as conn:
            result = writer.write_page(conn, connection=connection, stream=stream,
                                       records=records, dead_letters=dead_letters, state=state,
                                       hooks=hooks)
        if self.engine.dialect.name == "postgresql":
            self._analyze(result)
        return result

    def _analyze(self, result: PageResult) -> None:
        """Refresh the planner's statistics of tables this store has grown a lot.

        A bulk load into a fresh table (the first sync of a large catalog) outruns
        autovacuum, or runs where it is off; without statistics the planner takes the table
        for a small one and scans it for every page, which makes the load quadratic. So the
        store analyzes a table after 10,000 written rows, then after each doubling.
        """
        for entity, ids in result.changed_ids.items():
            if not ids:
                continue
            name = entity_table(entity).name
            written = self._written.get(name, 0) + len(ids)
            self._written[name] = written
            if written >= self._analyze_at.get(name, 10_000):
                self._analyze_at[name] = written * 2
                analyze(self.engine, name)

    def refresh_statistics(self, *tables: str) -> None:
        """Let SQLite's planner know the tables' sizes before a long read of them.

        SQLite keeps no statistics until ``ANALYZE`` runs; without them it picks the
        ``(connection, external_id)`` index for a day's orders and reads every order of the
        channel, which makes the ledger's daily queries grow with the whole table. PostgreSQL
        gathers its own (autovacuum, and :meth:`_analyze` after large writes).
        """
        if self.engine.dialect.name == "sqlite":
            analyze(self.engine, *tables)

    def mark_deleted(self, entity: str, connection: str, keys: Sequence[str], *,
                     deleted_at: datetime | None = None, match: str | None = None,
                     hooks: Sequence[DeletionHook] = (), counts: dict[str, int] | None = None,
                     ) -> list[str]:
        """Record that the source deleted these records (by ``external_id``, or by the
        document field ``match``); returns the hub ids newly marked, each with a new
        change_seq so that feeds and exports serve its tombstone (synchub.store.tombstones).
        ``hooks`` run in the same transaction (see ``StockIngest.deletion_hooks_for``).
        """
        now = datetime.now(UTC)
        with self._write() as conn:
            return tombstones.mark_deleted(conn, entity, connection, keys,
                                           deleted_at=deleted_at or now, now=now, match=match,
                                           hooks=hooks, counts=counts)

    # -- stream state ----------------------------------------------------------------------

    def get_state(self, connection: str, stream: str) -> dict[str, Any] | None:
        """The saved state (cursor) of a stream, or None before its first page."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sync_state.c.state).where(
                    sync_state.c.connection == connection, sync_state.c.stream == stream)
            ).scalar_one_or_none()

    def set_state(self, connection: str, stream: str, state: dict[str, Any]) -> None:
        """Set a stream's state outside a page (e.g. an operator moving a cursor)."""
        with self._write() as conn:
            writer.upsert_state(conn, connection, stream, state, datetime.now(UTC))

    def reset_state(self, connection: str, stream: str) -> None:
        """Forget a stream's state: its next run starts from the beginning."""
        with self._write() as conn:
            conn.execute(sa.delete(sync_state).where(
                sync_state.c.connection == connection, sync_state.c.stream == stream))

    # -- reading ---------------------------------------------------------------------------

    def read_feed(self, entity: str, since: int | None = None, limit: int = 1000) -> FeedPage:
        """Canonical documents changed after cursor ``since``, oldest change first; a record
        deleted at its source comes as its tombstone (``{"op": "delete", ...}``).

        ``next_cursor`` is the cursor to pass as ``since`` next time: the last document's
        change sequence, or ``since`` itself when nothing new has arrived.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        table = STOCK_FEEDS[entity] if entity in STOCK_FEEDS else entity_table(entity)
        deletable = "deleted_at" in table.c
        cols = [table.c.change_seq, table.c.data]
        if deletable:
            cols += [table.c.id, table.c.connection, table.c.external_id, table.c.deleted_at]
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*cols)
                .where(table.c.change_seq > (since or 0))
                .order_by(table.c.change_seq)
                .limit(limit)
            ).all()
        if not rows:
            return FeedPage(records=[], next_cursor=since)
        return FeedPage(records=[tombstones.tombstone(entity, r, _doc(r.data))
                                 if deletable and r.deleted_at is not None else r.data
                                 for r in rows], next_cursor=rows[-1].change_seq)

    def count(self, entity: str, connection: str | None = None) -> int:
        """How many records of an entity the store holds (optionally from one connection)."""
        table = entity_table(entity)
        query = sa.select(sa.func.count()).select_from(table)
        if connection is not None:
            query = query.where(table.c.connection == connection)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """One canonical document by its hub id."""
        table = entity_table(entity)
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(table.c.data).where(table.c.id == record_id)).scalar_one_or_none()

    def dead_letters(
        self, connection: str | None = None, unresolved_only: bool = True,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Quarantined records with their reason, attempts and raw payload, oldest first."""
        query = sa.select(dead_letters).order_by(dead_letters.c.id).limit(limit)
        if connection is not None:
            query = query.where(dead_letters.c.connection == connection)
        if unresolved_only:
            query = query.where(dead_letters.c.resolved_at.is_(None))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # -- run log ---------------------------------------------------------------------------

    def start_run(self, connection: str, stream: str) -> int:
        """Record that a stream run started; returns its id for :meth:`finish_run`.

        Earlier runs of the stream still marked ``running`` whose owner is dead are marked
        ``abandoned`` first (see :meth:`_abandon_dead_runs`).
        """
        now = datetime.now(UTC)
        with self._write() as conn:
            run_id = int(conn.execute(
                sa.insert(sync_runs)
                .values(connection=connection, stream=stream, started_at=now,
                        status="running", owner=str(this_process()), heartbeat_at=now)
                .returning(sync_runs.c.id)
            ).scalar_one())
            self._abandon_dead_runs(conn, connection, stream, run_id, now)
        self._beats[run_id] = time.monotonic()
        return run_id

    def _abandon_dead_runs(self, conn: sa.Connection, connection: str, stream: str,
                           new_run: int, now: datetime) -> None:
        """Mark ``abandoned`` the stream's earlier ``running`` rows that have no live owner.

        Dead: on this host, the owner's process is gone; on another host (or with no owner
        recorded, from before runs had one), no heartbeat for :attr:`run_lease`.
        """
        rows = conn.execute(
            sa.select(sync_runs.c.id, sync_runs.c.owner, sync_runs.c.started_at,
                      sync_runs.c.heartbeat_at)
            .where(sync_runs.c.connection == connection, sync_runs.c.stream == stream,
                   sync_runs.c.status == "running", sync_runs.c.id < new_run)).all()
        for row in rows:
            owner = RunOwner.parse(row.owner)
            last = _utc(row.heartbeat_at or row.started_at)
            if owner is not None and is_gone(owner):
                reason = (f"its process (pid {owner.pid} on {owner.host}) is gone; "
                          f"found when run {new_run} started")
            elif (owner is None or not on_this_host(owner)) and now - last > self.run_lease:
                who = f"host {owner.host}" if owner else "its owner (not recorded)"
                reason = (f"no heartbeat from {who} since {last.isoformat()} "
                          f"(lease {self.run_lease}); found when run {new_run} started")
            else:
                continue
            log.warning("%s.%s run %d %s", connection, stream, row.id, reason)
            conn.execute(
                sa.update(sync_runs)
                .where(sync_runs.c.id == row.id, sync_runs.c.status == "running")
                .values(status="abandoned", finished_at=now, error=reason))

    def heartbeat_run(self, run_id: int) -> None:
        """Say that a run is alive (at most once per :attr:`heartbeat_seconds`, cheap to call).

        A run of another host is taken for dead when its heartbeat is older than the lease.
        """
        now = time.monotonic()
        if now - self._beats.get(run_id, 0.0) < self.heartbeat_seconds:
            return
        self._beats[run_id] = now
        with self._write() as conn:
            conn.execute(sa.update(sync_runs)
                         .where(sync_runs.c.id == run_id, sync_runs.c.status == "running")
                         .values(heartbeat_at=datetime.now(UTC)))

    def finish_run(
        self,
        run_id: int,
        status: str,
        fetched: int = 0,
        stored: int = 0,
        unchanged: int = 0,
        quarantined: int = 0,
        cursor: Any = None,
        error: str | None = None,
    ) -> None:
        """Record how a stream run ended: status, counts, the cursor reached, any error."""
        if cursor is not None and not isinstance(cursor, str):
            cursor = json.dumps(cursor, default=str)
        self._beats.pop(run_id, None)
        with self._write() as conn:
            conn.execute(
                sa.update(sync_runs).where(sync_runs.c.id == run_id).values(
                    finished_at=datetime.now(UTC), status=status, fetched=fetched,
                    stored=stored, unchanged=unchanged, quarantined=quarantined,
                    cursor=cursor, error=redact(error) if error is not None else None)
            )

    def runs(self, connection: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The most recent stream runs, newest first."""
        query = sa.select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)
        if connection is not None:
            query = query.where(sync_runs.c.connection == connection)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def last_runs(self, since_epoch: float | None = None) -> list[dict[str, Any]]:
        """The latest run of every (connection, stream), oldest stream first.

        With ``since_epoch``, only runs started at or after that time (seconds since epoch).
        """
        latest = (sa.select(sa.func.max(sync_runs.c.id).label("id"))
                  .group_by(sync_runs.c.connection, sync_runs.c.stream).subquery())
        query = (sa.select(sync_runs).join(latest, latest.c.id == sync_runs.c.id)
                 .order_by(sync_runs.c.connection, sync_runs.c.id))
        if since_epoch is not None:
            query = query.where(
                sync_runs.c.started_at >= datetime.fromtimestamp(since_epoch, UTC))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]


def _utc(moment: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite gives them back naive)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _doc(data: Any) -> dict[str, Any]:
    # SQLite hands JSON back parsed already; guard against a driver returning text
    if isinstance(data, str):
        parsed: dict[str, Any] = json.loads(data)
        return parsed
    return dict(data)
