"""The figures of the reconciliation report, one function per group of metrics.

Each function reads the store (SQL sums, never whole tables) and returns
:class:`ReconRow` objects with their values; :mod:`synchub.ledger.reconcile` compares them
and writes the day. docs/ledger.md ("Reconciliation report") says what each compares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.config.sinks import route_sources
from synchub.ledger.settlement import (
    NOT_SETTLING,
    UNMATCHED,
    home_channel,
    payout_sources,
)
from synchub.store.delivery_tables import deliveries
from synchub.store.ledger_tables import ledger_lines, settlement_items
from synchub.store.stock_tables import stock_drift
from synchub.store.tables import Amount, entity_table

if TYPE_CHECKING:
    from synchub.config.ledger import LedgerConfig
    from synchub.ledger.channel_counts import DayOrders
    from synchub.plan import Hub

ZERO = Decimal(0)
_orders = entity_table("order")
_refunds = entity_table("refund")
_po = entity_table("payout")
_bt = entity_table("balance_transaction")
_le = entity_table("ledger_entry")
_d = deliveries.c


@dataclass
class ReconRow:
    """One figure of one channel on one day: the channel's, the hub's and the ERP's values."""

    channel: str
    metric: str
    currency: str = ""
    channel_value: Decimal | None = None
    hub_value: Decimal | None = None
    erp_value: Decimal | None = None
    difference: Decimal | None = None
    status: str = "info"
    detail: str | None = None
    # compared by reconcile.compare: whether the channel has a side in this metric
    channel_side: bool = field(default=False, repr=False)
    # records of this figure whose delivery to the ERP is dead (None: no ERP side); the
    # rest of a gap is still on its way and the row is `pending`, not a mismatch
    erp_lost: Decimal | None = field(default=None, repr=False)
    fixed: bool = field(default=False, repr=False)  # status set here, not by comparing


@dataclass(frozen=True)
class ErpRoutes:
    """The ERP sink (a sink whose connection has role erp and an order route) and its
    route per entity."""

    sink: str | None = None
    routes: dict[str, str] = field(default_factory=dict)
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, hub: Hub) -> ErpRoutes:
        """The first such sink in hub.yaml, or none."""
        for sink, routes in hub.file.sinks.items():
            plan = hub.connections.get(sink)
            if plan is None or "erp" not in plan.config.roles:
                continue
            found: dict[str, str] = {}
            sources: dict[str, tuple[str, ...]] = {}
            for name, route in routes.items():
                writer = plan.connector.writers.get(name)
                if route.enabled and writer is not None and writer.entity not in found:
                    found[writer.entity] = name
                    sources[writer.entity] = tuple(route_sources(route, sink, hub.connections))
            if "order" in found:
                return cls(sink, found, sources)
        return cls()

    def route(self, entity: str, channel: str | None = None) -> str | None:
        """The route of ``entity`` (that takes ``channel``'s records, when given)."""
        name = self.routes.get(entity)
        if name is None or (channel is not None and channel not in self.sources[entity]):
            return None
        return name

    def lost(self, record_id: Any, entity: str) -> sa.ColumnElement[bool]:
        """The record's delivery to the ERP is dead (it will not arrive without a replay)."""
        return sa.exists().where(
            _d.sink == self.sink, _d.route == self.routes[entity], _d.record_id == record_id,
            _d.status == "dead")

    def held(self, record_id: Any, entity: str) -> sa.ColumnElement[bool]:
        """The ERP acknowledged a version of the record (delivered, maybe resending)."""
        return sa.exists().where(
            _d.sink == self.sink, _d.route == self.routes[entity], _d.record_id == record_id,
            sa.or_(_d.status == "delivered", _d.delivered_hash.is_not(None)))


def _sums(conn: sa.Connection, query: Any) -> dict[str, tuple[Decimal, Decimal]]:
    """currency -> (count, amount) of a (currency, count, amount) query."""
    return {(r[0] or ""): (Decimal(r[1]), Decimal(r[2] or 0)) for r in conn.execute(query)}


