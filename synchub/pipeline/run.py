"""Run one stream of one connection: source -> map -> load, page by page, cursor last.

This is the single code path behind the Airflow task, ``synchub run``, the benchmark, and
(through :func:`synchub.pipeline.map.map_page` and the store) inbox processing and replay.
A page's records, its dead letters and the stream's cursor are committed in one
transaction, so a run killed at any point resumes from the last committed page with
nothing lost and nothing stored twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synchub.errors import ConfigError, SynchubError, redact
from synchub.pipeline.load import load_page
from synchub.pipeline.map import rejected_letters
from synchub.pipeline.mapper import PageMapper, mapped_in_order, workers_wanted
from synchub.pipeline.source import prefetch, read_stream
from synchub.runtime import ConnectorClient
from synchub.runtime.ratelimit import Pace
from synchub.stock.ingest import StockIngest

if TYPE_CHECKING:
    from synchub.plan import Hub, StreamPlan
    from synchub.runtime import ConnectionInfo
    from synchub.store import Store

log = logging.getLogger("synchub.pipeline")


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
    # how the vendor's rate limit paces this stream (see :func:`rate_limit_report`)
    rate_limit: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _duration(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def rate_limit_report(pace: Pace, pages: int, page_size: int | None) -> dict[str, Any]:
    """How long the vendor's limit makes reading ``pages`` pages take, wherever the run is.

    A run's own time depends on where the bucket stood when it started and how fast the
    API answered; this is the time the limit alone imposes on that many pages from a full
    bucket, and the pace every further page is held to once the burst is spent.
    """
    out: dict[str, Any] = {
        "operation": pace.name, "rate_per_second": pace.rate_per_second,
        "burst": pace.burst, "pages": pages,
        "seconds_per_page": round(1 / pace.rate_per_second, 3),
        "plan_seconds": round(pace.plan_seconds(pages), 3)}
    if page_size:
        out["records_per_hour"] = round(page_size * pace.rate_per_second * 3600)
    return out


def rate_limit_line(report: dict[str, Any]) -> str:
    """``the API's rate limit (searchOrders: 20 calls at once, then one every 179 s) makes
    100 pages take about 4.0 h (then at most 2,016 records an hour)``."""
    pace = Pace(report["operation"], report["rate_per_second"], report["burst"])
    line = (f"the API's rate limit ({pace.describe()}) makes {report['pages']} pages take "
            f"about {_duration(report['plan_seconds'])}")
    if "records_per_hour" in report:
        line += f" (past the burst, at most {report['records_per_hour']:,} records an hour)"
    return line


def stock_hooks(hub: Hub, connection: str) -> list[Any]:
    """The stock hooks of this connection's pages (reservations, master counters)."""
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
    ``SYNCHUB_MAP_WORKERS``, see :mod:`synchub.pipeline.mapper`).
    """
    plan_conn = hub.connection(connection)
    if stream not in plan_conn.streams:
        known = ", ".join(sorted(plan_conn.streams))
        raise ConfigError(f"unknown or disabled stream {stream!r} for connection "
                          f"{connection!r}; enabled: {known}", file=str(hub.path),
                          key=f"connections.{connection}.streams")
    plan = plan_conn.streams[stream]
    refresh = plan.full_refresh if full_refresh is None else full_refresh
    summary = StreamSummary(connection=connection, stream=stream)
    started = time.monotonic()
    own_client = client is None
    client = client or ConnectorClient(plan_conn.connector, conn_info, tokens=store.tokens)
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
                if page.rejected:  # items the runtime set aside go with the page's letters
                    mapped.dead.extend(rejected_letters(page.rejected, plan))
                result = load_page(store, connection, stream, page, mapped, hooks)
                store.heartbeat_run(run_id)
                summary.pages += 1
                summary.fetched += len(page.records) + len(page.rejected)
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
        throttled = float(getattr(stats, "throttled_seconds", 0.0))
        summary.seconds = round(time.monotonic() - started, 3)
        if summary.cursor is None:
            last = store.get_state(connection, stream)
            summary.cursor = (last or {}).get("cursor")
        store.finish_run(run_id, status=summary.status, fetched=summary.fetched,
                         stored=summary.stored, unchanged=summary.unchanged,
                         quarantined=summary.quarantined, cursor=summary.cursor,
                         error=summary.error)
        pace_of = getattr(client, "pace", None)   # a client without limiters has none
        pace = pace_of(stream) if callable(pace_of) else None
        if pace is not None:
            page_size = getattr(plan_conn.connector.streams[stream], "page_size", None)
            summary.rate_limit = rate_limit_report(pace, summary.pages, page_size)
        if own_client:
            client.close()
    log.info("%s.%s: %d fetched, %d stored, %d unchanged, %d quarantined, cursor %s (%.1fs, "
             "%.1fs of it waiting for the API's rate limits)%s", connection, stream,
             summary.fetched, summary.stored, summary.unchanged, summary.quarantined,
             summary.cursor, summary.seconds, throttled,
             f"; {rate_limit_line(summary.rate_limit)}" if summary.rate_limit else "")
    return summary


def sync_connection(
    hub: Hub, connection: str, *, store: Store, conn_info: ConnectionInfo,
    streams: list[str] | None = None, window_end: datetime | None = None,
    full_refresh: bool | None = None,
) -> list[StreamSummary]:
    """Sync several streams of one connection with one shared client (session, limiter)."""
    plan = hub.connection(connection)
    names = streams or list(plan.streams)
    client = ConnectorClient(plan.connector, conn_info, tokens=store.tokens)
    try:
        return [sync_stream(hub, connection, s, store=store, conn_info=conn_info,
                            window_end=window_end, full_refresh=full_refresh, client=client)
                for s in names]
    finally:
        client.close()
