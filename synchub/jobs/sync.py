"""Sync jobs: one stream (a task of ``sync__<connection>``), a connection, the inbox."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from synchub.errors import ConfigError
from synchub.inbox import process_inbox
from synchub.jobs.common import checked_store, load, store_url
from synchub.jobs.connections import ConnectionResolver
from synchub.pipeline import sync_connection, sync_stream


def run_stream(hub_path: str | Path, connection: str, stream: str, *,
               resolve: ConnectionResolver, window_end: datetime | None = None,
               full_refresh: bool | None = None) -> dict[str, Any]:
    """Sync one stream into the store; its counts and cursor (never records)."""
    hub = load(hub_path)
    info = resolve(hub.connection(connection).config.conn_id)
    with checked_store(store_url(hub)) as store:
        summary = sync_stream(hub, connection, stream, store=store, conn_info=info,
                              window_end=window_end, full_refresh=full_refresh)
    return summary.as_dict()


def run_connection(hub_path: str | Path, connection: str, *, resolve: ConnectionResolver,
                   streams: list[str] | None = None, window_end: datetime | None = None,
                   full_refresh: bool | None = None,
                   store: str | None = None) -> list[dict[str, Any]]:
    """Sync some or all streams of a connection with one shared client; one summary each."""
    hub = load(hub_path)
    plan = hub.connection(connection)
    for s in streams or []:
        if s not in plan.streams:
            raise ConfigError(f"unknown or disabled stream {s!r} for connection "
                              f"{connection!r}; enabled: {', '.join(plan.streams)}")
    info = resolve(plan.config.conn_id)
    with checked_store(store_url(hub, store)) as st:
        summaries = sync_connection(hub, connection, store=st, conn_info=info,
                                    streams=streams or None, window_end=window_end,
                                    full_refresh=full_refresh)
    return [s.as_dict() for s in summaries]


def run_inbox(hub_path: str | Path, connection: str, *,
              resolve: ConnectionResolver) -> dict[str, Any]:
    """Map the connection's pending webhook events into the store; counts only."""
    hub = load(hub_path)
    info = resolve(hub.connection(connection).config.conn_id)
    with checked_store(store_url(hub)) as store:
        return process_inbox(store, hub, connection, conn_info=info).as_dict()
