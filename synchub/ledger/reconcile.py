"""The daily reconciliation report: per channel, what the channel says, what the hub holds,
what reached the ERP.

:func:`build_report` computes every metric of one day (see
:mod:`synchub.ledger.reconcile_metrics`), then replaces the day's ``reconciliation_rows``
in one transaction, numbering them from the ``reconciliation`` change counter so that the
``reconciliation`` feed pages them like any other change. A row's status:

- ``ok``: every side that applies agrees;
- ``mismatch``: two sides differ (or a count of problems is not zero);
- ``missing``: a side holds nothing of what the side before it holds (the hub none of the
  channel's orders in a currency, the ERP none of the hub's);
- ``no_source``: the channel's side applies but its connector declares no source;
- ``error``: the channel's API could not be read (the detail says why);
- ``info``: nothing to compare (a figure for the reader).

``difference`` is hub - channel; when those agree (or the channel has no side), ERP - hub.
The channel's own figures are read live (:mod:`synchub.ledger.channel_counts`) through
``client_for(connection)`` (default: a client from the connection's Airflow Connection).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.errors import SynchubError, redact
from synchub.ledger.channel_counts import DayOrders, channel_orders, day_bounds
from synchub.ledger.reconcile_metrics import (
    ErpRoutes,
    ReconRow,
    drift_rows,
    journal_rows,
    order_rows,
    payout_rows,
    refund_rows,
    settlement_rows,
)
from synchub.ledger.settlement import ledger_of, settlement_channels
from synchub.store.ledger_tables import reconciliation_rows
from synchub.store.writer import take_seq_block

if TYPE_CHECKING:
    from synchub.plan import Hub
    from synchub.runtime import ConnectorClient
    from synchub.store import Store

__all__ = ["ReconRow", "ReconciliationReport", "build_report", "compare"]

log = logging.getLogger("synchub.ledger")
ClientFor = Callable[[str], "ConnectorClient | None"]
BAD = ("mismatch", "missing", "error")
COUNTER = "reconciliation"


@dataclass
class ReconciliationReport:
    """The rows of one day, when they were built, and whether everything agrees."""

    day: date
    built_at: datetime
    rows: list[ReconRow]

    @property
    def ok(self) -> bool:
        """No row is a mismatch, missing or an error."""
        return not any(r.status in BAD for r in self.rows)

    def channels(self) -> list[str]:
        """The channels in report order."""
        return list(dict.fromkeys(r.channel for r in self.rows))

    def summary(self) -> dict[str, Any]:
        """A small dict for the DAG run: counts per status, and the rows that are not ok."""
        statuses: dict[str, int] = {}
        for r in self.rows:
            statuses[r.status] = statuses.get(r.status, 0) + 1
        return {"day": self.day.isoformat(), "ok": self.ok, "rows": len(self.rows),
                "channels": len(self.channels()), "statuses": statuses,
                "problems": [f"{r.channel} {r.metric}{' ' + r.currency if r.currency else ''}"
                             f": {r.status}" for r in self.rows if r.status in BAD][:20]}


def compare(row: ReconRow) -> ReconRow:
    """Set ``difference`` and ``status`` from the row's values (rows marked fixed keep
    theirs)."""
    if row.fixed:
        return row
    gaps = []
    if row.channel_value is not None and row.hub_value is not None:
        gaps.append(row.hub_value - row.channel_value)
    if row.erp_value is not None and row.hub_value is not None:
        gaps.append(row.erp_value - row.hub_value)
    wrong = [g for g in gaps if g != 0]
    row.difference = wrong[0] if wrong else (Decimal(0) if gaps else None)
    if row.status == "error":
        return row
    channel_agrees = row.channel_value is None or row.channel_value == row.hub_value
    if wrong and channel_agrees and row.erp_lost == 0 and row.erp_value is not None \
            and row.hub_value is not None and row.erp_value < row.hub_value:
        # nothing is dead on the way to the ERP: the rest is still being delivered
        row.status = "pending"
        on_way = f"{row.hub_value - row.erp_value:f} not yet in the ERP (none failed)"
        row.detail = f"{row.detail}; {on_way}" if row.detail else on_way
    elif wrong:
        hub_lacks = row.channel_value not in (None, 0) and row.hub_value == 0
        erp_lacks = row.erp_value == 0 and row.hub_value not in (None, 0)
        row.status = "missing" if hub_lacks or erp_lacks else "mismatch"
        if row.erp_lost:
            dead = f"{row.erp_lost:f} dead on the way to the ERP: `synchub deadletters`"
            row.detail = f"{row.detail}; {dead}" if row.detail else dead
    elif row.channel_side and row.channel_value is None:
        row.status = "no_source"
    else:
        row.status = "ok" if gaps else "info"
    return row


def _client_for(hub: Hub, store: Store) -> ClientFor:
    from synchub.delivery.engine import default_client_for

    return default_client_for(hub, tokens=store.tokens)


def _channel_side(hub: Hub, store: Store, channel: str, day: date,
                  client_for: ClientFor | None) -> tuple[DayOrders | None, str | None, bool]:
    """(the channel's figures, a note for the detail, whether reading failed)."""
    spec = hub.connection(channel).connector
    source = spec.reconcile.orders if spec.reconcile is not None else None
    if source is None:
        return None, f"connector {spec.system!r} declares no reconcile.orders source", False
    try:
        client = (client_for or _client_for(hub, store))(channel)
        if client is None:  # asked not to read the channel (`ledger report --no-channel`)
            return None, "the channel's own figures were not read", False
        with client:
            counted = channel_orders(hub, channel, day, client)
    except SynchubError as exc:
        message = redact(exc.message)
        log.warning("reconciliation %s: reading %s failed: %s", day, channel, message)
        return None, f"reading {source.stream} failed: {message}", True
    note = f"channel: stream {source.stream}, read live"
    if counted is not None and counted.unreadable:
        note += f"; {counted.unreadable} records without a readable time, amount or currency"
    return counted, note, False


# what a report joins on; callers refresh SQLite's statistics of them once before a series
# of days (Store.refresh_statistics), not once a day
REPORT_TABLES = ("settlement_items", "ledger_lines", "deliveries")


def build_report(store: Store, hub: Hub, day: date, *, client_for: ClientFor | None = None,
                 now: datetime | None = None) -> ReconciliationReport:
    """Build and store the report of ``day`` (UTC), replacing the day's rows."""
    ledger = ledger_of(hub)
    built = (now or datetime.now(UTC)).astimezone(UTC)
    start, end = day_bounds(day)
    erp = ErpRoutes.of(hub)
    channels = settlement_channels(hub)
    # the channels' APIs first: no database connection is held while they answer
    sides = {ch: _channel_side(hub, store, ch, day, client_for) for ch in channels}
    rows: list[ReconRow] = []
    with store.engine.connect() as conn:
        for ch in channels:
            counted, note, failed = sides[ch]
            orders = order_rows(conn, ch, start, end, erp, counted, note)
            for row in orders:
                if failed:
                    row.status = "error"
            rows += orders
            rows += refund_rows(conn, ch, start, end, erp)
            rows += payout_rows(conn, ledger, ch, start, end)
            rows += settlement_rows(conn, ch)
            rows += journal_rows(conn, ledger, ch, day, erp)
            if day >= built.date() - timedelta(days=1):
                # drift is a snapshot of now: it belongs to today's and yesterday's report,
                # not to a past day rebuilt later
                rows += drift_rows(conn, hub, ch)
    for row in rows:
        compare(row)
    _store(store, day, rows, built)
    report = ReconciliationReport(day=day, built_at=built, rows=rows)
    log.info("reconciliation %s: %s", day, report.summary())
    return report


def _store(store: Store, day: date, rows: list[ReconRow], built: datetime) -> None:
    with store.transaction() as conn:
        conn.execute(sa.delete(reconciliation_rows).where(reconciliation_rows.c.day == day))
        if not rows:
            return
        base = take_seq_block(conn, COUNTER, len(rows))
        conn.execute(sa.insert(reconciliation_rows), [{
            "day": day, "channel": r.channel, "metric": r.metric, "currency": r.currency,
            "channel_value": r.channel_value, "hub_value": r.hub_value,
            "erp_value": r.erp_value, "difference": r.difference, "status": r.status,
            "detail": r.detail, "built_at": built, "change_seq": base + n,
        } for n, r in enumerate(rows, start=1)])


def read_report(store: Store, day: date) -> ReconciliationReport | None:
    """The stored report of ``day`` (None before it was built), in its built order."""
    t = reconciliation_rows.c
    with store.engine.connect() as conn:
        got = conn.execute(sa.select(reconciliation_rows).where(t.day == day)
                           .order_by(t.change_seq)).all()
    if not got:
        return None
    built = got[0].built_at
    rows = [ReconRow(r.channel, r.metric, r.currency, r.channel_value, r.hub_value, r.erp_value,
                     r.difference, r.status, r.detail) for r in got]
    return ReconciliationReport(day=day, built_at=built if built.tzinfo else
                                built.replace(tzinfo=UTC), rows=rows)
