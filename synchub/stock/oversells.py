"""Oversells: which orders are short when the channels together sold more than exists.

The units of a SKU go to its open reservations in queue order, and the deficit falls on the
claims served last:

1. **settled** claims first: orders already delivered to a stock master (a ``deliveries``
   row of a master sink with ``delivered_at``), and units of a cancelled order that left
   the shelf (refunded without restock); the master or the shelf has already given them
   their units, so a late-arriving order never takes them away;
2. then by ``placed_at``, the time the customer placed the order on its channel;
3. ties on placement time by connection name, then the channel's order id, then the hub's
   order id, each compared as text.

Orders the master has shipped, orders older than ``reservations.max_age`` and cancelled
units given back hold nothing, so they are in no queue: re-attribution never reaches them.

The attribution of a SKU is re-evaluated in the transaction whose reservation change moved
the SKU's counter, when the SKU is short afterwards or has open exceptions. That
transaction holds the lock of the SKU's ``stock_positions`` row (taken by
:func:`~synchub.stock.positions.add_reserved`), so it sees every reservation of the SKU
committed before it and no other writer changes the SKU's exceptions until it commits. Each
exception that changes (raised, shortfall changed, resolved, reopened) gets the next
``stock_exception`` change number, so feed readers see the move.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.store.delivery_tables import deliveries
from synchub.store.stock_tables import stock_exceptions, stock_reservations
from synchub.store.tables import entity_table
from synchub.store.writer import assign_seq_block, dialect_insert

if TYPE_CHECKING:
    from synchub.stock.ingest import StockIngest

KIND = "oversell"
_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class Claim:
    """One order's open units of one SKU, with what decides its place in the queue."""

    order_id: str
    connection: str
    order_external_id: str
    placed_at: datetime
    units: int
    settled: bool = False

    def queue_key(self) -> tuple[bool, datetime, str, str, str]:
        """Earlier in the queue is served first (see the module docstring)."""
        return (not self.settled, self.placed_at, self.connection, self.order_external_id,
                self.order_id)


def shortfalls(claims: Iterable[Claim], deficit: int) -> dict[str, int]:
    """Units short per order id: the deficit falls on the claims served last."""
    out: dict[str, int] = {}
    for claim in sorted(claims, key=Claim.queue_key, reverse=True):
        if deficit <= 0:
            break
        short = min(claim.units, deficit)
        if short > 0:
            out[claim.order_id] = short
            deficit -= short
    return out


def reattribute(conn: sa.Connection, ingest: StockIngest, deltas: dict[str, int],
                left: dict[str, int], now: datetime) -> dict[str, int]:
    """Bring the oversell exceptions of the SKUs this transaction moved in line with them.

    ``deltas`` are the units the transaction moved per SKU and ``left`` what each moved SKU
    has left to sell afterwards (negative: oversold), as ``add_reserved`` returned it; only
    those SKUs are locked by this transaction, so only they are re-evaluated.
    """
    moved = sorted(sku for sku, delta in deltas.items() if delta and sku in left)
    if not moved:
        return {"oversold": 0, "oversells_resolved": 0}
    short_now = [sku for sku in moved if left[sku] < 0]
    stocked = _stocked(conn, ingest, short_now)
    skus = sorted(stocked | _with_open_exceptions(conn, moved))
    if not skus:
        return {"oversold": 0, "oversells_resolved": 0}
    claims = _claims(conn, ingest, skus)
    wanted = {sku: shortfalls(claims.get(sku, ()), -left[sku] if sku in stocked else 0)
              for sku in skus}
    existing = _existing(conn, skus, sorted({o for short in wanted.values() for o in short}))
    return _write(conn, skus, wanted, claims, existing, now)


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    return (values[i:i + _CHUNK] for i in range(0, len(values), _CHUNK))


def _stocked(conn: sa.Connection, ingest: StockIngest, skus: list[str]) -> set[str]:
    """The SKUs a master reports (a SKU no master knows is drift, not an oversell)."""
    levels = entity_table("inventory_level")
    out: set[str] = set()
    for chunk in _chunks(skus):
        out.update(conn.execute(sa.select(levels.c.sku).distinct().where(
            levels.c.connection.in_(sorted(ingest.masters)), levels.c.sku.in_(chunk)))
            .scalars())
    return out


