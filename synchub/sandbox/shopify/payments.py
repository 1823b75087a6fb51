"""Shopify Payments of a sandbox shop: balance transactions and payouts derived from its orders.

All money is integer cents in the shop currency. Only orders paid through
``shopify_payments`` whose financial status is ``paid``, ``partially_refunded`` or
``refunded`` move the balance:

- ``CHARGE`` when the order was paid (its processed time, or the moment a mutation marked it
  paid): amount = ``total_price``, fee = 1.9 % of it rounded half up + 0.25, net = amount - fee;
- ``REFUND`` for every successful refund transaction, at its time: -amount, no fee;
- seeded ``closed`` orders, from a roll on their index: 1.5 % ``DISPUTE_WITHDRAWAL`` 5-14 days
  later (-total, fee 15.00), half of those ``DISPUTE_REVERSAL`` 21 days after that (+total);
  1 % ``RESERVED_FUNDS`` two hours later (-half the total) and ``RESERVED_FUNDS_REVERSAL``
  14 days later (+the same); 0.5 % an ``ADJUSTMENT`` 3 days later (-2.50 or +1.00).

A payout is issued at 06:00 UTC for the previous UTC day and takes every transaction not in an
earlier payout; it is ``SCHEDULED`` for a day, then ``PAID``. :meth:`PaymentsBook.run_payout`
issues one at once (``PAID``) for everything unpaid. Each payout has a ``TRANSFER`` transaction
of -net at its issue time. Nothing is stored per transaction: the orders that have an event on
a day are found from their headers, the day is rebuilt from them and kept once it is over.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from synchub.sandbox.kit.money import money_cents
from synchub.sandbox.kit.seed import stable_int
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.times import parse_time
from synchub.sandbox.shopify.orders import order_header, seeded_gateway

DAY = 86_400
PAYOUT_HOUR = 6                 # daily payouts are issued at 06:00 UTC
FEE_BP, FEE_FIXED = 190, 25     # 1.9 % + 0.25 per charge
DISPUTE_FEE = 1500
ID_SCALE = 10**8                # transaction id = second x ID_SCALE + order index x 16 + slot
TRANSFER_SLOT = 99_000_000      # + payout number: transfers sort after the orders' slots
MAX_REFUNDS = 8                 # refund slots 1..8 per order
CHARGED = frozenset({"paid", "partially_refunded", "refunded"})
GATEWAY = "shopify_payments"
# summary field prefix of each transaction type (disputes count as adjustments, as Shopify says)
CATEGORY = {"CHARGE": "charges", "REFUND": "refunds", "DISPUTE_WITHDRAWAL": "adjustments",
            "DISPUTE_REVERSAL": "adjustments", "ADJUSTMENT": "adjustments",
            "RESERVED_FUNDS": "reservedFunds", "RESERVED_FUNDS_REVERSAL": "reservedFunds"}
SUMMARY_KEYS = ("charges", "refunds", "adjustments", "reservedFunds", "retriedPayouts")


@dataclass(frozen=True, slots=True)
class Movement:
    """One balance transaction (amount signed as the balance moves, fee kept by Shopify)."""

    id: int
    ts: int
    type: str
    source_type: str
    amount: int
    fee: int = 0
    order_id: int | None = None
    order_name: str | None = None
    source_id: int | None = None
    order_transaction_id: int | None = None
    reason: str | None = None

    @property
    def net(self) -> int:
        """What the movement adds to the next payout."""
        return self.amount - self.fee


@dataclass(frozen=True, slots=True)
class Payout:
    """One payout: the movements processed in ``(start, cutoff]``, issued at ``issued``."""

    id: int
    issued: int
    start: int
    cutoff: int
    forced: bool
    movements: tuple[Movement, ...]

    @property
    def net(self) -> int:
        """Sum of the movements' nets (negative: a withdrawal from the bank)."""
        return sum(m.net for m in self.movements)

    def status(self, now: int) -> str:
        """PAID a day after it was issued (at once when forced), SCHEDULED before."""
        return "PAID" if self.forced or self.issued <= now - DAY else "SCHEDULED"

    def summary(self) -> dict[str, tuple[int, int]]:
        """(gross, fee) per summary category; sum(gross) - sum(fee) == net."""
        out = {k: (0, 0) for k in SUMMARY_KEYS}
        for m in self.movements:
            key = CATEGORY.get(m.type, "adjustments")
            gross, fee = out[key]
            out[key] = (gross + m.amount, fee + m.fee)
        return out

    def transfer(self) -> Movement:
        """The TRANSFER transaction that moves the net to (or from) the bank."""
        return Movement(self.issued * ID_SCALE + TRANSFER_SLOT + self.id % 1_000_000,
                        self.issued, "TRANSFER", "TRANSFER", -self.net, source_id=self.id)


