"""Settlement matching: what every payout settles, matched to the hub's orders and refunds.

:func:`match_settlements` recomputes ``settlement_items`` channel by channel (the channel's
rows deleted and written again in one transaction), reading payouts and balance movements a
page at a time. A channel's payouts come from its payout sources (``payouts_from``, else the
channel itself); a source may settle several channels, so a charge or refund belongs to the
channel holding its order or refund, and what belongs to none (fees, payout totals, charges
for orders the hub lacks) to the first channel the source settles. Statuses:

- ``matched`` / ``amount_mismatch``: a charge (all charges of its order together against
  the order total) or a refund (against the hub's refund) in a payout;
- ``missing_in_hub``: a charge or refund whose order or refund the hub does not hold;
- ``movement``: fees, chargebacks, reserves, adjustments: nothing to match, kept for totals;
- ``matched`` / ``incomplete`` / ``excess``: a payout's ``payout_total`` against the sum of
  its movements' nets;
- ``pending``: a charge no payout has paid out yet (with its age);
- ``unsettled``: a paid order of a gateway with payout sources, with no charge at all in the
  hub after ``unsettled_after_days`` (with its age).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.errors import ConfigError
from synchub.ledger.settlement_lookup import Lookup
from synchub.store.ledger_tables import settlement_items
from synchub.store.tables import entity_table

if TYPE_CHECKING:
    from synchub.config.ledger import LedgerConfig
    from synchub.plan import Hub
    from synchub.store import Store

PAID = ("paid", "partially_paid", "partially_refunded", "refunded")
NOT_SETTLING = ("failed", "cancelled")  # such a payout paid nothing out
UNMATCHED = ("amount_mismatch", "missing_in_hub", "incomplete", "excess")
PAYOUT_PAGE = 5    # payouts per page (each may settle thousands of movements)
PAGE = 500         # rows per page and per insert

_po = entity_table("payout")
_bt = entity_table("balance_transaction")
# what matching reads of a movement: typed columns and two fields of its document, never the
# whole document (a payout may settle tens of thousands of movements)
_TX = (_bt.c.id, _bt.c.connection, _bt.c.external_id, _bt.c.type, _bt.c.currency,
       _bt.c.amount, _bt.c.net, _bt.c.processed_at, _bt.c.order_external_id,
       _bt.c.payout_external_id,
       _bt.c.data["refund_external_id"].as_string().label("refund_external_id"),
       _bt.c.data["description"].as_string().label("description"))
_orders = entity_table("order")
_items = settlement_items


@dataclass
class StatusTotals:
    """Items of one status in one currency: how many, and the amount at stake."""

    count: int = 0
    amount: Decimal = Decimal(0)


@dataclass
class SettlementSummary:
    """What a matching run found: per channel, status and currency."""

    checked_at: datetime
    channels: dict[str, dict[str, dict[str, StatusTotals]]] = field(default_factory=dict)

    def add(self, channel: str, status: str, currency: str, amount: Decimal) -> None:
        """Count one item."""
        per = self.channels.setdefault(channel, {}).setdefault(status, {})
        totals = per.setdefault(currency, StatusTotals())
        totals.count += 1
        totals.amount += amount

    def count(self, channel: str | None = None, status: str | None = None) -> int:
        """Items of a channel and/or status (all when None)."""
        return sum(t.count for ch, statuses in self.channels.items()
                   if channel in (None, ch)
                   for st, per in statuses.items() if status in (None, st)
                   for t in per.values())

    def as_dict(self) -> dict[str, Any]:
        """A small JSON-ready dict (amounts as decimal text) for the DAG and the CLI."""
        return {
            "checked_at": self.checked_at.isoformat(), "items": self.count(),
            "unmatched": sum(self.count(status=s) for s in UNMATCHED),
            "unsettled": self.count(status="unsettled"), "pending": self.count(status="pending"),
            "channels": {ch: {st: {cur: {"count": t.count, "amount": format(t.amount, "f")}
                                   for cur, t in per.items()}
                              for st, per in statuses.items()}
                         for ch, statuses in self.channels.items()},
        }


def at_stake(expected: Decimal | None, settled: Decimal | None,
             difference: Decimal | None) -> Decimal:
    """The amount an item puts in question: its difference, else what moved or was due."""
    for value in (difference, settled, expected):
        if value is not None:
            return abs(value)
    return Decimal(0)


def settlement_channels(hub: Hub) -> list[str]:
    """The ledger's channels, then every other channel or marketplace connection."""
    named = list(hub.ledger.channels) if hub.ledger is not None else []
    return named + sorted(n for n, p in hub.connections.items() if n not in named
                          and {"channel", "marketplace"} & set(p.config.roles))


