"""Properties of every posting, over random orders, refunds, movements, payouts and rates.

Whatever the currency (JPY 0 decimals, KWD 3, EUR and USD 2) of the record and of the books,
every entry balances in both currencies, every figure is at its currency's precision and not
negative, a payout's bank lines carry exactly the payout amount, and posting is deterministic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synchub.canonical import BalanceTransaction, LedgerEntry, Order, Payout, Refund
from synchub.canonical.base import MINOR_UNITS
from synchub.ledger.posting import (
    PostingContext,
    correction,
    post_movement,
    post_order,
    post_payout,
    post_refund,
)
from synchub.ledger.rates import FixedRates, PostingError
from tests.ledger.conftest import ledger_config, m

CURRENCIES = ["EUR", "USD", "JPY", "KWD"]
FIRST_DAY = date(2025, 2, 25)
DAYS = 40                                   # rates exist for every day of this range
TAX_TITLES = ["MwSt", "VAT", "CA State Tax", "GST"]
FEE_TYPES = ["payment_processing", "commission", "storage", "chargeback", "advertising"]
MOVEMENT_TYPES = ["charge", "refund", "chargeback", "chargeback_reversal", "adjustment",
                  "reserve", "reserve_release", "fee", "payout", "other"]
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def amounts(cur: str, lo: int, hi: int) -> st.SearchStrategy[Decimal]:
    """Amounts at the currency's precision, from lo to hi minor units."""
    return st.integers(lo, hi).map(lambda n: Decimal(n).scaleb(-MINOR_UNITS.get(cur, 2)))


def moments(first: int = 4, last: int = DAYS - 1) -> st.SearchStrategy[datetime]:
    start = datetime.combine(FIRST_DAY, datetime.min.time(), UTC)
    return st.integers(first * 86400, last * 86400 - 1).map(
        lambda s: start + timedelta(seconds=s))


def iso(moment: datetime) -> str:
    return moment.isoformat()


