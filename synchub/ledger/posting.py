"""Posting rules: canonical records in, balanced journals out. Pure functions, no I/O.

Every function returns :class:`~synchub.canonical.money_movements.LedgerEntry` records that
balance in the transaction and the functional currency, or raises
:class:`~synchub.ledger.rates.PostingError` naming the record and field that cannot be
posted. The rules live in :mod:`posting_orders` (sale, commission, cancellation, refund) and
:mod:`posting_settlement` (fees, chargebacks, reserves, adjustments, payouts); the rounding
and conversion in :mod:`posting_money`. docs/ledger.md "Posting rules" is the user's view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from synchub.canonical.money_movements import LedgerEntry, LedgerLine
from synchub.ledger.posting_money import (
    ZERO,
    PostingContext,
    make_entry,
    make_line,
    posting_error,
)
from synchub.ledger.posting_orders import post_order, post_refund
from synchub.ledger.posting_settlement import post_movement, post_payout
from synchub.ledger.rates import Rate

__all__ = ["PostingContext", "correction", "ledger_ref", "post_movement", "post_order",
           "post_payout", "post_refund"]


def ledger_ref(entry: LedgerEntry) -> str:
    """The entry's reference in the ERP: ``<channel>/<external id>``."""
    return f"{entry.channel}/{entry.external_id}"


def _net(entries: Sequence[LedgerEntry], sign: int, into: dict[tuple[str, str], list[Decimal]],
         sources: dict[tuple[str, str], str | None]) -> None:
    for entry in entries:
        for ln in entry.lines:
            key = (ln.account, ln.rule)
            acc = into.setdefault(key, [ZERO, ZERO])
            acc[0] += sign * (ln.debit - ln.credit)
            acc[1] += sign * (ln.functional_debit - ln.functional_credit)
            if ln.source is not None or key not in sources:
                sources[key] = ln.source


def correction(original: LedgerEntry, amended: LedgerEntry, earlier: Sequence[LedgerEntry],
               on: date, ctx: PostingContext) -> LedgerEntry | None:
    """What turns ``original`` plus its ``earlier`` corrections into ``amended``, on ``on``.

    Differences are taken per (account, rule) in both currencies; None when nothing changed.
    """
    for n, other in enumerate((amended, *earlier)):
        field = "amended" if n == 0 else f"earlier.{n - 1}"
        if (other.currency, other.functional_currency) != (original.currency,
                                                           original.functional_currency):
            raise posting_error(original, f"{field}.currency", f"{other.currency}/"
                                f"{other.functional_currency} cannot correct an entry in "
                                f"{original.currency}/{original.functional_currency}")
    diff: dict[tuple[str, str], list[Decimal]] = {}
    sources: dict[tuple[str, str], str | None] = {}
    _net([original, *earlier], -1, diff, sources)
    _net([amended], 1, diff, sources)
    cur, fcur = original.currency, original.functional_currency
    lines: list[LedgerLine] = []
    for (account, rule), (tx, fn) in diff.items():
        source, what = sources[(account, rule)], f"correction of {original.external_id}"
        if (tx > 0 and fn < 0) or (tx < 0 and fn > 0):
            # a new rate can move the two currencies apart: one line each, never both sides
            lines.append(make_line(account, rule, tx, ZERO, cur, fcur, source, what))
            lines.append(make_line(account, rule, ZERO, fn, cur, fcur, source, what))
        elif tx or fn:
            lines.append(make_line(account, rule, tx, fn, cur, fcur, source, what))
    if not lines:
        return None
    source_ids = list(dict.fromkeys([*amended.source_ids, *original.source_ids]))
    return make_entry(
        original, kind="correction", external_id=f"{original.external_id}#c{len(earlier) + 1}",
        channel=original.channel, posted_at=datetime.combine(on, time(), UTC),
        currency=original.currency, functional_currency=original.functional_currency,
        rate=Rate(amended.rate, amended.rate_date, amended.rate_provider), lines=lines,
        source_ids=source_ids, corrects=original.external_id,
        memo=f"Correction {len(earlier) + 1} of {original.external_id}")
