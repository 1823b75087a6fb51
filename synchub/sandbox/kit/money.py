"""Money in integer cents: formatting, parsing and tax arithmetic."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def cents(value: int) -> str:
    """Integer cents as a two-decimal string, the way the vendors send money."""
    # Exact for any |value| below 2**50: the float error is far below half a cent.
    return "%.2f" % (value / 100)


def money_cents(text: Any) -> int:
    """``"12.34"`` -> 1234; ValueError when it is not a decimal amount."""
    try:
        return int((Decimal(str(text)) * 100).to_integral_value())
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None


def tax_on_net(net: int, rate_bp: int) -> int:
    """Tax in cents on a net amount, rate in basis points, rounded half up."""
    return (net * rate_bp + 5000) // 10000


def tax_in_gross(gross: int, rate_bp: int) -> int:
    """Tax in cents contained in a tax-inclusive amount, rounded half up on the net part."""
    net = (gross * 10000 * 2 + (10000 + rate_bp)) // (2 * (10000 + rate_bp))
    return gross - net
