"""Turn pending webhook events into canonical records, the way a poll would store them.

Events are read oldest first, a page at a time. Each topic names a stream of the connector:
the body is mapped with that stream's mappings (envelopes unwrapped as for API pages), or,
for a topic with ``fetch``, the record is re-read from the API first. A page of events is
written with the store's page writer and the stock hooks of the connection (so a webhook
order reserves stock exactly as a polled one), in the same transaction that marks the
events processed: a crash leaves them pending, and processing them again changes nothing.

Webhooks arrive out of order and twice. An event carrying an older version of a record
than the store holds (by the source's ``updated_at``) is skipped, never written back.

A topic with ``delete`` names records deleted at the source: they are marked deleted in the
same transaction (their tombstones then reach the feeds, docs/feeds.md "Deletions"), at the
time the hub received the event. A version older than that deletion is not written back.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_plus

import jmespath
import sqlalchemy as sa

from synchub.errors import ConfigError, FatalAPIError, RecordError, SynchubError, redact
from synchub.store.delivery_tables import inbox
from synchub.store.tables import entity_table
from synchub.store.tombstones import mark_deleted

if TYPE_CHECKING:
    from synchub.canonical import CanonicalRecord
    from synchub.config.webhooks import TopicSpec
    from synchub.plan import Hub
    from synchub.runtime import ConnectionInfo, ConnectorClient
    from synchub.store import DeadLetterIn, Store

log = logging.getLogger("synchub.inbox")
_FIELD = re.compile(r"\{([A-Za-z_][\w.]*)\}")
MAX_ATTEMPTS = 5  # an event the API fails on this often is dead-lettered, not retried


@dataclass
class InboxSummary:
    """What one processing run did; shaped like a stream summary for the DAG's emitters."""

    connection: str
    stream: str = "process_inbox"
    status: str = "running"
    events: int = 0
    processed: int = 0
    ignored: int = 0
    failed: int = 0
    stored: int = 0
    unchanged: int = 0
    older: int = 0
    quarantined: int = 0
    fetched: int = 0  # records re-read from the API (topics with ``fetch``)
    deleted: int = 0  # records marked deleted (topics with ``delete``)
    changed: dict[str, int] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Outcome:
    """One event, decided: its new status, and what it adds to the page."""

    status: str  # processed | ignored
    error: str | None = None
    stream: str | None = None
    records: list[CanonicalRecord] = field(default_factory=list)
    dead: list[DeadLetterIn] = field(default_factory=list)
    deletion: _Deletion | None = None


@dataclass(frozen=True)
class _Deletion:
    """Records a delete topic names: of ``entity``, by external id or by ``match``."""

    entity: str
    keys: tuple[str, ...]
    match: str | None
    at: datetime


