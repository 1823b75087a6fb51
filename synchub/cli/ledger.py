"""``synchub ledger ...``: build journals, explain a record, close a period, list journals,
load exchange rates."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from synchub.cli import reconcile
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


def _days(args: argparse.Namespace) -> tuple[date, date]:
    if args.day and (args.first or args.last):
        raise ConfigError("give --day, or --from and --to, not both")
    if args.day:
        return args.day, args.day
    if args.first or args.last:
        first, last = args.first or args.last, args.last or args.first
        if last < first:
            raise ConfigError(f"--to {last.isoformat()} is before --from {first.isoformat()}")
        return first, last
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    return yesterday, yesterday


def cmd_build(args: argparse.Namespace) -> int:
    """Build the journals of a day or a range (the ledger DAG's build job)."""
    import sqlalchemy as sa

    from synchub.errors import redact
    from synchub.jobs.ledger import ledger_build

    first, last = _days(args)
    try:
        s = ledger_build(hub_path(args), first, last, store=store_override(args))
    except sa.exc.SQLAlchemyError as exc:
        sys.stderr.write(f"error: the ledger build failed: {redact(exc)}\n")
        return 1
    if args.json:
        out(json.dumps(s))
        return 0
    span = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
    out(f"ledger {span} (run {s['run_id']}): {s['entries_built']} journals built, "
        f"{s['stored']} stored, {s['unchanged']} unchanged, {s['corrections']} "
        f"corrections, {s['withdrawn']} withdrawn, {s['dead']} not posted, "
        f"{s['resolved']} resolved")
    for name in ("per_kind", "per_channel"):
        if s[name]:
            out(f"  by {name[4:]}: " + ", ".join(f"{k} {v}" for k, v in s[name].items()))
    if s["suspense"]["lines"]:
        out(f"  suspense: {s['suspense']['lines']} line(s): " + ", ".join(
            f"{a} {c}" for c, a in s["suspense"]["amounts"].items()))
    if s["dead"]:
        out(f"  {s['dead']} record(s) could not be posted: `synchub deadletters` lists them "
            "(stream ledger); fix the rate or mapping and build again")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """The journals a record made, and why."""
    from synchub.ledger.explain import explain

    with hub_and_store(args, mappings=False, ledger=True) as (hub, store):
        lines = explain(store, hub, args.ref)
    for line in lines:
        out(line)
    return 0 if not lines[0].startswith("nothing matches") else 1


def cmd_close(args: argparse.Namespace) -> int:
    """Close the books through a day."""
    from synchub.ledger.periods import close_through

    with hub_and_store(args, mappings=False, ledger=True) as (_, store):
        day = close_through(store, args.through, args.note)
    out(f"closed through {day.isoformat()}: journals on or before it are never rewritten; "
        "later changes post as corrections in the first open day")
    return 0


JOURNAL_COLUMNS = ("posted_on", "channel", "external_id", "kind", "currency", "total_debit",
                   "functional_currency", "functional_total_debit", "corrects")


def cmd_journals(args: argparse.Namespace) -> int:
    """The journals with their totals, as a table or CSV."""
    import sqlalchemy as sa

    from synchub.ledger.journal_store import entries_table

    t = entries_table
    query = sa.select(*(t.c[c] for c in JOURNAL_COLUMNS))
    if args.day:
        query = query.where(t.c.posted_on == args.day)
    if args.channel:
        query = query.where(t.c.connection == args.channel)
    query = query.order_by(t.c.posted_on, t.c.connection, t.c.external_id)
    count = 0
    with hub_and_store(args, mappings=False, ledger=True) as (_, store), \
            store.engine.connect() as conn:
        rows = conn.execution_options(yield_per=500).execute(query)
        if args.format == "csv":
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(JOURNAL_COLUMNS)
            for row in rows:
                writer.writerow(_journal_values(row))
            return 0
        out(f"{'day':<10}  {'channel':<16} {'journal':<32} {'kind':<12} "
            f"{'total':>16} {'functional':>16}")
        for row in rows:
            count += 1
            day, channel, ext, kind, cur, total, fcur, ftotal, fix = _journal_values(row)
            out(f"{day:<10}  {channel:<16} {ext:<32} {kind:<12} {f'{total} {cur}':>16} "
                f"{f'{ftotal} {fcur}':>16}" + (f"  corrects {fix}" if fix else ""))
    out(f"{count} journal(s)")
    return 0


def _journal_values(row: Any) -> list[str]:
    """A journal row as text, amounts at their currency's minor units."""
    from synchub.canonical.common import quantize

    values = dict(row._mapping)
    values["total_debit"] = quantize(Decimal(values["total_debit"]), values["currency"])
    values["functional_total_debit"] = quantize(Decimal(values["functional_total_debit"]),
                                                values["functional_currency"])
    return ["" if values[c] is None else str(values[c]) for c in JOURNAL_COLUMNS]


def cmd_rates_load(args: argparse.Namespace) -> int:
    """Load exchange rates from a CSV or JSON file."""
    from synchub.ledger.fx import load_rates_file

    with hub_and_store(args, mappings=False) as (_, store):
        count = load_rates_file(store, Path(args.file), args.provider)
    out(f"loaded {count} rate(s) from {args.file} (provider {args.provider})")
    return 0


def register(sub: SubParsers) -> None:
    """Register ``synchub ledger`` and its subcommands."""
    ledger = sub.add_parser("ledger", help="journals: build, explain, close, list; "
                            "settlement, reconciliation; rates")
    lsub = ledger.add_subparsers(dest="ledger_command", required=True)
    sp = with_store(lsub.add_parser("build", help="build the journals of a day or a range "
                                    "(default: yesterday, UTC)"))
    sp.add_argument("--day", type=day_arg, help="one day, YYYY-MM-DD")
    sp.add_argument("--from", dest="first", type=day_arg, help="first day of a range")
    sp.add_argument("--to", dest="last", type=day_arg, help="last day of a range")
    sp.add_argument("--json", action="store_true", help="the summary as JSON")
    sp.set_defaults(handler=cmd_build)
    sp = with_store(lsub.add_parser("explain", help="the journals a record made, and why"))
    sp.add_argument("ref", help="hub id, external id or order number of an order, refund, "
                    "payout or balance transaction; or a journal's external id")
    sp.set_defaults(handler=cmd_explain)
    sp = with_store(lsub.add_parser("close", help="close the books through a day (never "
                                    "reopened)"))
    sp.add_argument("--through", type=day_arg, required=True, help="last closed day, YYYY-MM-DD")
    sp.add_argument("--note", help="why, for the record")
    sp.set_defaults(handler=cmd_close)
    sp = with_store(lsub.add_parser("journals", help="list journals with their totals"))
    sp.add_argument("--day", type=day_arg)
    sp.add_argument("--channel")
    sp.add_argument("--format", choices=["table", "csv"], default="table")
    sp.set_defaults(handler=cmd_journals)
    reconcile.register(lsub)
    rates = lsub.add_parser("rates", help="exchange rates")
    rsub = rates.add_subparsers(dest="rates_command", required=True)
    sp = with_store(rsub.add_parser("load", help="load rates from a CSV (date,base,quote,rate) "
                                    "or JSON file"))
    sp.add_argument("file")
    sp.add_argument("--provider", required=True, help="where the rates come from, e.g. ecb")
    sp.set_defaults(handler=cmd_rates_load)
