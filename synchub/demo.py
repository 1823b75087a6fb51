"""``make demo``: the sandbox, an embedded Airflow, and every connection synced through it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from synchub.demo_databases import DemoDatabase, demo_databases
from synchub.demo_ledger import ledger_conf, ledger_summary, write_settlement_files
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
        if store["system"] in WAREHOUSES:  # an ERP's warehouse: stock moves, no orders
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
    unlisted: set[str] = set()
    for summary in runs:
        for ch in (summary or {}).get("channels", []):
            _say(f"{ch['channel']:<14} {ch['listings']:>8} {ch['changed']:>8} "
                 f"{ch['pushed']:>7} {ch['write_calls']:>6} {ch['min_calls']:>8} "
                 f"{ch['conflicts']:>9} {ch['not_in_master']:>14}")
            if not ch["listings"]:
                unlisted.add(ch["channel"])
    if unlisted:
        # a channel's listings are the InventoryLevels its own streams bring in
        _say("no listings in the store for " + ", ".join(sorted(unlisted)) + ": their "
             "connections read no listings yet, so their orders reserve stock but nothing "
             "is published to them")
    if drift:
        _say("drift: " + "; ".join(f"{c} {k} {n}" for c, k, n in drift))
    _say("alerts: " + (", ".join(f"{k} {n}" for k, n in sorted(alerts.items())) or "none")
         + f"; oversold orders: {oversold}")
    _say("how a figure was computed: `.venv/bin/synchub stock explain SKU-00001-1`")


# the carrier name a courier's parcels leave the warehouse with, and the shape of the
# tracking numbers it hands out (from a checksum of the order)
COURIERS = {
    "dhl": ("DHL Express", "JD01460000{n:010d}"),
    "sf_express": ("SF Express", "SF{n:013d}"),
    "ups": ("UPS Ground", "1Z999AA1{n:010d}"),
    "fedex": ("FedEx Ground", "{n:012d}"),
}


@dataclass(frozen=True)
class Warehouse:
    """How the sandbox's ERP of a system ships an order: its control route (under
    ``/_sandbox/<system>/demo/``), the field naming the order, and whether the parcel's lines
    (with the location each is picked from) are sent."""

    route: str
    order_field: str
    lines: bool


WAREHOUSES = {
    "odoo": Warehouse("deliver", "origin", lines=True),
    "erpnext": Warehouse("ship", "po_no", lines=False),
}

def _waybills(conn: Any, hub: Any) -> dict[str, tuple[str, str]]:
    """Order record id -> (carrier connection, waybill number) for the orders a courier's
    sink gave a waybill (the number is the delivery's remote id)."""
    import sqlalchemy as sa

    from synchub.store.delivery_tables import deliveries

    couriers = [n for n in hub.file.sinks if "carrier" in hub.connections[n].config.roles]
    if not couriers:
        return {}
    rows = conn.execute(sa.select(deliveries.c.record_id, deliveries.c.sink,
                                  deliveries.c.remote_id).where(
        deliveries.c.sink.in_(couriers), deliveries.c.entity == "order",
        deliveries.c.status == "delivered", deliveries.c.remote_id.is_not(None))).all()
    return {r.record_id: (r.sink, r.remote_id) for r in rows}


def _stocked_at(conn: Any, erp: str) -> dict[str, str]:
    """SKU -> the ERP location holding most of it (where the warehouse picks it)."""
    import sqlalchemy as sa

    from synchub.store import entity_table

    levels = entity_table("inventory_level")
    best: dict[str, tuple[float, str]] = {}
    for row in conn.execute(sa.select(levels.c.data).where(levels.c.connection == erp)):
        data = row.data if isinstance(row.data, dict) else json.loads(row.data)
        sku, where = data.get("sku"), data.get("location_name")
        qty = float(data.get("available") or 0)
        if sku and where and qty > best.get(sku, (float("-inf"), ""))[0]:
            best[sku] = (qty, where)
    return {sku: where for sku, (_q, where) in best.items()}


def _default_couriers(hub: Any, waybill_couriers: set[str]) -> list[str]:
    """The hub's tracking couriers that hand out no waybills: the orders without a waybill
    leave with one of these, in turn."""
    return sorted(p.system for n, p in hub.connections.items()
                  if "carrier" in p.config.roles and p.system in COURIERS
                  and n not in waybill_couriers)


def _parcel(row: Any, courier: tuple[str, str] | None, defaults: list[str]
            ) -> tuple[str, str] | None:
    """(courier system, tracking number) of an order's parcel."""
    if courier is not None:
        return courier
    if not defaults:
        return None
    n = zlib.crc32(f"{row.connection}:{row.external_id}".encode())
    track = defaults[n % len(defaults)]
    return track, COURIERS[track][1].format(n=n)


def _ship_in_erp(ready: dict[str, Any], store: Any, hub: Any, per_shop: int = 3) -> int:
    """Ship a few orders the ERP holds (one parcel each) and let the courier deliver half.

    Stands in for the warehouse: under a real deployment the ERP's pickers do this. An order
    a courier's sink gave a waybill (SF Express for the Youzan store) ships with that courier
    and number; the others with the hub's other couriers in turn. Where the ERP takes the
    parcel's lines, each is picked where the ERP holds its SKU.
    """
    import sqlalchemy as sa

    from synchub.store import entity_table
    from synchub.store.delivery_tables import deliveries

    erp = next((n for n, p in hub.connections.items() if "erp" in p.config.roles
                and p.system in WAREHOUSES and n in hub.file.sinks), None)
    if erp is None:
        return 0
    warehouse = WAREHOUSES[hub.connections[erp].system]
    orders, shipments = entity_table("order"), entity_table("shipment")
    shipped = sa.select(shipments.c.order_external_id).where(
        shipments.c.order_connection == orders.c.connection,
        shipments.c.order_external_id == orders.c.external_id)
    base = f"{ready['base_url']}/_sandbox"
    count = 0
    with store.engine.connect() as conn:
        waybills = {rid: (hub.connections[sink].system, number)
                    for rid, (sink, number) in _waybills(conn, hub).items()}
        waybill_couriers = {sink for sink in hub.file.sinks
                            if "carrier" in hub.connections[sink].config.roles
                            and any(w.entity == "order" for w in (
                                hub.connections[sink].connector.writers[r]
                                for r in hub.file.sinks[sink]))}
        waybill_shops = {src for sink in waybill_couriers
                         for route in hub.file.sinks[sink].values()
                         for src in route.sources or []}
        defaults = _default_couriers(hub, waybill_couriers)
        stocked = _stocked_at(conn, erp)
        for shop in hub.file.sinks[erp].get("orders", {}).sources or []:
            rows = conn.execute(
                sa.select(orders.c.id, orders.c.connection, orders.c.external_id,
                          orders.c.data)
                .join(deliveries, deliveries.c.record_id == orders.c.id)
                .where(deliveries.c.sink == erp, deliveries.c.status == "delivered",
                       orders.c.connection == shop, ~sa.exists(shipped))
                .order_by(orders.c.placed_at.desc()).limit(per_shop * 20)).all()
            picked = 0
            for row in rows:
                data = row.data if isinstance(row.data, dict) else json.loads(row.data)
                lines = [{"sku": li["sku"], "quantity": li["quantity"],
                          "location": stocked.get(li["sku"], "WH/Stock")}
                         for li in data.get("lines", []) if li.get("sku")]
                # what the shop still has to send (a shipped or cancelled order is not), from
                # one location (a parcel leaves one warehouse)
                if not lines or data.get("status") != "open" or data.get(
                        "fulfillment_status") not in (None, "unfulfilled") or (
                        warehouse.lines and len({li["location"] for li in lines}) > 1):
                    continue
                courier = waybills.get(row.id)
                if courier is None and shop in waybill_shops:
                    continue        # its parcels leave with the waybill the courier gave
                parcel = _parcel(row, courier, defaults)
                if parcel is None or picked == per_shop:
                    break
                picked += 1
                track, number = parcel
                body: dict[str, Any] = {
                    warehouse.order_field: f"{row.connection}:{row.external_id}",
                    "carrier": COURIERS[track][0], "tracking_number": number}
                if warehouse.lines:
                    body["lines"] = lines
                erp_system = hub.connections[erp].system
                requests.post(f"{base}/{erp_system}/demo/{warehouse.route}", timeout=10,
                              json=body).raise_for_status()
                count += 1
                if count % 2:
                    requests.post(f"{base}/{track}/demo/track", timeout=10, json={
                        "tracking_number": number, "status": "delivered"}).raise_for_status()
    return count


def _runs_since(store: Any, since: float) -> list[dict[str, Any]]:
    """Per stream, the runs of this demo added up (a stream synced twice counts both);
    the cursor and status are the last run's."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for run in store.last_runs(since_epoch=since):
        out[(run["connection"], run["stream"])] = dict(run)
    started = datetime.fromtimestamp(since, UTC)
    for run in store.runs(limit=10_000):
        key = (run["connection"], run["stream"])
        at = run["started_at"]
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        if key in out and at >= started and run["id"] != out[key]["id"]:
            for k in ("fetched", "stored", "unchanged", "quarantined"):
                out[key][k] += run[k]
    return list(out.values())


def _push_summary(store: Any, since: float) -> None:
    """What the push runs of this demo did, per sink."""
    import sqlalchemy as sa

    from synchub.store.delivery_tables import delivery_runs

    started = datetime.fromtimestamp(since, UTC)
    with store.engine.connect() as conn:
        runs = conn.execute(sa.select(delivery_runs.c.sink, delivery_runs.c.summary).where(
            delivery_runs.c.started_at >= started).order_by(delivery_runs.c.id)).all()
    if not runs:
        return
    _say("")
    _say(f"{'push to':<16} {'routed':>7} {'delivered':>10} {'skipped':>8} {'retried':>8} "
         f"{'deferred':>9} {'dead':>5}")
    for sink, summary in runs:
        s = summary or {}
        _say(f"{sink:<16} {s.get('routed', 0):>7} {s.get('delivered', 0):>10} "
             f"{s.get('skipped', 0):>8} {s.get('retried', 0):>8} {s.get('deferred', 0):>9} "
             f"{s.get('dead', 0):>5}")
    _say("dead deliveries and quarantined records with their reasons: "
         "`.venv/bin/synchub deadletters`; re-send: `.venv/bin/synchub replay <id>`")


def _sync_order(hub: Any) -> list[str]:
    """Stock masters first (channels' orders reserve against current stock), couriers last
    (they track the parcels the others brought in)."""
    masters = set(hub.stock.masters) if hub.stock else set()

    def rank(name: str) -> tuple[int, str]:
        roles = hub.connections[name].config.roles
        return (0 if name in masters else 2 if "carrier" in roles else 1, name)

    return sorted(hub.connections, key=rank)


def run_demo(hub_path: Path, changes: int = 5) -> int:
    """Run every connection's sync DAG through Airflow against the sandbox; print a summary."""
    from synchub.plan import load_hub
    from synchub.store import Store

    hub = load_hub(hub_path)
    env = LocalEnv(hub.root, hub_file=hub_path.resolve())
    ready, started = ensure_sandbox(env)
    _say(f"sandbox: {ready['base_url']} ({'started' if started else 'already running'}; "
         "`make stop` stops it)")
    db = DemoDatabase(env.var)
    env.connections, created = demo_databases(db, hub)
    for conn_id in env.connections:
        _say(f"database: {conn_id} on {db.server} "
             f"({'created and seeded' if conn_id in created else 'already there'})")
    environ = env.airflow_env(ready)
    write_settlement_files(env, ready, hub)
    store_url = environ["SYNCHUB_STORE_URL"]
    store = Store.from_url(store_url)
    # once, before any DAG runs: the tasks only check that the store is at the head revision
    before, after = store.upgrade()
    _say(f"hub store: at revision {after}" if before == after else
         f"hub store: upgraded from revision {before or 'none (empty)'} to {after}")
    _wait_for_safety_lag(env, hub)
    _say(f"airflow: migrating the metadata database (SQLite under {env.airflow_home})")
    _airflow(env, environ, "db", "migrate", log_name="airflow-db-migrate.log")
    pools_cmd = [sys.executable, "-m", "synchub.cli", "pools", "--config", str(hub_path)]
    pools = subprocess.run(pools_cmd,  # noqa: S603
                           env=environ, capture_output=True, text=True, check=False)
    if pools.returncode == 0:
        pool_file = env.var / "pools.json"
        pool_file.write_text(pools.stdout)
        _airflow(env, environ, "pools", "import", str(pool_file), log_name="airflow-pools.log")
    t0 = time.time()

    def dags_test(dag_id: str) -> None:
        _say(f"airflow dags test {dag_id} ...")
        _airflow(env, environ, "dags", "test", dag_id, log_name=f"{dag_id}.log")

    for name in _sync_order(hub):
        dags_test(f"sync__{name}")
    # under a scheduler the Assets of changed records start these; `dags test` does not
    if hub.stock is not None:
        dags_test("stock_sync")
    sinks = list(hub.file.sinks)
    carriers = [n for n, p in hub.connections.items() if "carrier" in p.config.roles]
    erps = [n for n, p in hub.connections.items() if "erp" in p.config.roles]

    def receives(sink: str) -> str:
        """'tracking' (back to a shop), 'parcels' (to an aggregator) or 'records'."""
        writers = [hub.connections[sink].connector.writers[r] for r in hub.file.sinks[sink]]
        if any(w.entity == "shipment" and w.only_own_orders for w in writers):
            return "tracking"
        return "parcels" if any(w.entity == "shipment" for w in writers) else "records"

    consumers = hub.file.feeds.consumers if hub.file.feeds else {}
    erp_sinks = [s for s in sinks if s in erps and receives(s) == "records"]
    # a courier that receives orders gives their waybills before the warehouse ships
    waybill_sinks = [s for s in sinks if s in carriers and receives(s) == "records"]
    for sink in erp_sinks + waybill_sinks:
        dags_test(f"push__{sink}")
    # the warehouse ships some of what the ERP received; while the ERP's safety lag passes
    # (the newest minute is read on the next run), the other sinks and feeds run
    shipped = _ship_in_erp(ready, store, hub)
    shipped_at = time.time()
    for sink in sinks:
        if sink not in erp_sinks + waybill_sinks and receives(sink) == "records":
            dags_test(f"push__{sink}")
    for name, consumer in consumers.items():
        if consumer.export is not None:
            dags_test(f"feed__{name}")
    if shipped:
        lags = [hub.connections[e].connector.streams[s].incremental
                for e in erps for s in hub.connections[e].streams]
        lag = max((inc.safety_lag.total_seconds() for inc in lags if inc is not None),
                  default=0.0)
        wait = shipped_at + lag + 1 - time.time()
        _say(f"warehouse: {shipped} order(s) shipped from {', '.join(erp_sinks)} with "
             f"{' or '.join(sorted({hub.connections[c].system for c in carriers}))} "
             "(half of them delivered)"
             + (f"; waiting {wait:.0f}s for the ERP's safety lag" if wait > 0 else ""))
        if wait > 0:
            time.sleep(wait)
        for name in erps:
            dags_test(f"sync__{name}")
        for sink in sinks:          # parcels registered at the aggregator before it is read
            if receives(sink) == "parcels":
                dags_test(f"push__{sink}")
        for name in carriers:
            dags_test(f"sync__{name}")
    for sink in sinks:
        if receives(sink) == "tracking":
            dags_test(f"push__{sink}")
    if hub.ledger is not None:
        # one run over every day with money in it (a daily run covers its own day)
        conf = ledger_conf(store)
        _say(f"airflow dags test ledger -c '{conf}' ...")
        _airflow(env, environ, "dags", "test", "ledger", "-c", conf, log_name="ledger.log")
        for sink in erp_sinks:  # the journals go to the ERP
            dags_test(f"push__{sink}")
    _say("")
    _say("fetched: source records read; stored/unchanged: canonical records written/skipped "
         "(an order with refunds gives an Order and a Refund each)")
    _say(f"{'connection':<14} {'stream':<20} {'fetched':>8} {'stored':>8} {'unchanged':>10} "
         f"{'quarantined':>12}  cursor")
    for run in _runs_since(store, t0 - 1):
        _say(f"{run['connection']:<14} {run['stream']:<20} {run['fetched']:>8} "
             f"{run['stored']:>8} {run['unchanged']:>10} {run['quarantined']:>12}  "
             f"{run['cursor'] or '-'}  [{run['status']}]")
    dead = store.dead_letters()
    if hub.stock is not None:
        _stock_summary(store, t0)
    _push_summary(store, t0)
    if hub.ledger is not None:
        ledger_summary(store, hub)
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
             "run the demo again to fetch only those changes")
    return 0


if __name__ == "__main__":
    sys.exit(run_demo(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("hub.yaml")))