@st.composite
def contexts(draw: st.DrawFn, functional: str | None = None) -> PostingContext:
    """The demo ledger with books in any of the currencies and a random rate every day."""
    functional = functional or draw(st.sampled_from(CURRENCIES))
    table: dict[tuple[str, str, date], Decimal] = {}
    for cur in CURRENCIES:
        if cur == functional:
            continue
        base = draw(st.integers(1, 5_000_000))          # 0.000001 .. 5.0
        for day in range(DAYS):
            wobble = draw(st.integers(-base // 20, base // 20)) if day % 7 == 0 else 0
            table[(cur, functional, FIRST_DAY + timedelta(days=day))] = \
                Decimal(max(1, base + wobble)).scaleb(-6)
    over: dict[str, Any] = {"functional_currency": functional}
    if draw(st.booleans()):
        over["commissions"] = []                        # else the demo's affiliate rule
    return PostingContext(config=ledger_config(**over), rates=FixedRates(table, "ecb", 5))


@st.composite
def orders(draw: st.DrawFn, cur: str | None = None) -> Order:
    cur = cur or draw(st.sampled_from(CURRENCIES))
    inclusive = draw(st.booleans())
    money = lambda lo, hi: draw(amounts(cur, lo, hi))  # noqa: E731
    lines, subtotal, discounts, taxes = [], Decimal(0), Decimal(0), Decimal(0)
    for n in range(draw(st.integers(0, 4))):
        qty = draw(st.integers(1, 5))
        price = money(0, 20000)
        discount = min(money(0, 3000), price * qty)
        tax = money(0, 4000)
        lines.append({"external_id": f"l{n}", "sku": draw(st.sampled_from(
            ["SKU-0001-A", "SKU-0001-B", "SKU-0100", None])), "quantity": qty,
            "unit_price": m(price, cur), "discount": m(discount, cur), "tax": m(tax, cur),
            "total": m(price * qty - discount, cur),
            "tax_lines": [{"title": draw(st.sampled_from(TAX_TITLES)), "amount": m(tax, cur)}]})
        subtotal += price * qty
        discounts += discount
        taxes += tax
    ships: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 2))):
        price, tax = money(0, 2000), money(0, 400)
        ships.append({"price": m(price, cur), "discount": m(0, cur), "tax": m(tax, cur),
                      "total": m(price, cur)})
        taxes += tax
    shipping = sum((Decimal(s["total"]["amount"]) for s in ships), Decimal(0))
    taxes += money(0, 100)                              # tax the lines do not explain
    titles = [{"title": draw(st.sampled_from(TAX_TITLES)), "amount": m(money(0, 3000), cur)}
              for _ in range(draw(st.integers(0, 3)))]
    reasons = st.sampled_from(["gift_wrap", "rounding_at_source"])
    adjustments: list[dict[str, Any]] = [
        {"reason": draw(reasons), "amount": m(money(-500, 500), cur)}
        for _ in range(draw(st.integers(0, 2)))]
    total = (subtotal - discounts + shipping + (0 if inclusive else taxes)
             + sum((Decimal(a["amount"]["amount"]) for a in adjustments), Decimal(0))
             + draw(st.sampled_from([Decimal(0), money(-300, 300)])))   # a source gap
    placed = draw(moments(4, 24))
    status = draw(st.sampled_from(["open", "completed", "cancelled"]))
    connection = draw(st.sampled_from(["woo_demo", "shopify_demo", "other_shop"]))
    return Order.model_validate({
        "source": {"connection": connection, "system": "x", "external_id": "o1"},
        "external_id": "o1", "connection": connection, "channel": "x", "status": status,
        "financial_status": draw(st.sampled_from(["pending", "paid", "voided", "refunded"])),
        "currency": cur, "placed_at": iso(placed), "updated_at": iso(placed),
        "cancelled_at": iso(placed + timedelta(hours=draw(st.integers(0, 200))))
        if status == "cancelled" and draw(st.booleans()) else None,
        "subtotal": m(subtotal, cur), "discount_total": m(discounts, cur),
        "shipping_total": m(shipping, cur), "tax_total": m(taxes, cur), "total": m(total, cur),
        "refunded_total": m(0, cur), "taxes_included": inclusive, "lines": lines,
        "shipping_lines": ships, "tax_lines": titles, "adjustments": adjustments,
        "payment_gateway": draw(st.sampled_from([None, "stripe", "paypal",
                                                 "shopify_payments"]))})


@st.composite
def refunds(draw: st.DrawFn, order: Order) -> Refund:
    cur = order.currency
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        known = draw(st.booleans())
        ol = draw(st.sampled_from(order.lines)) if order.lines and known else None
        lines.append({"line_external_id": ol.external_id if ol else "unknown",
                      "sku": ol.sku if ol else None, "quantity": draw(st.integers(1, 4)),
                      "amount": m(draw(amounts(cur, 0, 30000)), cur),
                      "restock": draw(st.booleans())})
    created = draw(st.one_of(st.none(), moments(25, DAYS - 1)))
    return Refund.model_validate({
        "source": {"connection": order.connection, "system": "x", "external_id": "r1"},
        "external_id": "r1", "order_external_id": order.external_id,
        "created_at": iso(created) if created else None,
        "amount": m(draw(amounts(cur, 0, 50000)), cur), "lines": lines})


@st.composite
def movements(draw: st.DrawFn, cur: str | None = None, n: int = 0) -> BalanceTransaction:
    cur = cur or draw(st.sampled_from(CURRENCIES))
    amount = draw(amounts(cur, -50000, 50000))
    fees: list[dict[str, Any]] = [
        {"type": draw(st.sampled_from(FEE_TYPES)), "amount": m(draw(amounts(cur, -200, 2000)),
                                                                 cur)}
        for _ in range(draw(st.integers(0, 3)))]
    net = amount - sum((Decimal(f["amount"]["amount"]) for f in fees), Decimal(0))
    connection = draw(st.sampled_from(["woo_demo", "stripe_eu"]))
    return BalanceTransaction.model_validate({
        "source": {"connection": connection, "system": "x", "external_id": f"t{n}"},
        "external_id": f"t{n}", "type": draw(st.sampled_from(MOVEMENT_TYPES)),
        "processed_at": iso(draw(moments(4, 30))), "amount": m(amount, cur), "fees": fees,
        "net": m(net, cur), "gateway": draw(st.sampled_from([None, "stripe", "paypal"]))})