def payout_sources(ledger: LedgerConfig, channel: str) -> list[str]:
    """The connections whose payouts settle ``channel``'s orders."""
    cfg = ledger.channels.get(channel)
    return list(cfg.payouts_from) if cfg is not None and cfg.payouts_from else [channel]


def home_channel(ledger: LedgerConfig, source: str) -> str:
    """The channel that reports what a payout source moves beyond orders and refunds."""
    return ledger.settles(source)[0]


def ledger_of(hub: Hub) -> LedgerConfig:
    """The hub's ledger configuration; ConfigError when it keeps none."""
    if hub.ledger is None:
        raise ConfigError("the hub keeps no ledger: add a `ledger:` section",
                          file=str(hub.path), key="ledger")
    return hub.ledger


def match_settlements(store: Store, hub: Hub, *, now: datetime | None = None,
                      channels: Sequence[str] | None = None) -> SettlementSummary:
    """Recompute the settlement items of each channel (default: every channel)."""
    ledger = ledger_of(hub)
    when = (now or datetime.now(UTC)).astimezone(UTC)
    store.refresh_statistics("orders", "refunds", "balance_transactions", "payouts",
                             "settlement_items")
    summary = SettlementSummary(checked_at=when)
    for channel in channels if channels is not None else settlement_channels(hub):
        hub.connection(channel)  # an unknown name is a ConfigError naming the known ones
        with store.transaction() as conn:
            conn.execute(sa.delete(_items).where(_items.c.channel == channel))
            sink = _Sink(conn, channel, when, summary)
            _ChannelMatch(conn, ledger, channel, when, sink).run()
            sink.flush()
    return summary


def unmatched(store: Store, channel: str | None = None, status: str | None = None,
              limit: int | None = 1000) -> list[dict[str, Any]]:
    """Items needing attention (unmatched and unsettled, or one ``status``), oldest first."""
    wanted = [status] if status is not None else [*UNMATCHED, "unsettled"]
    query = (sa.select(_items).where(_items.c.status.in_(wanted))
             .order_by(_items.c.channel, _items.c.occurred_at, _items.c.item_key).limit(limit))
    if channel is not None:
        query = query.where(_items.c.channel == channel)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


class _Sink:
    """Settlement rows of one channel, inserted a page at a time."""

    def __init__(self, conn: sa.Connection, channel: str, now: datetime,
                 summary: SettlementSummary) -> None:
        self.conn, self.channel, self.now, self.summary = conn, channel, now, summary
        self.rows: list[dict[str, Any]] = []
        summary.channels.setdefault(channel, {})

    def add(self, key: str, **values: Any) -> None:
        row = {"channel": self.channel, "item_key": key, "checked_at": self.now,
               "payout_id": None, "payout_external_id": None, "transaction_id": None,
               "record_entity": None, "record_id": None, "record_external_id": None,
               "expected_amount": None, "settled_amount": None, "difference": None,
               "occurred_at": None, "age_days": None, "detail": None, **values}
        self.rows.append(row)
        self.summary.add(self.channel, row["status"], row["currency"], at_stake(
            row["expected_amount"], row["settled_amount"], row["difference"]))
        if len(self.rows) >= PAGE:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.conn.execute(sa.insert(_items), self.rows)
            self.rows = []


def _age(now: datetime, then: datetime | None) -> int | None:
    if then is None:
        return None
    return (now - (then if then.tzinfo else then.replace(tzinfo=UTC))).days


def _settling() -> sa.ColumnElement[bool]:
    return sa.or_(_po.c.status.is_(None), _po.c.status.not_in(NOT_SETTLING))


