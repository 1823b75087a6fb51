"""Builders of canonical records and of the demo ledger config, shared by the ledger tests.

Each ``*_doc(**over)`` returns a validated record built from a small consistent document,
``over`` replacing top-level fields (``external_id`` also sets ``source.external_id``).
``currency=`` turns every default amount into that currency, so a test in another currency
overrides only the amounts it cares about.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pytest
import yaml

from synchub.canonical import BalanceTransaction, Order, Payout, Refund
from synchub.config.ledger import LedgerConfig
from synchub.ledger.posting import PostingContext
from synchub.ledger.rates import FixedRates
from tests.conftest import ROOT

CHANNEL = "woo_demo"          # the demo channel: clearing 121200, stripe 121210, paypal 121220


def m(amount: str | int | Decimal, currency: str = "EUR") -> dict[str, str]:
    """A Money document."""
    return {"amount": str(amount), "currency": currency}


def _recurrency(doc: Any, currency: str) -> Any:
    if isinstance(doc, dict):
        if set(doc) == {"amount", "currency"}:
            return {"amount": doc["amount"], "currency": currency}
        return {k: _recurrency(v, currency) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_recurrency(v, currency) for v in doc]
    return doc


def _build(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    currency = over.get("currency") or over.pop("money_currency", None)
    if currency:
        base = _recurrency(base, currency)
    if "external_id" in over and "source" not in over:
        # a record's identity follows its external id unless the test sets both
        base = {**base, "source": {**base["source"], "external_id": over["external_id"]}}
    return {**base, **over}


def order_doc(**over: Any) -> Order:
    """A paid EUR order on woo_demo via stripe, tax-exclusive: 2 x 20.00 + 10.00 + 4.90
    shipping + 10.43 MwSt (19 %) = 65.33."""
    base: dict[str, Any] = {
        "source": {"connection": CHANNEL, "system": "woocommerce", "external_id": "1001"},
        "external_id": "1001", "number": "1001", "connection": CHANNEL,
        "channel": "woocommerce", "status": "completed", "financial_status": "paid",
        "currency": "EUR", "placed_at": "2025-03-03T10:00:00Z",
        "updated_at": "2025-03-03T10:05:00Z", "subtotal": m("50.00"),
        "discount_total": m("0.00"), "shipping_total": m("4.90"), "tax_total": m("10.43"),
        "total": m("65.33"), "refunded_total": m("0.00"), "taxes_included": False,
        "payment_gateway": "stripe",
        "lines": [
            {"external_id": "l1", "sku": "SKU-0001-A", "quantity": 2,
             "unit_price": m("20.00"), "discount": m("0.00"), "tax": m("7.60"),
             "total": m("40.00"), "tax_lines": [{"title": "MwSt", "amount": m("7.60")}]},
            {"external_id": "l2", "sku": "SKU-0100", "quantity": 1, "unit_price": m("10.00"),
             "discount": m("0.00"), "tax": m("1.90"), "total": m("10.00"),
             "tax_lines": [{"title": "MwSt", "amount": m("1.90")}]},
        ],
        "shipping_lines": [{"title": "DHL", "price": m("4.90"), "discount": m("0.00"),
                            "tax": m("0.93"), "total": m("4.90")}],
        "tax_lines": [{"title": "MwSt", "amount": m("10.43")}],
    }
    return Order.model_validate(_build(base, over))


def refund_doc(**over: Any) -> Refund:
    """A refund of one unit of order 1001's line l1 (23.80 with its tax), restocked."""
    base: dict[str, Any] = {
        "source": {"connection": CHANNEL, "system": "woocommerce", "external_id": "r1"},
        "external_id": "r1", "order_external_id": "1001",
        "created_at": "2025-03-05T09:00:00Z", "amount": m("23.80"), "reason": "damaged",
        "lines": [{"line_external_id": "l1", "sku": "SKU-0001-A", "quantity": 1,
                   "amount": m("23.80"), "restock": True}],
    }
    if "currency" in over:
        over["money_currency"] = over.pop("currency")
    return Refund.model_validate(_build(base, over))


def movement_doc(**over: Any) -> BalanceTransaction:
    """A stripe charge of 65.33 with a 1.23 processing fee; ``net`` follows amount and fees
    unless given."""
    base: dict[str, Any] = {
        "source": {"connection": CHANNEL, "system": "stripe", "external_id": "txn_1"},
        "external_id": "txn_1", "type": "charge", "processed_at": "2025-03-03T10:01:00Z",
        "amount": m("65.33"), "fees": [{"type": "payment_processing", "amount": m("1.23")}],
        "order_external_id": "1001", "gateway": "stripe",
    }
    if "currency" in over:
        over["money_currency"] = over.pop("currency")
    doc = _build(base, over)
    if "net" not in doc:
        fees = sum((Decimal(f["amount"]["amount"]) for f in doc["fees"]), Decimal(0))
        doc["net"] = m(Decimal(doc["amount"]["amount"]) - fees, doc["amount"]["currency"])
    return BalanceTransaction.model_validate(doc)


def payout_doc(**over: Any) -> Payout:
    """A paid EUR payout of 64.10 issued on 2025-03-10."""
    base: dict[str, Any] = {
        "source": {"connection": CHANNEL, "system": "stripe", "external_id": "po_1"},
        "external_id": "po_1", "status": "paid", "amount": m("64.10"),
        "issued_at": "2025-03-10T06:00:00Z", "bank_reference": "STRIPE PO_1",
    }
    if "currency" in over:
        over["money_currency"] = over.pop("currency")
    return Payout.model_validate(_build(base, over))


@lru_cache(maxsize=1)
def _demo_ledger() -> dict[str, Any]:
    chart = yaml.safe_load((ROOT / "mappings/ledger/chart.yaml").read_text()) or {}
    hub = yaml.safe_load((ROOT / "hub.yaml").read_text()) or {}
    section = hub.get("ledger") or {}
    clash = set(chart) & set(section)
    assert not clash, f"chart.yaml and hub.yaml both set {clash}"
    return {**chart, **section}


def ledger_config(**over: Any) -> LedgerConfig:
    """The demo ledger (mappings/ledger/chart.yaml + hub.yaml `ledger:`), EUR books;
    ``over`` replaces top-level keys (``accounts=`` is merged into the demo accounts)."""
    doc = dict(_demo_ledger())
    if "accounts" in over:
        over = {**over, "accounts": {**doc["accounts"], **over["accounts"]}}
    return LedgerConfig.model_validate({**doc, **over})


def rates(table: dict[tuple[str, str, date], str] | None = None) -> FixedRates:
    """Fixed ECB-like rates; empty unless given."""
    return FixedRates(table or {}, provider="ecb", max_age_days=5)


def context(table: dict[tuple[str, str, date], str] | None = None,
            **config_over: Any) -> PostingContext:
    """A PostingContext on the demo ledger with the given rates."""
    return PostingContext(config=ledger_config(**config_over), rates=rates(table))


@pytest.fixture
def ctx() -> PostingContext:
    """The demo ledger with no rates (EUR records only)."""
    return context()
