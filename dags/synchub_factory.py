"""Build the hub's Airflow DAGs from ``hub.yaml``.

At parse time this reads only local YAML (the hub file and its connector files, cached by
modification time); it touches no network, database, Connection or Variable. Everything
else happens inside tasks, which hand one call to the engine and return a small summary.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Asset, TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

PROJECT_ROOT = Path(__file__).resolve().parents[1]
START_DATE = datetime(2025, 1, 1, tzinfo=UTC)
_cache: dict[str, tuple[list[tuple[Path, float]], Any]] = {}


def hub_path() -> Path:
    """``$SYNCHUB_HUB``, else the project's ``hub.yaml``."""
    return Path(os.environ.get("SYNCHUB_HUB") or PROJECT_ROOT / "hub.yaml")


def entity_asset(entity: str) -> Asset:
    """The Asset a stream updates when it changed records of ``entity``."""
    plural = (entity if entity.endswith("s") else
              f"{entity[:-1]}ies" if entity.endswith("y") else f"{entity}s")
    return Asset(f"synchub://canonical/{plural}", group="synchub")


def _load_hub(path: Path) -> tuple[Any, dict[tuple[str, str], str]]:
    """The hub (without compiled mappings) and each mapping's entity, cached by mtime.

    Mappings are compiled inside tasks; the DAG shape needs only the hub and connector files
    and the ``entity:`` line of each mapping, read again only when one of them changed.
    """
    from synchub.plan import load_hub

    hit = _cache.get(str(path))
    if hit and all(_mtime(f) == m for f, m in hit[0]):
        return hit[1]
    hub = load_hub(path, load_mappings=False)
    entities: dict[tuple[str, str], str] = {}
    files = [path]
    for plan in hub.connections.values():
        files.append(hub.root / hub.file.connectors_dir / plan.system / "connector.yaml")
        for s in plan.streams:
            for m in plan.connector.streams[s].mappings:
                files.append(hub.root / hub.file.mappings_dir / plan.system / f"{m}.yaml")
                entities[(plan.system, m)] = _entity_of(hub, plan.system, m)
    files += sorted((hub.root / hub.file.mappings_dir / "ledger").glob("*.yaml"))
    _cache[str(path)] = ([(f, _mtime(f)) for f in files], (hub, entities))
    return hub, entities


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def _window_end() -> datetime | None:
    """End of the incremental window: the data interval end for scheduled runs.

    A manual run (UI trigger, ``dags test``) syncs up to the moment it was triggered.
    """
    ctx = get_current_context()
    dag_run = ctx.get("dag_run")
    run_type = str(getattr(dag_run, "run_type", "") or "").lower()
    end = ctx.get("data_interval_end")
    if end is not None and ("scheduled" in run_type or "backfill" in run_type):
        return end
    return getattr(dag_run, "run_after", None) or end


def run_stream_task(connection: str, stream: str) -> dict[str, Any]:
    """Body of a stream task: one engine call, returns counts and cursor (never records)."""
    from airflow.sdk import Connection

    from synchub.pipeline import sync_stream
    from synchub.plan import load_hub
    from synchub.runtime import ConnectionInfo
    from synchub.store import Store

    hub = load_hub(hub_path())
    plan = hub.connection(connection)
    ac = Connection.get(plan.config.conn_id)
    info = ConnectionInfo(conn_id=ac.conn_id, conn_type=ac.conn_type, host=ac.host,
                          login=ac.login, password=ac.password, port=ac.port,
                          schema=ac.schema, extra=ac.extra_dejson or {})
    params = get_current_context().get("params") or {}
    full_refresh = True if params.get("full_refresh") else None
    store = Store.from_url(hub.store_url())
    try:
        store.migrate()
        summary = sync_stream(hub, connection, stream, store=store, conn_info=info,
                              window_end=_window_end(), full_refresh=full_refresh)
    finally:
        store.dispose()
    return summary.as_dict()


def emit_task(entity: str, summaries: list[dict[str, Any] | None]) -> dict[str, int]:
    """Emit the entity's Asset event when any stream changed it; otherwise skip (no event)."""
    changed = sum((s or {}).get("changed", {}).get(entity, 0) for s in summaries)
    if not changed:
        raise AirflowSkipException(f"no {entity} records changed")
    ctx = get_current_context()
    ctx["outlet_events"][entity_asset(entity)].extra = {
        "changed": changed,
        "streams": [s["stream"] for s in summaries if s and s.get("changed", {}).get(entity)],
    }
    return {"changed": changed}


def inbox_asset(connection: str) -> Asset:
    """The Asset the webhook endpoint updates when it stored an event of ``connection``."""
    return Asset(f"synchub://inbox/{connection}", group="synchub")


def takes_webhooks(plan: Any) -> bool:
    """Whether a connection accepts webhooks (enabled in hub.yaml, declared by its connector)."""
    settings = plan.config.webhooks
    return bool(settings is not None and settings.enabled and plan.connector.webhooks)