class _ChannelMatch:
    """The items of one channel, written to its sink."""

    def __init__(self, conn: sa.Connection, ledger: LedgerConfig, channel: str, now: datetime,
                 sink: _Sink) -> None:
        self.conn, self.ledger, self.channel, self.now, self.sink = conn, ledger, channel, \
            now, sink

    def run(self) -> None:
        for source in payout_sources(self.ledger, self.channel):
            siblings = self.ledger.settles(source)
            self._payouts(source, siblings)
            self._pending(source, siblings)
        self._unsettled()

    # -- payouts and what they settle -----------------------------------------------------

    def _payouts(self, source: str, siblings: list[str]) -> None:
        home = home_channel(self.ledger, source)
        last = ""
        while True:
            page = self.conn.execute(
                sa.select(_po.c.id, _po.c.external_id, _po.c.currency, _po.c.amount,
                          _po.c.issued_at)
                .where(_po.c.connection == source, _po.c.id > last, _settling())
                .order_by(_po.c.id).limit(PAYOUT_PAGE)).all()
            if not page:
                return
            last = page[-1].id
            txs = self.conn.execute(
                sa.select(*_TX).where(_bt.c.connection == source, _bt.c.payout_external_id.in_(
                    [p.external_id for p in page]))
                .order_by(_bt.c.payout_external_id, _bt.c.processed_at, _bt.c.id)).all()
            look = Lookup(self.conn, source, siblings, self.channel, txs)
            by_payout: dict[str, list[Any]] = {}
            for tx in txs:
                by_payout.setdefault(tx.payout_external_id, []).append(tx)
            for payout in page:
                self._payout(payout, by_payout.get(payout.external_id, []), look, home)

    def _payout(self, payout: Any, txs: list[Any], look: Lookup, home: str) -> None:
        ref = {"payout_id": payout.id, "payout_external_id": payout.external_id}
        total, foreign = Decimal(0), 0
        for tx in txs:
            if tx.type != "payout" and tx.currency == payout.currency:
                total += tx.net
            elif tx.type != "payout":
                foreign += 1
            self._movement(tx, look, home, ref)
        if home != self.channel:
            return
        difference = total - payout.amount
        status = "matched" if difference == 0 else (
            "incomplete" if abs(total) < abs(payout.amount) else "excess")
        notes = [f"{len(txs)} movements in the hub"]
        if foreign:
            notes.append(f"{foreign} in another currency, not summed")
        self.sink.add(f"payout:{payout.id}", kind="payout_total", status=status,
                      currency=payout.currency, record_entity="payout", record_id=payout.id,
                      record_external_id=payout.external_id, expected_amount=payout.amount,
                      settled_amount=total, difference=difference,
                      occurred_at=payout.issued_at, detail="; ".join(notes), **ref)

    def _movement(self, tx: Any, look: Lookup, home: str, ref: dict[str, Any]) -> None:
        """One balance movement of a payout (or a pending charge when ``ref`` is empty)."""
        base = {"kind": tx.type, "currency": tx.currency, "transaction_id": tx.id,
                "settled_amount": tx.amount, "occurred_at": tx.processed_at, **ref}
        if tx.type == "charge":
            owner, values = self._charge(tx, look)
        elif tx.type == "refund":
            owner, values = self._refund(tx, look)
        else:
            detail = ("the payout's own movement, not in its total" if tx.type == "payout"
                      else tx.description)
            owner, values = None, {"status": "movement", "detail": detail}
        if (owner or home) != self.channel:
            return
        if not ref:  # not paid out yet
            values["age_days"] = _age(self.now, tx.processed_at)
            if values["status"] != "missing_in_hub":
                values.update(status="pending", difference=None)
                values["detail"] = (f"payout {tx.payout_external_id} is not in the hub or did "
                                    "not pay out" if tx.payout_external_id
                                    else "not in a payout yet")
        self.sink.add(f"tx:{tx.id}", **{**base, **values})

    def _charge(self, tx: Any, look: Lookup) -> tuple[str | None, dict[str, Any]]:
        order = look.order(tx.order_external_id)
        if order is None:
            what = f"order {tx.order_external_id}" if tx.order_external_id else "its order"
            return None, {"status": "missing_in_hub", "detail": f"{what} is not in the hub",
                          "record_entity": "order",
                          "record_external_id": tx.order_external_id}
        values: dict[str, Any] = {"record_entity": "order", "record_id": order.id,
                                  "record_external_id": order.external_id,
                                  "expected_amount": order.amount}
        if order.currency != tx.currency:
            return order.connection, {**values, "status": "amount_mismatch", "detail":
                                      f"order in {order.currency}, charge in {tx.currency}"}
        charged, count = look.charged(order.external_id, tx.currency, tx.amount)
        difference = charged - order.amount
        detail = f"{count} charges of the order total {charged}" if count > 1 else None
        return order.connection, {**values, "difference": difference, "detail": detail,
                                  "status": "matched" if difference == 0 else "amount_mismatch"}

    def _refund(self, tx: Any, look: Lookup) -> tuple[str | None, dict[str, Any]]:
        refund = look.refund(tx)
        if refund is None:
            order = look.order(tx.order_external_id)
            rid = tx.refund_external_id
            what = f"refund {rid}" if rid else \
                f"a refund of {-tx.amount} on order {tx.order_external_id}"
            return (order.connection if order else None), {
                "status": "missing_in_hub", "detail": f"{what} is not in the hub",
                "record_entity": "refund", "record_external_id": rid}
        values: dict[str, Any] = {"record_entity": "refund", "record_id": refund.id,
                                  "record_external_id": refund.external_id,
                                  "expected_amount": -refund.amount}
        if refund.currency != tx.currency:
            return refund.connection, {**values, "status": "amount_mismatch", "detail":
                                       f"refund in {refund.currency}, movement in {tx.currency}"}
        difference = tx.amount + refund.amount
        return refund.connection, {**values, "difference": difference,
                                   "status": "matched" if difference == 0 else "amount_mismatch"}

    # -- charges no payout has paid out, paid orders without any charge --------------------

    def _pending(self, source: str, siblings: list[str]) -> None:
        home = home_channel(self.ledger, source)
        paid_out = sa.exists().where(_po.c.connection == source,
                                     _po.c.external_id == _bt.c.payout_external_id, _settling())
        last = ""
        while True:
            txs = self.conn.execute(
                sa.select(*_TX).where(_bt.c.connection == source, _bt.c.type == "charge",
                                     ~paid_out, _bt.c.id > last)
                .order_by(_bt.c.id).limit(PAGE)).all()
            if not txs:
                return
            last = txs[-1].id
            look = Lookup(self.conn, source, siblings, self.channel, txs)
            for tx in txs:
                self._movement(tx, look, home, {})

    def _unsettled(self) -> None:
        cfg = self.ledger.channels.get(self.channel)
        if cfg is None or not (cfg.gateways or cfg.payouts_from):
            return  # no gateway of this channel has payouts the hub reads
        o = _orders.c
        gateway = o.data["payment_gateway"].as_string()
        charged = sa.exists().where(
            _bt.c.connection.in_(payout_sources(self.ledger, self.channel)),
            _bt.c.type == "charge", _bt.c.order_external_id == o.external_id)
        where: list[Any] = [
            o.connection == self.channel,
            o.placed_at < self.now - timedelta(days=self.ledger.unsettled_after_days),
            o.data["financial_status"].as_string().in_(PAID), o.total_amount > 0, ~charged]
        if cfg.gateways:
            where.append(gateway.in_(list(cfg.gateways)))
        last = ""
        while True:
            rows = self.conn.execute(
                sa.select(o.id, o.external_id, o.currency, o.total_amount, o.placed_at,
                          gateway.label("gateway"))
                .where(*where, o.id > last).order_by(o.id).limit(PAGE)).all()
            if not rows:
                return
            last = rows[-1].id
            for row in rows:
                age = _age(self.now, row.placed_at)
                self.sink.add(
                    f"unsettled:{row.id}", kind="order", status="unsettled",
                    currency=row.currency, record_entity="order", record_id=row.id,
                    record_external_id=row.external_id, expected_amount=row.total_amount,
                    occurred_at=row.placed_at, age_days=age,
                    detail=f"paid through {row.gateway or 'an unnamed gateway'}; no charge "
                           f"in the hub after {age} days")