@st.composite
def payouts(draw: st.DrawFn) -> tuple[Payout, list[BalanceTransaction]]:
    cur = draw(st.sampled_from(CURRENCIES))
    items = [draw(movements(cur, n)) for n in range(draw(st.integers(0, 6)))]
    nets = sum((i.net.amount for i in items if i.type != "payout"), Decimal(0))
    amount = nets + draw(st.sampled_from([Decimal(0), draw(amounts(cur, -5000, 5000))]))
    issued = draw(moments(30, DAYS - 1)) if draw(st.integers(0, 9)) else None
    payout = Payout.model_validate({
        "source": {"connection": draw(st.sampled_from(["woo_demo", "stripe_eu"])),
                   "system": "x", "external_id": "p1"},
        "external_id": "p1", "amount": m(amount, cur),
        "status": draw(st.sampled_from(["paid", "paid", "in_transit", "failed"])),
        "issued_at": iso(issued) if issued else None})
    return payout, items


def assert_sound(entry: LedgerEntry, ctx: PostingContext) -> None:
    """Balanced in both currencies (summed here, not only by check()), exact, one-sided."""
    entry.check()
    cur, fcur = entry.currency, entry.functional_currency
    assert fcur == ctx.config.functional_currency
    assert len(entry.lines) >= 2
    for ln in entry.lines:
        for value, c in ((ln.debit, cur), (ln.credit, cur), (ln.functional_debit, fcur),
                         (ln.functional_credit, fcur)):
            assert value >= 0
            assert value.as_tuple().exponent == -MINOR_UNITS.get(c, 2), (value, c)
        assert not (ln.debit and ln.credit) and not (ln.functional_debit and
                                                     ln.functional_credit)
        assert ln.debit or ln.credit or ln.functional_debit or ln.functional_credit
        if ln.rule == "rounding":       # inputs at precision never need a rounding in cur
            assert ln.debit == ln.credit == 0
    assert sum(ln.debit for ln in entry.lines) == sum(ln.credit for ln in entry.lines)
    assert sum(ln.functional_debit for ln in entry.lines) == \
        sum(ln.functional_credit for ln in entry.lines)


def side(entry: LedgerEntry, prefix: str) -> Decimal:
    """Debits less credits (transaction currency) on the lines whose rule starts so."""
    return sum((ln.debit - ln.credit for ln in entry.lines if ln.rule.startswith(prefix)),
               Decimal(0))


@SETTINGS
@given(order=orders(), ctx=contexts())
def test_orders_post_balanced_and_deterministic(order: Order, ctx: PostingContext) -> None:
    entries = post_order(order, ctx)
    for entry in entries:
        assert_sound(entry, ctx)
    assert post_order(order.model_copy(deep=True), ctx) == entries
    sale = next((e for e in entries if e.kind == "sale"), None)
    if order.total.amount or any(ln.total.amount for ln in order.lines):
        assert sale is not None
    if sale is not None:
        assert side(sale, "clearing:") == order.total.amount
        assert [e.content_hash for e in post_order(order, ctx)] == \
            [e.content_hash for e in entries]
    cancelled = [e for e in entries if e.kind == "cancellation"]
    if cancelled:
        # the sale and its commission (when the order earned one), reversed
        reversed_ = [e for e in entries if e.kind in ("sale", "commission")]
        assert sale is not None and cancelled[0].totals() == tuple(
            sum(parts, Decimal(0)) for parts in zip(*(e.totals() for e in reversed_),
                                                     strict=True))
        assert side(cancelled[0], "cancel.clearing:") == -order.total.amount


