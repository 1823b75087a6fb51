"""The ledger benchmark's world: a hub with the demo books, and a month of money in the store.

N orders are spread evenly over D days from :data:`START`. Four in five are Shopify orders
(``shopify_demo``, paid through Shopify Payments, whose balance and payouts come from the
same connection); one in five is a WooCommerce order (``woo_demo``, paid through Stripe,
settled by the provider's files, connection ``woo_settlements``), since the demo's one
commission rule (5 % on ``SKU-0001*``) is a ``woo_demo`` rule. One order in eight is in USD
(taxes on top, title ``Sales Tax``: the default tax account), the others in EUR (19 % MwSt
included). Each paid order has a charge with its processing fee; one in ten gets a refund
(the next day) with its refund movement; one in two hundred a chargeback two days later; each
payout source holds a reserve on day 3 and releases it on day 17. Every source pays out once a
day per currency what moved the day before (so the last day's movements stay pending). An
ECB USD->EUR rate exists for every day. Everything is derived from the order number, so the
expected journals are known without reading the store (:class:`Expected`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from synchub.canonical import (
    BalanceTransaction,
    CanonicalRecord,
    FxRate,
    Order,
    Payout,
    Refund,
)

ROOT = Path(__file__).resolve().parents[2]
START = date(2025, 3, 1)
SHOP, WOO, WOO_SOURCE, RATES = "shopify_demo", "woo_demo", "woo_settlements", "ecb_rates"
SOURCE_OF = {SHOP: SHOP, WOO: WOO_SOURCE}   # channel -> the connection its payouts come from
GATEWAY = {SHOP: "shopify_payments", WOO: "stripe"}
SYSTEM = {SHOP: "shopify", WOO: "woocommerce", WOO_SOURCE: "settlement_file"}
COMMISSION_SKU = "SKU-0001-A"
RESERVE = Decimal("250.00")
RESERVE_DAYS = (3, 17)                       # held, released (day numbers from START)
PAGE = 500                                   # records per write_page
CENT = Decimal("0.01")


def write_hub(folder: Path) -> Path:
    """hub.yaml in ``folder``: the demo's channels, settlement files, rates and ERP sink, its
    ``ledger:`` section, and the chart of accounts copied to ``folder/mappings/ledger``."""
    demo = yaml.safe_load((ROOT / "hub.yaml").read_text())
    (folder / "mappings" / "ledger").mkdir(parents=True)
    shutil.copy(ROOT / "mappings/ledger/chart.yaml", folder / "mappings/ledger/chart.yaml")
    hub = {
        "version": 1,
        "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": "mappings",
        "connections": {name: demo["connections"][name]
                        for name in (SHOP, WOO, WOO_SOURCE, RATES, "odoo_demo")},
        # the ERP routes make the report compare the ERP's side (nothing delivered here)
        "sinks": {"odoo_demo": demo["sinks"]["odoo_demo"]},
        "ledger": demo["ledger"],
    }
    path = folder / "hub.yaml"
    path.write_text(yaml.safe_dump(hub, sort_keys=False))
    return path


def day_of(n: int, orders: int, days: int) -> int:
    """The day (0-based) order number ``n`` is placed on: orders spread evenly."""
    return n * days // orders


def usd_rate(day: int) -> Decimal:
    """1 USD in EUR on day ``day``: around 0.92, moving a little every day."""
    return Decimal("0.9200") + Decimal("0.0010") * ((day * 7) % 11 - 5)


def _m(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount.quantize(CENT)), "currency": currency}


def _at(day: int, seconds: int) -> datetime:
    return datetime.combine(START + timedelta(days=day), datetime.min.time(), UTC) + \
        timedelta(seconds=seconds)


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


@dataclass
class Expected:
    """Journals the build must make, by kind, and settlement items by status."""

    journals: dict[str, int] = field(default_factory=dict)
    settlement: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int = 1) -> None:
        """Count ``n`` journals of ``kind``."""
        self.journals[kind] = self.journals.get(kind, 0) + n

    def item(self, status: str, n: int = 1) -> None:
        """Count ``n`` settlement items of ``status``."""
        self.settlement[status] = self.settlement.get(status, 0) + n


@dataclass
class _Payouts:
    """What each (source, currency, day) payout settles: the sum of the nets so far."""

    days: int
    nets: dict[tuple[str, str, int], Decimal] = field(default_factory=dict)
    items: dict[tuple[str, str, int], int] = field(default_factory=dict)

    def settle(self, source: str, currency: str, processed_day: int, net: Decimal
               ) -> str | None:
        """The payout a movement goes into (the next day's), None after the last day."""
        day = processed_day + 1
        if day >= self.days:
            return None
        key = (source, currency, day)
        self.nets[key] = self.nets.get(key, Decimal(0)) + net
        self.items[key] = self.items.get(key, 0) + 1
        return payout_id(*key)


@dataclass(frozen=True)
class _Move:
    """Who a balance movement belongs to: its payout source, channel, currency and order."""

    source: str
    channel: str
    currency: str
    order_ext: str | None


def _refund_amount(line: dict[str, Any]) -> Decimal:
    """One unit of an order line, as its refund gives it back."""
    return (Decimal(line["total"]["amount"]) / line["quantity"]).quantize(CENT)


def payout_id(source: str, currency: str, day: int) -> str:
    """The external id of a source's payout in ``currency`` on ``day``."""
    return f"po-{source}-{currency}-{(START + timedelta(days=day)).isoformat()}"


class World:
    """The records of N orders over D days, page by page (see the module docstring)."""

    def __init__(self, orders: int, days: int) -> None:
        self.orders, self.days = orders, days
        self.expected = Expected()
        self.payouts = _Payouts(days)

    def pages(self) -> Iterator[list[CanonicalRecord]]:
        """Every record in pages of :data:`PAGE`: rates, orders with their money, payouts."""
        page: list[CanonicalRecord] = [self._rate(d) for d in range(self.days)]
        for n in range(self.orders):
            page += self._order_records(n)
            if len(page) >= PAGE:
                yield page
                page = []
        page += self._reserves()
        page += self._payout_records()
        for start in range(0, len(page), PAGE):
            yield page[start:start + PAGE]

    # -- records ---------------------------------------------------------------------------

    def _rate(self, day: int) -> FxRate:
        on = START + timedelta(days=day)
        ext = f"ecb:USDEUR:{on.isoformat()}"
        return FxRate.model_validate({
            "source": {"connection": RATES, "system": "frankfurter", "external_id": ext},
            "external_id": ext, "base": "USD", "quote": "EUR", "rate_date": on.isoformat(),
            "rate": str(usd_rate(day)), "provider": "ecb"})

    def _day_orders(self, day: int) -> tuple[int, int]:
        """(first order number, number of orders) of ``day``."""
        first = -(-day * self.orders // self.days)
        last = min(-(-(day + 1) * self.orders // self.days), self.orders)
        return first, last - first

    def _order_records(self, n: int) -> list[CanonicalRecord]:
        day = day_of(n, self.orders, self.days)
        first, count = self._day_orders(day)
        placed = _at(day, (n - first) * 72_000 // count)  # 00:00 .. 20:00
        channel = WOO if n % 5 == 4 else SHOP
        currency = "USD" if n % 8 == 1 else "EUR"
        cancelled = n % 101 == 50 and day + 1 < self.days
        pending = n % 97 == 13 and not cancelled
        refund_day = (day + 1 if day + 1 < self.days else day) \
            if n % 10 == 3 and not (cancelled or pending) else None
        order, lines = self._order(n, channel, currency, placed, cancelled, pending,
                                   refund_day is not None)
        out: list[CanonicalRecord] = [order]
        e = self.expected
        e.add("sale")
        if cancelled:
            e.add("cancellation")   # (it reverses the sale and its commission together)
        if channel == WOO and any(ln["sku"] == COMMISSION_SKU for ln in lines):
            e.add("commission")
        if cancelled or pending:
            return out
        source, total = SOURCE_OF[channel], order.total.amount
        fee = (total * Decimal("0.029") + Decimal("0.25")).quantize(CENT)
        mv = _Move(source, channel, currency, order.external_id)
        out.append(self._movement(mv, f"ch-{n}", "charge", placed + timedelta(seconds=30),
                                  total, fee, "payment_processing"))
        e.add("fees")
        if refund_day is not None:
            line, amount = lines[0], _refund_amount(lines[0])
            created = (_at(refund_day, (n % 3600) + 36_000) if refund_day > day
                       else placed + timedelta(hours=2))
            out.append(Refund.model_validate({
                "source": {"connection": channel, "system": SYSTEM[channel],
                           "external_id": f"r{n}"},
                "external_id": f"r{n}", "order_external_id": order.external_id,
                "created_at": _iso(created), "amount": _m(amount, currency),
                "reason": "damaged" if n % 20 == 3 else "changed mind",
                "lines": [{"line_external_id": line["external_id"], "sku": line["sku"],
                           "quantity": 1, "amount": _m(amount, currency),
                           "restock": n % 20 != 3}]}))
            out.append(self._movement(mv, f"rf-{n}", "refund", created + timedelta(seconds=60),
                                      -amount, Decimal(0), None, refund_ext=f"r{n}"))
            e.add("refund")
        if n % 200 == 7 and day + 2 < self.days:
            out.append(self._movement(mv, f"cb-{n}", "chargeback", _at(day + 2, 43_200),
                                      -total, Decimal("15.00"), "chargeback"))
            e.add("chargeback")
            e.add("fees")
        return out

    def _order(self, n: int, channel: str, currency: str, placed: datetime, cancelled: bool,
               pending: bool, refunded: bool) -> tuple[Order, list[dict[str, Any]]]:
        included = currency == "EUR"   # EU prices hold their VAT; US sales tax comes on top
        title, rate = ("MwSt", Decimal("0.19")) if included else ("Sales Tax", Decimal("0.07"))
        lines: list[dict[str, Any]] = []
        for k in range(1 + n % 3):
            qty = 1 + (n + k) % 3
            unit = Decimal(9 + (n * 7 + k * 13) % 60) + Decimal("0.90")
            discount = Decimal("5.00") if k == 0 and n % 6 == 0 else Decimal(0)
            total = unit * qty - discount
            tax = (total * rate / (1 + rate) if included else total * rate).quantize(CENT)
            sku = COMMISSION_SKU if k == 0 and n % 3 == 0 else \
                f"SKU-{(n * 31 + k) % 5000 + 100:05d}-{k + 1}"
            lines.append({"external_id": f"{n}-{k}", "sku": sku, "quantity": qty,
                          "unit_price": _m(unit, currency), "discount": _m(discount, currency),
                          "tax": _m(tax, currency), "total": _m(total, currency),
                          "tax_lines": [{"title": title, "amount": _m(tax, currency)}]})
        ship = Decimal("4.90") if included else Decimal("6.00")
        ship_tax = (ship * rate / (1 + rate)).quantize(CENT) if included else Decimal(0)
        subtotal = sum((Decimal(ln["unit_price"]["amount"]) * ln["quantity"] for ln in lines),
                       Decimal(0))
        discount_total = sum((Decimal(ln["discount"]["amount"]) for ln in lines), Decimal(0))
        tax_total = sum((Decimal(ln["tax"]["amount"]) for ln in lines), Decimal(0)) + ship_tax
        total = subtotal - discount_total + ship + (0 if included else tax_total)
        updated = placed + timedelta(minutes=5)
        status, financial = "open", "paid"
        cancelled_at = None
        if cancelled:
            cancelled_at = placed + timedelta(days=1)
            status, financial, updated = "cancelled", "voided", cancelled_at
        elif pending:
            financial = "pending"
        refunded_total = _refund_amount(lines[0]) if refunded else Decimal(0)
        if refunded:
            financial = "partially_refunded"
        ext = f"{5_000_000_000 + n}" if channel == SHOP else f"{100_000 + n}"
        doc: dict[str, Any] = {
            "source": {"connection": channel, "system": SYSTEM[channel], "external_id": ext},
            "external_id": ext, "number": f"#{1000 + n}", "connection": channel,
            "channel": SYSTEM[channel], "status": status, "financial_status": financial,
            "currency": currency, "placed_at": _iso(placed), "updated_at": _iso(updated),
            "cancelled_at": _iso(cancelled_at) if cancelled_at else None,
            "subtotal": _m(subtotal, currency), "discount_total": _m(discount_total, currency),
            "shipping_total": _m(ship, currency), "tax_total": _m(tax_total, currency),
            "total": _m(total, currency), "refunded_total": _m(refunded_total, currency),
            "taxes_included": included, "payment_gateway": GATEWAY[channel], "lines": lines,
            "shipping_lines": [{"title": "Standard", "price": _m(ship, currency),
                                "discount": _m(Decimal(0), currency),
                                "tax": _m(ship_tax, currency), "total": _m(ship, currency)}],
            "tax_lines": [{"title": title, "amount": _m(tax_total, currency)}],
        }
        return Order.model_validate(doc), lines

    def _movement(self, mv: _Move, ext: str, kind: str, when: datetime, amount: Decimal,
                  fee: Decimal, fee_type: str | None, *, refund_ext: str | None = None
                  ) -> BalanceTransaction:
        net = amount - fee
        po = self.payouts.settle(mv.source, mv.currency, (when.date() - START).days, net)
        if po is not None:
            self.expected.item("matched" if kind in ("charge", "refund") else "movement")
        elif kind == "charge":
            self.expected.item("pending")
        return BalanceTransaction.model_validate({
            "source": {"connection": mv.source, "system": SYSTEM[mv.source],
                       "external_id": ext},
            "external_id": ext, "type": kind, "processed_at": _iso(when),
            "amount": _m(amount, mv.currency), "net": _m(net, mv.currency),
            "fees": [{"type": fee_type, "amount": _m(fee, mv.currency)}] if fee else [],
            "order_external_id": mv.order_ext, "refund_external_id": refund_ext,
            "payout_external_id": po, "payout_status": "paid" if po else None,
            "gateway": GATEWAY[mv.channel], "description": kind})

    def _reserves(self) -> list[CanonicalRecord]:
        out: list[CanonicalRecord] = []
        for channel, source in SOURCE_OF.items():
            for day, kind, sign in ((RESERVE_DAYS[0], "reserve", -1),
                                    (RESERVE_DAYS[1], "reserve_release", 1)):
                if day < self.days:
                    out.append(self._movement(_Move(source, channel, "EUR", None),
                                              f"rs-{source}-{day}", kind, _at(day, 3_600),
                                              sign * RESERVE, Decimal(0), None))
                    self.expected.add("reserve")
        return out

    def _payout_records(self) -> list[CanonicalRecord]:
        out: list[CanonicalRecord] = []
        for (source, currency, day), net in sorted(self.payouts.nets.items()):
            ext = payout_id(source, currency, day)
            out.append(Payout.model_validate({
                "source": {"connection": source, "system": SYSTEM[source], "external_id": ext},
                "external_id": ext, "status": "paid", "amount": _m(net, currency),
                "issued_at": _iso(_at(day, 21_600)), "bank_reference": ext.upper()}))
            self.expected.add("payout")
            self.expected.item("matched")   # its payout_total
        return out
