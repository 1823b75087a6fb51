"""``synchub ledger settle | unmatched | report``: settlement matching and reconciliation."""

from __future__ import annotations

import argparse
import json
from typing import Any

from synchub.cli.common import (
    SubParsers,
    day_arg,
    hub_and_store,
    hub_path,
    out,
    store_override,
    with_store,
)
from synchub.errors import ConfigError


def cmd_settle(args: argparse.Namespace) -> int:
    """Match every payout to what it settles; print the counts per channel and status."""
    from synchub.jobs.ledger import ledger_settle

    summary = ledger_settle(hub_path(args), store=store_override(args))
    if args.json:
        out(json.dumps(summary))
        return 0
    out(f"{summary['items']} item(s): {summary['unmatched']} unmatched, "
        f"{summary['unsettled']} unsettled, {summary['pending']} pending")
    for channel, statuses in summary["channels"].items():
        for status, per in statuses.items():
            for currency, t in per.items():
                out(f"  {channel:<16} {status:<16} {t['count']:>6}  {t['amount']:>14} "
                    f"{currency}")
    return 0


UNMATCHED_COLUMNS = ("channel", "status", "kind", "record_external_id", "payout_external_id",
                     "currency", "expected_amount", "settled_amount", "difference", "age_days",
                     "detail")


def cmd_unmatched(args: argparse.Namespace) -> int:
    """Items that need attention (unmatched, unsettled), with amounts and age."""
    from synchub.ledger.settlement import unmatched

    with hub_and_store(args, mappings=False, ledger=True) as (_, store):
        items = unmatched(store, channel=args.channel, status=args.status, limit=args.limit)
    if not items:
        out("nothing unmatched (run `synchub ledger settle` first to match again)")
        return 0
    out("\t".join(UNMATCHED_COLUMNS))
    for item in items:
        out("\t".join("" if item.get(c) is None else str(item[c]) for c in UNMATCHED_COLUMNS))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Build the day's reconciliation report, write its files, print its rows."""
    from synchub.feeds.ledger_views import figure_text, is_amount
    from synchub.ledger.reconcile import BAD, REPORT_TABLES, build_report
    from synchub.ledger.report_files import write_report_files

    with hub_and_store(args, mappings=False, ledger=True) as (hub, store):
        def no_client(_connection: str) -> Any:
            return None
        store.refresh_statistics(*REPORT_TABLES)
        report = build_report(store, hub, args.day,
                              client_for=no_client if args.no_channel else None)
        assert hub.ledger is not None
        files = write_report_files(report, hub.ledger.reports, hub.root)
    out(f"{'channel':<16} {'metric':<26} {'cur':<4} {'channel':>12} {'hub':>12} {'erp':>12}"
        f"  status")
    for r in report.rows:
        def cell(value: Any, row: Any = r) -> str:
            # the feed's spelling: a count whole, an amount at its currency's minor units
            text = figure_text(value, row.currency if is_amount(row.metric) else "")
            return "-" if text is None else text
        out(f"{r.channel:<16} {r.metric:<26} {r.currency or '':<4} {cell(r.channel_value):>12}"
            f" {cell(r.hub_value):>12} {cell(r.erp_value):>12}  {r.status}")
    for f in files:
        out(f"wrote {f}")
    return 1 if any(r.status in BAD for r in report.rows) else 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the day's journal file (CSV, journal-items import layout)."""
    from synchub.ledger.journal_files import write_journal_file

    with hub_and_store(args, mappings=False, ledger=True) as (hub, store):
        written = write_journal_file(store, hub, args.day, hub.root)
    if written is None:
        raise ConfigError("ledger.reports.journals_to is null: no journal files",
                          file=str(hub.path), key="ledger.reports.journals_to")
    out(f"wrote {written}")
    return 0


def register(lsub: SubParsers) -> None:
    """Register the subcommands under ``synchub ledger``."""
    sp = with_store(lsub.add_parser("settle", help="match every payout to what it settles"))
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(handler=cmd_settle)
    sp = with_store(lsub.add_parser("unmatched", help="unmatched and unsettled items, with age"))
    sp.add_argument("--channel")
    sp.add_argument("--status", help="only this status (e.g. missing_in_hub, unsettled)")
    sp.add_argument("--limit", type=int, default=1000)
    sp.set_defaults(handler=cmd_unmatched)
    sp = with_store(lsub.add_parser("report", help="the day's reconciliation report and files "
                                    "(exit 1 when a figure does not match)"))
    sp.add_argument("--day", type=day_arg, required=True)
    sp.add_argument("--no-channel", action="store_true",
                    help="do not read the channels' own figures (no credentials needed)")
    sp.set_defaults(handler=cmd_report)
    sp = with_store(lsub.add_parser("export", help="the day's journal file (CSV in the "
                                    "journal-items import layout)"))
    sp.add_argument("--day", type=day_arg, required=True)
    sp.set_defaults(handler=cmd_export)
