"""Canonical Refund, Payout and LedgerEntry (identity now; detail grows with the ledger)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from synchub.canonical.base import (
    Amount,
    CanonicalRecord,
    CurrencyCode,
    ExternalId,
    Money,
    Strict,
    UtcDatetime,
)
from synchub.canonical.order import RefundLine


class Refund(CanonicalRecord):
    """Money (and possibly goods) given back on an order. ``amount`` is positive."""

    entity: ClassVar[str] = "refund"

    external_id: ExternalId
    order_external_id: str
    created_at: UtcDatetime | None = None
    amount: Money
    reason: str | None = None
    lines: list[RefundLine] = Field(default_factory=list)


PayoutStatus = Literal["scheduled", "in_transit", "paid", "failed", "cancelled", "unknown"]


class Payout(CanonicalRecord):
    """A transfer from a channel or payment provider to the merchant's bank."""

    entity: ClassVar[str] = "payout"

    external_id: ExternalId
    status: PayoutStatus = "unknown"
    amount: Money
    issued_at: UtcDatetime | None = None
    fees: Money | None = None


class LedgerLine(Strict):
    """One side of a journal: a debit or credit on an account."""

    account: str
    debit: Money | None = None
    credit: Money | None = None
    functional_amount: Amount | None = None
    functional_currency: CurrencyCode | None = None


class LedgerEntry(CanonicalRecord):
    """A balanced double-entry journal made from one or more canonical records."""

    entity: ClassVar[str] = "ledger_entry"

    external_id: ExternalId
    posted_at: UtcDatetime
    memo: str | None = None
    lines: list[LedgerLine] = Field(default_factory=list)
    source_ids: list[str] = Field(default_factory=list)
