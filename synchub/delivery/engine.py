"""The delivery engine: route stored changes to a sink and drain them through its writers.

Public API (everything else in :mod:`synchub.delivery` is internal):

- :func:`run_push` ``(store, hub, sink, *, run_id, client_for=None, now=None,
  route=None, budget=None, steps=("route", "drain"), routed=None) -> dict``:
  one push run of one sink (``synchub push``, the ``push__<sink>`` DAG), recorded in
  ``delivery_runs``; returns the summary below.
- :func:`route_sink` ``(store, hub, sink, *, route=None, now=None) -> dict``: routing
  only (the DAG's ``route`` task); returns ``{route: {routed, unchanged, filtered}}``.
- :func:`sink_names` / :func:`build_routes` (:mod:`synchub.delivery.routes`): which sinks
  and routes the hub has.

The summary: ``{"sink", "run_id", "status", "routed", "delivered", "skipped", "retried",
"deferred", "dead", "stopped", "routes": {route: {...same counts...}}}`` where
``skipped`` counts records not sent because the sink has them already (unchanged, or the
writer found them there) or because they are not for this sink (``when``, ownership).

``client_for(sink)`` returns the sink's :class:`~synchub.runtime.ConnectorClient` (or
None for writers without one); by default it is built from the sink's Airflow Connection
in the environment (``AIRFLOW_CONN_<CONN_ID>``). The engine closes what it was given.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.delivery.drain import DrainCounts, Drainer
from synchub.delivery.routes import Route, build_routes, sink_names
from synchub.delivery.routing import RouteCounts, route_changes
from synchub.delivery.writers import writer_class
from synchub.errors import SynchubError, redact
from synchub.store.delivery_tables import delivery_runs

if TYPE_CHECKING:
    from synchub.delivery.base import SinkWriter
    from synchub.plan import Hub
    from synchub.runtime import ConnectionInfo, ConnectorClient
    from synchub.store import Store
    from synchub.tokens import TokenCache

__all__ = ["build_routes", "default_client_for", "route_sink", "run_push", "sink_names"]

log = logging.getLogger("synchub.delivery")
ClientFor = Callable[[str], "ConnectorClient | None"]
COUNT_KEYS = ("routed", "delivered", "skipped", "retried", "deferred", "dead")


def _utc_now(now: datetime | None) -> datetime:
    # the store compares timestamps as UTC (SQLite keeps them as text without an offset)
    return (now or datetime.now(UTC)).astimezone(UTC)


def default_client_for(hub: Hub, conn_info: Callable[[str], Any] | None = None, *,
                       tokens: TokenCache | None = None) -> ClientFor:
    """A ``client_for`` that builds the sink connection's client from its Connection.

    ``conn_info(connection)`` gives its :class:`~synchub.runtime.ConnectionInfo` (inside
    Airflow: read from the Airflow Connection); default: ``AIRFLOW_CONN_<CONN_ID>``.
    ``tokens`` is the store's token cache (for ``auth.cache: store``).
    """
    from synchub.runtime import ConnectionInfo, ConnectorClient

    def client_for(sink: str) -> ConnectorClient | None:
        if sink not in hub.connections:
            return None          # a feed consumer: its writer reads its own Connection
        plan = hub.connection(sink)
        info = conn_info(sink) if conn_info is not None else \
            ConnectionInfo.from_env(plan.config.conn_id)
        return ConnectorClient(plan.connector, info, tokens=tokens)

    return client_for


def route_sink(store: Store, hub: Hub, sink: str, *, route: str | None = None,
               now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Route the changes after each route's cursor to ``deliveries``; counts per route."""
    when = _utc_now(now)
    return {r.name: route_changes(store.transaction, r, when).as_dict()
            for r in build_routes(hub, sink, only=route)}


