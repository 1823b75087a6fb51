"""The delivery benchmark's world: the hub file and the canonical orders and customers.

A Shopify connection ``shop`` is the source; ``erp`` (Odoo) receives its orders as sale
orders, ``crm`` (HubSpot) its customers as contacts, and the feed consumer ``bi`` reads the
orders feed. Order ``i`` is placed by customer ``i``; its lines use SKUs the Odoo sandbox
holds as active products (``SKU-{i:05d}-{v}``, read from the served database at setup).
Everything is derived from the index and :data:`SEED`, so every run stores the same records.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from synchub.canonical import Customer, Money, Order, SourceRef
from synchub.canonical.common import Address, PartyRef, TaxLine
from synchub.canonical.order import OrderLine, ShippingLine

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261125
SOURCE, ERP, CRM, CONSUMER = "shop", "erp", "crm", "bi"
ODOO_DB, HUBSPOT_ACCOUNT = "bench", "bench"
ODOO_TEMPLATES = 500          # x 4 variants: 2,000 SKUs (about 3 % archived by the sandbox)
PAGE = 250                    # records per store page, as a Shopify sync writes them
PLACED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CITIES = (("Berlin", "10115", "DE"), ("Paris", "75001", "FR"), ("Madrid", "28001", "ES"),
          ("Vienna", "1010", "AT"), ("Rome", "00100", "IT"))
VAT = Decimal("0.19")
CENT = Decimal("0.01")


# -- hub file ------------------------------------------------------------------------------


def write_connectors(workdir: Path, client_limits: bool) -> Path:
    """The project's connectors, or a copy of the two sinks' without client-side limits."""
    source = ROOT / "connectors"
    if client_limits:
        return source
    # Odoo (10 calls/s) and HubSpot (9 calls/s) connectors pace themselves; against the
    # unthrottled sandbox a copy without the limiter shows what the engine itself costs
    target = workdir / "connectors"
    for system in ("shopify", "odoo", "hubspot"):
        spec = yaml.safe_load((source / system / "connector.yaml").read_text())
        if system != "shopify":
            spec.get("http", {}).pop("rate_limit", None)
        (target / system).mkdir(parents=True, exist_ok=True)
        (target / system / "connector.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return target


def write_hub(workdir: Path, client_limits: bool) -> Path:
    """hub.yaml: the source, the two sinks with one route each, and the feed consumer."""
    doc = {
        "version": 1,
        "connectors_dir": str(write_connectors(workdir, client_limits)),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{workdir / 'unused.db'}"},
        "connections": {
            SOURCE: {"connector": "shopify", "conn_id": SOURCE, "roles": ["channel"]},
            ERP: {"connector": "odoo", "conn_id": ERP, "roles": ["erp"]},
            CRM: {"connector": "hubspot", "conn_id": CRM, "roles": ["crm"]},
        },
        # the connectors' writers as shipped: odoo_sale_order (batch 50) and
        # hubspot_batch_upsert (batch 100)
        "sinks": {ERP: {"orders": {"from": [SOURCE]}},
                  CRM: {"customers": {"from": [SOURCE]}}},
        "feeds": {"consumers": {CONSUMER: {"entities": ["order", "customer"]}}},
    }
    path = workdir / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


# -- records -------------------------------------------------------------------------------


def _eur(value: Decimal) -> Money:
    return Money(amount=value, currency="EUR")


def _place(i: int) -> tuple[str, str, str]:
    return CITIES[i % len(CITIES)]


def customer(i: int) -> Customer:
    """Customer ``i`` of the shop (a synthetic address on example.com)."""
    city, postal, country = _place(i)
    return Customer(
        source=SourceRef(connection=SOURCE, system="shopify", external_id=f"c{i}"),
        external_id=f"c{i}", email=f"customer{i}@example.com", first_name="Test",
        last_name=f"Customer {i}", phone=f"+4930{i:07d}", accepts_marketing=i % 3 == 0,
        default_address=Address(name=f"Test Customer {i}", line1=f"{i} Bench Street",
                                city=city, postal_code=postal, country_code=country),
        created_at=PLACED - timedelta(days=30), updated_at=PLACED + timedelta(seconds=i))


def order(i: int, skus: Sequence[str]) -> Order:
    """Order ``i``: one to three lines of known SKUs, VAT, shipping; totals reconcile."""
    r = random.Random(f"{SEED}:order:{i}")
    lines: list[OrderLine] = []
    subtotal = discount = tax = Decimal(0)
    for n, sku in enumerate(r.sample(list(skus), r.randint(1, 3)), start=1):
        qty = r.randint(1, 4)
        unit = Decimal(r.randrange(500, 9_000)) / 100
        disc = (unit * qty * Decimal("0.10")).quantize(CENT) if r.random() < 0.2 else \
            Decimal(0)
        net = unit * qty - disc
        line_tax = (net * VAT).quantize(CENT)
        lines.append(OrderLine(
            external_id=f"{i}-{n}", sku=sku, title=f"Product {sku}", quantity=qty,
            unit_price=_eur(unit), discount=_eur(disc), tax=_eur(line_tax), total=_eur(net),
            tax_lines=[TaxLine(title="VAT", rate=VAT, amount=_eur(line_tax))]))
        subtotal += unit * qty
        discount += disc
        tax += line_tax
    ship = Decimal("4.90")
    name, (city, postal, country) = f"Test Customer {i}", _place(i)
    address = Address(name=name, line1=f"{i} Bench Street", city=city, postal_code=postal,
                      country_code=country)
    placed = PLACED + timedelta(seconds=i)
    return Order(
        source=SourceRef(connection=SOURCE, system="shopify", external_id=str(i)),
        external_id=str(i), number=f"#{1000 + i}", connection=SOURCE, channel="shopify",
        status="open", financial_status="paid", currency="EUR", placed_at=placed,
        updated_at=placed,
        customer=PartyRef(external_id=f"c{i}", email=f"customer{i}@example.com",
                          first_name="Test", last_name=f"Customer {i}"),
        billing_address=address, shipping_address=address,
        subtotal=_eur(subtotal), discount_total=_eur(discount), shipping_total=_eur(ship),
        tax_total=_eur(tax), total=_eur(subtotal - discount + ship + tax),
        refunded_total=_eur(Decimal(0)), taxes_included=False, lines=lines,
        shipping_lines=[ShippingLine(title="Standard", price=_eur(ship),
                                     discount=_eur(Decimal(0)), tax=_eur(Decimal(0)),
                                     total=_eur(ship))])


def pages(count: int, make: Any) -> Iterator[list[Any]]:
    """Records ``make(1..count)`` in store pages of :data:`PAGE`."""
    for start in range(1, count + 1, PAGE):
        yield [make(i) for i in range(start, min(start + PAGE, count + 1))]
