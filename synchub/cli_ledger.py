"""``synchub ledger ...``: build journals, explain a record, close a period, list journals,
load exchange rates."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {text!r}") from None


def _hub_and_store(args: argparse.Namespace, *, ledger: bool = True) -> tuple[Any, Any]:
    from synchub.cli import _hub_path
    from synchub.config.hub import absolutize_sqlite
    from synchub.errors import ConfigError
    from synchub.plan import load_hub
    from synchub.store import Store

    hub = load_hub(_hub_path(args), load_mappings=False)
    if ledger and hub.ledger is None:
        raise ConfigError("the hub keeps no ledger: add a `ledger:` section (functional "
                          "currency, channels) or mappings/ledger/*.yaml (docs/ledger.md)",
                          file=str(hub.path), key="ledger")
    url = absolutize_sqlite(args.store, Path.cwd()) if args.store else hub.store_url()
    store = Store.from_url(url)
    store.migrate()
    return hub, store


def _days(args: argparse.Namespace) -> tuple[date, date]:
    from synchub.errors import ConfigError

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
    import sqlalchemy as sa

    from synchub.errors import redact
    from synchub.ledger.build import build_ledger

    first, last = _days(args)
    hub, store = _hub_and_store(args)
    try:
        summary = build_ledger(store, hub, first_day=first, last_day=last)
    except sa.exc.SQLAlchemyError as exc:
        sys.stderr.write(f"error: the ledger build failed: {redact(exc)}\n")
        return 1
    finally:
        store.dispose()
    s = summary.as_dict()
    if args.json:
        _out(json.dumps({"first_day": first.isoformat(), "last_day": last.isoformat(), **s}))
        return 0
    span = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
    _out(f"ledger {span} (run {s['run_id']}): {s['entries_built']} journals built, "
         f"{s['stored']} stored, {s['unchanged']} unchanged, {s['corrections']} "
         f"corrections, {s['withdrawn']} withdrawn, {s['dead']} not posted, "
         f"{s['resolved']} resolved")
    for name in ("per_kind", "per_channel"):
        if s[name]:
            _out(f"  by {name[4:]}: " + ", ".join(f"{k} {v}" for k, v in s[name].items()))
    if s["suspense"]["lines"]:
        _out(f"  suspense: {s['suspense']['lines']} line(s): " + ", ".join(
            f"{a} {c}" for c, a in s["suspense"]["amounts"].items()))
    if s["dead"]:
        _out(f"  {s['dead']} record(s) could not be posted: `synchub deadletters` lists them "
             "(stream ledger); fix the rate or mapping and build again")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from synchub.ledger.explain import explain

    hub, store = _hub_and_store(args)
    try:
        lines = explain(store, hub, args.ref)
    finally:
        store.dispose()
    for line in lines:
        _out(line)
    return 0 if not lines[0].startswith("nothing matches") else 1


def cmd_close(args: argparse.Namespace) -> int:
    from synchub.ledger.periods import close_through

    _, store = _hub_and_store(args)
    try:
        day = close_through(store, args.through, args.note)
    finally:
        store.dispose()
    _out(f"closed through {day.isoformat()}: journals on or before it are never rewritten; "
         "later changes post as corrections in the first open day")
    return 0


JOURNAL_COLUMNS = ("posted_on", "channel", "external_id", "kind", "currency", "total_debit",
                   "functional_currency", "functional_total_debit", "corrects")


def cmd_journals(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from synchub.ledger.journal_store import entries_table as t

    query = sa.select(*(t.c[c] for c in JOURNAL_COLUMNS))
    if args.day:
        query = query.where(t.c.posted_on == args.day)
    if args.channel:
        query = query.where(t.c.connection == args.channel)
    query = query.order_by(t.c.posted_on, t.c.connection, t.c.external_id)
    _, store = _hub_and_store(args)
    count = 0
    try:
        with store.engine.connect() as conn:
            rows = conn.execution_options(yield_per=500).execute(query)
            if args.format == "csv":
                writer = csv.writer(sys.stdout, lineterminator="\n")
                writer.writerow(JOURNAL_COLUMNS)
                for row in rows:
                    writer.writerow(_journal_values(row))
                return 0
            _out(f"{'day':<10}  {'channel':<16} {'journal':<32} {'kind':<12} "
                 f"{'total':>16} {'functional':>16}")
            for row in rows:
                count += 1
                day, channel, ext, kind, cur, total, fcur, ftotal, fix = _journal_values(row)
                _out(f"{day:<10}  {channel:<16} {ext:<32} {kind:<12} {f'{total} {cur}':>16} "
                     f"{f'{ftotal} {fcur}':>16}" + (f"  corrects {fix}" if fix else ""))
    finally:
        store.dispose()
    _out(f"{count} journal(s)")
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
    from synchub.ledger.fx import load_rates_file

    _, store = _hub_and_store(args, ledger=False)
    try:
        count = load_rates_file(store, Path(args.file), args.provider)
    finally:
        store.dispose()
    _out(f"loaded {count} rate(s) from {args.file} (provider {args.provider})")
    return 0


def add_parser(sub: Any, with_config: Callable[[Any], Any]) -> None:
    """Register ``synchub ledger`` and its subcommands."""
    ledger = sub.add_parser("ledger", help="journals: build, explain, close, list; "
                            "settlement, reconciliation; rates")
    lsub = ledger.add_subparsers(dest="ledger_command", required=True)

    def common(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        with_config(sp)
        sp.add_argument("--store", help="store URL (default: from the hub file)")
        return sp

    sp = common(lsub.add_parser("build", help="build the journals of a day or a range "
                                "(default: yesterday, UTC)"))
    sp.add_argument("--day", type=_day, help="one day, YYYY-MM-DD")
    sp.add_argument("--from", dest="first", type=_day, help="first day of a range")
    sp.add_argument("--to", dest="last", type=_day, help="last day of a range")
    sp.add_argument("--json", action="store_true", help="the summary as JSON")
    sp = common(lsub.add_parser("explain", help="the journals a record made, and why"))
    sp.add_argument("ref", help="hub id, external id or order number of an order, refund, "
                    "payout or balance transaction; or a journal's external id")
    sp = common(lsub.add_parser("close", help="close the books through a day (never reopened)"))
    sp.add_argument("--through", type=_day, required=True, help="last closed day, YYYY-MM-DD")
    sp.add_argument("--note", help="why, for the record")
    sp = common(lsub.add_parser("journals", help="list journals with their totals"))
    sp.add_argument("--day", type=_day)
    sp.add_argument("--channel")
    sp.add_argument("--format", choices=["table", "csv"], default="table")
    from synchub.cli_reconcile import add_parsers as add_reconcile_parsers

    add_reconcile_parsers(lsub, common, _day)
    rates = lsub.add_parser("rates", help="exchange rates")
    rsub = rates.add_subparsers(dest="rates_command", required=True)
    sp = common(rsub.add_parser("load", help="load rates from a CSV (date,base,quote,rate) or "
                                "JSON file"))
    sp.add_argument("file")
    sp.add_argument("--provider", required=True, help="where the rates come from, e.g. ecb")


def _reconcile_commands() -> dict[str, Callable[[argparse.Namespace], int]]:
    from synchub.cli_reconcile import COMMANDS as RECONCILE

    return RECONCILE


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "build": cmd_build, "explain": cmd_explain, "close": cmd_close, "journals": cmd_journals,
    "rates": cmd_rates_load, **_reconcile_commands(),
}


def cmd_ledger(args: argparse.Namespace) -> int:
    """Dispatch ``synchub ledger <command>``."""
    return COMMANDS[args.ledger_command](args)