class _Processor:
    """The per-run state: the connection's plan, the client (made on demand), the hooks."""

    def __init__(self, hub: Hub, connection: str, client: ConnectorClient | None,
                 conn_info: ConnectionInfo | None, store: Store | None = None) -> None:
        from synchub.stock.ingest import StockIngest

        self.hub, self.connection, self.store = hub, connection, store
        self.plan = hub.connection(connection)
        spec = self.plan.connector.webhooks
        if spec is None:
            raise ConfigError(f"connector {self.plan.system!r} of connection {connection!r} "
                              "declares no webhooks", key="webhooks")
        self.topics = spec.topics
        self.client, self.conn_info = client, conn_info
        self.own_client = False
        ingest = StockIngest.from_hub(hub)  # the same hooks a polled page runs
        self.hooks = ingest.hooks_for(connection) if ingest is not None else []
        self.deletion_hooks = (ingest.deletion_hooks_for(connection) if ingest is not None
                               else [])
        self._context: dict[str, Any] | None = None
        self.fetches = 0

    def api(self) -> ConnectorClient:
        """The connector client, opened the first time an event needs the API."""
        if self.client is None:
            from synchub.runtime import ConnectionInfo, ConnectorClient

            info = self.conn_info or ConnectionInfo.from_env(self.plan.config.conn_id)
            tokens = self.store.tokens if self.store is not None else None
            self.client, self.own_client = ConnectorClient(self.plan.connector, info,
                                                           tokens=tokens), True
        return self.client

    def context(self) -> dict[str, Any]:
        # context values (e.g. the shop currency) need the API; without a client or
        # connection the mappings get none, and a record that needs one (a customer payload
        # without its own currency) stops the batch with a ConfigError naming the value
        if self._context is None:
            has_api = self.client is not None or self.conn_info is not None
            self._context = self.api().context() if has_api and self.plan.connector.context \
                else {}
        return self._context

    def close(self) -> None:
        if self.own_client and self.client is not None:
            self.client.close()

    def decide(self, row: Any) -> _Outcome:
        """Map one event (never writes)."""
        from synchub.pipeline import map_page
        from synchub.plan import StreamPlan
        from synchub.store import DeadLetterIn

        topic: TopicSpec | None = self.topics.get(row.topic)
        if topic is None:
            return _Outcome("ignored", f"topic {row.topic!r} is not routed")
        stream = self.plan.streams.get(topic.stream)
        if stream is None:
            return _Outcome("ignored", f"stream {topic.stream!r} is not enabled")
        label = f"webhook {row.topic} {row.event_id}"
        try:
            payload = json.loads(row.body)
        except ValueError:
            reason = f"{label}: body is not JSON"
            return _Outcome("processed", reason, topic.stream, dead=[DeadLetterIn(
                entity=None, record_id=None, reason=reason, field=None,
                raw={"inbox_id": row.id, "topic": row.topic})])
        if topic.body_field is not None:
            try:
                payload = _decode_field(payload, topic.body_field, topic.body_field_format)
            except RecordError as exc:
                reason = f"{label}: {exc.message}"
                return _Outcome("processed", reason, topic.stream, dead=[DeadLetterIn(
                    entity=None, record_id=None, reason=reason, field=topic.body_field,
                    raw={"inbox_id": row.id, "topic": row.topic})])
        if topic.delete is not None:
            return self.deletion(row, topic, payload, label)
        if topic.refresh is not None or topic.fetch is not None:
            try:
                payload = self.refresh(topic, payload) if topic.refresh is not None \
                    else self.fetch(topic, payload)
            except (RecordError, FatalAPIError) as exc:
                reason = f"{label}: {redact(exc)}"
                return _Outcome("processed", reason, topic.stream, dead=[DeadLetterIn(
                    entity=None, record_id=None, reason=reason, field=None, raw=payload)])
        out = _Outcome("processed", stream=topic.stream)
        for mapping in stream.mappings:
            try:
                raws = mapping.unwrap(payload)
            except RecordError as exc:
                out.dead.append(DeadLetterIn(entity=mapping.entity, record_id=None,
                                             reason=f"{label}: {exc.message}", field=None,
                                             raw={"inbox_id": row.id, "topic": row.topic}))
                continue
            records, dead, _skipped = map_page(
                raws, StreamPlan(topic.stream, False, [mapping]), self.connection,
                self.plan.system, self.context())
            out.records.extend(records)
            out.dead.extend(dead)
        if out.dead:
            out.error = "; ".join(d.reason for d in out.dead)[:1000]
        return out

    def deletion(self, row: Any, topic: TopicSpec, payload: Any, label: str) -> _Outcome:
        """The records a delete topic names (its id path may give one id or a list)."""
        from synchub.store import DeadLetterIn

        assert topic.delete is not None
        spec = topic.delete
        found = jmespath.search(spec.id, payload) if isinstance(payload, dict) else None
        values = found if isinstance(found, list) else [found]
        keys = tuple(str(v) for v in values
                     if isinstance(v, str | int) and not isinstance(v, bool) and v != "")
        if not keys or len(keys) != len(values):
            reason = f"{label}: the body has no usable {spec.id} (the deleted id)"
            return _Outcome("processed", reason, topic.stream, dead=[DeadLetterIn(
                entity=spec.entity, record_id=None, reason=reason, field=spec.id,
                raw={"inbox_id": row.id, "topic": row.topic})])
        at = _utc(row.received_at) if row.received_at is not None else datetime.now(UTC)
        return _Outcome("processed", stream=topic.stream,
                        deletion=_Deletion(spec.entity, keys, spec.match, at))

    def refresh(self, topic: TopicSpec, payload: Any) -> list[dict[str, Any]]:
        """Re-read the records the event names through its store-fed stream."""
        from synchub.pipeline.source import read_stream

        assert topic.refresh is not None
        found = jmespath.search(topic.refresh.keys, payload) if isinstance(payload, dict) \
            else None
        named = found if isinstance(found, list) else [found]
        keys = {str(k).strip() for k in named if isinstance(k, str | int)
                and not isinstance(k, bool) and str(k).strip()}
        if not keys:
            raise RecordError(f"refresh: the body names nothing at {topic.refresh.keys}",
                              field=topic.refresh.keys)
        if self.store is None:
            raise ConfigError("a refresh topic needs the store (its stream is store-fed)")
        records: list[dict[str, Any]] = []
        for page in read_stream(self.api(), topic.stream, store=self.store,
                                connection=self.connection, state=None, window_end=None,
                                full_refresh=False, only=keys):
            records.extend(page.records)
            self.fetches += 1
        return records

    def fetch(self, topic: TopicSpec, payload: Any) -> Any:
        """Re-read the record the event names (``{field}`` filled from the body)."""
        def fill(match: re.Match[str]) -> str:
            value = jmespath.search(match[1], payload) if isinstance(payload, dict) else None
            if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
                raise RecordError(f"fetch {topic.fetch}: the body has no {match[1]}",
                                  field=match[1])
            return quote(str(value), safe="")

        path = _FIELD.sub(fill, topic.fetch or "")
        client = self.api()
        _, answer = client.http.get(client.base_url + path)
        self.fetches += 1
        found = jmespath.search(topic.select, answer) if topic.select else answer
        if found is None:
            raise RecordError(f"fetch {topic.fetch}: nothing at {topic.select!r}")
        return found


