"""Canonical Refund, Payout, BalanceTransaction, FxRate and LedgerEntry: money movements.

Money is exact (:class:`Money` / Decimal). Signs follow the merchant's balance at the
channel: a charge adds to it (+), a refund, chargeback, reserve or payout takes from it (-).
Fees are positive amounts the channel kept.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from synchub.canonical.base import (
    MINOR_UNITS,
    Amount,
    CanonicalRecord,
    CurrencyCode,
    ExternalId,
    Money,
    Reference,
    Strict,
    UtcDatetime,
)
from synchub.canonical.limits import MAX_AMOUNT, PROVIDER_LENGTH
from synchub.canonical.order import RefundLine

SNAKE = r"^[a-z][a-z0-9_]*$"


class Refund(CanonicalRecord):
    """Money (and possibly goods) given back on an order. ``amount`` is positive."""

    entity: ClassVar[str] = "refund"

    external_id: ExternalId
    order_external_id: Reference
    created_at: UtcDatetime | None = None
    amount: Money
    reason: str | None = None
    lines: list[RefundLine] = Field(default_factory=list)


PayoutStatus = Literal["scheduled", "in_transit", "paid", "failed", "cancelled", "unknown"]


class FeeLine(Strict):
    """One fee a channel kept: its type (snake_case, e.g. ``commission``) and amount (>= 0
    when charged, < 0 when the channel gave a fee back)."""

    type: str = Field(pattern=SNAKE, description="Fee type, e.g. commission, "
                      "payment_processing, fulfilment, advertising, refund_administration.")
    amount: Money
    description: str | None = None


class Payout(CanonicalRecord):
    """A transfer from a channel or payment provider to the merchant's bank.

    ``amount`` is what reached (or left, when negative) the bank, in the payout currency;
    ``gross`` and ``fees`` are the channel's own summary when it gives one.
    """

    entity: ClassVar[str] = "payout"

    external_id: ExternalId
    status: PayoutStatus = "unknown"
    amount: Money
    issued_at: UtcDatetime | None = None
    gross: Money | None = None
    fees: Money | None = None
    period_start: UtcDatetime | None = None
    period_end: UtcDatetime | None = None
    bank_reference: str | None = None
    summary: list[FeeLine] = Field(default_factory=list, description="Fees by type as the "
                                   "channel's payout summary reports them.")

    def check(self) -> None:
        cur = self.amount.currency
        for m in (self.gross, self.fees, *(f.amount for f in self.summary)):
            if m is not None and m.currency != cur:
                raise ValueError(f"amount in {m.currency} on a payout in {cur}")


BalanceType = Literal[
    "charge", "refund", "chargeback", "chargeback_reversal", "adjustment", "reserve",
    "reserve_release", "fee", "payout", "other",
]


class BalanceTransaction(CanonicalRecord):
    """One movement of the merchant's balance at a channel or payment provider.

    ``amount`` is the gross movement (signed), ``fees`` what the channel kept on it, and
    ``net = amount - sum(fees)``: what it adds to the next payout. A movement settled by a
    payout names it in ``payout_external_id``.
    """

    entity: ClassVar[str] = "balance_transaction"

    external_id: ExternalId
    type: BalanceType
    processed_at: UtcDatetime
    amount: Money
    fees: list[FeeLine] = Field(default_factory=list)
    net: Money
    order_external_id: Reference | None = None
    refund_external_id: Reference | None = None
    payout_external_id: Reference | None = None
    payout_status: PayoutStatus | None = None
    gateway: str | None = None
    description: str | None = None

    def check(self) -> None:
        cur = self.amount.currency
        fee_sum = Decimal(0)
        for m in (self.net, *(f.amount for f in self.fees)):
            if m.currency != cur:
                raise ValueError(f"amount in {m.currency} on a transaction in {cur}")
        for fee in self.fees:
            fee_sum += fee.amount.amount
        if self.amount.amount - fee_sum != self.net.amount:
            raise ValueError(f"net {self.net.amount} is not amount {self.amount.amount} "
                             f"less fees {fee_sum}")


class FxRate(CanonicalRecord):
    """One exchange rate: 1 ``base`` = ``rate`` ``quote`` on ``rate_date``, from ``provider``."""

    entity: ClassVar[str] = "fx_rate"

    external_id: ExternalId = Field(description="provider:BASEQUOTE:YYYY-MM-DD")
    base: CurrencyCode
    quote: CurrencyCode
    rate_date: date
    rate: Amount = Field(description="Units of quote for one unit of base (> 0).")
    provider: str = Field(min_length=1, max_length=PROVIDER_LENGTH,
                          description="Where the rate came from, e.g. ecb.")

    def check(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"rate must be positive, got {self.rate}")


LedgerKind = Literal[
    "sale", "cancellation", "refund", "fees", "chargeback", "reserve", "adjustment",
    "payout", "commission", "correction",
]


class LedgerLine(Strict):
    """One line of a journal: a debit or a credit on an account, in both currencies.

    ``debit``/``credit`` are in the entry's transaction currency, ``functional_debit`` /
    ``functional_credit`` in its functional currency; one side of each pair is zero.
    """

    account: str = Field(min_length=1, description="Account code in the chart of accounts.")
    debit: Amount = Decimal(0)
    credit: Amount = Decimal(0)
    functional_debit: Amount = Decimal(0)
    functional_credit: Amount = Decimal(0)
    description: str | None = None
    rule: str = Field(description="The posting rule that made the line, e.g. sale.revenue, "
                      "tax:CA State Tax, fee:commission, suspense:fee:storage.")
    source: str | None = Field(default=None, description="entity:hub id of the record the "
                               "line came from, e.g. order:6f0c...")


class LedgerEntry(CanonicalRecord):
    """A balanced double-entry journal made from one or more canonical records.

    Balanced means: the debits equal the credits in the transaction currency and in the
    functional currency; every amount is rounded to its currency's minor units.
    """

    entity: ClassVar[str] = "ledger_entry"

    external_id: ExternalId = Field(description="<kind>/<source external id>[...], unique "
                                    "per channel; the ERP reference is derived from it.")
    kind: LedgerKind
    channel: Reference = Field(description="The connection whose money this is.")
    posted_at: UtcDatetime
    posted_on: date = Field(description="The accounting day (UTC) the entry belongs to.")
    currency: CurrencyCode
    functional_currency: CurrencyCode
    rate: Amount = Field(description="Functional units per transaction unit.")
    rate_date: date | None = None
    rate_provider: str | None = None
    memo: str | None = None
    lines: list[LedgerLine] = Field(min_length=2)
    source_ids: list[str] = Field(default_factory=list, description="entity:hub id of "
                                  "every record the entry came from.")
    corrects: Reference | None = Field(default=None, description="external_id of the entry "
                                       "a correction amends.")

    def totals(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(debit, credit, functional debit, functional credit) over the lines."""
        zero = Decimal(0)
        return (sum((ln.debit for ln in self.lines), zero),
                sum((ln.credit for ln in self.lines), zero),
                sum((ln.functional_debit for ln in self.lines), zero),
                sum((ln.functional_credit for ln in self.lines), zero))

    def check(self) -> None:
        """Every amount non-negative and at its currency's precision; both sides balance."""
        for n, ln in enumerate(self.lines):
            for name, value, cur in (("debit", ln.debit, self.currency),
                                     ("credit", ln.credit, self.currency),
                                     ("functional_debit", ln.functional_debit,
                                      self.functional_currency),
                                     ("functional_credit", ln.functional_credit,
                                      self.functional_currency)):
                if value < 0:
                    raise ValueError(f"lines.{n}.{name}: {value} is negative")
                places = MINOR_UNITS.get(cur, 2)
                if value != value.quantize(Decimal(1).scaleb(-places)):
                    raise ValueError(f"lines.{n}.{name}: {value} has more than {places} "
                                     f"decimals for {cur}")
            if (ln.debit and ln.credit) or (ln.functional_debit and ln.functional_credit):
                raise ValueError(f"lines.{n}: a line is a debit or a credit, not both")
        debit, credit, fdebit, fcredit = self.totals()
        if max(debit, fdebit) >= MAX_AMOUNT:
            raise ValueError(f"journal {self.external_id}: its total {max(debit, fdebit)} is "
                             f"out of range (below {MAX_AMOUNT:.0E})")
        if debit != credit:
            raise ValueError(f"journal {self.external_id} does not balance in {self.currency}:"
                             f" debits {debit}, credits {credit}")
        if fdebit != fcredit:
            raise ValueError(f"journal {self.external_id} does not balance in "
                             f"{self.functional_currency}: debits {fdebit}, credits {fcredit}")
