"""``synchub run | runs``: sync a connection without Airflow, and the runs' log."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from synchub.cli.common import (
    EXIT_OK,
    STORE_HELP,
    SubParsers,
    hub_path,
    opened_store,
    out,
    store_override,
    with_config,
)


def summary_line(s: dict[str, Any]) -> str:
    """One stream run as a line: counts and the cursor reached."""
    return (f"{s['connection']:<16} {s['stream']:<20} fetched {s['fetched']:>7}  "
            f"stored {s['stored']:>7}  unchanged {s['unchanged']:>7}  "
            f"quarantined {s['quarantined']:>5}  cursor {s['cursor'] or '-'}")


def cmd_run(args: argparse.Namespace) -> int:
    """Sync one connection's streams with ``AIRFLOW_CONN_<ID>``; one line (or JSON) each."""
    from synchub.jobs.connections import env_connection
    from synchub.jobs.sync import run_connection

    # outside Airflow there is no data interval: the window ends now (less each stream's
    # safety lag, as in a manual Airflow run)
    summaries = run_connection(hub_path(args), args.connection, resolve=env_connection,
                               streams=args.stream or None, window_end=datetime.now(UTC),
                               full_refresh=True if args.full_refresh else None,
                               store=store_override(args))
    for s in summaries:
        out(json.dumps(s) if args.json else summary_line(s))
    return EXIT_OK


def run_line(run: dict[str, Any]) -> str:
    """A run of the log: its summary, its status, and why when it did not succeed."""
    line = summary_line(run) + f"  {run['status']}"
    if run["status"] in ("failed", "abandoned") and run.get("error"):
        line += f"  ({run['error']})"
    return line


def cmd_runs(args: argparse.Namespace) -> int:
    """The latest run of every stream, or the ``--history`` most recent runs."""
    with opened_store(args) as store:
        runs = store.runs(limit=args.history) if args.history else store.last_runs()
        for run in runs:
            out(run_line(run))
    return EXIT_OK


def register_run(sub: SubParsers) -> None:
    """Register ``synchub run``."""
    sp = with_config(sub.add_parser("run", help="sync one connection without Airflow"))
    sp.add_argument("connection")
    sp.add_argument("--stream", action="append", help="only this stream (repeatable)")
    sp.add_argument("--full-refresh", action="store_true", help="ignore stored cursors")
    sp.add_argument("--json", action="store_true", help="one JSON summary per stream")
    sp.set_defaults(handler=cmd_run)


def register_runs(sub: SubParsers) -> None:
    """Register ``synchub runs``."""
    sp = with_config(sub.add_parser("runs", help="the latest run of every stream"))
    sp.add_argument("--store", help=STORE_HELP)
    sp.add_argument("--history", type=int, metavar="N",
                    help="the N most recent runs instead, newest first (with abandoned ones)")
    sp.set_defaults(handler=cmd_runs)
