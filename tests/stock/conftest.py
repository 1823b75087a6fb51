"""Factories for stock tests: orders with lines, master levels, shipments, a migrated store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from synchub.canonical import InventoryLevel, Money, Order, Shipment, SourceRef
from synchub.canonical.order import OrderLine, OrderRefund, RefundLine
from synchub.canonical.shipment import ShipmentLine
from synchub.stock.ingest import StockIngest
from synchub.store import Store

NOW = datetime.now(UTC)


def eur(amount: str | int) -> Money:
    return Money(amount=Decimal(str(amount)), currency="EUR")


def ingest(**over: Any) -> StockIngest:
    """Channels shop and woo, master erp (every location counted)."""
    base: dict[str, Any] = {"channels": frozenset({"shop", "woo"}),
                            "masters": frozenset({"erp"})}
    base.update(over)
    return StockIngest(**base)


def order(ext: str, lines: dict[str, int], *, connection: str = "shop", status: str = "open",
          placed: datetime | None = None, refunds: list[tuple[str, int, bool]] = ()
          ) -> Order:
    """An order with one line per SKU (line id ``L<sku>``), 1.00 per unit."""
    placed = placed or NOW - timedelta(hours=1)
    order_lines = [OrderLine(external_id=f"L{sku}", sku=sku, quantity=q, unit_price=eur(1),
                             discount=eur(0), tax=eur(0), total=eur(q))
                   for sku, q in lines.items()]
    total = sum(lines.values())
    refund_objs = [OrderRefund(external_id=f"R{n}", amount=eur(q),
                               lines=[RefundLine(line_external_id=f"L{sku}", sku=sku,
                                                 quantity=q, amount=eur(q), restock=restock)])
                   for n, (sku, q, restock) in enumerate(refunds)]
    return Order(
        source=SourceRef(connection=connection, system="shopify", external_id=ext),
        external_id=ext, number=f"#{ext}", connection=connection, channel="shopify",
        status=status, currency="EUR", placed_at=placed, updated_at=placed,
        subtotal=eur(total), discount_total=eur(0), shipping_total=eur(0), tax_total=eur(0),
        total=eur(total), refunded_total=eur(0), taxes_included=False, lines=order_lines,
        refunds=refund_objs)


def level(sku: str, location: str, on_hand: int, reserved: int = 0,
          connection: str = "erp") -> InventoryLevel:
    ext = f"{sku}:{location}"
    return InventoryLevel(
        source=SourceRef(connection=connection, system="odoo", external_id=ext),
        external_id=ext, sku=sku, location_external_id=location, location_name=location,
        on_hand=on_hand, reserved=reserved, available=on_hand - reserved)


def shipment(ext: str, order_connection: str, order_ext: str, lines: dict[str, int],
             connection: str = "erp") -> Shipment:
    return Shipment(
        source=SourceRef(connection=connection, system="odoo", external_id=ext),
        external_id=ext, order_connection=order_connection, order_external_id=order_ext,
        status="in_transit", lines=[ShipmentLine(sku=s, quantity=q) for s, q in lines.items()])


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store.from_url(db_url)
    st.migrate()
    try:
        yield st
    finally:
        st.dispose()
