"""Per-SKU stock counters: what the masters hold and what channel orders reserve.

``stock_positions.on_hand`` and ``master_reserved`` are set from the masters' inventory
levels (negative on hand counts as 0); ``reserved`` is only ever moved by a relative
``reserved + delta`` in the reservation path, so concurrent writers cannot lose updates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.stock.oversells import reattribute
from synchub.store.stock_tables import stock_positions
from synchub.store.tables import entity_table
from synchub.store.writer import dialect_insert

if TYPE_CHECKING:
    from synchub.stock.ingest import StockIngest

_CHUNK = 2000


def master_totals(conn: sa.Connection, ingest: StockIngest, skus: Sequence[str] | None = None
                  ) -> dict[str, tuple[int, int]]:
    """(on hand, master-reserved) per SKU over the counted locations of every master."""
    levels = entity_table("inventory_level")
    base = (sa.select(levels.c.connection, levels.c.sku, levels.c.location_external_id,
                      levels.c.location_name, levels.c.on_hand, levels.c.reserved,
                      levels.c.available)
            .where(levels.c.connection.in_(sorted(ingest.masters))))
    totals: dict[str, tuple[int, int]] = {}
    chunks: Iterable[Sequence[str] | None] = (
        [skus[i:i + _CHUNK] for i in range(0, len(skus), _CHUNK)] if skus is not None else [None])
    for chunk in chunks:
        query = (base.where(levels.c.sku.is_not(None)) if chunk is None
                 else base.where(levels.c.sku.in_(chunk)))
        for row in conn.execute(query):
            if not ingest.counts_location(row.connection, row.location_external_id,
                                          row.location_name):
                continue
            on_hand, reserved = level_quantities(row.on_hand, row.reserved, row.available)
            if not ingest.count_reserved.get(row.connection, True):
                reserved = 0
            have = totals.get(row.sku, (0, 0))
            totals[row.sku] = (have[0] + on_hand, have[1] + reserved)
    return totals


def level_quantities(on_hand: int | None, reserved: int | None, available: int | None
                     ) -> tuple[int, int]:
    """(on hand, reserved) of one level; a negative on hand counts as 0."""
    if on_hand is None:  # a source that reports only what is available
        on_hand, reserved = (available or 0), 0
    return max(on_hand, 0), max(reserved or 0, 0)


def set_on_hand(conn: sa.Connection, totals: dict[str, tuple[int, int]], now: datetime
                ) -> dict[str, int]:
    """Write the masters' figures for these SKUs, leaving ``reserved`` alone; return what each
    has left to sell afterwards (read under the row lock the write took)."""
    left: dict[str, int] = {}
    if not totals:
        return left
    rows = [{"sku": sku, "on_hand": oh, "master_reserved": mr, "reserved": 0, "updated_at": now}
            for sku, (oh, mr) in sorted(totals.items())]
    pos = stock_positions
    for start in range(0, len(rows), _CHUNK):
        ins = dialect_insert(conn, pos)
        result = conn.execute(ins.on_conflict_do_update(
            index_elements=[pos.c.sku],
            set_={"on_hand": ins.excluded.on_hand,
                  "master_reserved": ins.excluded.master_reserved,
                  "updated_at": ins.excluded.updated_at},
        ).returning(pos.c.sku, pos.c.on_hand - pos.c.master_reserved - pos.c.reserved),
            rows[start:start + _CHUNK])
        left.update({row[0]: int(row[1]) for row in result})
    return left


def _master_free(conn: sa.Connection, skus: list[str]) -> dict[str, int]:
    """On hand minus the masters' own reservations, per SKU that has a position."""
    pos = stock_positions
    out: dict[str, int] = {}
    for start in range(0, len(skus), _CHUNK):
        out.update({row[0]: int(row[1]) for row in conn.execute(
            sa.select(pos.c.sku, pos.c.on_hand - pos.c.master_reserved)
            .where(pos.c.sku.in_(skus[start:start + _CHUNK])))})
    return out


def on_master_levels(conn: sa.Connection, ingest: StockIngest, skus: list[Any], now: datetime
                     ) -> dict[str, int]:
    """Hook: a master's inventory page changed these SKUs; refresh their on-hand counters.

    A SKU whose master stock rose (a receipt, a count found more) has its oversells
    re-evaluated in this transaction: orders it now covers are no longer short. A fall
    re-evaluates nothing here: a master's shipment often lowers its stock a page before
    the shipment that releases the order's reservation arrives, and would flag an
    oversell for a moment; the SKU's next reservation movement sees the fall.
    """
    wanted = sorted({s for s in skus if s})
    if not wanted:
        return {}
    totals = master_totals(conn, ingest, wanted)
    for sku in wanted:  # a SKU whose last counted level went away holds nothing now
        totals.setdefault(sku, (0, 0))
    before = _master_free(conn, wanted)
    left = set_on_hand(conn, totals, now)
    risen = {sku: oh - mr - before[sku] for sku, (oh, mr) in totals.items()
             if sku in before and oh - mr > before[sku]}
    counts = {"positions_refreshed": len(wanted)}
    if risen:
        counts.update(reattribute(conn, ingest, risen, left, now))
    return counts


