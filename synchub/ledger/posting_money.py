"""The arithmetic under every posting rule: rates, rounding, and the journal being built.

A :class:`Journal` collects signed lines (a positive amount is a debit, a negative one a
credit) in the transaction currency, converts each to the functional currency, rounds both
to their minor units, and closes the entry with a ``rounding`` line when the rounding left a
difference. It never returns an entry that does not balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from synchub.canonical.base import MINOR_UNITS, SourceRef
from synchub.canonical.common import quantize
from synchub.canonical.money_movements import LedgerEntry, LedgerKind, LedgerLine
from synchub.config.ledger import LedgerConfig
from synchub.ledger.rates import MissingRateError, PostingError, Rate, RateSource

ZERO = Decimal(0)


@dataclass(frozen=True)
class PostingContext:
    """What posting needs besides the records: the chart of accounts and the rates."""

    config: LedgerConfig
    rates: RateSource


def label(record: Any) -> str:
    """``order 1001``: how messages name a canonical record."""
    return f"{record.entity} {getattr(record, 'external_id', record.id)}"


def posting_error(record: Any, field: str, message: str) -> PostingError:
    """A PostingError naming the record and the field that stops it from posting."""
    return PostingError(f"{label(record)}: {field}: {message}",
                        record_id=getattr(record, "external_id", record.id), field=field)


def ref(record: Any) -> str:
    """``entity:hub id``, the form of line sources and entry source ids."""
    return f"{record.entity}:{record.id}"


def scoped_id(record: Any, channel: str) -> str:
    """The record's external id, prefixed with its connection when that is not the channel."""
    if record.source.connection == channel:
        return str(record.external_id)
    return f"{record.source.connection}:{record.external_id}"


def utc_day(moment: datetime) -> date:
    """The accounting day of a moment: its UTC date."""
    return moment.astimezone(UTC).date()


def role(config: LedgerConfig, name: str, rule: str) -> tuple[str, str]:
    """(account, rule) of an account role; the rule says ``suspense:`` when it fell back there."""
    account = config.account(name)
    if (name != "suspense" and getattr(config.accounts, name) is None
            and account == config.account("suspense")):
        return account, f"suspense:{rule}"
    return account, rule


def rate_for(ctx: PostingContext, record: Any, field: str, currency: str, on: date,
             detail: str | None = None) -> Rate:
    """The functional rate of ``currency`` on ``on``; a missing one names record and field.

    ``detail`` names what in the record needed the rate (a payout's item).
    """
    functional = ctx.config.functional_currency
    if currency == functional:
        return Rate.identity()
    try:
        return ctx.rates.rate(currency, functional, on)
    except MissingRateError as exc:
        text = exc.message
        if f"{currency}->{functional}" not in text or on.isoformat() not in text:
            text = f"no {currency}->{functional} rate for {on.isoformat()}: {text}"
        where = f"{field} ({detail})" if detail else field
        raise MissingRateError(f"{label(record)}: {where}: {text}",
                               record_id=getattr(record, "external_id", record.id),
                               field=field) from exc


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


@dataclass
class _Line:
    account: str
    rule: str
    amount: Decimal          # signed: debit > 0 > credit, transaction currency
    functional: Decimal      # signed, functional currency
    source: str | None
    description: str | None