@dataclass(frozen=True, slots=True)
class _Slot:
    issued: int
    start: int     # exclusive
    cutoff: int    # inclusive
    forced: bool

    @property
    def payout_id(self) -> int:
        return self.issued * 10 + (1 if self.forced else 0)


def charge_fee(amount: int) -> int:
    """Shopify Payments' fee on a charge in the sandbox: 1.9 % rounded half up, plus 0.25."""
    return (amount * FEE_BP + 5000) // 10000 + FEE_FIXED


def _tx_id(ts: int, index: int, slot: int) -> int:
    return ts * ID_SCALE + index * 16 + slot


def _rolls(key: str, index: int, paid_at: int) -> list[tuple[int, int, str]]:
    """(slot, time, type) of the disputes, reserves and adjustments a seeded order draws."""
    roll = stable_int(key, "payments", index)
    pick, spread = roll % 1000, roll >> 10
    if pick < 15:
        taken = paid_at + (5 + spread % 10) * DAY + (spread >> 4) % 36_000
        out = [(9, taken, "DISPUTE_WITHDRAWAL")]
        if (spread >> 20) % 2 == 0:
            out.append((10, taken + 21 * DAY, "DISPUTE_REVERSAL"))
        return out
    if pick < 25:
        return [(11, paid_at + 7200, "RESERVED_FUNDS"),
                (12, paid_at + 14 * DAY, "RESERVED_FUNDS_REVERSAL")]
    if pick < 30:
        return [(13, paid_at + 3 * DAY + spread % 3600, "ADJUSTMENT")]
    return []