def _decode_field(payload: Any, name: str, form: str) -> Any:
    """The record held as text in body field ``name`` (JSON, or URL-encoded JSON)."""
    text = payload.get(name) if isinstance(payload, dict) else None
    if not isinstance(text, str) or not text:
        raise RecordError(f"the body has no text field {name!r}", field=name)
    try:
        if form == "urlencoded_json":
            text = unquote_plus(text, encoding="utf-8", errors="strict")
        return json.loads(text)
    except ValueError:  # UnicodeDecodeError included
        raise RecordError(f"body field {name!r} is not {form.replace('_', ' ')}",
                          field=name) from None


def process_inbox(
    store: Store, hub: Hub, connection: str, *, client: ConnectorClient | None = None,
    conn_info: ConnectionInfo | None = None, limit: int = 10_000, page_size: int = 200,
) -> InboxSummary:
    """Map and store up to ``limit`` pending events of ``connection``, oldest first.

    ``client`` (or ``conn_info``, or ``AIRFLOW_CONN_<ID>``) is used only by topics that
    re-read their record and for the connector's context values. An API error that may
    pass (429, 5xx) leaves its event pending and is raised once the events before it are
    committed; Airflow's retry takes it from there.
    """
    summary = InboxSummary(connection=connection)
    started = time.monotonic()
    proc = _Processor(hub, connection, client, conn_info, store)
    last_id = 0
    try:
        while summary.events < limit:
            rows = _pending(store, connection, last_id, min(page_size, limit - summary.events))
            if not rows:
                break
            last_id = rows[-1].id
            proc.context()  # a failure here concerns the connection, not one event
            outcomes: list[tuple[Any, _Outcome]] = []
            failure: BaseException | None = None
            for row in rows:
                try:
                    outcomes.append((row, proc.decide(row)))
                except SynchubError as exc:
                    if isinstance(exc, ConfigError):
                        raise
                    if row.attempts + 1 >= MAX_ATTEMPTS:
                        # one record the API keeps failing on must not block the inbox
                        stream = proc.topics[row.topic].stream
                        outcomes.append((row, _given_up(row, stream, exc)))
                        continue
                    failure = exc
                    _note_attempt(store, row.id, redact(exc))
                    break
            _commit(store, proc, outcomes, summary)
            if failure is not None:
                summary.failed += 1
                raise failure
        summary.status = "success"
    except BaseException as exc:
        summary.status = "failed"
        summary.error = redact(exc if isinstance(exc, SynchubError) else
                               f"{exc.__class__.__name__}: {exc}")
        raise
    finally:
        summary.fetched = proc.fetches
        summary.seconds = round(time.monotonic() - started, 3)
        proc.close()
    log.info("inbox %s: %d events, %d processed, %d ignored, %d stored, %d unchanged, "
             "%d older skipped, %d deleted, %d quarantined (%.1fs)", connection, summary.events,
             summary.processed, summary.ignored, summary.stored, summary.unchanged,
             summary.older, summary.deleted, summary.quarantined, summary.seconds)
    return summary


