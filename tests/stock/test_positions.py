"""The masters' counters: the set-based rebuild agrees with the per-page refresh."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from synchub.canonical import InventoryLevel, SourceRef
from synchub.stock.positions import master_totals, rebuild_on_hand
from synchub.store import Store
from synchub.store.stock_tables import stock_positions
from tests.stock.conftest import ingest, level


def only_available(sku: str, location: str, available: int) -> InventoryLevel:
    """A level from a source that reports what is available and nothing else."""
    ext = f"{sku}:{location}"
    return InventoryLevel(source=SourceRef(connection="wms", system="x", external_id=ext),
                          external_id=ext, sku=sku, location_external_id=location,
                          available=available)


def test_rebuild_matches_the_page_refresh(store: Store) -> None:
    ing = ingest(masters=frozenset({"erp", "wms"}),
                 master_locations={"erp": frozenset({"WH", "77"}), "wms": None},
                 count_reserved={"erp": True, "wms": False})
    store.write_page(connection="erp", stream="s", hooks=ing.hooks_for("erp"), records=[
        level("A", "WH", 10, reserved=2), level("A", "OUT", 99), level("B", "WH", -5, 1),
        level("C", "77", 4, reserved=9)])
    store.write_page(connection="wms", stream="s", hooks=ing.hooks_for("wms"), records=[
        only_available("A", "X", 6), only_available("D", "X", -2),
        level("E", "Y", 5, reserved=3, connection="wms")])
    with store.engine.connect() as conn:
        by_page = {r.sku: (r.on_hand, r.master_reserved) for r in conn.execute(
            sa.select(stock_positions))}
        expected = master_totals(conn, ing)
    # A: 10 + 6 (OUT not counted), erp reserves 2; B: negative on hand is 0; E: wms
    # reservations are not counted
    assert expected == {"A": (16, 2), "B": (0, 1), "C": (4, 9), "D": (0, 0), "E": (5, 0)}
    assert by_page == expected

    with store.transaction() as conn:
        conn.execute(sa.update(stock_positions).values(on_hand=123, master_reserved=7))
        conn.execute(sa.insert(stock_positions).values(
            sku="GONE", on_hand=5, master_reserved=0, reserved=0, updated_at=datetime.now(UTC)))
        assert rebuild_on_hand(conn, ing, datetime.now(UTC)) == 6
    with store.engine.connect() as conn:
        rebuilt = {r.sku: (r.on_hand, r.master_reserved) for r in conn.execute(
            sa.select(stock_positions))}
    assert rebuilt == {**expected, "GONE": (0, 0)}
    with store.transaction() as conn:  # nothing moved: nothing written
        assert rebuild_on_hand(conn, ing, datetime.now(UTC)) == 0