def run_push(
    store: Store, hub: Hub, sink: str, *, run_id: str, client_for: ClientFor | None = None,
    now: datetime | None = None, route: str | None = None, budget: float | None = None,
    steps: Sequence[str] = ("route", "drain"),
    routed: dict[str, dict[str, int]] | None = None,
    resolve: Callable[[str], ConnectionInfo] | None = None,
) -> dict[str, Any]:
    """One push run of ``sink``: route, then drain; recorded in ``delivery_runs``.

    ``budget`` (seconds) stops draining after that long so that a broken sink does not
    hold the worker; what is left stays due for the next run. ``routed`` passes the counts
    of a routing step run elsewhere (the DAG's route task) into this run's summary.
    ``resolve(conn_id)`` gives writers without a client (feed consumers' signed webhooks)
    their Connection; default ``AIRFLOW_CONN_<CONN_ID>``.
    """
    when = _utc_now(now)
    routes = build_routes(hub, sink, only=route)
    started = datetime.now(UTC)
    with store.transaction() as conn:
        row_id = int(conn.execute(sa.insert(delivery_runs).values(
            sink=sink, run_id=run_id, started_at=started, status="running")
            .returning(delivery_runs.c.id)).scalar_one())
    route_counts = {r.name: RouteCounts(**(routed or {}).get(r.name, {})) for r in routes}
    drain_counts: dict[str, DrainCounts] = {r.name: DrainCounts() for r in routes}
    summary: dict[str, Any] = {}
    status, error, stopped = "failed", None, None
    try:
        if "route" in steps:
            for r in routes:
                route_counts[r.name] = route_changes(store.transaction, r, when)
        if "drain" in steps:
            drain_counts, stopped = _drain(store, hub, sink, routes, run_id=run_id,
                                           client_for=client_for, now=when, budget=budget,
                                           resolve=resolve)
        status = "partial" if stopped else "success"
    except BaseException as exc:
        error = redact(exc.message if isinstance(exc, SynchubError) else
                       f"{exc.__class__.__name__}: {exc}")
        raise
    finally:
        summary = _summary(sink, run_id, status, route_counts, drain_counts, stopped)
        if error:
            summary["error"] = error
        with store.transaction() as conn:
            conn.execute(sa.update(delivery_runs).where(delivery_runs.c.id == row_id).values(
                finished_at=datetime.now(UTC), status=status, summary=summary, error=error))
    log.info("push %s: %s", sink, {k: summary[k] for k in COUNT_KEYS})
    return summary


def _drain(store: Store, hub: Hub, sink: str, routes: list[Route], *, run_id: str,
           client_for: ClientFor | None, now: datetime, budget: float | None,
           resolve: Callable[[str], ConnectionInfo] | None = None,
           ) -> tuple[dict[str, DrainCounts], str | None]:
    clients = client_for or default_client_for(hub, tokens=store.tokens)
    client = None
    writers: dict[str, SinkWriter] = {}
    try:
        # feed consumers have no ConnectorClient; their writers read their own Connection
        client = clients(sink) if routes and routes[0].system is not None else None
        for r in routes:
            writers[r.name] = writer_class(r.writer.type)(r.writer, client, sink=sink,
                                                          run_id=run_id, resolve=resolve)
        drainer = Drainer(tx=store.transaction, read=store.engine.connect, sink=sink,
                          routes={r.name: r for r in routes}, writers=writers,
                          run_id=run_id, now=now, budget=budget)
        counts = drainer.run()
        return counts, drainer.stopped
    finally:
        for w in writers.values():
            w.close()
        if client is not None:
            client.close()


def _summary(sink: str, run_id: str, status: str, routed: dict[str, RouteCounts],
             drained: dict[str, DrainCounts], stopped: str | None) -> dict[str, Any]:
    per_route: dict[str, dict[str, int]] = {}
    for name in routed:
        rc, dc = routed[name], drained.get(name, DrainCounts())
        per_route[name] = {
            "routed": rc.routed, "delivered": dc.delivered,
            "skipped": rc.unchanged + rc.filtered + dc.skipped,
            "retried": dc.retried, "deferred": dc.deferred, "dead": dc.dead}
    out: dict[str, Any] = {"sink": sink, "run_id": run_id, "status": status}
    for key in COUNT_KEYS:
        out[key] = sum(c[key] for c in per_route.values())
    out["stopped"] = stopped
    out["routes"] = per_route
    return out
