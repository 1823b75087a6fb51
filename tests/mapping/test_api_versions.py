"""Payloads of older API versions map: no record is quarantined for a field it never had.

The fixtures follow the shapes the vendors documented for those versions: Shopify REST
orders and customers from before the *_set money fields (2019) and the marketing consent
object, and a WooCommerce REST v1 order (no *_gmt dates), as old webhooks still send them.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from synchub.canonical import Customer, Order
from synchub.errors import ConfigError, RecordError
from synchub.mapping import CompiledMapping, MappingContext, load_mapping
from tests.mapping.conftest import CONTEXTS, MAPPINGS, load_fixture


def _apply(m: CompiledMapping, payload: Any, ctx: MappingContext) -> list[Any]:
    return [rec for raw in m.unwrap(payload) for rec in m.apply(raw, ctx)]


@pytest.fixture(scope="module")
def shopify_orders() -> CompiledMapping:
    return load_mapping(MAPPINGS / "shopify" / "orders.yaml")


def _amount(money: Any) -> str:
    return f"{money.amount} {money.currency}"


def test_old_shopify_order_gets_its_shipping_from_the_shipping_lines(
        shopify_orders: CompiledMapping) -> None:
    orders: list[Order] = _apply(shopify_orders, load_fixture("shopify", "orders_legacy"),
                                 CONTEXTS["shopify"])
    assert [o.number for o in orders] == ["#1041", "#1042"]
    first, second = orders
    assert _amount(first.shipping_total) == "5.90 USD"
    assert _amount(second.shipping_total) == "4.50 EUR"      # two shipping lines summed
    # the totals reconcile: nothing was lost on the way
    assert first.warnings == [] and first.adjustments == []
    assert second.warnings == [] and second.adjustments == []
    assert _amount(first.total) == "38.23 USD"


def test_old_shopify_order_lines_keep_their_discount_and_gateway(
        shopify_orders: CompiledMapping) -> None:
    first, second = _apply(shopify_orders, load_fixture("shopify", "orders_legacy"),
                           CONTEXTS["shopify"])
    tea, mug = first.lines
    assert (_amount(tea.discount), _amount(tea.total)) == ("2.50 USD", "22.50 USD")
    assert (_amount(mug.discount), _amount(mug.total)) == ("0.00 USD", "8.00 USD")
    # the oldest lines name no discount at all
    assert _amount(second.lines[0].discount) == "0.00 EUR"
    assert first.payment_gateway == "bogus" and second.payment_gateway == "manual"
    assert first.placed_at.isoformat() == "2017-08-24T18:02:11+00:00"     # created_at
    assert second.placed_at.isoformat() == "2016-02-10T07:59:30+00:00"    # processed_at


def test_shipping_lines_in_shop_money_count_where_present(
        shopify_orders: CompiledMapping) -> None:
    payload = load_fixture("shopify", "orders_legacy")["orders"][1]
    line = payload["shipping_lines"][0]
    line["price_set"] = {"shop_money": {"amount": "3.10", "currency_code": "EUR"},
                         "presentment_money": {"amount": "3.40", "currency_code": "CHF"}}
    (order,) = shopify_orders.apply(payload, CONTEXTS["shopify"])
    assert _amount(order.shipping_total) == "4.60 EUR"   # 3.10 + the other line's 1.50


def test_current_shopify_order_still_reads_the_set_field(
        shopify_orders: CompiledMapping) -> None:
    raw = copy.deepcopy(load_fixture("shopify", "orders")["orders"][0])
    raw["total_shipping_price_set"]["shop_money"]["amount"] = "99.00"
    (order,) = shopify_orders.apply(raw, CONTEXTS["shopify"])
    assert order.shipping_total.amount == Decimal("99.00")


def test_shopify_order_without_any_shipping_figure_names_every_path_tried(
        shopify_orders: CompiledMapping) -> None:
    raw = load_fixture("shopify", "orders_legacy")["orders"][0]
    del raw["shipping_lines"]
    with pytest.raises(RecordError, match=r"shipping_total: is missing in the source record "
                       r"\(tried total_shipping_price_set\.shop_money\.amount, "
                       r"shipping_lines\[\]\.\[price_set\.shop_money\.amount \|\| price\]\[\]\)"):
        shopify_orders.apply(raw, CONTEXTS["shopify"])


def test_shopify_customer_without_currency_gets_the_shop_currency() -> None:
    m = load_mapping(MAPPINGS / "shopify" / "customers.yaml")
    (customer,) = _apply(m, load_fixture("shopify", "customers_legacy"), CONTEXTS["shopify"])
    assert isinstance(customer, Customer)
    assert _amount(customer.total_spent) == "38.23 EUR"   # the shop's currency (context)
    assert customer.accepts_marketing is True             # the plain flag of old versions
    # a customer that names its currency keeps it
    raw = load_fixture("shopify", "customers_legacy")["customers"][0]
    (own,) = m.apply({**raw, "currency": "USD"}, CONTEXTS["shopify"])
    assert _amount(own.total_spent) == "38.23 USD"


def test_the_shop_currency_is_read_only_when_the_customer_has_none() -> None:
    m = load_mapping(MAPPINGS / "shopify" / "customers.yaml")
    raw = load_fixture("shopify", "customers_legacy")["customers"][0]
    no_context = MappingContext(connection="shop_eu", system="shopify")
    (customer,) = m.apply({**raw, "currency": "USD"}, no_context)
    assert customer.total_spent.currency == "USD"
    with pytest.raises(ConfigError, match="context value 'shop_currency' is not provided"):
        m.apply(raw, no_context)


def test_woocommerce_v1_order_takes_its_utc_dates_from_the_unsuffixed_fields() -> None:
    m = load_mapping(MAPPINGS / "woocommerce" / "orders.yaml")
    (order,) = _apply(m, load_fixture("woocommerce", "orders_v1"), CONTEXTS["woocommerce"])
    assert order.placed_at.isoformat() == "2017-03-01T10:20:30+00:00"
    assert order.updated_at.isoformat() == "2017-03-01T10:21:05+00:00"
    assert order.financial_status == "paid"
    assert _amount(order.shipping_total) == "4.00 GBP"
    assert order.warnings == []


def test_woocommerce_v3_dates_prefer_the_gmt_fields() -> None:
    m = load_mapping(MAPPINGS / "woocommerce" / "orders.yaml")
    raw = load_fixture("woocommerce", "orders")[0]
    local = {**raw, "date_created": "2001-01-01T00:00:00"}   # local time: never read
    (order,) = m.apply(local, CONTEXTS["woocommerce"])
    assert order.placed_at == datetime.fromisoformat(raw["date_created_gmt"]).replace(tzinfo=UTC)
