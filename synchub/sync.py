"""Run one stream of one connection: fetch pages, map records, store each page atomically.

This is the single code path behind the Airflow task, ``synchub run`` and the benchmark.
A page's records, its dead letters and the stream's cursor are committed in one
transaction, so a run killed at any point resumes from the last committed page with
nothing lost and nothing stored twice.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from synchub.errors import RecordError, SynchubError, redact
from synchub.mapper_pool import PageMapper, mapped_in_order, workers_wanted

if TYPE_CHECKING:
    from synchub.canonical import CanonicalRecord
    from synchub.config.hub import Hub, StreamPlan
    from synchub.runtime import ConnectionInfo, ConnectorClient
    from synchub.store import Store

log = logging.getLogger("synchub.sync")
T = TypeVar("T")


@dataclass
class StreamSummary:
    """What one stream run did; small enough for XCom and the DAG's log."""

    connection: str
    stream: str
    status: str = "running"
    fetched: int = 0
    stored: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    cursor: str | None = None
    changed: dict[str, int] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def prefetch(source: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """Iterate ``source`` in a background thread, ``depth`` items ahead.

    Fetching the next page overlaps with mapping and storing the current one. Errors in the
    source are re-raised in the consumer; closing the consumer stops the producer.
    """
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("done", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            q.put(("error", exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None and stop.is_set():
                close()

    thread = threading.Thread(target=produce, name="synchub-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        # drain so a producer blocked on put() sees the stop flag
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.1)
        thread.join(timeout=1)


def map_page(
    raw_records: list[dict[str, Any]], plan: StreamPlan, connection: str, system: str,
    context: dict[str, Any], origins: list[int] | None = None,
) -> tuple[list[CanonicalRecord], list[Any], int]:
    """Map a page of raw records; return (records, dead letters, records that mapped to nothing).

    When ``origins`` is given it receives, per canonical record, the index of its raw record.
    """
    from synchub.mapping import MappingContext
    from synchub.store import DeadLetterIn

    ctx = MappingContext(connection=connection, system=system, values=context)
    records: list[CanonicalRecord] = []
    dead: list[DeadLetterIn] = []
    skipped = 0
    for index, raw in enumerate(raw_records):
        produced = 0
        for mapping in plan.mappings:
            try:
                out = mapping.apply(raw, ctx)
            except RecordError as exc:
                rid = exc.record_id or _safe_record_id(mapping, raw)
                dead.append(DeadLetterIn(entity=mapping.entity, record_id=rid,
                                         reason=exc.message, field=exc.field, raw=raw))
                produced += 1
                continue
            records.extend(out)
            if origins is not None:
                origins.extend([index] * len(out))
            produced += len(out)
        if produced == 0:
            skipped += 1
    return records, dead, skipped


def _safe_record_id(mapping: Any, raw: Any) -> str | None:
    try:
        rid = mapping.record_id(raw)
    except Exception:  # a record too broken to name still goes to dead letters
        return None
    return None if rid is None else str(rid)


_NUL_REASON = ("contains a NUL character (\\u0000), which PostgreSQL cannot store; "
               "NULs in the kept raw record are shown as U+FFFD")


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _write(store: Store, connection: str, stream: str, page: Any, mapped: Any,
           hooks: Any = ()) -> Any:
    """Write a page; records the database refuses to hold (NUL) go to dead letters instead.

    The check costs nothing on the normal path: only a page the database rejected is searched
    for such records, which are quarantined before the page is written again.
    """
    from sqlalchemy.exc import DataError

    from synchub.store import DeadLetterIn

    records, dead = mapped.records, list(mapped.dead)
    try:
        return store.write_page(connection=connection, stream=stream, records=records,
                                dead_letters=dead, state=page.state, hooks=hooks)
    except DataError:
        bad = {i for i, r in enumerate(records) if "\\u0000" in r.document}
        if not bad:
            raise
    keep = [r for i, r in enumerate(records) if i not in bad]
    for i in sorted(bad):
        rec = records[i]
        raw = page.records[mapped.origins[i]] if i < len(mapped.origins) else {}
        dead.append(DeadLetterIn(entity=rec.entity, record_id=rec.external_id,
                                 reason=_NUL_REASON, field=None, raw=_without_nul(raw)))
    return store.write_page(connection=connection, stream=stream, records=keep,
                            dead_letters=dead, state=page.state, hooks=hooks)


def stock_hooks(hub: Hub, connection: str) -> list[Any]:
    """The stock hooks of this connection's pages (reservations, master counters)."""
    from synchub.stock.ingest import StockIngest

    ingest = StockIngest.from_hub(hub)
    return ingest.hooks_for(connection) if ingest is not None else []


def _workers_for(plan: StreamPlan) -> int:
    # a mapping compiled from memory (no file) cannot be loaded by a worker
    if not all(Path(str(m.file)).is_file() for m in plan.mappings):
        return 0
    return workers_wanted()


def sync_stream(
    hub: Hub, connection: str, stream: str, *, store: Store, conn_info: ConnectionInfo,
    window_end: datetime | None = None, full_refresh: bool | None = None,
    client: ConnectorClient | None = None, workers: int | None = None,
) -> StreamSummary:
    """Sync one stream into the store and return what it did.

    Raises the runtime's API errors after recording the failed run; cursors only ever
    reflect pages that were committed. ``workers`` processes map large streams (default:
    ``SYNCHUB_MAP_WORKERS``, see :mod:`synchub.mapper_pool`).
    """
    from synchub.couriers.inputs import read_stream
    from synchub.runtime import ConnectorClient

    plan_conn = hub.connection(connection)
    if stream not in plan_conn.streams:
        from synchub.errors import ConfigError
        known = ", ".join(sorted(plan_conn.streams))
        raise ConfigError(f"unknown or disabled stream {stream!r} for connection "
                          f"{connection!r}; enabled: {known}", file=str(hub.path),
                          key=f"connections.{connection}.streams")
    plan = plan_conn.streams[stream]
    refresh = plan.full_refresh if full_refresh is None else full_refresh
    summary = StreamSummary(connection=connection, stream=stream)
    started = time.monotonic()
    own_client = client is None
    client = client or ConnectorClient(plan_conn.connector, conn_info)
    hooks = stock_hooks(hub, connection)
    run_id = store.start_run(connection, stream)
    state = None if refresh else store.get_state(connection, stream)
    try:
        context = client.context()
        # a stream with `inputs:` is fed from the store (open parcels), others read as usual
        pages = read_stream(client, stream, store=store, connection=connection, state=state,
                            window_end=window_end, full_refresh=refresh,
                            spec=plan_conn.connector.streams[stream])
        mapper = PageMapper(plan, connection, plan_conn.system, context,
                            workers if workers is not None else _workers_for(plan))
        fetched = prefetch(iter(pages))
        try:
            for page, mapped in mapped_in_order(fetched, mapper):
                result = _write(store, connection, stream, page, mapped, hooks)
                summary.pages += 1
                summary.fetched += len(page.records)
                summary.stored += result.stored
                summary.unchanged += result.unchanged
                summary.quarantined += result.quarantined
                summary.skipped += mapped.skipped
                for key, value in result.hooks.items():
                    summary.stock[key] = summary.stock.get(key, 0) + value
                for entity, ids in result.changed_ids.items():
                    if ids:
                        summary.changed[entity] = summary.changed.get(entity, 0) + len(ids)
                if page.state and page.state.get("cursor"):
                    summary.cursor = page.state["cursor"]
                log.debug("%s.%s page %d: %d fetched, %d stored, %d unchanged, "
                          "%d quarantined", connection, stream, page.number,
                          len(page.records), result.stored, result.unchanged,
                          result.quarantined)
        finally:
            # stop the fetching thread and the workers now, not when the frames are freed
            fetched.close()
            mapper.close()
        summary.status = "success"
    except BaseException as exc:
        summary.status = "failed"
        summary.error = redact(exc if isinstance(exc, SynchubError) else
                               f"{exc.__class__.__name__}: {exc}")
        raise
    finally:
        stats = client.stats
        summary.requests = getattr(stats, "requests", 0)
        summary.retries = getattr(stats, "retries", 0)
        summary.seconds = round(time.monotonic() - started, 3)
        if summary.cursor is None:
            last = store.get_state(connection, stream)
            summary.cursor = (last or {}).get("cursor")
        store.finish_run(run_id, status=summary.status, fetched=summary.fetched,
                         stored=summary.stored, unchanged=summary.unchanged,
                         quarantined=summary.quarantined, cursor=summary.cursor,
                         error=summary.error)
        if own_client:
            client.close()
    log.info("%s.%s: %d fetched, %d stored, %d unchanged, %d quarantined, cursor %s (%.1fs)",
             connection, stream, summary.fetched, summary.stored, summary.unchanged,
             summary.quarantined, summary.cursor, summary.seconds)
    return summary


def sync_connection(
    hub: Hub, connection: str, *, store: Store, conn_info: ConnectionInfo,
    streams: list[str] | None = None, window_end: datetime | None = None,
    full_refresh: bool | None = None,
) -> list[StreamSummary]:
    """Sync several streams of one connection with one shared client (session, limiter)."""
    from synchub.runtime import ConnectorClient

    plan = hub.connection(connection)
    names = streams or list(plan.streams)
    client = ConnectorClient(plan.connector, conn_info)
    try:
        return [sync_stream(hub, connection, s, store=store, conn_info=conn_info,
                            window_end=window_end, full_refresh=full_refresh, client=client)
                for s in names]
    finally:
        client.close()
