"""Build the hub's Airflow DAGs from ``hub.yaml``.

At parse time this reads only local YAML (the hub file and its connector files, cached by
modification time); it touches no network, database, Connection or Variable. Everything
else happens inside tasks, each of which calls one job (:mod:`synchub.jobs`) with Airflow's
Connections as its resolver and returns the job's small summary.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import DAG, TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException
from synchub_airflow import (
    START_DATE,
    airflow_connection,
    entity_asset,
    hub_path,
    inbox_asset,
)
from synchub_ledger import build_ledger_dag
from synchub_outbound import build_feed_dag, build_push_dag, build_replay_dag

if TYPE_CHECKING:
    from synchub.plan import ConnectionPlan, Hub

_cache: dict[str, tuple[list[tuple[Path, float]], tuple[Hub, dict[tuple[str, str], str]]]] = {}


def _load_hub(path: Path) -> tuple[Hub, dict[tuple[str, str], str]]:
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
    """Body of a stream task: one job, returns counts and cursor (never records)."""
    from synchub.jobs.sync import run_stream

    params = get_current_context().get("params") or {}
    return run_stream(hub_path(), connection, stream, resolve=airflow_connection,
                      window_end=_window_end(),
                      full_refresh=True if params.get("full_refresh") else None)


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


def takes_webhooks(plan: ConnectionPlan) -> bool:
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
    from synchub.jobs.sync import run_inbox

    return run_inbox(hub_path(), connection, resolve=airflow_connection)


def _sync_schedule(cron: str | None, connection: str, webhooks: bool) -> Any:
    """The cron, or with webhooks: the cron OR the connection's inbox Asset."""
    if not webhooks:
        return cron
    from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable

    if cron is None or cron in ("@once", "@continuous"):
        return inbox_asset(connection)
    return AssetOrTimeSchedule(timetable=CronTriggerTimetable(cron, timezone="UTC"),
                               assets=inbox_asset(connection))


def build_sync_dag(hub: Hub, connection: str, entity_of: dict[tuple[str, str], str]) -> DAG:
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
    intake = plan.connector.webhooks
    if webhooks and intake is not None:
        routed = {t.stream for t in intake.topics.values()} & set(streams)
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
        results: dict[str, Any] = {}  # XComArgs: each task's summary at run time
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


def _entity_of(hub: Hub, system: str, mapping_name: str) -> str:
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


def stock_prepare_task() -> list[int]:
    """Refresh the masters' on-hand counters; return the shards to compute."""
    from synchub.jobs.stock import stock_prepare

    return stock_prepare(hub_path())


def stock_shard_task(shard: int) -> dict[str, Any]:
    """Compute and push one shard of SKUs on every channel; counts only."""
    from synchub.jobs.stock import stock_shard

    run_id = str(get_current_context()["run_id"])
    return stock_shard(hub_path(), shard, run_id=run_id, resolve=airflow_connection)


def stock_report_task(shards: list[dict[str, Any]]) -> dict[str, Any]:
    """Drift, alerts and oversells after the pushes, summarised for the run."""
    from synchub.jobs.stock import stock_report

    report = stock_report(hub_path(), list(shards))
    log = logging.getLogger("synchub.stock")
    log.info("stock_sync: %s", report["totals"])
    for row in report["open_oversells"]:
        log.warning("OVERSOLD: order %s on %s is short of %s x %s", row["order_external_id"],
                    row["connection"], row["shortfall"], row["sku"])
    for channel, kinds in report["drift"].items():
        log.info("drift on %s: %s", channel, kinds)
    log.info("alerts: %s", report["alerts"])
    return report


def build_stock_dag(hub: Hub) -> DAG:
    """``stock_sync``: on inventory, order and shipment changes, and on a fallback schedule."""
    from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable

    stock = hub.stock
    assert stock is not None
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
        results: Any = task(task_id="compute_and_push")(stock_shard_task).expand(shard=shards)
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
        d = build_ledger_dag(hub)
        dags[d.dag_id] = d
    return dags