def rebuild_on_hand(conn: sa.Connection, ingest: StockIngest, now: datetime) -> int:
    """Recompute every SKU's on-hand counters from the masters, in two set-based statements.

    One ``INSERT .. SELECT .. GROUP BY sku .. ON CONFLICT DO UPDATE`` that rewrites only the
    positions whose figures moved, and one UPDATE that zeroes SKUs no counted level holds
    any more. Returns the number of positions written.
    """
    levels = entity_table("inventory_level")
    counted = _counted_levels(levels, ingest)
    raw_on_hand = sa.func.coalesce(levels.c.on_hand, levels.c.available, 0)
    on_hand = sa.case((raw_on_hand > 0, raw_on_hand), else_=0)
    reserving = sorted(m for m in ingest.masters if ingest.count_reserved.get(m, True))
    reserved = sa.case((sa.and_(levels.c.on_hand.is_not(None),
                                levels.c.connection.in_(reserving or [""]),
                                levels.c.reserved > 0), levels.c.reserved), else_=0)
    totals = (sa.select(levels.c.sku, sa.func.sum(on_hand).label("on_hand"),
                        sa.func.sum(reserved).label("master_reserved"),
                        sa.literal(0, sa.BigInteger).label("reserved"),
                        sa.literal(now, stock_positions.c.updated_at.type).label("updated_at"))
              .where(counted).group_by(levels.c.sku))
    ins = dialect_insert(conn, stock_positions).from_select(
        ["sku", "on_hand", "master_reserved", "reserved", "updated_at"], totals)
    pos = stock_positions
    # RETURNING counts the rows really written (drivers disagree on rowcount here)
    written = len(conn.execute(ins.on_conflict_do_update(
        index_elements=[pos.c.sku],
        set_={"on_hand": ins.excluded.on_hand, "master_reserved": ins.excluded.master_reserved,
              "updated_at": ins.excluded.updated_at},
        where=sa.or_(pos.c.on_hand != ins.excluded.on_hand,
                     pos.c.master_reserved != ins.excluded.master_reserved),
    ).returning(pos.c.sku)).all())
    held = sa.select(levels.c.sku).where(counted)
    zeroed = len(conn.execute(sa.update(pos).where(
        sa.or_(pos.c.on_hand != 0, pos.c.master_reserved != 0),
        pos.c.sku.not_in(held)).values(on_hand=0, master_reserved=0, updated_at=now)
        .returning(pos.c.sku)).all())
    return written + zeroed


def _counted_levels(levels: sa.Table, ingest: StockIngest) -> sa.ColumnElement[bool]:
    """The masters' levels that count: a SKU, at a location the master config names."""
    per_master = []
    for master in sorted(ingest.masters):
        wanted = ingest.master_locations.get(master)
        cond = levels.c.connection == master
        if wanted is not None:
            names = sorted(wanted)
            cond = sa.and_(cond, sa.or_(levels.c.location_external_id.in_(names),
                                        levels.c.location_name.in_(names)))
        per_master.append(cond)
    return sa.and_(levels.c.sku.is_not(None), sa.or_(*per_master))


def add_reserved(conn: sa.Connection, deltas: dict[str, int], now: datetime
                 ) -> dict[str, int]:
    """Move each SKU's reserved units by its delta, atomically; return what is left to sell.

    One ``INSERT .. ON CONFLICT DO UPDATE SET reserved = reserved + excluded.reserved``: the
    database applies each delta to the row as it stands when the row lock is granted, so
    concurrent ingests add up exactly. Rows are touched in SKU order (no deadlocks).
    """
    moving = sorted((s, d) for s, d in deltas.items() if d)
    left: dict[str, int] = {}
    for start in range(0, len(moving), _CHUNK):
        rows = [{"sku": s, "on_hand": 0, "master_reserved": 0, "reserved": d, "updated_at": now}
                for s, d in moving[start:start + _CHUNK]]
        ins = dialect_insert(conn, stock_positions).values(rows)
        result = conn.execute(ins.on_conflict_do_update(
            index_elements=[stock_positions.c.sku],
            set_={"reserved": stock_positions.c.reserved + ins.excluded.reserved,
                  "updated_at": ins.excluded.updated_at},
        ).returning(stock_positions.c.sku,
                    stock_positions.c.on_hand - stock_positions.c.master_reserved
                    - stock_positions.c.reserved))
        left.update({row[0]: int(row[1]) for row in result})
    return left
