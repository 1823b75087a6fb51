"""Helpers for store tests: a migrated store per database, small canonical records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from synchub.canonical import Customer, InventoryLevel, Money, Order, Product, SourceRef
from synchub.store import Store

PLACED = datetime(2025, 3, 1, 10, 15, tzinfo=UTC)


def eur(amount: str | int | Decimal) -> Money:
    return Money(amount=Decimal(str(amount)), currency="EUR")


def make_order(ext: int | str, total: str = "10.00", connection: str = "shop",
               status: str = "open") -> Order:
    """An order without lines whose total is all subtotal (so it reconciles)."""
    return Order(
        source=SourceRef(connection=connection, system="shopify", external_id=str(ext)),
        external_id=str(ext), number=f"#{ext}", connection=connection, channel="shopify",
        status=status, currency="EUR", placed_at=PLACED, updated_at=PLACED,
        subtotal=eur(total), discount_total=eur(0), shipping_total=eur(0), tax_total=eur(0),
        total=eur(total), refunded_total=eur(0), taxes_included=False,
    )


def make_product(ext: int | str, sku: str, connection: str = "shop") -> Product:
    return Product(source=SourceRef(connection=connection, system="shopify", external_id=str(ext)),
                   external_id=str(ext), sku=sku, title=f"Product {sku}", price=eur("9.90"))


def make_level(item: int | str, location: int | str, available: int,
               connection: str = "shop") -> InventoryLevel:
    ext = f"{item}:{location}"
    return InventoryLevel(
        source=SourceRef(connection=connection, system="shopify", external_id=ext),
        external_id=ext, sku=f"SKU-{item}", location_external_id=str(location),
        available=available)


def make_customer(ext: int | str, email: str, connection: str = "shop") -> Customer:
    return Customer(source=SourceRef(connection=connection, system="shopify", external_id=str(ext)),
                    external_id=str(ext), email=email, updated_at=PLACED)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated store on SQLite and on PostgreSQL."""
    st = Store.from_url(db_url)
    st.upgrade()
    try:
        yield st
    finally:
        st.dispose()