@SETTINGS
@given(data=st.data(), ctx=contexts())
def test_refunds_post_balanced(data: st.DataObject, ctx: PostingContext) -> None:
    order = data.draw(orders())
    refund = data.draw(refunds(order))
    entries = post_refund(refund, order, ctx)
    for entry in entries:
        assert_sound(entry, ctx)
        assert side(entry, "clearing:") == -refund.amount.amount
    assert post_refund(refund, order, ctx) == entries
    if refund.amount.amount:
        assert len(entries) == 1


@SETTINGS
@given(tx=movements(), ctx=contexts())
def test_movements_post_balanced(tx: BalanceTransaction, ctx: PostingContext) -> None:
    entries = post_movement(tx, "woo_demo", ctx)
    assert len(entries) <= 2
    for entry in entries:
        assert_sound(entry, ctx)
    fees = [e for e in entries if e.kind == "fees"]
    fee_total = sum((f.amount.amount for f in tx.fees), Decimal(0))
    assert len(fees) == (1 if fee_total else 0)
    if fees:
        assert side(fees[0], "clearing:") == -fee_total
    if tx.type in ("charge", "refund", "payout", "other"):
        assert [e.kind for e in entries] == [e.kind for e in fees]
    assert [e.content_hash for e in post_movement(tx, "woo_demo", ctx)] == \
        [e.content_hash for e in entries]


@SETTINGS
@given(drawn=payouts(), ctx=contexts())
def test_payouts_bank_lines_carry_the_payout_amount(
        drawn: tuple[Payout, list[BalanceTransaction]], ctx: PostingContext) -> None:
    payout, items = drawn
    if payout.status in ("paid", "in_transit") and payout.issued_at is None:
        with pytest.raises(PostingError, match="issued_at"):
            post_payout(payout, items, "woo_demo", ctx)
        return
    entries = post_payout(payout, items, "woo_demo", ctx)
    if payout.status == "failed" or not payout.amount.amount:
        assert entries == []
        return
    [entry] = entries
    assert_sound(entry, ctx)
    assert side(entry, "bank:") == payout.amount.amount
    assert side(entry, "clearing:") == -payout.amount.amount
    fx = [ln for ln in entry.lines if ln.rule.startswith("fx.")]
    if payout.amount.currency == ctx.config.functional_currency:
        assert fx == []
    assert all(ln.debit == ln.credit == 0 for ln in fx)
    assert post_payout(payout, items, "woo_demo", ctx) == entries


@SETTINGS
@given(data=st.data(), ctx=contexts())
def test_corrections_turn_the_original_into_the_amendment(
        data: st.DataObject, ctx: PostingContext) -> None:
    order = data.draw(orders())
    # the amendment: another order in the same currency, possibly at other rates
    amended_order = data.draw(st.one_of(st.just(order), orders(order.currency)))
    later = data.draw(contexts(ctx.config.functional_currency))
    original = [e for e in post_order(order, ctx) if e.kind == "sale"]
    amended = [e for e in post_order(amended_order, later) if e.kind == "sale"]
    if not original or not amended:
        return
    fix = correction(original[0], amended[0], [], date(2025, 4, 1), ctx)
    if fix is None:
        assert _net(original[0]) == _net(amended[0])
        return
    assert_sound(fix, ctx)
    assert _net(original[0], fix) == _net(amended[0])
    assert correction(original[0], amended[0], [fix], date(2025, 4, 2), ctx) is None


def _net(*entries: LedgerEntry) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    out: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for entry in entries:
        for ln in entry.lines:
            tx, fn = out.get((ln.account, ln.rule), (Decimal(0), Decimal(0)))
            out[(ln.account, ln.rule)] = (tx + ln.debit - ln.credit,
                                          fn + ln.functional_debit - ln.functional_credit)
    return {k: v for k, v in out.items() if v != (0, 0)}