class Journal:
    """The lines of one entry being built, for one record, currency and rate."""

    def __init__(self, record: Any, currency: str, ctx: PostingContext, rate: Rate) -> None:
        self.record = record
        self.currency = currency
        self.functional_currency = ctx.config.functional_currency
        self.rate = rate
        self.config = ctx.config
        self.lines: list[_Line] = []

    def convert(self, amount: Decimal) -> Decimal:
        """An amount (rounded to the transaction currency) in the functional currency."""
        return quantize(quantize(amount, self.currency) * self.rate.value,
                        self.functional_currency)

    def debit(self, target: tuple[str, str], amount: Decimal, *, source: str | None,
              description: str | None = None, functional: Decimal | None = None) -> None:
        """Debit ``amount`` on ``target`` (account, rule); a negative amount is a credit.

        ``functional`` overrides the converted amount (a payout's carrying value).
        """
        tx = quantize(amount, self.currency)
        fn = self.convert(tx) if functional is None else quantize(functional,
                                                                  self.functional_currency)
        self.lines.append(_Line(target[0], target[1], tx, fn, source, description))

    def credit(self, target: tuple[str, str], amount: Decimal, *, source: str | None,
               description: str | None = None, functional: Decimal | None = None) -> None:
        """Credit ``amount`` on ``target``; a negative amount is a debit."""
        self.debit(target, -amount, source=source, description=description,
                   functional=None if functional is None else -functional)

    def _close(self) -> list[_Line]:
        """The lines plus what rounding left over, on the rounding account."""
        lines = list(self.lines)
        tx_gap = sum((ln.amount for ln in lines), ZERO)
        if tx_gap:
            # only inputs finer than the currency's minor units get here: each rounded line
            # moves at most half a unit; anything more is a rule that does not balance
            unit = Decimal(1).scaleb(-MINOR_UNITS.get(self.currency, 2))
            if abs(tx_gap) * 2 > unit * len(lines):
                raise posting_error(self.record, "lines", f"debits and credits differ by "
                                    f"{tx_gap} {self.currency}")
        # one rounding line takes both differences unless they point to opposite sides
        tx_fix, fn_fix = -tx_gap, -sum((ln.functional for ln in lines), ZERO)
        account = self.config.account("rounding")
        what = "rounding to minor units"
        if tx_fix and _sign(tx_fix) * _sign(fn_fix) >= 0:
            lines.append(_Line(account, "rounding", tx_fix, fn_fix, None, what))
        else:
            if tx_fix:
                lines.append(_Line(account, "rounding", tx_fix, ZERO, None, what))
            if fn_fix:
                lines.append(_Line(account, "rounding", ZERO, fn_fix, None,
                                   f"rounding of the conversion to {self.functional_currency}"))
        return [ln for ln in lines if ln.amount or ln.functional]

    def entry(self, *, kind: LedgerKind, external_id: str, channel: str, posted_at: datetime,
              source_ids: list[str], memo: str | None = None,
              corrects: str | None = None) -> LedgerEntry | None:
        """The balanced entry, or None when no line moves any money."""
        lines = self._close()
        if len(lines) < 2:
            return None
        return make_entry(
            self.record, kind=kind, external_id=external_id, channel=channel,
            posted_at=posted_at, currency=self.currency,
            functional_currency=self.functional_currency, rate=self.rate, memo=memo,
            source_ids=source_ids, corrects=corrects,
            lines=[make_line(ln.account, ln.rule, ln.amount, ln.functional, self.currency,
                             self.functional_currency, ln.source, ln.description)
                   for ln in lines])


def make_line(account: str, rule: str, amount: Decimal, functional: Decimal, currency: str,
              functional_currency: str, source: str | None,
              description: str | None) -> LedgerLine:
    """A line from signed amounts (debit > 0 > credit), every figure at its currency's
    precision so that equal entries serialize (and hash) equal."""
    return LedgerLine(account=account, rule=rule, source=source, description=description,
                      debit=quantize(max(amount, ZERO), currency),
                      credit=quantize(max(-amount, ZERO), currency),
                      functional_debit=quantize(max(functional, ZERO), functional_currency),
                      functional_credit=quantize(max(-functional, ZERO), functional_currency))


def make_entry(record: Any, *, kind: LedgerKind, external_id: str, channel: str,
               posted_at: datetime, currency: str, functional_currency: str, rate: Rate,
               lines: list[LedgerLine], source_ids: list[str], memo: str | None = None,
               corrects: str | None = None) -> LedgerEntry:
    """A LedgerEntry with the ledger's identity; a rule that broke balance is a PostingError."""
    posted_at = posted_at.astimezone(UTC)
    try:
        return LedgerEntry(
            source=SourceRef(connection=channel, system="ledger", external_id=external_id),
            external_id=external_id, kind=kind, channel=channel, posted_at=posted_at,
            posted_on=posted_at.date(), currency=currency,
            functional_currency=functional_currency, rate=rate.value, rate_date=rate.on,
            rate_provider=rate.provider, memo=memo, lines=lines, source_ids=source_ids,
            corrects=corrects)
    except ValidationError as exc:
        raise posting_error(record, "lines", f"{kind} entry {external_id} is not valid: "
                            f"{exc.errors()[0]['msg']}") from exc
