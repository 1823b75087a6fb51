"""Canonical orders and refunds, delivery items and writers for the Odoo writer tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from synchub.canonical import Money, Order, Refund, SourceRef
from synchub.canonical.common import Address, PartyRef, TaxLine
from synchub.canonical.order import OrderLine, RefundLine, ShippingLine
from synchub.config.connector_checks import load_connector
from synchub.delivery.base import DeliveryItem, SinkWriter
from synchub.mapping import MappingContext
from synchub.mapping.export import CompiledExport, load_export_mapping
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.odoo.sale_order import OdooRefundWriter, OdooSaleOrderWriter
from tests.conftest import ROOT

PLACED = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
ORDERS = load_export_mapping(ROOT / "mappings" / "odoo" / "orders.export.yaml")
REFUNDS = load_export_mapping(ROOT / "mappings" / "odoo" / "refunds.export.yaml")
CTX = MappingContext(connection="erp", system="odoo")
# (sku, quantity, unit price, line discount, tax rate or None)
Line = tuple[str | None, int, str, str, str | None]


def eur(value: str | Decimal) -> Money:
    return Money(amount=Decimal(value), currency="EUR")


def order_of(ext: int, lines: list[Line], *, status: str = "open", email: str | None =
             "ada@example.com", shipping: str = "0.00", connection: str = "shop",
             financial: str = "paid") -> Order:
    """A reconciling order with lines, a customer, an address and optional shipping."""
    out, subtotal, discount, tax = [], Decimal(0), Decimal(0), Decimal(0)
    for n, (sku, qty, unit, disc, rate) in enumerate(lines, start=1):
        net = Decimal(unit) * qty - Decimal(disc)
        line_tax = (net * Decimal(rate)).quantize(Decimal("0.01")) if rate else Decimal(0)
        out.append(OrderLine(
            external_id=f"{ext}-{n}", sku=sku, title=f"Item {sku}", quantity=qty,
            unit_price=eur(unit), discount=eur(disc), tax=eur(line_tax), total=eur(net),
            tax_lines=[TaxLine(title="VAT", rate=Decimal(rate), amount=eur(line_tax))]
            if rate else []))
        subtotal += Decimal(unit) * qty
        discount += Decimal(disc)
        tax += line_tax
    ship = Decimal(shipping)
    return Order(
        source=SourceRef(connection=connection, system="shopify", external_id=str(ext)),
        external_id=str(ext), number=f"#{ext}", connection=connection, channel="shopify",
        status=status, financial_status=financial, currency="EUR", placed_at=PLACED,
        updated_at=PLACED,
        customer=PartyRef(external_id=f"c{ext}", email=email, first_name="Ada",
                          last_name="Lovelace"),
        billing_address=Address(name="Ada Lovelace", line1="1 Main St", city="Berlin",
                                postal_code="10115", country_code="DE"),
        subtotal=eur(subtotal), discount_total=eur(discount), shipping_total=eur(ship),
        tax_total=eur(tax), total=eur(subtotal - discount + ship + tax),
        refunded_total=eur(0), taxes_included=False, lines=out,
        shipping_lines=[ShippingLine(title="Standard", price=eur(ship), discount=eur(0),
                                     tax=eur(0), total=eur(ship))] if ship else [])


def refund_of(ext: int, order_ext: int, amount: str,
              lines: Sequence[tuple[str, int, str]] = (), connection: str = "shop") -> Refund:
    return Refund(
        source=SourceRef(connection=connection, system="shopify", external_id=str(ext)),
        external_id=str(ext), order_external_id=str(order_ext), created_at=PLACED,
        amount=eur(amount), reason="damaged",
        lines=[RefundLine(sku=s, quantity=q, amount=eur(a)) for s, q, a in lines])


def item_of(record: Order | Refund, delivery_id: int, *, remote_id: str | None = None,
            parents: dict[str, str | None] | None = None) -> DeliveryItem:
    """A delivery item as the engine builds it (payload from the real write mapping)."""
    doc = record.to_json_dict()
    export: CompiledExport = ORDERS if isinstance(record, Order) else REFUNDS
    return DeliveryItem(
        delivery_id=delivery_id, route="orders" if isinstance(record, Order) else "refunds",
        entity=record.entity, record_id=record.id, source_connection=record.source.connection,
        document=doc, payload=export.apply(doc, CTX, create=remote_id is None),
        idempotency_key=f"k{delivery_id}", remote_id=remote_id, parents=parents or {})


def odoo_client(host: str, db: str, login: str, password: str) -> ConnectorClient:
    spec = load_connector(ROOT / "connectors" / "odoo" / "connector.yaml")
    conn = ConnectionInfo(conn_id="erp", conn_type="odoo", host=host, schema=db, login=login,
                          password=password)
    return ConnectorClient(spec, conn, sleep=lambda s: None)


def writer_of(kind: str, client: ConnectorClient, **options: Any) -> SinkWriter:
    spec = client.spec.writers[kind]
    spec = spec.model_copy(update={"options": {**spec.options, **options}})
    cls = OdooSaleOrderWriter if kind == "orders" else OdooRefundWriter
    return cls(spec, client, sink="erp", run_id="test")
