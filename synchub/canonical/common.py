"""Shared canonical value objects: addresses, tax lines, people."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

from pydantic import Field

from synchub.canonical.base import MINOR_UNITS, Amount, ExternalId, Money, Strict

_QUANTA = {n: Decimal(1).scaleb(-n) for n in set(MINOR_UNITS.values()) | {2}}
_CONTEXT = Context(prec=40)


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
    """Round an amount to the currency's minor units (half up; banker's rounding is not used).

    Exact for any finite amount: the rounding gets the digits it needs, where the default
    context (28 digits) would raise ``InvalidOperation`` on a large sum. ``ValueError`` for
    NaN or an infinity.
    """
    if not amount.is_finite():
        raise ValueError(f"{amount} is not a finite amount")
    places = MINOR_UNITS.get(currency, 2)
    digits = max(amount.adjusted(), 0) + places + 2
    context = _CONTEXT if digits <= _CONTEXT.prec else Context(prec=digits)
    return amount.quantize(_QUANTA[places], rounding=ROUND_HALF_UP, context=context)