def _money_pair(channel: str, metric: str, channel_side: bool,
                values: list[dict[str, tuple[Decimal, Decimal]] | None], note: str | None,
                lost: dict[str, tuple[Decimal, Decimal]] | None = None) -> list[ReconRow]:
    """``<metric>_count`` and ``<metric>_amount`` rows per currency of (channel, hub, ERP)."""
    currencies = sorted({c for v in values if v for c in v}) or [""]
    rows = []
    for suffix, index in (("count", 0), ("amount", 1)):
        for cur in currencies:
            got = [None if v is None else v.get(cur, (ZERO, ZERO))[index] for v in values]
            rows.append(ReconRow(channel, f"{metric}_{suffix}", cur, got[0], got[1], got[2],
                                 detail=note, channel_side=channel_side,
                                 erp_lost=None if lost is None else
                                 lost.get(cur, (ZERO, ZERO))[0]))
    return rows


def order_rows(conn: sa.Connection, channel: str, start: datetime, end: datetime,
               erp: ErpRoutes, counted: DayOrders | None, note: str | None) -> list[ReconRow]:
    """orders_count / orders_amount: the channel's API, orders placed that day, in the ERP."""
    o = _orders.c
    day = [o.connection == channel, o.placed_at >= start, o.placed_at < end]
    pick = sa.select(o.currency, sa.func.count(), sa.func.sum(o.total_amount)).where(*day) \
        .group_by(o.currency)
    hub = _sums(conn, pick)
    route = erp.route("order", channel)
    erp_side = _sums(conn, pick.where(erp.held(o.id, "order"))) if route else None
    lost = _sums(conn, pick.where(erp.lost(o.id, "order"))) if route else None
    side = None if counted is None else {
        c: (Decimal(n), counted.amounts[c]) for c, n in counted.counts.items()}
    return _money_pair(channel, "orders", True, [side, hub, erp_side], note, lost)


def refund_rows(conn: sa.Connection, channel: str, start: datetime, end: datetime,
                erp: ErpRoutes) -> list[ReconRow]:
    """refunds_count / refunds_amount: refunds made that day, and those in the ERP."""
    r = _refunds.c
    pick = (sa.select(r.currency, sa.func.count(), sa.func.sum(r.amount))
            .where(r.connection == channel, r.created_at >= start, r.created_at < end)
            .group_by(r.currency))
    hub = _sums(conn, pick)
    route = erp.route("refund", channel)
    erp_side = _sums(conn, pick.where(erp.held(r.id, "refund"))) if route else None
    lost = _sums(conn, pick.where(erp.lost(r.id, "refund"))) if route else None
    return _money_pair(channel, "refunds", False, [None, hub, erp_side], None, lost)


