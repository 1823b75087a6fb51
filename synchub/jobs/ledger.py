"""Ledger jobs: the tasks of the ``ledger`` DAG (build, settle, reconcile)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from synchub.delivery.engine import default_client_for
from synchub.jobs.common import checked_store, load, need_ledger, store_url
from synchub.jobs.connections import ConnectionResolver, by_connection
from synchub.ledger.build import build_ledger
from synchub.ledger.journal_files import write_journal_file
from synchub.ledger.reconcile import BAD, REPORT_TABLES, build_report
from synchub.ledger.report_files import write_report_files
from synchub.ledger.settlement import match_settlements


def ledger_build(hub_path: str | Path, first_day: date, last_day: date, *,
                 store: str | None = None) -> dict[str, Any]:
    """Build (or rebuild) the journals of the days; the days and the build's counts."""
    hub = load(hub_path, mappings=False)
    need_ledger(hub)
    with checked_store(store_url(hub, store)) as st:
        summary = build_ledger(st, hub, first_day=first_day, last_day=last_day)
    return {"first_day": first_day.isoformat(), "last_day": last_day.isoformat(),
            **summary.as_dict()}


def ledger_settle(hub_path: str | Path, *, store: str | None = None) -> dict[str, Any]:
    """Match every payout to what it settles; counts and amounts per status."""
    hub = load(hub_path, mappings=False)
    need_ledger(hub)
    with checked_store(store_url(hub, store)) as st:
        return match_settlements(st, hub).as_dict()


def ledger_reconcile(hub_path: str | Path, first_day: date, last_day: date, *,
                     resolve: ConnectionResolver,
                     store: str | None = None) -> dict[str, Any]:
    """The reconciliation report and journal file of each day: rows, files, mismatches.

    The channels' own figures are read live with their Connections (``resolve``).
    """
    hub = load(hub_path, mappings=False)
    ledger = need_ledger(hub)
    days: dict[str, Any] = {}
    with checked_store(store_url(hub, store)) as st:
        client_for = default_client_for(hub, by_connection(hub, resolve), tokens=st.tokens)
        st.refresh_statistics(*REPORT_TABLES)
        day = first_day
        while day <= last_day:
            report = build_report(st, hub, day, client_for=client_for)
            files = write_report_files(report, ledger.reports, hub.root)
            journal_file = write_journal_file(st, hub, day, hub.root)
            files += [journal_file] if journal_file else []
            days[day.isoformat()] = {**report.summary(), "files": files}
            day += timedelta(days=1)
    bad = sum(n for d in days.values() for status, n in d["statuses"].items() if status in BAD)
    return {"days": days, "mismatches": bad}
