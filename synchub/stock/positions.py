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


def set_on_hand(conn: sa.Connection, totals: dict[str, tuple[int, int]], now: datetime) -> None:
    """Write the masters' figures for these SKUs, leaving ``reserved`` alone."""
    if not totals:
        return
    rows = [{"sku": sku, "on_hand": oh, "master_reserved": mr, "reserved": 0, "updated_at": now}
            for sku, (oh, mr) in sorted(totals.items())]
    for start in range(0, len(rows), _CHUNK):
        ins = dialect_insert(conn, stock_positions)
        conn.execute(ins.on_conflict_do_update(
            index_elements=[stock_positions.c.sku],
            set_={"on_hand": ins.excluded.on_hand,
                  "master_reserved": ins.excluded.master_reserved,
                  "updated_at": ins.excluded.updated_at},
        ), rows[start:start + _CHUNK])


def on_master_levels(conn: sa.Connection, ingest: StockIngest, skus: list[Any], now: datetime
                     ) -> dict[str, int]:
    """Hook: a master's inventory page changed these SKUs; refresh their on-hand counters."""
    wanted = sorted({s for s in skus if s})
    if not wanted:
        return {}
    totals = master_totals(conn, ingest, wanted)
    for sku in wanted:  # a SKU whose last counted level went away holds nothing now
        totals.setdefault(sku, (0, 0))
    set_on_hand(conn, totals, now)
    return {"positions_refreshed": len(wanted)}


def rebuild_on_hand(conn: sa.Connection, ingest: StockIngest, now: datetime) -> int:
    """Recompute every SKU's on-hand counters from the masters (after a config change)."""
    totals = master_totals(conn, ingest)
    stale = conn.execute(sa.select(stock_positions.c.sku)).scalars().all()
    for sku in stale:
        totals.setdefault(sku, (0, 0))
    set_on_hand(conn, totals, now)
    return len(totals)


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
