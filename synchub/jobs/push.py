"""Delivery jobs: the tasks of ``push__<sink>`` (route, drain) and ``synchub_replay``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from synchub.delivery.engine import default_client_for, route_sink, run_push
from synchub.delivery.replay import replay
from synchub.jobs.common import checked_store, load, store_url
from synchub.jobs.connections import ConnectionResolver, by_connection


def push_route(hub_path: str | Path, sink: str) -> dict[str, dict[str, int]]:
    """Route the changes of every route of ``sink`` to deliveries; counts per route."""
    hub = load(hub_path)
    with checked_store(store_url(hub)) as store:
        return route_sink(store, hub, sink)


def push_sink(hub_path: str | Path, sink: str, *, run_id: str, resolve: ConnectionResolver,
              steps: Sequence[str] = ("route", "drain"),
              routed: dict[str, dict[str, int]] | None = None, route: str | None = None,
              budget: float | None = None, store: str | None = None) -> dict[str, Any]:
    """One push run of ``sink`` (route and/or drain); the run's summary (counts).

    ``resolve`` gives the sink's credentials and those of feed consumers' signed webhooks;
    ``budget`` (seconds) stops draining early, leaving the rest due for the next run.
    """
    hub = load(hub_path)
    with checked_store(store_url(hub, store)) as st:
        return run_push(st, hub, sink, run_id=run_id, steps=steps, routed=routed,
                        route=route, budget=budget, resolve=resolve,
                        client_for=default_client_for(hub, by_connection(hub, resolve),
                                                      tokens=st.tokens))


def replay_dead(hub_path: str | Path, *, resolve: ConnectionResolver,
                target: str | None = None, connection: str | None = None,
                since: datetime | None = None, store: str | None = None) -> dict[str, int]:
    """Replay a dead delivery or record by id, or what is dead of a connection (since)."""
    hub = load(hub_path)
    with checked_store(store_url(hub, store)) as st:
        return replay(st, hub, target=target, connection=connection, since=since,
                      conn_info=by_connection(hub, resolve)).as_dict()