class PaymentsBook:
    """The Shopify Payments account of one sandbox shop."""

    def __init__(self, store: BaseStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock                      # tests move it to see payouts become PAID
        self._captures: dict[int, int] = {}     # order id -> when a mutation marked it paid
        self._refunds_made: list[tuple[int, int]] = []  # (order id, time) of control refunds
        self._forced: list[int] = []            # issue times of run_payout()
        self._index_key: tuple[int, ...] | None = None
        self._index: dict[int, list[int]] = {}
        self._days: dict[int, tuple[Movement, ...]] = {}
        self._payouts: dict[tuple[int, bool], Payout | None] = {}
        self._schedules: tuple[tuple[Any, ...], list[_Slot], list[int]] | None = None
        self._high_water = 0

    # --- what happened ------------------------------------------------------------------
    def now(self) -> int:
        """The shop's clock; caches are dropped if it was moved back."""
        # a burst of writes stamps seconds ahead of the wall clock: they have happened
        now = max(int(self.clock()), self.store._last_stamp)
        if now < self._high_water:
            self._days.clear()
            self._payouts.clear()
        self._high_water = now
        return now

    def captured(self, order_id: int, at: int) -> None:
        """An order was paid at ``at`` (a mutation took a pending payment)."""
        self._captures.setdefault(order_id, at)

    def refunded(self, order_id: int, at: int) -> None:
        """Money was given back on an order at ``at`` (the control API's refund)."""
        self._refunds_made.append((order_id, at))

    def run_payout(self) -> Payout | None:
        """Issue a payout now for every transaction not yet paid out (None when there is none)."""
        # a stamp of its own: writes after this payout get later seconds and wait for the next
        at = self.store.stamp()
        self._forced.append(at)
        now = self.now()
        hit = [slot for slot in self._schedule(now) if slot.forced and slot.issued == at]
        return self._payout(hit[0], now) if hit else None

    # --- the transactions ---------------------------------------------------------------
    def _order_index(self) -> dict[int, list[int]]:
        """UTC day -> ids of the orders that may have a transaction that day (headers only)."""
        orders = self.store.orders
        key = (orders.next_index, len(self._captures), len(self._refunds_made))
        if key == self._index_key:
            return self._index
        seeded, skey = self.store.volume["orders"], self.store.key
        days: dict[int, list[int]] = {}
        for h in orders.headers():
            paid_at = self._captures.get(h.id, h.created)
            when = {paid_at // DAY}
            if h.index < seeded and seeded_gateway(skey, h.index) == GATEWAY:
                if h.name in ("partial", "refunded") or (h.name == "cancelled" and h.id % 2 == 0):
                    when.add(order_header(skey, h.index, seeded).updated // DAY)
                if h.name == "closed":
                    when.update(ts // DAY for _s, ts, _t in _rolls(skey, h.index, paid_at))
            for day in when:
                days.setdefault(day, []).append(h.id)
        for oid, ts in self._refunds_made:
            bucket = days.setdefault(ts // DAY, [])
            if oid not in bucket:
                bucket.append(oid)
        self._index_key, self._index = key, days
        return days

    def _order_movements(self, order_id: int) -> list[Movement]:
        store = self.store
        row, h = store.orders.get(order_id), store.orders.header(order_id)
        if row is None or h is None:
            return []
        if (row.get("payment_gateway_names") or [None])[0] != GATEWAY:
            return []
        if row.get("financial_status") not in CHARGED:
            return []
        total, idx, name = money_cents(row["total_price"]), h.index, row.get("name")
        paid_at = self._captures.get(order_id, h.created)
        out = []
        if total > 0:
            out.append(Movement(_tx_id(paid_at, idx, 0), paid_at, "CHARGE", "CHARGE", total,
                                charge_fee(total), order_id, name, 7_000_000_000_000 + idx,
                                7_100_000_000_000 + idx))
        k = 0
        for rf in row.get("refunds") or []:
            for t in rf.get("transactions") or []:
                if (t.get("kind"), t.get("status"), t.get("gateway")) != ("refund", "success",
                                                                          GATEWAY):
                    continue
                k += 1
                if k > MAX_REFUNDS:
                    break
                ts = parse_time(t.get("created_at") or rf["created_at"])
                out.append(Movement(_tx_id(ts, idx, k), ts, "REFUND", "REFUND",
                                    -money_cents(t["amount"]), 0, order_id, name, rf.get("id"),
                                    t.get("id")))
        if idx < store.volume["orders"] and h.name == "closed":
            half = total // 2
            for slot, ts, kind in _rolls(store.key, idx, paid_at):
                if kind.startswith("DISPUTE"):
                    amount = -total if kind == "DISPUTE_WITHDRAWAL" else total
                    out.append(Movement(_tx_id(ts, idx, slot), ts, kind, "DISPUTE", amount,
                                        DISPUTE_FEE if amount < 0 else 0, order_id, name,
                                        8_000_000_000 + idx))
                elif kind.startswith("RESERVED"):
                    amount = -half if kind == "RESERVED_FUNDS" else half
                    out.append(Movement(_tx_id(ts, idx, slot), ts, kind, "SYSTEM_ADJUSTMENT",
                                        amount))
                else:
                    amount = -250 if (ts // 3600) % 2 else 100
                    out.append(Movement(_tx_id(ts, idx, slot), ts, kind, "ADJUSTMENT", amount,
                                        0, order_id, name, reason="Fee correction"))
        return [m for m in out if m.amount or m.fee]

    def day_movements(self, day: int, now: int) -> tuple[Movement, ...]:
        """The order-side transactions processed on UTC ``day`` up to ``now``, by id."""
        hit = self._days.get(day)
        if hit is not None:
            return hit
        found = [m for oid in dict.fromkeys(self._order_index().get(day, ()))
                 for m in self._order_movements(oid) if m.ts // DAY == day and m.ts <= now]
        found.sort(key=lambda m: m.id)
        out = tuple(found)
        if (day + 1) * DAY <= now:  # a day that is over never changes again
            self._days[day] = out
        return out

    def _movements_between(self, start: int, cutoff: int, now: int) -> list[Movement]:
        """Order-side transactions processed in ``(start, cutoff]``."""
        days = self._order_index()
        first = max(start + 1, min(days, default=cutoff + 1) * DAY) // DAY
        out: list[Movement] = []
        for day in range(first, cutoff // DAY + 1):
            if day in days:
                out.extend(m for m in self.day_movements(day, now) if start < m.ts <= cutoff)
        return out

    # --- the payouts --------------------------------------------------------------------
    def _schedule(self, now: int) -> list[_Slot]:
        """Every payout issued by ``now`` with what it covers (some may turn out empty)."""
        days = self._order_index()
        key = (now, self._index_key, len(self._forced))
        if self._schedules is not None and self._schedules[0] == key:
            return self._schedules[1]
        raw: list[tuple[int, int, bool]] = [(t, t, True) for t in self._forced if t <= now]
        if days:
            for day in range(min(days), now // DAY + 1):
                issued = (day + 1) * DAY + PAYOUT_HOUR * 3600
                if issued <= now:
                    raw.append((issued, (day + 1) * DAY - 1, False))
        raw.sort()
        out, covered = [], -1
        for issued, cutoff, forced in raw:
            if cutoff > covered:
                out.append(_Slot(issued, covered, cutoff, forced))
                covered = cutoff
        self._schedules = (key, out, [slot.cutoff for slot in out])
        return out

    def _payout(self, slot: _Slot, now: int) -> Payout | None:
        key = (slot.issued, slot.forced)
        if key not in self._payouts:
            moves = tuple(self._movements_between(slot.start, slot.cutoff, now))
            self._payouts[key] = (Payout(slot.payout_id, slot.issued, slot.start, slot.cutoff,
                                         slot.forced, moves) if moves else None)
        return self._payouts[key]

    def payouts(self, now: int | None = None, since: int | None = None) -> Iterator[Payout]:
        """Payouts issued by ``now`` (and at or after ``since``), oldest first."""
        now = self.now() if now is None else now
        for slot in self._schedule(now):
            if since is None or slot.issued >= since:
                payout = self._payout(slot, now)
                if payout is not None:
                    yield payout

    def payout_for(self, ts: int, now: int) -> Payout | None:
        """The payout that took a transaction processed at ``ts`` (None: not paid out yet)."""
        schedule = self._schedule(now)
        assert self._schedules is not None
        i = bisect_left(self._schedules[2], ts)
        if i < len(schedule) and schedule[i].start < ts:
            return self._payout(schedule[i], now)
        return None

    def payout(self, payout_id: int, now: int) -> Payout | None:
        """A payout by its numeric id."""
        for slot in self._schedule(now):
            if slot.payout_id == payout_id:
                return self._payout(slot, now)
        return None

    def transactions(self, now: int | None = None, since: int | None = None,
                     transfers: bool = True) -> Iterator[Movement]:
        """Every transaction processed by ``now`` (from ``since``), ascending by id.

        Lazy: a day is rebuilt only when the walk reaches it.
        """
        now = self.now() if now is None else now
        issued_on: dict[int, list[_Slot]] = {}
        if transfers:
            for slot in self._schedule(now):
                issued_on.setdefault(slot.issued // DAY, []).append(slot)
        first = (since or 0) // DAY
        for day in sorted(d for d in {*self._order_index(), *issued_on} if d >= first):
            rows = list(self.day_movements(day, now))
            rows.extend(p.transfer() for slot in issued_on.get(day, ())
                        if (p := self._payout(slot, now)) is not None)
            rows.sort(key=lambda m: m.id)
            yield from (m for m in rows if since is None or m.ts >= since)
