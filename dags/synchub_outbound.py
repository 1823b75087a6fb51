"""The outbound DAGs: ``push__<sink>``, ``synchub_replay`` and ``feed__<consumer>``.

Built by :func:`synchub_factory.build_dags`; tasks translate the Airflow context into one
call of the engine and return counts, never records.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from airflow.sdk import DAG, TriggerRule, dag, get_current_context, task
from synchub_airflow import START_DATE, airflow_connection, entity_asset, hub_path

if TYPE_CHECKING:
    from synchub.plan import Hub


def push_route_task(sink: str) -> dict[str, dict[str, int]]:
    """Route the changes of every route of ``sink`` to deliveries; counts per route."""
    from synchub.jobs.push import push_route

    return push_route(hub_path(), sink)


def push_drain_task(sink: str, routed: dict[str, dict[str, int]] | None,
                    budget: float | None = None) -> dict[str, Any]:
    """Drain the sink's due deliveries through its writers; the run's summary (counts)."""
    from synchub.jobs.push import push_sink

    run_id = str(get_current_context()["run_id"])
    return push_sink(hub_path(), sink, run_id=run_id, resolve=airflow_connection,
                     steps=("drain",), routed=routed, budget=budget)


def push_report_task(sink: str, summary: dict[str, Any] | None) -> dict[str, int]:
    """Log what the push run did; return its counts."""
    import logging

    log = logging.getLogger("synchub.delivery")
    summary = summary or {}
    counts = {k: int(summary.get(k, 0)) for k in
              ("routed", "delivered", "skipped", "retried", "deferred", "dead")}
    log.info("push__%s: %s", sink, counts)
    for route, c in (summary.get("routes") or {}).items():
        log.info("  %s: %s", route, c)
    if counts["dead"]:
        log.warning("push__%s: %d deliveries are dead; see `synchub deadletters --connection "
                    "%s`, replay with the synchub_replay DAG", sink, counts["dead"], sink)
    if summary.get("stopped"):
        log.warning("push__%s stopped early (%s); the rest is due next run", sink,
                    summary["stopped"])
    return counts


def build_push_dag(hub: Hub, sink: str) -> DAG:
    """``push__<sink>``: on changes of the entities it receives, and on the hub's schedule."""
    from airflow.sdk import AssetAny, AssetOrTimeSchedule, CronTriggerTimetable

    from synchub.delivery.routes import route_entities

    entities = route_entities(hub, sink)
    assets = AssetAny(*(entity_asset(e) for e in entities))
    consumer = (hub.file.feeds.consumers.get(sink) if hub.file.feeds is not None
                and sink not in hub.connections else None)
    cron = (consumer.schedule if consumer is not None else None) or hub.file.defaults.schedule
    schedule: Any = assets
    if cron:
        schedule = AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(cron, timezone="UTC"), assets=assets)
    defaults = hub.file.defaults
    default_args: dict[str, Any] = {
        "retries": defaults.retries, "retry_delay": defaults.retry_delay,
        "retry_exponential_backoff": True, "max_retry_delay": defaults.max_retry_delay,
        "execution_timeout": defaults.execution_timeout}
    if sink in hub.connections:
        default_args["pool"] = f"synchub__{sink}"
    # stop draining well before Airflow's timeout would kill the task mid-batch
    budget = defaults.execution_timeout.total_seconds() * 0.8

    @dag(
        dag_id=f"push__{sink}",
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["synchub", "push"],
        doc_md=(f"Delivers {', '.join(entities)} records to **{sink}**: `route` queues what "
                "changed since each route's cursor, `drain` sends what is due in dependency "
                "order with retries and backoff, `report` logs the counts. Dead deliveries "
                "are listed by `synchub deadletters` and replayed by `synchub_replay`."),
        default_args=default_args,
    )
    def push_dag() -> None:
        # XComArgs: resolved to the upstream task's return value at run time
        routed: Any = task(task_id="route")(push_route_task)(sink)
        summary: Any = task(task_id="drain")(push_drain_task)(sink, routed, budget)
        task(task_id="report", trigger_rule=TriggerRule.ALL_DONE, retries=0)(
            push_report_task)(sink, summary)

    return push_dag()


def replay_task() -> dict[str, int]:
    """Replay what the run's params name: an id, a connection, a time."""
    from datetime import datetime as dt

    from synchub.jobs.push import replay_dead

    params = get_current_context().get("params") or {}
    since_text = params.get("since") or None
    since = dt.fromisoformat(since_text) if since_text else None
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return replay_dead(hub_path(), resolve=airflow_connection,
                       target=params.get("id") or None,
                       connection=params.get("connection") or None, since=since)


def build_replay_dag() -> DAG:
    """``synchub_replay``: triggered by hand with an id, a connection and/or a time."""

    @dag(
        dag_id="synchub_replay",
        schedule=None,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["synchub", "replay"],
        params={"id": "", "connection": "", "since": ""},
        doc_md=("Replays dead deliveries (`d-<n>`) and quarantined records (`dl-<n>`): give "
                "`id`, or `connection` (a connection or sink) and/or `since` (ISO time). "
                "Only what is dead is touched; nothing delivered is sent again."),
    )
    def replay_dag() -> None:
        task(task_id="replay", retries=0)(replay_task)()

    return replay_dag()


def feed_export_task(consumer: str) -> dict[str, Any]:
    """Write the consumer's export files for what changed; return counts, never records."""
    from synchub.jobs.feeds import feed_export

    run_id = str(get_current_context()["run_id"])
    summary = feed_export(hub_path(), consumer, run_id=run_id)
    return {"records": summary["records"], "files": summary["files"],
            "per_entity": {e: s["records"] for e, s in summary["entities"].items()}}


def build_feed_dag(hub: Hub, consumer: str) -> DAG:
    """``feed__<consumer>``: export files on changes of its entities and on a schedule."""
    from airflow.sdk import AssetAny, AssetOrTimeSchedule, CronTriggerTimetable

    from synchub.canonical import ENTITIES

    assert hub.file.feeds is not None
    cfg = hub.file.feeds.consumers[consumer]
    export = cfg.export
    assert export is not None  # build_dags builds this DAG only for consumers with an export
    # the stock feeds emit no Asset: the schedule alone picks their changes up
    entities = [e for e in cfg.entities if e in ENTITIES]
    cron = cfg.schedule or hub.file.defaults.schedule
    assets = AssetAny(*(entity_asset(e) for e in entities)) if entities else None
    schedule: Any = assets
    if cron and assets is not None:
        schedule = AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(cron, timezone="UTC"), assets=assets)
    elif cron:
        schedule = CronTriggerTimetable(cron, timezone="UTC")
    defaults = hub.file.defaults

    @dag(
        dag_id=f"feed__{consumer}",
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["synchub", "feeds"],
        doc_md=(f"Exports what changed in {', '.join(cfg.entities)} for feed consumer "
                f"**{consumer}** to `{export.to}` "
                f"({', '.join(export.formats)}), one file per entity and run. "
                "The consumer's cursor advances only after its files are in place."),
        default_args={
            "retries": defaults.retries, "retry_delay": defaults.retry_delay,
            "retry_exponential_backoff": True, "max_retry_delay": defaults.max_retry_delay,
            "execution_timeout": defaults.execution_timeout},
    )
    def feed_dag() -> None:
        task(task_id="export")(feed_export_task)(consumer)

    return feed_dag()
