"""Shared canonical value objects: addresses, tax lines, people."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from synchub.canonical.base import Amount, ExternalId, Money, Strict


class Address(Strict):
    """A postal address; every part optional since sources leave gaps."""

    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    postal_code: str | None = None
    country_code: str | None = Field(default=None, description="ISO 3166-1 alpha-2.")
    phone: str | None = None


class TaxLine(Strict):
    """One tax charged: its title (jurisdiction or rate name), rate and amount."""

    title: str
    rate: Amount | None = Field(default=None, description="Fraction, e.g. 0.2 for 20 %.")
    amount: Money


class PartyRef(Strict):
    """A customer as an order names it."""

    external_id: ExternalId | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round an amount to the currency's minor units (banker's rounding is not used)."""
    from decimal import ROUND_HALF_UP

    from synchub.canonical.base import MINOR_UNITS

    exp = Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))
    return amount.quantize(exp, rounding=ROUND_HALF_UP)
