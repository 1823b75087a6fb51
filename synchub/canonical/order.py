"""Canonical Order: lines, shipping, taxes, discounts, refunds; totals that reconcile."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, WithJsonSchema

from synchub.canonical.base import (
    CanonicalRecord,
    Count,
    CurrencyCode,
    ExternalId,
    Money,
    Name,
    Quantity,
    Reference,
    Sku,
    Strict,
    UtcDatetime,
    Warning_,
    bounded_quantity,
)
from synchub.canonical.common import Address, PartyRef, TaxLine, quantize
from synchub.canonical.limits import MAX_QUANTITY

OrderStatus = Literal["pending", "open", "on_hold", "completed", "cancelled", "failed"]
FinancialStatus = Literal[
    "pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded",
    "voided", "unknown",
]
FulfillmentStatus = Literal["unfulfilled", "partial", "fulfilled", "restocked", "unknown"]


def _sold(value: int) -> int:
    if value < 0:
        raise ValueError(f"{value} is negative: an order line sells units (0 for an item "
                         "removed from the order); returns arrive as refunds, not as "
                         "negative lines")
    return value


LineQuantity = Annotated[
    int, AfterValidator(bounded_quantity), AfterValidator(_sold),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY,
                    "description": "Units sold, 0 or more."}),
]


class OrderLine(Strict):
    """One line: ``total = unit_price * quantity - discount`` (tax shown apart in ``tax``).

    ``quantity`` is 0 or more: a line sells units (0 for an item removed from the order);
    returns arrive as refunds, never as negative lines.
    """

    external_id: ExternalId
    sku: Sku | None = Field(default=None, description="None when the source has no SKU.")
    product_external_id: Reference | None = None
    variant_external_id: Reference | None = None
    title: str | None = None
    quantity: LineQuantity
    unit_price: Money
    discount: Money
    tax: Money
    total: Money
    tax_lines: list[TaxLine] = Field(default_factory=list)
    refunded_quantity: Count = 0


class ShippingLine(Strict):
    """A shipping charge: ``total = price - discount``."""

    external_id: str | None = None
    title: str | None = None
    code: str | None = None
    price: Money
    discount: Money
    tax: Money
    total: Money


class RefundLine(Strict):
    """Units of one order line given back in a refund."""

    line_external_id: Reference | None = None
    sku: Sku | None = None
    quantity: Quantity
    amount: Money
    restock: bool = False


class OrderRefund(Strict):
    """A refund on an order. Amounts are positive whatever sign the source uses."""

    external_id: ExternalId
    created_at: UtcDatetime | None = None
    amount: Money
    reason: str | None = None
    lines: list[RefundLine] = Field(default_factory=list)


class Adjustment(Strict):
    """An explicit amount that makes the source's own figures add up to its total."""

    reason: str
    amount: Money


class Order(CanonicalRecord):
    """A sales order from any channel.

    ``total = subtotal - discount_total + shipping_total + (0 if taxes_included else tax_total)
    + sum(adjustments)``. When the source's figures do not add up to the total it reports,
    the difference is kept as an explicit adjustment with a warning; no number is changed.
    """

    entity: ClassVar[str] = "order"

    external_id: ExternalId
    number: Name | None = Field(default=None, description="The order's name or number as the "
                                "channel shows it (#1001).")
    connection: str
    channel: str = Field(description="The sales channel's system, e.g. shopify.")
    status: OrderStatus
    financial_status: FinancialStatus = "unknown"
    fulfillment_status: FulfillmentStatus = "unknown"
    currency: CurrencyCode
    placed_at: UtcDatetime
    updated_at: UtcDatetime
    cancelled_at: UtcDatetime | None = None
    customer: PartyRef | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    subtotal: Money = Field(description="Sum of unit_price x quantity over lines.")
    discount_total: Money
    shipping_total: Money
    tax_total: Money
    total: Money
    # left out of the document (and so of the content hash) when None: orders of channels
    # that never convert keep the hashes they had before the field existed
    presentment_total: Money | None = Field(
        default=None, exclude_if=lambda v: v is None,
        description="The total in the currency the buyer paid in, where the channel "
        "converted it to the order's currency (the only amount not in `currency`); absent "
        "when the buyer paid in the order's currency.")
    refunded_total: Money
    taxes_included: bool
    lines: list[OrderLine] = Field(default_factory=list)
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    tax_lines: list[TaxLine] = Field(default_factory=list)
    discount_codes: list[str] = Field(default_factory=list)
    payment_gateway: str | None = Field(default=None, description="How the order was paid "
                                        "(the channel's gateway name, e.g. shopify_payments)"
                                        "; the ledger picks the clearing account by it.")
    refunds: list[OrderRefund] = Field(default_factory=list)
    adjustments: list[Adjustment] = Field(default_factory=list)
    warnings: list[Warning_] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    def check(self) -> None:
        """Same currency everywhere; an explicit adjustment where the source's sum is off."""
        cur = self.currency
        money = [self.subtotal, self.discount_total, self.shipping_total, self.tax_total,
                 self.total, self.refunded_total]
        for line in self.lines:
            money += [line.unit_price, line.discount, line.tax, line.total]
            money += [t.amount for t in line.tax_lines]
        for ship in self.shipping_lines:
            money += [ship.price, ship.discount, ship.tax, ship.total]
        money += [t.amount for t in self.tax_lines]
        for refund in self.refunds:
            money += [refund.amount, *(r.amount for r in refund.lines)]
        money += [a.amount for a in self.adjustments]
        for m in money:
            if m.currency != cur:
                raise ValueError(f"amount in {m.currency} on an order in {cur}")
        line_sum = sum((ln.unit_price.amount * ln.quantity for ln in self.lines), Decimal(0))
        # unit prices derived by division (25.00 / 3) carry rounding: compare in cents
        line_sum = quantize(line_sum, cur)
        if self.lines and line_sum != self.subtotal.amount and not any(
                w.code == "subtotal_mismatch" for w in self.warnings):
            # the subtotal is descriptive (the total carries the money), so it is kept as the
            # source says and the difference is reported, not adjusted
            self.warnings.append(Warning_(
                code="subtotal_mismatch",
                message=f"source subtotal {self.subtotal.amount} differs from the sum of its "
                        f"lines {line_sum}"))
        expected = (self.subtotal.amount - self.discount_total.amount
                    + self.shipping_total.amount
                    + (Decimal(0) if self.taxes_included else self.tax_total.amount)
                    + sum((a.amount.amount for a in self.adjustments), Decimal(0)))
        gap = self.total.amount - expected
        if gap != 0:  # (a re-validated document already holds its adjustment: gap is 0)
            self.adjustments.append(Adjustment(
                reason="source_total_mismatch", amount=Money(amount=gap, currency=cur)))
            self.warnings.append(Warning_(
                code="total_mismatch",
                message=f"source total {self.total.amount} differs from the sum of its parts "
                        f"{expected} by {gap}; kept as an adjustment"))
