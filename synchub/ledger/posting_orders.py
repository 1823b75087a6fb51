"""Posting rules of orders and refunds: sale, commission, cancellation, refund."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from synchub.canonical.common import quantize
from synchub.canonical.money_movements import LedgerEntry, LedgerLine, Refund
from synchub.canonical.order import Order, OrderLine, RefundLine
from synchub.ledger.posting_money import (
    ZERO,
    Journal,
    PostingContext,
    make_entry,
    posting_error,
    rate_for,
    ref,
    role,
    utc_day,
)
from synchub.ledger.rates import Rate

# money never collected: cancelling the order reverses its sale; a paid order that is
# cancelled gives the money back through refunds, which post themselves
UNCOLLECTED = ("voided", "pending", "unknown", "authorized")


def post_order(order: Order, ctx: PostingContext) -> list[LedgerEntry]:
    """The sale of an order, its commissions, and its cancellation when nothing was paid."""
    channel = order.connection
    rate = rate_for(ctx, order, "placed_at", order.currency, utc_day(order.placed_at))
    out: list[LedgerEntry] = []
    sale = _sale(order, ctx, channel, rate)
    if sale is not None:
        out.append(sale)
    commission = _commission(order, ctx, channel, rate)
    if commission is not None:
        out.append(commission)
    if sale is not None and order.status == "cancelled" and \
            order.financial_status in UNCOLLECTED:
        # money never collected earns no commission either: both are reversed
        out.append(_cancellation(order, sale, commission))
    return out


def _sale(order: Order, ctx: PostingContext, channel: str, rate: Rate) -> LedgerEntry | None:
    cfg, src = ctx.config, ref(order)
    j = Journal(order, order.currency, ctx, rate)
    j.debit(cfg.clearing(channel, order.payment_gateway), order.total.amount, source=src,
            description="order total")
    ship_tax = sum((s.tax.amount for s in order.shipping_lines), ZERO)
    revenue, shipping = order.subtotal.amount, order.shipping_total.amount
    if order.taxes_included:
        # prices hold their tax: what the goods and the shipping earned is net of it
        revenue -= order.tax_total.amount - ship_tax
        shipping -= ship_tax
    j.credit((cfg.account("revenue"), "sale.revenue"), revenue, source=src,
             description="goods, net of tax")
    j.debit((cfg.account("discounts"), "sale.discount"), order.discount_total.amount,
            source=src, description=", ".join(order.discount_codes) or "discounts")
    j.credit((cfg.account("shipping_income"), "sale.shipping"), shipping, source=src,
             description="shipping, net of tax")
    by_title: dict[str, Decimal] = {}
    for tax in order.tax_lines:
        by_title[tax.title] = by_title.get(tax.title, ZERO) + tax.amount.amount
    for title, amount in by_title.items():
        j.credit(cfg.tax(title), amount, source=src, description=title)
    rest = order.tax_total.amount - sum(by_title.values(), ZERO)
    if rest:
        j.credit(cfg.tax(None), rest, source=src, description="tax not itemised by title")
    for adj in order.adjustments:
        j.credit(role(cfg, "adjustments", f"adjustment:{adj.reason}"), adj.amount.amount,
                 source=src, description=adj.reason)
    return j.entry(kind="sale", external_id=f"sale/{order.external_id}", channel=channel,
                   posted_at=order.placed_at, source_ids=[src],
                   memo=f"Sale {order.number or order.external_id}")


def _commission_base(order: Order, lines: Iterable[OrderLine]) -> Decimal:
    # the line total is net of its discount; tax-inclusive prices still hold the tax
    return sum((ln.total.amount - (ln.tax.amount if order.taxes_included else ZERO)
                for ln in lines), ZERO)


def _commission(order: Order, ctx: PostingContext, channel: str,
                rate: Rate) -> LedgerEntry | None:
    cfg, src = ctx.config, ref(order)
    j = Journal(order, order.currency, ctx, rate)
    for rule in cfg.commissions:
        matched = [ln for ln in order.lines if rule.matches(channel, ln.sku)]
        amount = quantize(_commission_base(order, matched) * rule.rate, order.currency)
        if not matched or amount == 0:
            continue
        name = f"commission:{rule.name}"
        expense = (rule.expense, name) if rule.expense else role(cfg, "commission_expense",
                                                                  name)
        payable = (rule.payable, name) if rule.payable else role(cfg, "commission_payable",
                                                                  name)
        what = f"{rule.party}: {rule.rate:%} of {len(matched)} line(s)"
        j.debit(expense, amount, source=src, description=what)
        j.credit(payable, amount, source=src, description=what)
    return j.entry(kind="commission", external_id=f"commission/{order.external_id}",
                   channel=channel, posted_at=order.placed_at, source_ids=[src],
                   memo=f"Commission on order {order.number or order.external_id}")


def _cancellation(order: Order, sale: LedgerEntry, commission: LedgerEntry | None
                  ) -> LedgerEntry:
    # the exact reverse, at the sale's own rate: money never collected leaves no FX result
    reversed_ = [*sale.lines, *(commission.lines if commission is not None else [])]
    lines = [LedgerLine(account=ln.account, rule=f"cancel.{ln.rule}", source=ln.source,
                        description=ln.description, debit=ln.credit, credit=ln.debit,
                        functional_debit=ln.functional_credit,
                        functional_credit=ln.functional_debit) for ln in reversed_]
    return make_entry(
        order, kind="cancellation", external_id=f"cancellation/{order.external_id}",
        channel=sale.channel, posted_at=order.cancelled_at or order.updated_at,
        currency=sale.currency, functional_currency=sale.functional_currency,
        rate=Rate(sale.rate, sale.rate_date, sale.rate_provider), lines=lines,
        source_ids=list(sale.source_ids),
        memo=f"Cancellation of order {order.number or order.external_id}")


def _order_line(order: Order, line: RefundLine) -> OrderLine | None:
    """The order line a refund line gives back: by line id, else by SKU."""
    if line.line_external_id is not None:
        for ol in order.lines:
            if ol.external_id == line.line_external_id:
                return ol
    if line.sku is not None:
        for ol in order.lines:
            if ol.sku == line.sku:
                return ol
    return None


def post_refund(refund: Refund, order: Order | None, ctx: PostingContext) -> list[LedgerEntry]:
    """Money (and goods) given back: returns or allowances, their tax, against clearing."""
    if order is None:
        raise posting_error(refund, "order_external_id",
                            f"order {refund.order_external_id} is not in the store")
    if order.external_id != refund.order_external_id:
        raise posting_error(refund, "order_external_id", f"refund of order "
                            f"{refund.order_external_id} posted with order {order.external_id}")
    cur, cfg, src = refund.amount.currency, ctx.config, ref(refund)
    if cur != order.currency:
        raise posting_error(refund, "amount.currency", f"{cur} differs from the currency "
                            f"of order {order.external_id} ({order.currency})")
    for n, line in enumerate(refund.lines):
        if line.amount.currency != cur:
            raise posting_error(refund, f"lines.{n}.amount.currency",
                                f"{line.amount.currency} on a refund in {cur}")
    posted_at = refund.created_at or order.updated_at
    field = "created_at" if refund.created_at else "order.updated_at"
    j = Journal(refund, cur, ctx, rate_for(ctx, refund, field, cur, utc_day(posted_at)))
    by_lines = ZERO
    for line in refund.lines:
        ol = _order_line(order, line)
        if ol is None:
            continue    # a line the order does not know is money only: refund.other
        amount = line.amount.amount
        tax = ol.tax.amount
        if ol.quantity > 0:
            tax = quantize(ol.tax.amount * line.quantity / ol.quantity, cur)
        tax = max(ZERO, min(tax, amount))
        what = f"line {ol.external_id} ({ol.sku or 'no SKU'}) x{line.quantity}"
        target = (role(cfg, "returns", "refund.return") if line.restock
                  else (cfg.account("refunds"), "refund.allowance"))
        j.debit(target, amount - tax, source=src, description=what)
        title = ol.tax_lines[0].title if ol.tax_lines else None
        j.debit(cfg.tax(title), tax, source=src, description=f"tax on {what}")
        by_lines += amount
    # shipping and amount-only refunds; negative when the lines exceed the money
    j.debit((cfg.account("refunds"), "refund.other"), refund.amount.amount - by_lines,
            source=src, description=refund.reason or "refund not tied to a line")
    j.credit(cfg.clearing(order.connection, order.payment_gateway), refund.amount.amount,
             source=src, description="money given back")
    entry = j.entry(kind="refund", external_id=f"refund/{refund.external_id}",
                    channel=order.connection, posted_at=posted_at,
                    source_ids=[src, ref(order)],
                    memo=f"Refund {refund.external_id} of order "
                         f"{order.number or order.external_id}")
    return [] if entry is None else [entry]
