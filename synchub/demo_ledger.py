"""The ledger part of ``make demo``: settlement files, the ledger DAG, and its summary."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa

from synchub.localenv import LocalEnv


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def write_settlement_files(env: LocalEnv, ready: dict[str, Any], hub: Any) -> None:
    """Have the sandbox drop the Woo shop's settlement files where the connection reads."""
    if "woo_settlements" not in hub.connections:
        return
    reply = requests.post(f"{ready['base_url']}/_sandbox/woocommerce/demo/settlements",
                          json={"out": str(env.settlements)}, timeout=60)
    reply.raise_for_status()
    body = reply.json()
    _say(f"settlements: {len(body['files'])} file(s) in {env.settlements} "
         f"({body['written']} new, {body['rows']} rows)")


def ledger_range(store: Any) -> tuple[date, date]:
    """First and last day with money in the store: the range the demo builds."""
    from synchub.store.tables import ENTITY_TABLES

    firsts = []
    with store.engine.connect() as conn:
        for entity, column in (("order", "placed_at"), ("refund", "created_at"),
                               ("balance_transaction", "processed_at"),
                               ("payout", "issued_at")):
            table = ENTITY_TABLES[entity]
            first = conn.execute(sa.select(sa.func.min(table.c[column]))).scalar()
            if first is not None:
                firsts.append(first if isinstance(first, datetime)
                              else datetime.fromisoformat(str(first)))
    today = datetime.now(UTC).date()
    return (min(f.date() for f in firsts) if firsts else today), today


def ledger_conf(store: Any, report_days: int = 7) -> str:
    """The ``-c`` of ``airflow dags test ledger``: the whole range in one run, reported for
    its last ``report_days`` days."""
    first, last = ledger_range(store)
    since = max(first, last - timedelta(days=report_days - 1))
    return json.dumps({"first_day": first.isoformat(), "last_day": last.isoformat(),
                       "reconcile_from": since.isoformat()})


def ledger_summary(store: Any, hub: Any) -> None:
    """Journals per channel and kind, their balance, suspense, settlement and the report."""
    from synchub.store.ledger_tables import ledger_lines, reconciliation_rows, settlement_items
    from synchub.store.tables import ENTITY_TABLES

    entries = ENTITY_TABLES["ledger_entry"]
    with store.engine.connect() as conn:
        kinds = conn.execute(
            sa.select(entries.c.channel, entries.c.kind, sa.func.count(),
                      sa.func.sum(entries.c.functional_total_debit))
            .group_by(entries.c.channel, entries.c.kind)
            .order_by(entries.c.channel, entries.c.kind)).all()
        unbalanced = conn.execute(
            sa.select(sa.func.count()).select_from(
                sa.select(ledger_lines.c.entry_id)
                .group_by(ledger_lines.c.entry_id)
                .having(sa.or_(  # rounded: SQLite sums numeric columns as floats
                    sa.func.round(sa.func.sum(ledger_lines.c.debit)
                                  - sa.func.sum(ledger_lines.c.credit), 4) != 0,
                    sa.func.round(sa.func.sum(ledger_lines.c.functional_debit)
                                  - sa.func.sum(ledger_lines.c.functional_credit), 4) != 0)
                        ).subquery())
        ).scalar_one()
        suspense = conn.execute(
            sa.select(sa.func.count(), sa.func.sum(ledger_lines.c.functional_debit))
            .where(ledger_lines.c.rule.like("suspense:%"))).one()
        statuses = conn.execute(
            sa.select(settlement_items.c.channel, settlement_items.c.status, sa.func.count())
            .group_by(settlement_items.c.channel, settlement_items.c.status)
            .order_by(settlement_items.c.channel, settlement_items.c.status)).all()
        bad = conn.execute(
            sa.select(sa.func.count()).where(
                reconciliation_rows.c.status.in_(("mismatch", "missing", "error")))
        ).scalar_one()
        days = conn.execute(sa.select(sa.func.count(sa.distinct(reconciliation_rows.c.day))
                                      )).scalar_one()
    if not kinds:
        return
    cur = hub.ledger.functional_currency
    _say("")
    _say(f"{'ledger':<16} {'kind':<14} {'journals':>9} {'debits ' + cur:>16}")
    for channel, kind, count, total in kinds:
        _say(f"{channel:<16} {kind:<14} {count:>9} {total or 0:>16.2f}")
    _say(f"every journal balances (debits = credits in both currencies): "
         f"{'yes' if unbalanced == 0 else f'NO, {unbalanced} do not'}; "
         f"{suspense[0]} line(s) on suspense ({suspense[1] or 0:.2f} {cur}), "
         "see `.venv/bin/synchub ledger journals`")
    if statuses:
        per: dict[str, list[str]] = {}
        for channel, status, count in statuses:
            per.setdefault(channel, []).append(f"{count} {status}")
        for channel, parts in per.items():
            _say(f"settlement {channel}: {', '.join(parts)}")
    reports = hub.root / hub.ledger.reports.to
    _say(f"reconciliation: the last {days} day(s), {bad} figure(s) that do not match "
         f"(`.venv/bin/synchub ledger report --day D`); files in {reports} (CSV and HTML "
         "per day)")
    _say("why a journal looks as it does: `.venv/bin/synchub ledger explain <order number>`")
