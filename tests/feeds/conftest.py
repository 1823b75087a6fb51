"""Feed tests: a migrated store per database, a hub with feed consumers, canonical records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from synchub.canonical import Customer, InventoryLevel, Money, Order, Product, Refund, SourceRef
from synchub.canonical import Shipment as ShipmentModel
from synchub.plan import Hub, load_hub
from synchub.store import Store

ROOT = Path(__file__).resolve().parents[2]
PLACED = datetime(2025, 3, 1, 10, 15, tzinfo=UTC)
SYSTEM = {"shop": "shopify", "woo": "woocommerce"}

HUB_YAML = """\
version: 1
connectors_dir: {root}/connectors
mappings_dir: {root}/mappings
connections:
  shop: {{connector: shopify, conn_id: shop}}
  woo: {{connector: woocommerce, conn_id: woo}}
feeds:
  consumers:
{consumers}
"""

DEFAULT_CONSUMERS = """\
    erp:
      entities: [order, customer]
      connections: [shop]
      export: {to: exports/erp, formats: [jsonl, csv]}
    bi:
      entities: [order, product, inventory_level, customer, shipment, refund, stock_alert]
"""


def write_hub(folder: Path, consumers: str = DEFAULT_CONSUMERS) -> Hub:
    """A hub file with connections ``shop`` and ``woo`` and the given ``feeds.consumers``."""
    path = folder / "hub.yaml"
    path.write_text(HUB_YAML.format(root=ROOT, consumers=consumers.rstrip("\n")))
    return load_hub(path, load_mappings=False)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated store on SQLite and on PostgreSQL."""
    st = Store.from_url(db_url)
    st.migrate()
    try:
        yield st
    finally:
        st.dispose()


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return write_hub(tmp_path)


def eur(amount: str | int) -> Money:
    return Money(amount=Decimal(str(amount)), currency="EUR")


def src(connection: str, ext: str) -> SourceRef:
    return SourceRef(connection=connection, system=SYSTEM.get(connection, "shopify"),
                     external_id=ext)


def line(ext: str, sku: str, qty: int, price: str, discount: str = "0") -> dict[str, Any]:
    gross = Decimal(price) * qty
    return {"external_id": ext, "sku": sku, "title": f"Item {sku}", "quantity": qty,
            "unit_price": eur(price), "discount": eur(discount), "tax": eur("0"),
            "total": eur(str(gross - Decimal(discount)))}


def make_order(ext: str, connection: str = "shop", total: str | None = None,
               lines: list[dict[str, Any]] | None = None, email: str | None = None) -> Order:
    """An order whose figures reconcile: the subtotal is the lines' sum (or ``total``)."""
    lines = lines or []
    sub = sum((Decimal(str(ln["unit_price"].amount)) * ln["quantity"] for ln in lines),
              Decimal(0)) if lines else Decimal(total or "10.00")
    disc = sum((ln["discount"].amount for ln in lines), Decimal(0))
    customer = {"external_id": f"c-{ext}", "email": email} if email else None
    return Order(
        source=src(connection, ext), external_id=ext, number=f"#{ext}", connection=connection,
        channel=SYSTEM.get(connection, "shopify"), status="open", financial_status="paid",
        fulfillment_status="unfulfilled", currency="EUR", placed_at=PLACED, updated_at=PLACED,
        customer=customer, subtotal=eur(str(sub)), discount_total=eur(str(disc)),
        shipping_total=eur("4.90"), tax_total=eur("0"),
        total=eur(str(sub - disc + Decimal("4.90"))),
        refunded_total=eur("0"), taxes_included=True, lines=lines,
    )


def make_product(ext: str, sku: str, connection: str = "shop") -> Product:
    return Product(source=src(connection, ext), external_id=ext, sku=sku, title=f"Product {sku}",
                   variant_title="Blue", status="active", price=eur("19.90"),
                   inventory_tracked=True, updated_at=PLACED)


def make_level(item: str, location: str, available: int, connection: str = "shop"
               ) -> InventoryLevel:
    ext = f"{item}:{location}"
    return InventoryLevel(source=src(connection, ext), external_id=ext, sku=f"SKU-{item}",
                          location_external_id=location, location_name="Main",
                          on_hand=available + 2, reserved=2, available=available)


def make_customer(ext: str, email: str, connection: str = "shop") -> Customer:
    return Customer(source=src(connection, ext), external_id=ext, email=email,
                    first_name="Ada", accepts_marketing=False, orders_count=3,
                    total_spent=eur("120.50"), updated_at=PLACED)


def make_shipment(ext: str, order_ext: str, connection: str = "shop") -> ShipmentModel:
    return ShipmentModel(source=src(connection, ext), external_id=ext, order_external_id=order_ext,
                         carrier="DHL", tracking_number=f"TRK{ext}", status="in_transit",
                         shipped_at=PLACED)


def make_refund(ext: str, order_ext: str, amount: str, connection: str = "shop") -> Refund:
    return Refund(source=src(connection, ext), external_id=ext, order_external_id=order_ext,
                  created_at=PLACED, amount=eur(amount), reason="damaged")


def plain(value: Any) -> Any:
    """A view value spelled the same on both databases (Decimal, datetime, 1/0)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value
