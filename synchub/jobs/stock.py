"""Stock jobs: the tasks of ``stock_sync`` (prepare, one shard, the report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from synchub.jobs.common import checked_store, load, need_stock, store_url
from synchub.jobs.connections import ConnectionResolver, by_connection
from synchub.stock.report import build_alerts, build_drift
from synchub.stock.service import prepare, run_shard
from synchub.store.stock_tables import stock_exceptions

TOTAL_KEYS = ("listings", "changed", "pushed", "conflicts", "failed", "write_calls",
              "min_calls", "held")


def stock_prepare(hub_path: str | Path, *, store: str | None = None) -> list[int]:
    """Refresh the masters' on-hand counters; the shards to compute."""
    hub = load(hub_path)
    stock = need_stock(hub)
    with checked_store(store_url(hub, store)) as st:
        prepare(hub, st)
    return list(range(stock.shards))


def stock_shard(hub_path: str | Path, shard: int, *, run_id: str,
                resolve: ConnectionResolver, shards: int | None = None,
                store: str | None = None) -> dict[str, Any]:
    """Compute and push one shard of SKUs on every channel; counts only."""
    hub = load(hub_path)
    stock = need_stock(hub)
    with checked_store(store_url(hub, store)) as st:
        return run_shard(hub, st, run_id=run_id, shard=shard, shards=shards or stock.shards,
                         conn_info=by_connection(hub, resolve)).as_dict()


def stock_report(hub_path: str | Path, shards: list[dict[str, Any] | None], *,
                 store: str | None = None) -> dict[str, Any]:
    """Drift, alerts, open oversells after the pushes, and the shards' totals."""
    hub = load(hub_path)
    need_stock(hub)
    exc = stock_exceptions
    with checked_store(store_url(hub, store)) as st:
        drift = build_drift(hub, st)
        alerts = build_alerts(hub, st)
        with st.engine.connect() as conn:
            oversold = [dict(r._mapping) for r in conn.execute(
                sa.select(exc.c.connection, exc.c.order_external_id, exc.c.sku,
                          exc.c.shortfall)
                .where(exc.c.resolved_at.is_(None)).order_by(exc.c.id.desc()).limit(20))]
    totals: dict[str, int] = {}
    for summary in shards:
        for ch in (summary or {}).get("channels", []):
            for key in TOTAL_KEYS:
                totals[key] = totals.get(key, 0) + int(ch.get(key, 0))
    return {"drift": drift, "alerts": alerts, "open_oversells": oversold, "totals": totals}