def _pending(store: Store, connection: str, after: int, count: int) -> Sequence[Any]:
    with store.engine.connect() as conn:
        return conn.execute(
            sa.select(inbox.c.id, inbox.c.topic, inbox.c.event_id, inbox.c.body,
                      inbox.c.attempts, inbox.c.received_at)
            .where(inbox.c.connection == connection, inbox.c.status == "pending",
                   inbox.c.id > after)
            .order_by(inbox.c.id).limit(count)).all()


def _given_up(row: Any, stream: str, exc: BaseException) -> _Outcome:
    from synchub.store import DeadLetterIn

    reason = (f"webhook {row.topic} {row.event_id}: gave up after {MAX_ATTEMPTS} "
              f"attempts: {redact(exc)}")[:1000]
    return _Outcome("processed", reason, stream, dead=[DeadLetterIn(
        entity=None, record_id=None, reason=reason, field=None,
        raw={"inbox_id": row.id, "topic": row.topic})])


def _note_attempt(store: Store, inbox_id: int, error: str) -> None:
    with store.transaction() as conn:
        conn.execute(sa.update(inbox).where(inbox.c.id == inbox_id).values(
            attempts=inbox.c.attempts + 1, error=error[:1000]))


def _commit(store: Store, proc: _Processor, outcomes: list[tuple[Any, _Outcome]],
            summary: InboxSummary) -> None:
    """Write the page's records and mark its events, in one transaction."""
    from synchub.store import writer

    if not outcomes:
        return
    # the newest version of each record in the page; a later event wins a tie
    newest: dict[tuple[str, str], tuple[str, CanonicalRecord]] = {}
    dead_by_stream: dict[str, list[DeadLetterIn]] = {}
    # (entity, external id) -> the last event of the page that writes it: a deletion
    # applies to a record only when no later event of the page brings a version of it
    written_at: dict[tuple[str, str], int] = {}
    for n, (_row, out) in enumerate(outcomes):
        for rec in out.records:
            written_at[(rec.entity, rec.source.external_id)] = n
        for rec in out.records:
            key = (rec.entity, rec.id)
            seen = newest.get(key)
            if seen is None or not _older(_version(rec), _version(seen[1])):
                newest[key] = (out.stream or "", rec)
        if out.dead:
            dead_by_stream.setdefault(out.stream or "webhooks", []).extend(out.dead)
    now = datetime.now(UTC)
    with store.transaction() as conn:
        keep = _not_older(conn, [rec for _s, rec in newest.values()])
        summary.older += len(newest) - len(keep)
        by_stream: dict[str, list[CanonicalRecord]] = {}
        for stream, rec in newest.values():
            if (rec.entity, rec.id) in keep:
                by_stream.setdefault(stream, []).append(rec)
        for stream in sorted(set(by_stream) | set(dead_by_stream)):
            result = writer.write_page(
                conn, connection=proc.connection, stream=stream,
                records=by_stream.get(stream, []), dead_letters=dead_by_stream.get(stream, []),
                state=None, hooks=proc.hooks)
            summary.stored += result.stored
            summary.unchanged += result.unchanged
            summary.quarantined += result.quarantined
            for entity, ids in result.changed_ids.items():
                if ids:
                    summary.changed[entity] = summary.changed.get(entity, 0) + len(ids)
            for name, value in result.hooks.items():
                summary.stock[name] = summary.stock.get(name, 0) + value
        for n, (_row, out) in enumerate(outcomes):
            gone = out.deletion
            if gone is None:
                continue
            keys = [k for k in gone.keys if gone.match is not None
                    or written_at.get((gone.entity, k), -1) < n]
            ids = mark_deleted(conn, gone.entity, proc.connection, keys, deleted_at=gone.at,
                               now=now, match=gone.match, hooks=proc.deletion_hooks,
                               counts=summary.stock) if keys else []
            summary.deleted += len(ids)
            if ids:
                summary.changed[gone.entity] = summary.changed.get(gone.entity, 0) + len(ids)
        for status in ("processed", "ignored"):
            for error in {o.error for _r, o in outcomes if o.status == status}:
                ids = [r.id for r, o in outcomes if o.status == status and o.error == error]
                conn.execute(sa.update(inbox).where(inbox.c.id.in_(ids)).values(
                    status=status, error=error, processed_at=now,
                    attempts=inbox.c.attempts + 1))
    summary.events += len(outcomes)
    summary.processed += sum(1 for _r, o in outcomes if o.status == "processed")
    summary.ignored += sum(1 for _r, o in outcomes if o.status == "ignored")