def _with_open_exceptions(conn: sa.Connection, skus: list[str]) -> set[str]:
    t = stock_exceptions
    out: set[str] = set()
    for chunk in _chunks(skus):
        out.update(conn.execute(sa.select(t.c.sku).distinct().where(
            t.c.kind == KIND, t.c.resolved_at.is_(None), t.c.sku.in_(chunk))).scalars())
    return out


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for values written as UTC
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _claims(conn: sa.Connection, ingest: StockIngest, skus: list[str]
            ) -> dict[str, list[Claim]]:
    """Every open reservation of these SKUs, one claim per (SKU, order)."""
    r = stock_reservations
    units: dict[tuple[str, str], int] = defaultdict(int)
    left_shelf: set[tuple[str, str]] = set()
    meta: dict[str, tuple[str, str, datetime]] = {}
    for chunk in _chunks(skus):
        for row in conn.execute(sa.select(r.c.sku, r.c.order_id, r.c.connection,
                                          r.c.order_external_id, r.c.placed_at, r.c.open_qty,
                                          r.c.reason)
                                .where(r.c.sku.in_(chunk), r.c.open_qty > 0)):
            key = (row.sku, row.order_id)
            units[key] += int(row.open_qty)
            if row.reason == "cancelled":  # refunded without restock: the units are gone
                left_shelf.add(key)
            meta[row.order_id] = (row.connection, row.order_external_id, _aware(row.placed_at))
    delivered = _delivered_to_master(conn, ingest, sorted(meta))
    out: dict[str, list[Claim]] = defaultdict(list)
    for (sku, order_id), n in units.items():
        connection, external_id, placed = meta[order_id]
        out[sku].append(Claim(order_id, connection, external_id, placed, n,
                              order_id in delivered or (sku, order_id) in left_shelf))
    return out


def _delivered_to_master(conn: sa.Connection, ingest: StockIngest, order_ids: list[str]
                         ) -> set[str]:
    d = deliveries
    out: set[str] = set()
    for chunk in _chunks(order_ids):
        out.update(conn.execute(sa.select(d.c.record_id).distinct().where(
            d.c.entity == "order", d.c.sink.in_(sorted(ingest.masters)),
            d.c.delivered_at.is_not(None), d.c.record_id.in_(chunk))).scalars())
    return out


@dataclass(slots=True)
class _Existing:
    id: int
    order_id: str
    shortfall: int
    resolved: bool
    detected_at: datetime
    data: dict[str, Any]


def _existing(conn: sa.Connection, skus: list[str], short_ids: list[str]
              ) -> dict[str, dict[str, _Existing]]:
    """SKU -> order id -> its exception row: the open ones, and resolved ones short again."""
    t = stock_exceptions
    out: dict[str, dict[str, _Existing]] = defaultdict(dict)
    wanted: sa.ColumnElement[bool] = t.c.resolved_at.is_(None)
    if short_ids:
        wanted = sa.or_(wanted, t.c.order_id.in_(short_ids))
    for chunk in _chunks(skus):
        for row in conn.execute(sa.select(t.c.id, t.c.sku, t.c.order_id, t.c.shortfall,
                                          t.c.resolved_at, t.c.detected_at, t.c.data)
                                .where(t.c.kind == KIND, t.c.sku.in_(chunk), wanted)
                                .order_by(t.c.id)):
            data = row.data if isinstance(row.data, dict) else json.loads(row.data)
            out[row.sku][row.order_id] = _Existing(
                int(row.id), row.order_id, int(row.shortfall), row.resolved_at is not None,
                _aware(row.detected_at), dict(data))
    return out


