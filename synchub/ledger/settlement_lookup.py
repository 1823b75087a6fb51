"""The hub's side of a page of balance movements: their orders, refunds and charge totals.

One :class:`Lookup` per page of movements answers, with a few IN-list queries, which order
or refund each movement settles among the channels its payout source settles.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from synchub.store.tables import entity_table

_CHUNK = 1000  # ids per IN list
_orders = entity_table("order")
_refunds = entity_table("refund")
_bt = entity_table("balance_transaction")


@dataclass(frozen=True)
class Held:
    """An order (its total) or refund (its positive amount) as the hub holds it."""

    connection: str
    id: str
    external_id: str
    amount: Decimal
    currency: str


def doc_of(data: Any) -> dict[str, Any]:
    """A stored document as a dict (a driver may hand back JSON text)."""
    if isinstance(data, str):
        parsed: dict[str, Any] = json.loads(data)
        return parsed
    return dict(data or {})


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start:start + _CHUNK]


class Lookup:
    """Orders, refunds and per-order charge totals behind ``txs`` (rows of the movements)."""

    def __init__(self, conn: sa.Connection, source: str, siblings: Sequence[str],
                 channel: str, txs: Sequence[Any]) -> None:
        self.channel = channel
        self._used: set[str] = set()
        order_ids = {tx.order_external_id for tx in txs
                     if tx.order_external_id and tx.type in ("charge", "refund")}
        self._orders = self._held(conn, _orders, _orders.c.total_amount, siblings,
                                  _orders.c.external_id, order_ids, by="external_id")
        self._charges: dict[tuple[str, str], tuple[Decimal, int]] = {}
        charged = {tx.order_external_id for tx in txs
                   if tx.type == "charge" and tx.order_external_id}
        for chunk in _chunks(charged):
            for row in conn.execute(
                    sa.select(_bt.c.order_external_id, _bt.c.currency,
                              sa.func.sum(_bt.c.amount).label("total"),
                              sa.func.count().label("n"))
                    .where(_bt.c.connection == source, _bt.c.type == "charge",
                           _bt.c.order_external_id.in_(chunk))
                    .group_by(_bt.c.order_external_id, _bt.c.currency)):
                self._charges[(row.order_external_id, row.currency)] = (
                    Decimal(row.total), int(row.n))
        refund_txs = [tx for tx in txs if tx.type == "refund"]
        refund_ids = {rid for tx in refund_txs
                      if (rid := tx.refund_external_id)}
        self._refunds = self._held(conn, _refunds, _refunds.c.amount, siblings,
                                   _refunds.c.external_id, refund_ids, by="external_id")
        self._refunds_of = self._held(
            conn, _refunds, _refunds.c.amount, siblings, _refunds.c.order_external_id,
            {tx.order_external_id for tx in refund_txs if tx.order_external_id},
            by="order_external_id")

    @staticmethod
    def _held(conn: sa.Connection, table: sa.Table, amount: Any, siblings: Sequence[str],
              column: Any, values: Iterable[str], *, by: str) -> dict[str, list[Held]]:
        out: dict[str, list[Held]] = {}
        for chunk in _chunks(values):
            rows = conn.execute(
                sa.select(table.c.connection, table.c.id, table.c.external_id,
                          amount.label("amount"), table.c.currency, column.label("key"))
                .where(table.c.connection.in_(list(siblings)), column.in_(chunk))
                .order_by(table.c.connection, table.c.id))
            for row in rows:
                held = Held(row.connection, row.id, row.external_id,
                            Decimal(row.amount or 0), row.currency or "")
                out.setdefault(row.key, []).append(held)
        return out

    def _pick(self, candidates: list[Held]) -> Held | None:
        # the same external id in two channels a source settles: the channel at hand first
        for held in candidates:
            if held.connection == self.channel:
                return held
        return candidates[0] if candidates else None

    def order(self, external_id: str | None) -> Held | None:
        """The order a movement names, or None when the hub does not hold it."""
        return self._pick(self._orders.get(external_id or "", []))

    def charged(self, order_external_id: str, currency: str, amount: Decimal
                ) -> tuple[Decimal, int]:
        """(sum, count) of the source's charges of an order in ``currency``."""
        return self._charges.get((order_external_id, currency), (amount, 1))

    def refund(self, tx: Any) -> Held | None:
        """The hub's refund a refund movement settles: by its refund id, else a refund of
        its order with the same amount (each refund matched once)."""
        rid = tx.refund_external_id
        found = self._pick([r for r in self._refunds.get(rid or "", []) if r.id not in self._used])
        if found is None:
            found = self._pick([r for r in self._refunds_of.get(tx.order_external_id or "", [])
                                if r.id not in self._used and r.amount == -tx.amount
                                and r.currency == tx.currency])
        if found is not None:
            self._used.add(found.id)
        return found