def _version(record: CanonicalRecord) -> datetime | None:
    value = getattr(record, "updated_at", None)
    return value if isinstance(value, datetime) else None


def _older(a: datetime | None, b: datetime | None) -> bool:
    """True when version ``a`` is known to be older than ``b``."""
    return a is not None and b is not None and _utc(a) < _utc(b)


def _utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; the store writes them in UTC
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _not_older(conn: sa.Connection, records: list[CanonicalRecord]) -> set[tuple[str, str]]:
    """The (entity, id) of the records the store holds no newer version of."""
    keep = {(r.entity, r.id) for r in records}
    by_entity: dict[str, list[CanonicalRecord]] = {}
    for rec in records:
        if _version(rec) is not None:
            by_entity.setdefault(rec.entity, []).append(rec)
    for entity, recs in by_entity.items():
        table = entity_table(entity)
        if "source_updated_at" not in table.c:
            continue
        query = sa.select(table.c.id, table.c.source_updated_at, table.c.deleted_at).where(
            table.c.id.in_([r.id for r in recs]))
        if conn.dialect.name == "postgresql":
            # hold the rows until commit, so a concurrent writer cannot slip in between
            query = query.with_for_update()
        stored = {row.id: row for row in conn.execute(query)}
        for rec in recs:
            row = stored.get(rec.id)
            if row is None:
                continue
            # older than the stored version, or than the record's deletion: not written back
            if _older(_version(rec), row.source_updated_at) or \
                    (row.deleted_at is not None and not _older(row.deleted_at, _version(rec))):
                keep.discard((entity, rec.id))
    return keep
