"""Reservations: the units channel orders hold until the master's stock reflects them.

Each order line (each kit component of it) has one row whose ``open_qty`` is recomputed
from the order as it now stands and from what the master has shipped for it; the
difference moves ``stock_positions.reserved`` atomically. Units are released when:

- the order is cancelled (except units refunded without restock, which left the shelf),
- a refund gives units back with restock,
- a master shipment (``Shipment.order_connection`` / ``order_external_id``) covers them,
- the order is older than ``reservations.max_age`` (taken as settled in the master),
- the order was deleted at its source (``on_deleted_orders``; a later changed version of
  it reserves again).

When a SKU's sellable stock goes below zero, the orders placed last are short: they get
``stock_exceptions`` rows with their shortfall, re-attributed whenever an order placed
earlier arrives later (:mod:`synchub.stock.oversells`).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.stock.oversells import reattribute
from synchub.stock.positions import add_reserved
from synchub.store.stock_tables import stock_reservations
from synchub.store.tables import bindings, entity_table
from synchub.store.writer import dialect_insert

if TYPE_CHECKING:
    from synchub.stock.ingest import StockIngest

_CHUNK = 2000
# what stock_reservations.line_key holds
_KEY_LENGTH: int = getattr(stock_reservations.c.line_key.type, "length", None) or 255
CANCELLED = {"cancelled", "failed"}


@dataclass(frozen=True, slots=True)
class Wanted:
    """What one reservation row should hold now."""

    line_key: str
    sku: str
    quantity: int
    open_qty: int
    reason: str


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def wanted_rows(order: dict[str, Any], ingest: StockIngest, shipped: dict[str, int],
                now: datetime) -> list[Wanted]:
    """The reservation rows an order should have, given what the master shipped for it."""
    placed = _when(order["placed_at"])
    if ingest.since is not None and placed < ingest.since:
        return []
    expired = placed < now - ingest.max_age
    restocked: dict[str, int] = defaultdict(int)
    consumed: dict[str, int] = defaultdict(int)
    for refund in order.get("refunds") or ():
        for rl in refund.get("lines") or ():
            key = rl.get("line_external_id") or f"sku:{rl.get('sku')}"
            (restocked if rl.get("restock") else consumed)[key] += _units(rl.get("quantity"))
    cancelled = order.get("status") in CANCELLED
    left_to_ship = dict(shipped)
    out: list[Wanted] = []
    connection = order["source"]["connection"]
    for line in order.get("lines") or ():
        sku = line.get("sku")
        qty = _units(line.get("quantity"))
        if not sku or not qty:
            # a line of 0 (an item removed from the order) holds nothing: a row it had
            # before is released as line_removed
            continue
        key = line.get("external_id") or f"sku:{sku}"
        if cancelled:
            keep, reason = consumed.get(key, 0), "cancelled"
        else:
            back = restocked.get(key, 0)
            keep, reason = qty - back, ("restocked" if back else "ordered")
        keep = min(max(keep, 0), qty)
        if expired:
            keep, reason = 0, "expired"
        master = ingest.master_sku(connection, sku)
        parts = ingest.components(master)
        for part, per in sorted(parts.items()):
            units = keep * per
            covered = min(units, left_to_ship.get(part, 0))
            if covered > 0:
                left_to_ship[part] -= covered
                units -= covered
                reason = "shipped" if not units else reason
            row_key = key if len(parts) == 1 and part == master else f"{key}/{part}"
            out.append(Wanted(_fit_key(row_key), part, qty * per, units, reason))
    return out


def _units(value: Any) -> int:
    """Units of a line as a count: 0 for none, for a negative figure or for no figure.

    Canonical order lines are never negative (returns arrive as refunds); documents stored
    before that rule, refunds and shipments that sign their lines are read the same way.
    """
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0


def _fit_key(key: str) -> str:
    """A line key that fits its column: long ones (a kit part of a long SKU) by their hash."""
    if len(key) <= _KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _shipped_by_master(conn: sa.Connection, ingest: StockIngest, orders: list[dict[str, Any]]
                       ) -> dict[tuple[str, str], dict[str, int]]:
    """Units per SKU that master shipments report for each (connection, order external id)."""
    ships = entity_table("shipment")
    by_conn: dict[str, list[str]] = defaultdict(list)
    for o in orders:
        by_conn[o["source"]["connection"]].append(o["external_id"])
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for conn_name, ids in by_conn.items():
        for start in range(0, len(ids), _CHUNK):
            rows = conn.execute(sa.select(ships.c.order_external_id, ships.c.data).where(
                ships.c.connection.in_(sorted(ingest.masters)),
                ships.c.order_connection == conn_name,
                ships.c.order_external_id.in_(ids[start:start + _CHUNK])))
            for row in rows:
                doc = row.data if isinstance(row.data, dict) else json.loads(row.data)
                for line in doc.get("lines") or ():
                    if line.get("sku"):
                        out[(conn_name, row.order_external_id)][line["sku"]] += _units(
                            line.get("quantity"))
    return out


def on_orders(conn: sa.Connection, ingest: StockIngest, orders: list[dict[str, Any]],
              now: datetime) -> dict[str, int]:
    """Hook: bring the reservations of these (just stored) orders in line with them."""
    if not orders:
        return {}
    shipped = _shipped_by_master(conn, ingest, orders)
    existing = _existing(conn, [o["id"] for o in orders])
    upserts: list[dict[str, Any]] = []
    deltas: dict[str, int] = defaultdict(int)
    for order in orders:
        conn_name = order["source"]["connection"]
        wanted = wanted_rows(order, ingest,
                             shipped.get((conn_name, order["external_id"]), {}), now)
        have = existing.get(order["id"], {})
        seen = set()
        for w in wanted:
            seen.add((w.line_key, w.sku))
            before = have.get((w.line_key, w.sku))
            if before is not None and before == (w.open_qty, w.quantity, w.reason):
                continue
            delta = w.open_qty - (before[0] if before else 0)
            deltas[w.sku] += delta
            upserts.append(_row(order, w.line_key, w.sku, w.quantity, w.open_qty, w.reason, now))
        for (line_key, sku), (open_qty, quantity, _reason) in have.items():
            if (line_key, sku) not in seen and (open_qty or _reason != "line_removed"):
                deltas[sku] -= open_qty
                upserts.append(_row(order, line_key, sku, quantity, 0, "line_removed", now))
    if upserts:
        ins = dialect_insert(conn, stock_reservations)
        conn.execute(ins.on_conflict_do_update(
            index_elements=[stock_reservations.c.order_id, stock_reservations.c.line_key,
                            stock_reservations.c.sku],
            set_={c: ins.excluded[c] for c in ("quantity", "open_qty", "status", "reason",
                                               "placed_at", "updated_at")},
        ), upserts)
    # add_reserved locks the moved SKUs' positions: the re-attribution below sees every
    # reservation of them committed before, and no other writer changes their exceptions
    left = add_reserved(conn, deltas, now)
    return {"reservation_changes": len(upserts),
            **reattribute(conn, ingest, deltas, left, now)}


def on_deleted_orders(conn: sa.Connection, ingest: StockIngest, order_ids: list[str],
                      now: datetime) -> dict[str, int]:
    """Hook: these orders were deleted at their source; release every unit they hold."""
    if not order_ids:
        return {}
    t = stock_reservations
    deltas: dict[str, int] = defaultdict(int)
    released = 0
    ids = sorted(set(order_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        rows = conn.execute(sa.select(t.c.sku, t.c.open_qty).where(
            t.c.order_id.in_(chunk), t.c.open_qty > 0)).all()
        for r in rows:
            deltas[r.sku] -= int(r.open_qty)
        released += len(rows)
        conn.execute(sa.update(t).where(t.c.order_id.in_(chunk), t.c.open_qty > 0).values(
            open_qty=0, status="released", reason="deleted", updated_at=now))
    if not released:
        return {}
    left = add_reserved(conn, deltas, now)
    return {"reservation_changes": released, **reattribute(conn, ingest, deltas, left, now)}


def _row(order: dict[str, Any], line_key: str, sku: str, quantity: int, open_qty: int,
         reason: str, now: datetime) -> dict[str, Any]:
    return {"order_id": order["id"], "line_key": line_key, "sku": sku,
            "connection": order["source"]["connection"],
            "order_external_id": order["external_id"], "quantity": quantity,
            "open_qty": open_qty, "placed_at": _when(order["placed_at"]),
            "status": "open" if open_qty > 0 else "released", "reason": reason,
            "created_at": now, "updated_at": now}


def _existing(conn: sa.Connection, order_ids: list[str]
              ) -> dict[str, dict[tuple[str, str], tuple[int, int, str]]]:
    out: dict[str, dict[tuple[str, str], tuple[int, int, str]]] = defaultdict(dict)
    t = stock_reservations
    for start in range(0, len(order_ids), _CHUNK):
        rows = conn.execute(sa.select(t.c.order_id, t.c.line_key, t.c.sku, t.c.open_qty,
                                      t.c.quantity, t.c.reason)
                            .where(t.c.order_id.in_(order_ids[start:start + _CHUNK])))
        for r in rows:
            out[r.order_id][(r.line_key, r.sku)] = (int(r.open_qty), int(r.quantity), r.reason)
    return out


def on_master_shipments(conn: sa.Connection, ingest: StockIngest,
                        shipments: list[dict[str, Any]], now: datetime) -> dict[str, int]:
    """Hook: master shipments arrived; re-evaluate the orders they name."""
    refs = {(s["order_connection"], s["order_external_id"]) for s in shipments
            if s.get("order_connection") and s.get("order_external_id")}
    if not refs:
        return {}
    orders_t = entity_table("order")
    ids: list[str] = []
    by_conn: dict[str, list[str]] = defaultdict(list)
    for c, e in refs:
        by_conn[c].append(e)
    for c, exts in by_conn.items():
        ids += conn.execute(sa.select(bindings.c.canonical_id).where(
            bindings.c.connection == c, bindings.c.entity == "order",
            bindings.c.external_id.in_(sorted(exts)))).scalars().all()
    docs = [r if isinstance(r, dict) else json.loads(r) for r in conn.execute(
        sa.select(orders_t.c.data).where(orders_t.c.id.in_(sorted(ids)))).scalars()]
    result = on_orders(conn, ingest, [d for d in docs
                                      if d["source"]["connection"] in ingest.channels], now)
    return {"orders_released": len(docs), **result}