def payout_rows(conn: sa.Connection, ledger: LedgerConfig, channel: str, start: datetime,
                end: datetime) -> list[ReconRow]:
    """payouts_amount (payouts vs their movements' nets) and payouts_expected_amount (payouts vs
    what the hub's orders and refunds make of the same movements)."""
    mine = [s for s in payout_sources(ledger, channel) if home_channel(ledger, s) == channel]
    payouts = conn.execute(
        sa.select(_po.c.connection, _po.c.external_id, _po.c.currency, _po.c.amount)
        .where(_po.c.connection.in_(mine), _po.c.issued_at >= start, _po.c.issued_at < end,
               sa.or_(_po.c.status.is_(None), _po.c.status.not_in(NOT_SETTLING)))
        .order_by(_po.c.currency, _po.c.external_id)).all()
    if not payouts:
        return [ReconRow(channel, m, "", ZERO, ZERO, detail="no payout issued on this day",
                         fixed=True) for m in ("payouts_amount", "payouts_expected_amount")]
    totals: dict[str, list[Decimal]] = {}  # currency -> [payouts, nets, orders' view]
    unplaced = 0
    i = settlement_items.c
    for p in payouts:
        sums = totals.setdefault(p.currency, [ZERO, ZERO, ZERO])
        sums[0] += p.amount
        rows = conn.execute(
            sa.select(_bt.c.currency, _bt.c.amount, _bt.c.net, i.kind, i.status,
                      i.expected_amount)
            .select_from(_bt.outerjoin(settlement_items, i.transaction_id == _bt.c.id))
            .where(_bt.c.connection == p.connection,
                   _bt.c.payout_external_id == p.external_id, _bt.c.type != "payout")).all()
        for tx in rows:
            if tx.currency != p.currency:
                continue
            sums[1] += tx.net
            if tx.status is None:
                unplaced += 1
                sums[2] += tx.net
            elif tx.status == "missing_in_hub":
                pass  # the hub's orders say nothing of it
            elif tx.kind in ("charge", "refund") and tx.expected_amount is not None:
                sums[2] += tx.expected_amount + (tx.net - tx.amount)  # less its fees
            else:
                sums[2] += tx.net
    note = f"{len(payouts)} payouts"
    if unplaced:
        note += f"; {unplaced} movements not matched yet (run settlement matching)"
    out = []
    for cur, (paid, nets, expected) in sorted(totals.items()):
        out.append(ReconRow(channel, "payouts_amount", cur, paid, nets, detail=note,
                            channel_side=True))
        out.append(ReconRow(channel, "payouts_expected_amount", cur, paid, expected, detail=note,
                            channel_side=True))
    return out


def settlement_rows(conn: sa.Connection, channel: str) -> list[ReconRow]:
    """Unmatched, unsettled and pending settlement items of the channel (as last matched)."""
    i = settlement_items.c
    # typed, so that SQLite's double comes back as an exact 4-decimal amount
    stake = sa.func.abs(sa.func.coalesce(i.difference, i.settled_amount, i.expected_amount),
                        type_=Amount)
    got = conn.execute(
        sa.select(i.status, i.currency, sa.func.count(), sa.func.sum(stake),
                  sa.func.max(i.checked_at))
        .where(i.channel == channel).group_by(i.status, i.currency)).all()
    if not got:
        return [ReconRow(channel, "settlement_unmatched_count", "", hub_value=ZERO,
                         detail="no settlement items: nothing matched yet", fixed=True)]
    out = []
    for group, statuses, bad in (("unmatched", UNMATCHED, True),
                                 ("unsettled", ("unsettled",), True),
                                 ("pending", ("pending",), False)):
        rows = [r for r in got if r[0] in statuses]
        count = sum((r[2] for r in rows), 0)
        by_status: dict[str, int] = {}
        for r in rows:
            by_status[r[0]] = by_status.get(r[0], 0) + r[2]
        detail = ", ".join(f"{s} {n}" for s, n in sorted(by_status.items())) or None
        status = ("mismatch" if count else "ok") if bad else "info"
        out.append(ReconRow(channel, f"settlement_{group}_count", "", hub_value=Decimal(count),
                            status=status, detail=detail, fixed=True))
        amounts: dict[str, Decimal] = {}
        for r in rows:
            amounts[r[1]] = amounts.get(r[1], ZERO) + Decimal(r[3] or 0)
        out += [ReconRow(channel, f"settlement_{group}_amount", cur, hub_value=amount,
                         status=status, detail="amount at stake", fixed=True)
                for cur, amount in sorted(amounts.items())]
    return out


