"""The ``ledger`` DAG: build the day's journals, match settlements, reconcile per channel.

Built by :func:`synchub_factory.build_dags` when the hub file has a ledger. Each run covers
its data interval (one UTC day) plus ``ledger.lookback_days`` before it, for records that
were synced late; a manual run may name ``first_day`` / ``last_day`` to rebuild any range,
and ``airflow backfill create --dag-id ledger`` replays days one run each. Building is
idempotent: a day rebuilt gives the same journals.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from airflow.sdk import DAG, TriggerRule, dag, get_current_context, task
from synchub_airflow import START_DATE, airflow_connection, entity_asset, hub_path

if TYPE_CHECKING:
    from synchub.plan import Hub


def ledger_days(context: dict[str, Any], lookback: int) -> tuple[str, str]:
    """(first, last) ISO days the run covers: its params, else its data interval."""
    from synchub.ledger.days import run_days

    first, last = run_days(context.get("params"), context.get("data_interval_start"),
                           context.get("data_interval_end"), lookback)
    return first.isoformat(), last.isoformat()


def ledger_build_task(lookback: int) -> dict[str, Any]:
    """Build (or rebuild) the journals of the run's days; a small summary."""
    from synchub.jobs.ledger import ledger_build

    first, last = ledger_days(dict(get_current_context()), lookback)
    return ledger_build(hub_path(), date.fromisoformat(first), date.fromisoformat(last))


def ledger_settle_task() -> dict[str, Any]:
    """Match every payout to what it settles; counts and amounts per status."""
    from synchub.jobs.ledger import ledger_settle

    return ledger_settle(hub_path())


def ledger_reconcile_task(built: dict[str, Any] | None) -> dict[str, Any]:
    """The reconciliation report and the journal file of each day built: rows, files, and
    what did not match."""
    from synchub.jobs.ledger import ledger_reconcile

    context: dict[str, Any] = dict(get_current_context())
    first, last = ledger_days(context, 0)
    if built:
        first = built.get("first_day", first)
        last = built.get("last_day", last)
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    since = (context.get("params") or {}).get("reconcile_from") or None
    if since:  # a long rebuild need not report every day again
        day = max(day, date.fromisoformat(since))
    # the channels' own figures are read live with their Airflow Connections
    return ledger_reconcile(hub_path(), day, end, resolve=airflow_connection)


def ledger_summary_task(built: dict[str, Any] | None, settled: dict[str, Any] | None,
                        reconciled: dict[str, Any] | None) -> dict[str, Any]:
    """Log one readable summary of the run; the DAG run's result in XCom."""
    import logging

    log = logging.getLogger("synchub.ledger")
    built, settled, reconciled = built or {}, settled or {}, reconciled or {}
    log.info("ledger %s..%s: %s", built.get("first_day"), built.get("last_day"),
             {k: v for k, v in built.items() if k not in ("first_day", "last_day")})
    log.info("settlement: %s", settled)
    for day, rep in (reconciled.get("days") or {}).items():
        log.info("reconciliation %s: %s", day, rep)
    if built.get("dead"):
        log.warning("%d records could not be posted; see `synchub deadletters` (stream "
                    "ledger) and fix rates or mappings, then rebuild", built["dead"])
    if reconciled.get("mismatches"):
        log.warning("%d reconciliation figures do not match; see the report files",
                    reconciled["mismatches"])
    return {"built": built, "settlement": settled,
            "mismatches": int(reconciled.get("mismatches", 0))}


def build_ledger_dag(hub: Hub) -> DAG:
    """``ledger``: daily journals, settlement matching and reconciliation."""
    from airflow.sdk import CronDataIntervalTimetable

    cfg = hub.ledger
    assert cfg is not None
    defaults = hub.file.defaults
    start = (datetime.combine(cfg.start_date, datetime.min.time(), tzinfo=UTC)
             if cfg.start_date else START_DATE)

    @dag(
        dag_id="ledger",
        schedule=CronDataIntervalTimetable(cfg.schedule, timezone="UTC"),
        start_date=start,
        catchup=False,
        max_active_runs=1,
        tags=["synchub", "ledger"],
        params={"first_day": "", "last_day": "", "reconcile_from": ""},
        doc_md=("Builds balanced journals (functional currency "
                f"{cfg.functional_currency}) from orders, refunds, balance movements and "
                "payouts of the run's day (plus "
                f"{cfg.lookback_days} days before it), matches payouts to what they settle "
                "and writes the reconciliation report per channel "
                f"(`{cfg.reports.to}/<day>.csv|html`). Trigger with `first_day`/`last_day` "
                "to rebuild a range (and `reconcile_from` to report only its last days); "
                "rebuilding is idempotent and closed days are never rewritten (changes post "
                "as corrections)."),
        default_args={
            "retries": defaults.retries, "retry_delay": defaults.retry_delay,
            "retry_exponential_backoff": True, "max_retry_delay": defaults.max_retry_delay,
            "execution_timeout": defaults.execution_timeout},
    )
    def ledger_dag() -> None:
        built: Any = task(task_id="build", outlets=[entity_asset("ledger_entry")])(
            ledger_build_task)(cfg.lookback_days)
        settled: Any = task(task_id="settle")(ledger_settle_task)()
        reconciled: Any = task(task_id="reconcile")(ledger_reconcile_task)(built)
        built >> settled >> reconciled
        task(task_id="summary", trigger_rule=TriggerRule.ALL_DONE, retries=0)(
            ledger_summary_task)(built, settled, reconciled)

    return ledger_dag()