def poll_stream_task(connection: str, stream: str) -> dict[str, Any]:
    """A stream task of a connection with webhooks: a run started by the inbox does not poll.

    The schedule keeps polling (the net for webhooks that never arrive); a webhook burst
    only processes the inbox.
    """
    dag_run = get_current_context().get("dag_run")
    if "asset" in str(getattr(dag_run, "run_type", "") or "").lower():
        raise AirflowSkipException("started by a webhook: the inbox is processed, the "
                                   "schedule polls")
    return run_stream_task(connection, stream)


def process_inbox_task(connection: str) -> dict[str, Any]:
    """Map the connection's pending webhook events into the store; counts only."""
    from synchub.inbox import process_inbox

    def run(hub: Any, store: Any) -> dict[str, Any]:
        info = _conn_info(hub)(connection)
        return process_inbox(store, hub, connection, conn_info=info).as_dict()
    result: dict[str, Any] = _with_store(run)
    return result


def _sync_schedule(cron: str | None, connection: str, webhooks: bool) -> Any:
    """The cron, or with webhooks: the cron OR the connection's inbox Asset."""
    if not webhooks:
        return cron
    from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable

    if cron is None or cron in ("@once", "@continuous"):
        return inbox_asset(connection)
    return AssetOrTimeSchedule(timetable=CronTriggerTimetable(cron, timezone="UTC"),
                               assets=inbox_asset(connection))


def build_sync_dag(hub: Any, connection: str, entity_of: dict[tuple[str, str], str]) -> DAG:
    """``sync__<connection>``: one task per stream, one Asset emitter per entity.

    With webhooks, a ``process_inbox`` task too, and the inbox Asset starts the DAG.
    """
    plan = hub.connection(connection)
    defaults = hub.file.defaults
    cfg = plan.config
    streams = list(plan.streams)
    entities: dict[str, list[str]] = {}
    for s in streams:
        for mname in plan.connector.streams[s].mappings:
            entities.setdefault(entity_of[(plan.system, mname)], []).append(s)
    webhooks = takes_webhooks(plan)
    if webhooks:
        routed = {t.stream for t in plan.connector.webhooks.topics.values()} & set(streams)
        for s in sorted(routed):
            for mname in plan.connector.streams[s].mappings:
                found = entities.setdefault(entity_of[(plan.system, mname)], [])
                if "process_inbox" not in found:
                    found.append("process_inbox")

    @dag(
        dag_id=f"sync__{connection}",
        schedule=_sync_schedule(cfg.schedule if cfg.schedule is not None
                                else defaults.schedule, connection, webhooks),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["synchub", "sync", plan.system],
        params={"full_refresh": False},
        doc_md=(f"Pulls {', '.join(streams)} from **{connection}** ({plan.system}, Airflow "
                f"Connection `{cfg.conn_id}`) into the hub store. Each stream task commits "
                "page by page and returns counts and the cursor it reached."),
        default_args={
            "retries": cfg.retries if cfg.retries is not None else defaults.retries,
            "retry_delay": defaults.retry_delay,
            "retry_exponential_backoff": True,
            "max_retry_delay": defaults.max_retry_delay,
            "execution_timeout": defaults.execution_timeout,
            "pool": f"synchub__{connection}",
        },
    )
    def sync_dag() -> None:
        results = {}
        for s in streams:
            results[s] = task(task_id=s)(poll_stream_task if webhooks else run_stream_task)(
                connection, s)
        if webhooks:
            results["process_inbox"] = task(task_id="process_inbox")(process_inbox_task)(
                connection)
        for entity, producers in sorted(entities.items()):
            task(task_id=f"emit_{entity}", outlets=[entity_asset(entity)],
                 trigger_rule=TriggerRule.ALL_DONE, retries=0)(emit_task)(
                entity, [results[p] for p in producers])

    return sync_dag()


def _entity_of(hub: Any, system: str, mapping_name: str) -> str:
    """Read a mapping file's ``entity:`` key without compiling the mapping."""
    import yaml

    path = hub.root / hub.file.mappings_dir / system / f"{mapping_name}.yaml"
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("entity:"):
                    return str(yaml.safe_load(line)["entity"])
    except OSError:
        pass
    return "unknown"


def _conn_info(hub: Any) -> Any:
    """ConnectionInfo of a hub connection, read from its Airflow Connection (inside tasks)."""
    from airflow.sdk import Connection

    from synchub.runtime import ConnectionInfo

    def info(connection: str) -> Any:
        ac = Connection.get(hub.connection(connection).config.conn_id)
        return ConnectionInfo(conn_id=ac.conn_id, conn_type=ac.conn_type, host=ac.host,
                              login=ac.login, password=ac.password, port=ac.port,
                              schema=ac.schema, extra=ac.extra_dejson or {})
    return info


def _with_store(fn: Any) -> Any:
    from synchub.plan import load_hub
    from synchub.store import Store

    hub = load_hub(hub_path())
    store = Store.from_url(hub.store_url())
    try:
        store.migrate()
        return fn(hub, store)
    finally:
        store.dispose()


