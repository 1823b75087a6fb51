"""``make demo``: the sandbox, an embedded Airflow, and every connection synced through it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from synchub.localenv import LocalEnv, ensure_sandbox


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _airflow(env: LocalEnv, environ: dict[str, str], *args: str, log_name: str) -> None:
    log = env.var / "logs" / log_name
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as fh:
        proc = subprocess.run(["airflow", *args], env=environ, stdout=fh,  # noqa: S603,S607
                              stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        _say("\n".join(tail))
        raise SystemExit(f"airflow {' '.join(args)} failed (exit {proc.returncode}); log: {log}")


def _mutate(ready: dict[str, Any], changes: int) -> None:
    for store in ready.get("stores", []):
        body: dict[str, int] = {"orders_created": changes, "orders_updated": changes,
                                "customers_updated": max(1, changes // 2)}
        if store["system"] == "odoo":  # the warehouse: stock moves, no orders
            body = {"inventory_changed": changes}
        url = f"{ready['base_url']}/_sandbox/{store['system']}/{store['name']}/mutate"
        requests.post(url, json=body, timeout=10).raise_for_status()


def _max_safety_lag(hub: Any) -> float:
    lags = [0.0]
    for plan in hub.connections.values():
        for name in plan.streams:
            inc = plan.connector.streams[name].incremental
            if inc is not None:
                lags.append(inc.safety_lag.total_seconds())
    return max(lags)


def _wait_for_safety_lag(env: LocalEnv, hub: Any) -> None:
    """Changes made at the end of the last demo become visible once the safety lag passed.

    Connectors hold back the newest moments of every window (the safety lag) so that records
    still being written at the source are read on the next run rather than half-read now.
    """
    try:
        mutated_at = float((env.var / "demo-mutated-at").read_text())
    except (OSError, ValueError):
        return
    wait = mutated_at + _max_safety_lag(hub) + 2 - time.time()
    if wait > 0:
        _say(f"waiting {wait:.0f}s for the connectors' safety lag to cover the last changes")
        time.sleep(wait)


def _stock_summary(store: Any, since: float) -> None:
    """What the stock_sync run of this demo did, per channel."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from synchub.store.stock_tables import (
        stock_alerts,
        stock_drift,
        stock_exceptions,
        stock_runs,
    )

    started = datetime.fromtimestamp(since - 1, UTC)
    with store.engine.connect() as conn:
        runs = conn.execute(sa.select(stock_runs.c.summary).where(
            stock_runs.c.started_at >= started).order_by(stock_runs.c.id)).scalars().all()
        drift = conn.execute(sa.select(stock_drift.c.channel, stock_drift.c.kind,
                                       sa.func.count()).group_by(
            stock_drift.c.channel, stock_drift.c.kind).order_by(stock_drift.c.channel)).all()
        alerts = dict(conn.execute(sa.select(stock_alerts.c.kind, sa.func.count()).where(
            stock_alerts.c.status == "raised").group_by(stock_alerts.c.kind)).all())
        oversold = conn.execute(sa.select(sa.func.count()).select_from(stock_exceptions)
                                .where(stock_exceptions.c.resolved_at.is_(None))).scalar_one()
    _say("")
    _say(f"{'stock channel':<14} {'listings':>8} {'changed':>8} {'pushed':>7} {'calls':>6} "
         f"{'minimum':>8} {'conflicts':>9} {'not in master':>14}")
    for summary in runs:
        for ch in (summary or {}).get("channels", []):
            _say(f"{ch['channel']:<14} {ch['listings']:>8} {ch['changed']:>8} "
                 f"{ch['pushed']:>7} {ch['write_calls']:>6} {ch['min_calls']:>8} "
                 f"{ch['conflicts']:>9} {ch['not_in_master']:>14}")
    if drift:
        _say("drift: " + "; ".join(f"{c} {k} {n}" for c, k, n in drift))
    _say("alerts: " + (", ".join(f"{k} {n}" for k, n in sorted(alerts.items())) or "none")
         + f"; oversold orders: {oversold}")
    _say("how a figure was computed: `.venv/bin/synchub stock explain SKU-00001-1`")


def run_demo(hub_path: Path, changes: int = 5) -> int:
    """Run every connection's sync DAG through Airflow against the sandbox; print a summary."""
    from synchub.config.hub import load_hub
    from synchub.store import Store

    hub = load_hub(hub_path)
    env = LocalEnv(hub.root)
    ready, started = ensure_sandbox(env)
    _say(f"sandbox: {ready['base_url']} ({'started' if started else 'already running'}; "
         "`make stop` stops it)")
    environ = env.airflow_env(ready)
    store_url = environ["SYNCHUB_STORE_URL"]
    store = Store.from_url(store_url)
    store.migrate()
    _wait_for_safety_lag(env, hub)
    _say("airflow: migrating the metadata database (SQLite under var/airflow)")
    _airflow(env, environ, "db", "migrate", log_name="airflow-db-migrate.log")
    pools_cmd = [sys.executable, "-m", "synchub.cli", "pools", "--config", str(hub_path)]
    pools = subprocess.run(pools_cmd,  # noqa: S603
                           env=environ, capture_output=True, text=True, check=False)
    if pools.returncode == 0:
        pool_file = env.var / "pools.json"
        pool_file.write_text(pools.stdout)
        _airflow(env, environ, "pools", "import", str(pool_file), log_name="airflow-pools.log")
    t0 = time.time()
    # stock masters first, so the channels' orders reserve against current stock
    masters = set(hub.stock.masters) if hub.stock else set()
    for name in sorted(hub.connections, key=lambda n: (n not in masters, n)):
        dag_id = f"sync__{name}"
        _say(f"airflow dags test {dag_id} ...")
        _airflow(env, environ, "dags", "test", dag_id, log_name=f"{dag_id}.log")
    if hub.stock is not None:
        # under a scheduler the order and inventory Assets start it; `dags test` does not
        _say("airflow dags test stock_sync ...")
        _airflow(env, environ, "dags", "test", "stock_sync", log_name="stock_sync.log")
    _say("")
    _say("fetched: source records read; stored/unchanged: canonical records written/skipped "
         "(an order with refunds gives an Order and a Refund each)")
    _say(f"{'connection':<14} {'stream':<20} {'fetched':>8} {'stored':>8} {'unchanged':>10} "
         f"{'quarantined':>12}  cursor")
    for run in store.last_runs(since_epoch=t0 - 1):
        _say(f"{run['connection']:<14} {run['stream']:<20} {run['fetched']:>8} "
             f"{run['stored']:>8} {run['unchanged']:>10} {run['quarantined']:>12}  "
             f"{run['cursor'] or '-'}  [{run['status']}]")
    dead = store.dead_letters()
    if hub.stock is not None:
        _stock_summary(store, t0)
    store.dispose()
    _say("")
    _say(f"store: {store_url}")
    if dead:
        _say(f"{len(dead)} record(s) quarantined with their reasons: "
             "`.venv/bin/synchub deadletters`")
    _say("read the unified feed: `.venv/bin/synchub feed orders | head`")
    if changes > 0:
        _mutate(ready, changes)
        (env.var / "demo-mutated-at").write_text(str(time.time()))
        _say(f"the sandbox has now created {changes} and updated {changes} orders per store: "
             "run `make demo` again to fetch only those changes")
    return 0


if __name__ == "__main__":
    sys.exit(run_demo(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("hub.yaml")))