@dataclass
class _Changes:
    """What the re-evaluation writes: new rows, rows raised again or changed, rows closed."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    reopened: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)
    raised: int = 0


def _write(conn: sa.Connection, skus: list[str], wanted: dict[str, dict[str, int]],
           claims: dict[str, list[Claim]], existing: dict[str, dict[str, _Existing]],
           now: datetime) -> dict[str, int]:
    numbers = _order_numbers(conn, sorted({o for short in wanted.values() for o in short}))
    changes = _Changes()
    for sku in skus:
        _plan(changes, sku, wanted[sku], {c.order_id: c for c in claims.get(sku, ())},
              existing.get(sku, {}), numbers, now)
    changed = _apply(conn, changes)
    if changed:
        assign_seq_block(conn, "stock_exception", stock_exceptions, changed)
    return {"oversold": changes.raised, "oversells_resolved": len(changes.closed)}


def _plan(changes: _Changes, sku: str, short: dict[str, int], claims: dict[str, Claim],
          existing: dict[str, _Existing], numbers: dict[str, str | None], now: datetime
          ) -> None:
    """Add one SKU's changes: raise or update the short orders, close the others."""
    gained = []  # orders short now that were not, or short of more units than before
    for order_id, n in short.items():
        old = existing.get(order_id)
        if old is not None and not old.resolved and old.shortfall == n:
            continue
        if old is None or old.resolved or n > old.shortfall:
            gained.append(claims[order_id])
        # a shortfall that only changed keeps the time it was first detected
        detected = now if old is None or old.resolved else old.detected_at
        row = _open_row(sku, claims[order_id], n, numbers.get(order_id), detected)
        if old is None:
            changes.inserts.append(row)
        else:
            changes.reopened.append({"b_id": old.id, "b_shortfall": n,
                                     "b_reason": row["reason"], "b_data": row["data"],
                                     "b_detected_at": detected})
        changes.raised += old is None or old.resolved
    moved_to = [{"connection": c.connection, "order_external_id": c.order_external_id}
                for c in sorted(gained, key=Claim.queue_key)]
    for order_id, old in existing.items():
        if old.resolved or order_id in short:
            continue
        data = {**old.data, "status": "resolved", "resolved_at": now.isoformat(),
                "resolution": "reattributed" if moved_to else "covered"}
        if moved_to:
            data["reattributed_to"] = moved_to
        changes.closed.append({"b_id": old.id, "b_data": data, "b_resolved_at": now})


def _open_row(sku: str, claim: Claim, shortfall: int, number: str | None, detected: datetime
              ) -> dict[str, Any]:
    label = number or claim.order_external_id
    return {
        "kind": KIND, "order_id": claim.order_id, "connection": claim.connection,
        "order_external_id": claim.order_external_id, "sku": sku, "shortfall": shortfall,
        "reason": f"order {label} on {claim.connection}, placed "
                  f"{claim.placed_at.isoformat()}, needs {claim.units} of {sku} but only "
                  f"{claim.units - shortfall} were left to sell after the orders served "
                  f"before it",
        "data": {"order_id": claim.order_id, "sku": sku, "shortfall": shortfall,
                 "units": claim.units, "placed_at": claim.placed_at.isoformat(),
                 "connection": claim.connection,
                 "order_external_id": claim.order_external_id, "order_number": number,
                 "status": "open", "detected_at": detected.isoformat(),
                 "resolved_at": None},
        "detected_at": detected,
    }


def _order_numbers(conn: sa.Connection, order_ids: list[str]) -> dict[str, str | None]:
    orders = entity_table("order")
    out: dict[str, str | None] = {}
    for chunk in _chunks(order_ids):
        out.update({r.id: r.number for r in conn.execute(
            sa.select(orders.c.id, orders.c.number).where(orders.c.id.in_(chunk)))})
    return out


def _apply(conn: sa.Connection, changes: _Changes) -> list[int]:
    """Write the changes; the ids of every row written, closed ones first."""
    t = stock_exceptions
    by_id = t.c.id == sa.bindparam("b_id")
    if changes.closed:
        conn.execute(sa.update(t).where(by_id).values(
            resolved_at=sa.bindparam("b_resolved_at"), data=sa.bindparam("b_data")),
            changes.closed)
    if changes.reopened:
        conn.execute(sa.update(t).where(by_id).values(
            shortfall=sa.bindparam("b_shortfall"), reason=sa.bindparam("b_reason"),
            data=sa.bindparam("b_data"), resolved_at=None,
            detected_at=sa.bindparam("b_detected_at")), changes.reopened)
    changed = [int(u["b_id"]) for u in (*changes.closed, *changes.reopened)]
    if changes.inserts:
        # the SKU's position lock keeps other writers off these rows; the conflict clause
        # only guards against a row written outside this path
        ins = dialect_insert(conn, t).on_conflict_do_nothing(
            index_elements=[t.c.kind, t.c.order_id, t.c.sku]).returning(t.c.id)
        if conn.dialect.name == "postgresql":
            changed += [int(r[0]) for r in conn.execute(ins, changes.inserts)]
        else:
            for row in changes.inserts:
                got = conn.execute(ins.values(**row)).scalar_one_or_none()
                if got is not None:
                    changed.append(int(got))
    return changed