def stock_prepare_task() -> list[int]:
    """Refresh the masters' on-hand counters; return the shards to compute."""
    from synchub.stock.service import prepare

    def run(hub: Any, store: Any) -> list[int]:
        prepare(hub, store)
        return list(range(hub.stock.shards))
    result: list[int] = _with_store(run)
    return result


def stock_shard_task(shard: int) -> dict[str, Any]:
    """Compute and push one shard of SKUs on every channel; counts only."""
    from synchub.stock.service import run_shard

    ctx = get_current_context()
    run_id = str(ctx["run_id"])

    def run(hub: Any, store: Any) -> dict[str, Any]:
        return run_shard(hub, store, run_id=run_id, shard=shard, shards=hub.stock.shards,
                         conn_info=_conn_info(hub)).as_dict()
    result: dict[str, Any] = _with_store(run)
    return result


def stock_report_task(shards: list[dict[str, Any]]) -> dict[str, Any]:
    """Drift, alerts and oversells after the pushes, summarised for the run."""
    import logging

    import sqlalchemy as sa

    from synchub.stock.report import build_alerts, build_drift
    from synchub.store.stock_tables import stock_exceptions as exc

    def run(hub: Any, store: Any) -> dict[str, Any]:
        drift = build_drift(hub, store)
        alerts = build_alerts(hub, store)
        with store.engine.connect() as conn:
            oversold = [dict(r._mapping) for r in conn.execute(
                sa.select(exc.c.connection, exc.c.order_external_id, exc.c.sku, exc.c.shortfall)
                .where(exc.c.resolved_at.is_(None)).order_by(exc.c.id.desc()).limit(20))]
        return {"drift": drift, "alerts": alerts, "open_oversells": oversold}
    report: dict[str, Any] = _with_store(run)
    totals: dict[str, int] = {}
    for shard in shards:
        for ch in (shard or {}).get("channels", []):
            for key in ("listings", "changed", "pushed", "conflicts", "failed", "write_calls",
                        "min_calls"):
                totals[key] = totals.get(key, 0) + int(ch.get(key, 0))
    report["totals"] = totals
    log = logging.getLogger("synchub.stock")
    log.info("stock_sync: %s", totals)
    for row in report["open_oversells"]:
        log.warning("OVERSOLD: order %s on %s is short of %s x %s", row["order_external_id"],
                    row["connection"], row["shortfall"], row["sku"])
    for channel, kinds in report["drift"].items():
        log.info("drift on %s: %s", channel, kinds)
    log.info("alerts: %s", report["alerts"])
    return report


def build_stock_dag(hub: Any) -> DAG:
    """``stock_sync``: on inventory, order and shipment changes, and on a fallback schedule."""
    from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable

    stock = hub.stock
    assets = (entity_asset("order") | entity_asset("inventory_level")
              | entity_asset("shipment"))
    schedule: Any = assets
    if stock.schedule:
        schedule = AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(stock.schedule, timezone="UTC"), assets=assets)

    @dag(
        dag_id="stock_sync",
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["synchub", "stock"],
        doc_md=("Computes what every channel may sell from the stock masters "
                f"({', '.join(stock.masters)}) and pushes only the differences to "
                f"{', '.join(stock.channels)}. Runs when orders, inventory or shipments change "
                "and on its fallback schedule. The report task lists drift, alerts and "
                "oversold orders."),
        default_args={
            "retries": hub.file.defaults.retries,
            "retry_delay": hub.file.defaults.retry_delay,
            "retry_exponential_backoff": True,
            "max_retry_delay": hub.file.defaults.max_retry_delay,
            "execution_timeout": hub.file.defaults.execution_timeout,
        },
    )
    def stock_dag() -> None:
        shards = task(task_id="prepare")(stock_prepare_task)()
        results = task(task_id="compute_and_push")(stock_shard_task).expand(shard=shards)
        task(task_id="report", trigger_rule=TriggerRule.ALL_DONE, retries=0)(
            stock_report_task)(results)

    return stock_dag()


def build_dags() -> dict[str, DAG]:
    """Every DAG the hub file describes, by dag id."""
    hub, entity_of = _load_hub(hub_path())
    dags = {}
    for name in hub.connections:
        d = build_sync_dag(hub, name, entity_of)
        dags[d.dag_id] = d
    if hub.stock is not None:
        d = build_stock_dag(hub)
        dags[d.dag_id] = d
    from synchub_outbound import build_feed_dag, build_push_dag, build_replay_dag

    from synchub.delivery.routes import sink_names

    for sink in sink_names(hub):
        d = build_push_dag(hub, sink)
        dags[d.dag_id] = d
    d = build_replay_dag()
    dags[d.dag_id] = d
    feeds = hub.file.feeds.consumers if hub.file.feeds is not None else {}
    for consumer, cfg in feeds.items():
        if cfg.export is not None:
            d = build_feed_dag(hub, consumer)
            dags[d.dag_id] = d
    if hub.ledger is not None:
        from synchub_ledger import build_ledger_dag

        d = build_ledger_dag(hub)
        dags[d.dag_id] = d
    return dags
