"""Posting rules as a table: which records make which lines, on which accounts, and why.

Rows are (rule, account, debit, credit) when the functional amounts equal the transaction
ones (EUR books, EUR records), else (rule, account, debit, credit, functional debit,
functional credit). Accounts are the demo chart's (mappings/ledger/chart.yaml, hub.yaml).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from synchub.canonical import LedgerEntry, Order
from synchub.ledger.posting import (
    PostingContext,
    correction,
    ledger_ref,
    post_movement,
    post_order,
    post_payout,
    post_refund,
)
from synchub.ledger.rates import MissingRateError, PostingError
from tests.ledger.conftest import (
    CHANNEL,
    context,
    m,
    movement_doc,
    order_doc,
    payout_doc,
    refund_doc,
)

D = Decimal
NO_COMMISSION: dict[str, Any] = {"commissions": []}
USD_RATES = {("USD", "EUR", date(2025, 3, 3)): "0.90", ("USD", "EUR", date(2025, 3, 4)): "0.92"}


def ctx(rates: dict[tuple[str, str, date], str] | None = None, **over: Any) -> PostingContext:
    return context(rates, **{**NO_COMMISSION, **over})


def line(ext: str, sku: str, qty: int, price: str, tax: str, total: str, *,
         discount: str = "0.00", title: str | None = "MwSt", cur: str = "EUR") -> dict[str, Any]:
    return {"external_id": ext, "sku": sku, "quantity": qty, "unit_price": m(price, cur),
            "discount": m(discount, cur), "tax": m(tax, cur), "total": m(total, cur),
            "tax_lines": [{"title": title, "amount": m(tax, cur)}] if title else []}


def ship(price: str, tax: str, cur: str = "EUR") -> list[dict[str, Any]]:
    return [{"title": "DHL", "price": m(price, cur), "discount": m("0", cur),
             "tax": m(tax, cur), "total": m(price, cur)}]


def inclusive_order(**over: Any) -> Order:
    """Order 1001 again with tax-inclusive prices: the same 50.00 + 4.90 + 10.43 MwSt."""
    doc: dict[str, Any] = {
        "taxes_included": True, "subtotal": m("59.50"), "shipping_total": m("5.83"),
        "lines": [line("l1", "SKU-0001-A", 2, "23.80", "7.60", "47.60"),
                  line("l2", "SKU-0100", 1, "11.90", "1.90", "11.90")],
        "shipping_lines": ship("5.83", "0.93"), "total": m("65.33")}
    return order_doc(**{**doc, **over})


def jpy_order() -> Order:
    cur = "JPY"
    return order_doc(
        currency=cur, connection="shopify_demo", payment_gateway="shopify_payments",
        source={"connection": "shopify_demo", "system": "shopify", "external_id": "1001"},
        subtotal=m(3702, cur), shipping_total=m(500, cur), tax_total=m(370, cur),
        total=m(4572, cur), lines=[line("l1", "JP-1", 3, "1234", "370", "3702",
                                        discount="0", title="消費税", cur=cur)],
        shipping_lines=ship("500", "0", cur), tax_lines=[{"title": "消費税",
                                                           "amount": m(370, cur)}])


def kwd_order() -> Order:
    cur = "KWD"
    return order_doc(
        currency=cur, subtotal=m("12.345", cur), shipping_total=m("1.250", cur),
        tax_total=m("0", cur), total=m("13.595", cur), tax_lines=[],
        lines=[line("l1", "SKU-0001-K", 1, "12.345", "0", "12.345", discount="0",
                    title=None, cur=cur)], shipping_lines=ship("1.250", "0", cur))


def usd_items() -> list[Any]:
    """Two USD charges settled by payout po_1: nets 100.00 (0.90) and 50.00 (0.92)."""
    return [movement_doc(currency="USD", external_id="txn_a", amount=m("101.00", "USD"),
                         fees=[{"type": "payment_processing", "amount": m("1.00", "USD")}]),
            movement_doc(currency="USD", external_id="txn_b", amount=m("51.00", "USD"),
                         processed_at="2025-03-04T12:00:00Z",
                         fees=[{"type": "payment_processing", "amount": m("1.00", "USD")}])]


def usd_payout(rate: str) -> list[LedgerEntry]:
    rates = {**USD_RATES, ("USD", "EUR", date(2025, 3, 10)): rate}
    return post_payout(payout_doc(currency="USD", amount=m("150.00", "USD")), usd_items(),
                       CHANNEL, ctx(rates))


def mv(**over: Any) -> list[LedgerEntry]:
    return post_movement(movement_doc(**over), CHANNEL, ctx())


CLEARING = "121210"     # woo_demo's stripe gateway
Case = tuple[Callable[[], list[LedgerEntry]], dict[str, list[tuple[Any, ...]]]]
CASES: dict[str, Case] = {
    "sale-tax-exclusive": (lambda: post_order(order_doc(), ctx()), {"sale/1001": [
        ("clearing:woo_demo:stripe", CLEARING, "65.33", "0"),
        ("sale.revenue", "400000", "0", "50.00"),
        ("sale.shipping", "400100", "0", "4.90"),
        ("tax:MwSt", "251100", "0", "10.43")]}),
    "sale-tax-inclusive": (lambda: post_order(inclusive_order(), ctx()), {"sale/1001": [
        ("clearing:woo_demo:stripe", CLEARING, "65.33", "0"),
        ("sale.revenue", "400000", "0", "50.00"),
        ("sale.shipping", "400100", "0", "4.90"),
        ("tax:MwSt", "251100", "0", "10.43")]}),
    "sale-discount": (lambda: post_order(order_doc(
        discount_total=m("5.00"), tax_total=m("9.48"), total=m("59.38"),
        discount_codes=["SPRING5"], tax_lines=[{"title": "MwSt", "amount": m("9.48")}],
        lines=[line("l1", "SKU-0001-A", 2, "20.00", "6.65", "35.00", discount="5.00"),
               line("l2", "SKU-0100", 1, "10.00", "1.90", "10.00")]), ctx()), {"sale/1001": [
        ("clearing:woo_demo:stripe", CLEARING, "59.38", "0"),
        ("sale.revenue", "400000", "0", "50.00"),
        ("sale.discount", "400200", "5.00", "0"),
        ("sale.shipping", "400100", "0", "4.90"),
        ("tax:MwSt", "251100", "0", "9.48")]}),
    "sale-discount-tax-inclusive": (lambda: post_order(inclusive_order(
        discount_total=m("5.95"), tax_total=m("9.48"), total=m("59.38"),
        tax_lines=[{"title": "MwSt", "amount": m("9.48")}],
        lines=[line("l1", "SKU-0001-A", 2, "23.80", "6.65", "41.65", discount="5.95"),
               line("l2", "SKU-0100", 1, "11.90", "1.90", "11.90")]), ctx()), {"sale/1001": [
        ("clearing:woo_demo:stripe", CLEARING, "59.38", "0"),
        ("sale.revenue", "400000", "0", "50.95"),
        ("sale.discount", "400200", "5.95", "0"),
        ("sale.shipping", "400100", "0", "4.90"),
        ("tax:MwSt", "251100", "0", "9.48")]}),
    "sale-shipping": (lambda: post_order(order_doc(
        connection="shopify_demo", payment_gateway="shopify_payments",
        source={"connection": "shopify_demo", "system": "shopify", "external_id": "1001"},
        subtotal=m("30.00"), shipping_total=m("9.90"), tax_total=m("7.98"),
        total=m("47.88"), lines=[line("l1", "TEA-1", 1, "30.00", "6.00", "30.00", title="VAT")],
        shipping_lines=ship("9.90", "1.98"), tax_lines=[{"title": "VAT",
                                                          "amount": m("7.98")}]), ctx()),
        {"sale/1001": [("clearing:shopify_demo:shopify_payments", "121110", "47.88", "0"),
                       ("sale.revenue", "400000", "0", "30.00"),
                       ("sale.shipping", "400100", "0", "9.90"),
                       ("tax:VAT", "251200", "0", "7.98")]}),
    "sale-two-tax-titles-one-unmapped": (lambda: post_order(order_doc(
        subtotal=m("50.00"), shipping_total=m("0"), shipping_lines=[], tax_total=m("4.50"),
        total=m("54.50"), lines=[line("l1", "SKU-0100", 5, "10.00", "4.50", "50.00")],
        tax_lines=[{"title": "CA State Tax", "amount": m("3.00")},
                   {"title": "MwSt", "amount": m("1.00")}]), ctx()), {"sale/1001": [
        ("clearing:woo_demo:stripe", CLEARING, "54.50", "0"),
        ("sale.revenue", "400000", "0", "50.00"),
        ("tax:default", "251000", "0", "3.00"),
        ("tax:MwSt", "251100", "0", "1.00"),
        ("tax:default", "251000", "0", "0.50")]}),       # tax_total not itemised by title
    "sale-total-mismatch-adjustment": (lambda: post_order(order_doc(total=m("65.30")), ctx()),
                                       {"sale/1001": [
        ("clearing:woo_demo:stripe", CLEARING, "65.30", "0"),
        ("sale.revenue", "400000", "0", "50.00"),
        ("sale.shipping", "400100", "0", "4.90"),
        ("tax:MwSt", "251100", "0", "10.43"),
        ("adjustment:source_total_mismatch", "640900", "0.03", "0")]}),
    "sale-source-with-extra-decimals": (lambda: post_order(order_doc(
        lines=[], shipping_lines=[], subtotal=m("33.333"), shipping_total=m("0"),
        tax_total=m("6.333"), total=m("39.666"),
        tax_lines=[{"title": "MwSt", "amount": m("6.333")}]), ctx()), {"sale/1001": [
        ("clearing:woo_demo:stripe", CLEARING, "39.67", "0"),
        ("sale.revenue", "400000", "0", "33.33"),
        ("tax:MwSt", "251100", "0", "6.33"),
        ("rounding", "642100", "0", "0.01")]}),
    "sale-jpy-zero-decimals-rounding": (lambda: post_order(jpy_order(), ctx(
        {("JPY", "EUR", date(2025, 3, 3)): "0.0062"})), {"sale/1001": [
        ("clearing:shopify_demo:shopify_payments", "121110", "4572", "0", "28.35", "0"),
        ("sale.revenue", "400000", "0", "3702", "0", "22.95"),
        ("sale.shipping", "400100", "0", "500", "0", "3.10"),
        ("tax:default", "251000", "0", "370", "0", "2.29"),
        ("rounding", "642100", "0", "0", "0", "0.01")]}),
    "refund-jpy-tax-rounds-to-yen": (lambda: post_refund(refund_doc(
        currency="JPY", amount=m(1357, "JPY"), lines=[{"line_external_id": "l1",
                                                       "quantity": 1, "amount": m(1357, "JPY"),
                                                       "restock": True}]),
        jpy_order(), ctx({("JPY", "EUR", date(2025, 3, 5)): "0.0062"})), {"refund/r1": [
        ("refund.return", "400400", "1234", "0", "7.65", "0"),   # 370 / 3 = 123.33 -> 123
        ("tax:default", "251000", "123", "0", "0.76", "0"),
        ("clearing:shopify_demo:shopify_payments", "121110", "0", "1357", "0", "8.41")]}),
    "sale-kwd-three-decimals": (lambda: post_order(kwd_order(), context(
        {("KWD", "EUR", date(2025, 3, 3)): "3.0123"})), {
        "sale/1001": [("clearing:woo_demo:stripe", CLEARING, "13.595", "0", "40.95", "0"),
                      ("sale.revenue", "400000", "0", "12.345", "0", "37.19"),
                      ("sale.shipping", "400100", "0", "1.250", "0", "3.77"),
                      ("rounding", "642100", "0", "0", "0.01", "0")],
        "commission/1001": [  # 5 % of 12.345 = 0.61725 -> 0.617 KWD
            ("commission:coffee_affiliate", "623000", "0.617", "0", "1.86", "0"),
            ("commission:coffee_affiliate", "211000", "0", "0.617", "0", "1.86")]}),
    "commission-sku-group": (lambda: post_order(inclusive_order(), context(commissions=[
        {"name": "coffee_affiliate", "party": "Kaffee-Blog Partner", "rate": "0.05",
         "channels": [CHANNEL], "skus": ["SKU-0001*"]},
        {"name": "tea_partner", "party": "Tea Club", "rate": "0.10", "skus": ["SKU-01??"],
         "expense": "623100"},
        {"name": "other_shop", "party": "Nobody", "rate": "0.5", "channels": ["shopify_demo"]},
    ])), {"sale/1001": [("clearing:woo_demo:stripe", CLEARING, "65.33", "0"),
                        ("sale.revenue", "400000", "0", "50.00"),
                        ("sale.shipping", "400100", "0", "4.90"),
                        ("tax:MwSt", "251100", "0", "10.43")],
          "commission/1001": [  # bases net of tax: 47.60 - 7.60 and 11.90 - 1.90
              ("commission:coffee_affiliate", "623000", "2.00", "0"),
              ("commission:coffee_affiliate", "211000", "0", "2.00"),
              ("commission:tea_partner", "623100", "1.00", "0"),
              ("commission:tea_partner", "211000", "0", "1.00")]}),
    "cancellation-of-unpaid-order": (lambda: post_order(order_doc(
        status="cancelled", financial_status="pending",
        cancelled_at="2025-03-04T08:00:00Z"), ctx()), {
        "sale/1001": [("clearing:woo_demo:stripe", CLEARING, "65.33", "0"),
                      ("sale.revenue", "400000", "0", "50.00"),
                      ("sale.shipping", "400100", "0", "4.90"),
                      ("tax:MwSt", "251100", "0", "10.43")],
        "cancellation/1001": [("cancel.clearing:woo_demo:stripe", CLEARING, "0", "65.33"),
                              ("cancel.sale.revenue", "400000", "50.00", "0"),
                              ("cancel.sale.shipping", "400100", "4.90", "0"),
                              ("cancel.tax:MwSt", "251100", "10.43", "0")]}),
    "cancellation-reverses-its-commission": (lambda: post_order(order_doc(
        status="cancelled", financial_status="voided", cancelled_at="2025-03-04T08:00:00Z"),
        context(commissions=[{"name": "coffee_affiliate", "party": "Kaffee-Blog Partner",
                              "rate": "0.05", "skus": ["SKU-0001*"]}])), {
        "sale/1001": [("clearing:woo_demo:stripe", CLEARING, "65.33", "0"),
                      ("sale.revenue", "400000", "0", "50.00"),
                      ("sale.shipping", "400100", "0", "4.90"),
                      ("tax:MwSt", "251100", "0", "10.43")],
        "commission/1001": [("commission:coffee_affiliate", "623000", "2.00", "0"),
                            ("commission:coffee_affiliate", "211000", "0", "2.00")],
        "cancellation/1001": [("cancel.clearing:woo_demo:stripe", CLEARING, "0", "65.33"),
                              ("cancel.sale.revenue", "400000", "50.00", "0"),
                              ("cancel.sale.shipping", "400100", "4.90", "0"),
                              ("cancel.tax:MwSt", "251100", "10.43", "0"),
                              ("cancel.commission:coffee_affiliate", "623000", "0", "2.00"),
                              ("cancel.commission:coffee_affiliate", "211000", "2.00", "0")]}),
    "refund-partial-with-restock": (lambda: post_refund(refund_doc(), order_doc(), ctx()), {
        "refund/r1": [("refund.return", "400400", "20.00", "0"),   # 7.60 x 1/2 = 3.80 tax
                      ("tax:MwSt", "251100", "3.80", "0"),
                      ("clearing:woo_demo:stripe", CLEARING, "0", "23.80")]}),
    "refund-partial-without-restock": (lambda: post_refund(refund_doc(
        amount=m("28.70"), lines=[{"sku": "SKU-0001-A", "quantity": 1, "amount": m("23.80")}]),
        order_doc(), ctx()), {
        "refund/r1": [("refund.allowance", "400300", "20.00", "0"),
                      ("tax:MwSt", "251100", "3.80", "0"),
                      ("refund.other", "400300", "4.90", "0"),       # the shipping
                      ("clearing:woo_demo:stripe", CLEARING, "0", "28.70")]}),
    "refund-shipping-only": (lambda: post_refund(refund_doc(amount=m("4.90"), lines=[]),
                                                 order_doc(), ctx()), {
        "refund/r1": [("refund.other", "400300", "4.90", "0"),
                      ("clearing:woo_demo:stripe", CLEARING, "0", "4.90")]}),
    "refund-lines-above-the-money": (lambda: post_refund(refund_doc(amount=m("20.00")),
                                                         order_doc(), ctx()), {
        "refund/r1": [("refund.return", "400400", "20.00", "0"),
                      ("tax:MwSt", "251100", "3.80", "0"),
                      ("refund.other", "400300", "0", "3.80"),
                      ("clearing:woo_demo:stripe", CLEARING, "0", "20.00")]}),
    "charge-posts-its-fees-only": (lambda: mv(), {"fees/txn_1": [
        ("fee:payment_processing", "620200", "1.23", "0"),
        ("clearing:woo_demo:stripe", CLEARING, "0", "1.23")]}),
    "chargeback-with-fee": (lambda: mv(type="chargeback", amount=m("-65.33"), fees=[
        {"type": "chargeback", "amount": m("15.00")}]), {
        "chargeback/txn_1": [("chargeback", "640100", "65.33", "0"),
                             ("clearing:woo_demo:stripe", CLEARING, "0", "65.33")],
        "fees/txn_1": [("fee:chargeback", "620600", "15.00", "0"),
                       ("clearing:woo_demo:stripe", CLEARING, "0", "15.00")]}),
    "chargeback-reversal": (lambda: mv(type="chargeback_reversal", amount=m("65.33"), fees=[
        {"type": "chargeback", "amount": m("-15.00")}]), {      # the fee given back
        "chargeback/txn_1": [("chargeback.reversal", "640100", "0", "65.33"),
                             ("clearing:woo_demo:stripe", CLEARING, "65.33", "0")],
        "fees/txn_1": [("fee:chargeback", "620600", "0", "15.00"),
                       ("clearing:woo_demo:stripe", CLEARING, "15.00", "0")]}),
    "reserve-and-release": (lambda: [
        *mv(type="reserve", external_id="txn_r1", amount=m("-100.00"), fees=[]),
        *mv(type="reserve_release", external_id="txn_r2", amount=m("100.00"), fees=[])], {
        "reserve/txn_r1": [("reserve.hold", "121300", "100.00", "0"),
                           ("clearing:woo_demo:stripe", CLEARING, "0", "100.00")],
        "reserve/txn_r2": [("reserve.release", "121300", "0", "100.00"),
                           ("clearing:woo_demo:stripe", CLEARING, "100.00", "0")]}),
    "unmapped-fee-to-suspense": (lambda: mv(fees=[
        {"type": "storage", "amount": m("2.50")},
        {"type": "payment_processing", "amount": m("1.00")}]), {"fees/txn_1": [
        ("suspense:fee:storage", "999999", "2.50", "0"),
        ("fee:payment_processing", "620200", "1.00", "0"),
        ("clearing:woo_demo:stripe", CLEARING, "0", "3.50")]}),
    "adjustment-movements": (lambda: [
        *mv(type="adjustment", external_id="txn_x", amount=m("5.00"), fees=[]),
        *mv(type="fee", external_id="txn_f", amount=m("-10.00"), fees=[], gateway=None)], {
        "adjustment/txn_x": [("clearing:woo_demo:stripe", CLEARING, "5.00", "0"),
                             ("adjustment:adjustment", "640900", "0", "5.00")],
        "adjustment/txn_f": [("clearing:woo_demo", "121200", "0", "10.00"),
                             ("adjustment:fee", "640900", "10.00", "0")]}),
    "payout-eur": (lambda: post_payout(payout_doc(amount=m("64.10")), [movement_doc()],
                                       CHANNEL, ctx()), {"payout/po_1": [
        ("bank:EUR", "101401", "64.10", "0"),
        ("clearing:woo_demo:stripe", CLEARING, "0", "64.10")]}),
    "payout-usd-fx-gain": (lambda: usd_payout("0.95"), {"payout/po_1": [
        ("bank:USD", "101402", "150.00", "0", "142.50", "0"),
        ("clearing:woo_demo:stripe", CLEARING, "0", "150.00", "0", "136.00"),
        ("fx.gain", "442000", "0", "0", "0", "6.50")]}),
    "payout-usd-fx-loss": (lambda: usd_payout("0.85"), {"payout/po_1": [
        ("bank:USD", "101402", "150.00", "0", "127.50", "0"),
        ("clearing:woo_demo:stripe", CLEARING, "0", "150.00", "0", "136.00"),
        ("fx.loss", "642000", "0", "0", "8.50", "0")]}),
}


def rows(entry: LedgerEntry) -> list[tuple[Any, ...]]:
    return [(ln.rule, ln.account, ln.debit, ln.credit, ln.functional_debit,
             ln.functional_credit) for ln in entry.lines]


def expected_rows(spec: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    out = []
    for row in spec:
        rule, account, *amounts = row
        if len(amounts) == 2:
            amounts = amounts * 2
        out.append((rule, account, *(D(a) for a in amounts)))
    return out


@pytest.mark.parametrize(("post", "expected"), [pytest.param(*case, id=name)
                                                for name, case in CASES.items()])
def test_posting_table(post: Callable[[], list[LedgerEntry]],
                       expected: dict[str, list[tuple[Any, ...]]]) -> None:
    entries = post()
    assert [e.external_id for e in entries] == list(expected)
    for entry in entries:
        assert rows(entry) == expected_rows(expected[entry.external_id]), entry.external_id
        entry.check()
        debit, credit, fdebit, fcredit = entry.totals()
        assert (debit, fdebit) == (credit, fcredit)


def test_entry_identity_dates_and_rate() -> None:
    rates = {**USD_RATES, ("USD", "EUR", date(2025, 3, 10)): "0.95"}
    payout = payout_doc(currency="USD", amount=m("150.00", "USD"),
                        source={"connection": "stripe_eu", "system": "stripe",
                                "external_id": "po_1"})
    [entry] = post_payout(payout, usd_items(), CHANNEL, ctx(rates))
    assert entry.external_id == "payout/stripe_eu:po_1"     # another connection's payout
    assert entry.source.model_dump() == {"connection": CHANNEL, "system": "ledger",
                                         "external_id": "payout/stripe_eu:po_1"}
    assert ledger_ref(entry) == "woo_demo/payout/stripe_eu:po_1"
    assert (entry.posted_on, entry.rate, entry.rate_date, entry.rate_provider) == (
        date(2025, 3, 10), D("0.95"), date(2025, 3, 10), "ecb")
    assert (entry.currency, entry.functional_currency) == ("USD", "EUR")
    items = usd_items()
    assert entry.source_ids == [f"payout:{payout.id}",
                                *(f"balance_transaction:{i.id}" for i in items)]
    assert {ln.source for ln in entry.lines} == {f"payout:{payout.id}"}
    [fees] = post_movement(movement_doc(source={"connection": "stripe_eu", "system": "stripe",
                                                "external_id": "txn_1"}), CHANNEL, ctx())
    assert fees.external_id == "fees/stripe_eu:txn_1"


def test_refund_without_created_at_posts_on_the_order_update() -> None:
    order = order_doc(updated_at="2025-03-07T23:30:00-02:00")
    [entry] = post_refund(refund_doc(created_at=None), order, ctx())
    assert entry.posted_at == datetime(2025, 3, 8, 1, 30, tzinfo=UTC)
    assert entry.posted_on == date(2025, 3, 8)
    assert entry.source_ids == [f"refund:{refund_doc().id}", f"order:{order.id}"]


def test_paid_cancelled_order_keeps_its_sale_for_refunds() -> None:
    order = order_doc(status="cancelled", financial_status="refunded",
                      cancelled_at="2025-03-04T08:00:00Z")
    assert [e.kind for e in post_order(order, ctx())] == ["sale"]


def test_payout_that_moved_nothing_posts_nothing() -> None:
    for status in ("failed", "cancelled", "scheduled", "unknown"):
        assert post_payout(payout_doc(status=status, issued_at=None), [], CHANNEL, ctx()) == []


def test_payout_remainder_without_items_is_at_the_payout_rate() -> None:
    rates = {("USD", "EUR", date(2025, 3, 10)): "0.95"}
    [entry] = post_payout(payout_doc(currency="USD", amount=m("-20.00", "USD")), [],
                          CHANNEL, ctx(rates))
    assert rows(entry) == expected_rows([
        ("bank:USD", "101402", "0", "20.00", "0", "19.00"),
        ("clearing:woo_demo", "121200", "20.00", "0", "19.00", "0")])


def test_missing_rate_names_record_pair_and_day() -> None:
    order = order_doc(currency="USD")
    with pytest.raises(MissingRateError, match=r"order 1001: placed_at: no USD->EUR rate .*"
                                               r"2025-03-03") as err:
        post_order(order, ctx({("USD", "EUR", date(2025, 2, 20)): "0.9"}))   # too old
    assert (err.value.record_id, err.value.field) == ("1001", "placed_at")
    with pytest.raises(MissingRateError, match=r"payout po_1: items\.0\.processed_at "
                                               r"\(balance_transaction txn_a\).*2025-03-03"):
        post_payout(payout_doc(currency="USD", amount=m("150.00", "USD")), usd_items(),
                    CHANNEL, ctx({("USD", "EUR", date(2025, 3, 10)): "0.9"}))


@pytest.mark.parametrize(("post", "message", "field"), [
    pytest.param(lambda: post_refund(refund_doc(), None, ctx()),
                 "refund r1: order_external_id: order 1001 is not in the store",
                 "order_external_id", id="refund-without-its-order"),
    pytest.param(lambda: post_refund(refund_doc(currency="USD"), order_doc(), ctx()),
                 "refund r1: amount.currency: USD differs from the currency of order 1001 "
                 "(EUR)", "amount.currency", id="refund-in-another-currency"),
    pytest.param(lambda: post_refund(refund_doc(order_external_id="1002"), order_doc(), ctx()),
                 "refund r1: order_external_id: refund of order 1002 posted with order 1001",
                 "order_external_id", id="refund-with-the-wrong-order"),
    pytest.param(lambda: post_payout(payout_doc(issued_at=None), [], CHANNEL, ctx()),
                 "payout po_1: issued_at: a payout without issued_at cannot be posted",
                 "issued_at", id="payout-without-issued-at"),
    pytest.param(lambda: post_payout(payout_doc(), usd_items(), CHANNEL, ctx()),
                 "payout po_1: items.0.amount.currency: balance_transaction txn_a is in USD, "
                 "the payout in EUR", "items.0.amount.currency", id="payout-item-in-usd"),
])
def test_posting_errors_name_record_and_field(post: Callable[[], Any], message: str,
                                              field: str) -> None:
    with pytest.raises(PostingError) as err:
        post()
    assert err.value.message == message
    assert err.value.field == field


def _sale(**over: Any) -> LedgerEntry:
    return post_order(order_doc(**over), ctx())[0]


def test_correction_posts_the_difference() -> None:
    original = _sale()
    amended = _sale(subtotal=m("52.00"), tax_total=m("10.81"), total=m("67.71"),
                    tax_lines=[{"title": "MwSt", "amount": m("10.81")}],
                    lines=[line("l1", "SKU-0001-A", 2, "20.00", "7.60", "40.00"),
                           line("l2", "SKU-0100", 1, "12.00", "2.28", "12.00")])
    fix = correction(original, amended, [], date(2025, 4, 2), ctx())
    assert fix is not None
    assert (fix.external_id, fix.kind, fix.corrects) == ("sale/1001#c1", "correction",
                                                        "sale/1001")
    assert (fix.posted_at, fix.posted_on) == (datetime(2025, 4, 2, tzinfo=UTC), date(2025, 4, 2))
    assert rows(fix) == expected_rows([("clearing:woo_demo:stripe", CLEARING, "2.38", "0"),
                                       ("sale.revenue", "400000", "0", "2.00"),
                                       ("tax:MwSt", "251100", "0", "0.38")])
    # once corrected, the same amendment corrects nothing; a further one is the second
    assert correction(original, amended, [fix], date(2025, 4, 3), ctx()) is None
    back = correction(original, original, [fix], date(2025, 4, 3), ctx())
    assert back is not None and back.external_id == "sale/1001#c2"
    assert rows(back) == expected_rows([("clearing:woo_demo:stripe", CLEARING, "0", "2.38"),
                                        ("sale.revenue", "400000", "2.00", "0"),
                                        ("tax:MwSt", "251100", "0.38", "0")])


def test_correction_of_an_unchanged_entry_is_none() -> None:
    assert correction(_sale(), _sale(), [], date(2025, 4, 2), ctx()) is None


def test_correction_of_a_rate_change_keeps_each_line_on_one_side() -> None:
    order = order_doc(currency="USD")
    day = date(2025, 3, 3)
    original = post_order(order, ctx({("USD", "EUR", day): "0.90"}))[0]
    amended = post_order(order, ctx({("USD", "EUR", day): "0.95"}))[0]
    fix = correction(original, amended, [], date(2025, 4, 2), ctx())
    assert fix is not None and fix.rate == D("0.95")
    assert [ln.debit + ln.credit for ln in fix.lines] == [D(0)] * len(fix.lines)
    assert rows(fix)[0] == ("clearing:woo_demo:stripe", CLEARING, 0, 0, D("3.26"), 0)
    with pytest.raises(PostingError, match=r"amended\.currency"):
        correction(original, _sale(), [], date(2025, 4, 2), ctx())