def journal_rows(conn: sa.Connection, ledger: LedgerConfig, channel: str, day: date,
                 erp: ErpRoutes) -> list[ReconRow]:
    """Entries of the day per kind (and in the ERP), balance, lines on suspense."""
    e, ll = _le.c, ledger_lines.c
    mine = [e.channel == channel, e.posted_on == day]
    pick = sa.select(e.kind, sa.func.count()).where(*mine).group_by(e.kind)
    kinds = {k: Decimal(n) for k, n in conn.execute(pick)}
    route = erp.route("ledger_entry")
    sent = {k: Decimal(n) for k, n in conn.execute(pick.where(erp.held(e.id, "ledger_entry")))
            } if route else None
    lost = {k: Decimal(n) for k, n in conn.execute(pick.where(erp.lost(e.id, "ledger_entry")))
            } if route else None
    total = sum(kinds.values(), ZERO)
    out = [ReconRow(channel, "journal_entries", "", hub_value=total,
                    erp_value=None if sent is None else sum(sent.values(), ZERO),
                    detail=None if total else "no entries posted",
                    erp_lost=None if lost is None else sum(lost.values(), ZERO))]
    out += [ReconRow(channel, f"journal_entries_{k}", "", hub_value=n,
                     erp_value=None if sent is None else sent.get(k, ZERO),
                     erp_lost=None if lost is None else lost.get(k, ZERO))
            for k, n in sorted(kinds.items())]
    lines = [ll.channel == channel, ll.posted_on == day]
    uneven = (sa.select(ll.entry_id).where(*lines).group_by(ll.entry_id).having(sa.or_(
        sa.func.round(sa.func.sum(ll.debit) - sa.func.sum(ll.credit), 4) != 0,
        sa.func.round(sa.func.sum(ll.functional_debit) - sa.func.sum(ll.functional_credit), 4)
        != 0)))
    bare = sa.select(e.id).where(*mine, ~sa.exists().where(ll.entry_id == e.id))
    bad = len(conn.execute(uneven).all()) + len(conn.execute(bare).all())
    sides = []
    for cur, d, c in conn.execute(sa.select(ll.currency, sa.func.sum(ll.debit),
                                            sa.func.sum(ll.credit)).where(*lines)
                                  .group_by(ll.currency).order_by(ll.currency)):
        sides.append(f"{cur} debits {Decimal(d):.2f} credits {Decimal(c):.2f}")
    for cur, d, c in conn.execute(sa.select(ll.functional_currency,
                                            sa.func.sum(ll.functional_debit),
                                            sa.func.sum(ll.functional_credit)).where(*lines)
                                  .group_by(ll.functional_currency)):
        sides.append(f"functional {cur} debits {Decimal(d):.2f} credits {Decimal(c):.2f}")
    out.append(ReconRow(channel, "journals_unbalanced", "", hub_value=Decimal(bad),
                        status="mismatch" if bad else "ok",
                        detail="; ".join(sides) or "no lines", fixed=True))
    suspense = ledger.account("suspense")
    found = conn.execute(
        sa.select(ll.functional_currency, sa.func.count(),
                  sa.func.sum(ll.functional_debit + ll.functional_credit))
        .where(*lines, ll.account == suspense).group_by(ll.functional_currency)).all()
    count = sum((r[1] for r in found), 0)
    status = "mismatch" if count else "ok"
    out.append(ReconRow(channel, "journal_suspense_lines", "", hub_value=Decimal(count),
                        status=status, detail=f"lines on account {suspense}", fixed=True))
    out += [ReconRow(channel, "journal_suspense_amount", cur, hub_value=Decimal(amount or 0),
                     status=status, detail="debits plus credits in the books' currency",
                     fixed=True) for cur, _, amount in found]
    return out


def drift_rows(conn: sa.Connection, hub: Hub, channel: str) -> list[ReconRow]:
    """SKUs whose stock the channel shows otherwise than the hub published (stock sync)."""
    if hub.stock is None or channel not in hub.stock.channels:
        return []
    kinds: dict[str, int] = {k: int(n) for k, n in conn.execute(
        sa.select(stock_drift.c.kind, sa.func.count()).where(stock_drift.c.channel == channel)
        .group_by(stock_drift.c.kind))}
    count = sum(kinds.values(), 0)
    detail = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or None
    return [ReconRow(channel, "stock_drift", "", hub_value=Decimal(count),
                     status="mismatch" if count else "ok", detail=detail, fixed=True)]
