"""Posting rules of a channel's balance: fees, chargebacks, reserves, adjustments, payouts."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from synchub.canonical.common import quantize
from synchub.canonical.money_movements import (
    BalanceTransaction,
    LedgerEntry,
    LedgerKind,
    Payout,
)
from synchub.ledger.posting_money import (
    ZERO,
    Journal,
    PostingContext,
    label,
    posting_error,
    rate_for,
    ref,
    role,
    scoped_id,
    utc_day,
)
from synchub.ledger.rates import Rate

# movements whose amount moves money of their own (charges, refunds and payouts are
# carried by the sale, refund and payout entries: posting them again would count twice)
_OWN_ENTRY: dict[str, tuple[LedgerKind, str, str]] = {
    "chargeback": ("chargeback", "chargebacks", "chargeback"),
    "chargeback_reversal": ("chargeback", "chargebacks", "chargeback.reversal"),
    "reserve": ("reserve", "reserves", "reserve.hold"),
    "reserve_release": ("reserve", "reserves", "reserve.release"),
    "adjustment": ("adjustment", "adjustments", "adjustment:adjustment"),
    "fee": ("adjustment", "adjustments", "adjustment:fee"),
}


def post_movement(tx: BalanceTransaction, channel: str,
                  ctx: PostingContext) -> list[LedgerEntry]:
    """Zero, one or two entries: the movement's own money (if any), then its fees."""
    cfg, src = ctx.config, ref(tx)
    cur, day, key = tx.amount.currency, utc_day(tx.processed_at), scoped_id(tx, channel)
    clearing = cfg.clearing(channel, tx.gateway)
    rate: Rate | None = None
    out: list[LedgerEntry] = []
    what = tx.description or f"{tx.type} {tx.external_id}"
    own = _OWN_ENTRY.get(tx.type)
    if own is not None and tx.amount.amount != 0:
        kind, account_role, rule = own
        rate = rate_for(ctx, tx, "processed_at", cur, day)
        j = Journal(tx, cur, ctx, rate)
        if kind == "adjustment":
            # a positive amount increases what the channel owes the merchant
            j.debit(clearing, tx.amount.amount, source=src, description=what)
            j.credit(role(cfg, account_role, rule), tx.amount.amount, source=src,
                     description=what)
        else:
            # chargebacks and reserves take from the balance (amount < 0); their reversal
            # and release give back (amount > 0): the signs turn the sides round
            j.debit(role(cfg, account_role, rule), -tx.amount.amount, source=src,
                    description=what)
            j.credit(clearing, -tx.amount.amount, source=src, description=what)
        entry = j.entry(kind=kind, external_id=f"{kind}/{key}", channel=channel,
                        posted_at=tx.processed_at, source_ids=[src], memo=what)
        if entry is not None:
            out.append(entry)
    fee_total = sum((f.amount.amount for f in tx.fees), ZERO)
    if fee_total:
        rate = rate or rate_for(ctx, tx, "processed_at", cur, day)
        j = Journal(tx, cur, ctx, rate)
        for fee in tx.fees:
            j.debit(cfg.fee(fee.type), fee.amount.amount, source=src,
                    description=fee.description or fee.type)
        j.credit(clearing, fee_total, source=src, description=f"fees on {tx.type} "
                 f"{tx.external_id}")
        entry = j.entry(kind="fees", external_id=f"fees/{key}", channel=channel,
                        posted_at=tx.processed_at, source_ids=[src],
                        memo=f"Fees on {tx.type} {tx.external_id}")
        if entry is not None:
            out.append(entry)
    return out


def post_payout(payout: Payout, items: Sequence[BalanceTransaction], channel: str,
                ctx: PostingContext) -> list[LedgerEntry]:
    """Money reaching the bank: bank against clearing at its carrying value, and the FX result.

    ``items`` are the movements the payout settles; the payout's own movement (type
    ``payout``) is not one of them and is ignored when passed.
    """
    if payout.status not in ("paid", "in_transit"):
        return []       # a failed, cancelled or only scheduled payout moves nothing
    if payout.issued_at is None:
        raise posting_error(payout, "issued_at", "a payout without issued_at cannot be posted")
    cfg, src = ctx.config, ref(payout)
    cur, functional = payout.amount.currency, cfg.functional_currency
    for n, item in enumerate(items):
        if item.amount.currency != cur:
            raise posting_error(payout, f"items.{n}.amount.currency",
                                f"{label(item)} is in {item.amount.currency}, the payout in {cur}")
    settled = [item for item in items if item.type != "payout"]
    rate = rate_for(ctx, payout, "issued_at", cur, utc_day(payout.issued_at))
    amount = quantize(payout.amount.amount, cur)
    # the carrying value: what the settled movements are in the books, each at its own day
    carrying, nets = ZERO, ZERO
    for n, item in enumerate(items):
        if item.type == "payout" or item.net.amount == 0:
            continue
        item_rate = rate_for(ctx, payout, f"items.{n}.processed_at", cur,
                             utc_day(item.processed_at), detail=label(item))
        carrying += quantize(item.net.amount * item_rate.value, functional)
        nets += item.net.amount
    j = Journal(payout, cur, ctx, rate)
    carrying += j.convert(amount - nets)        # what no item explains, at the payout's day
    bank = j.convert(amount)
    gateway = next((item.gateway for item in settled if item.gateway), None)
    what = f"payout {payout.external_id}" + (f" ({payout.bank_reference})"
                                             if payout.bank_reference else "")
    j.debit(cfg.bank(cur), amount, source=src, description=what, functional=bank)
    j.credit(cfg.clearing(channel, gateway), amount, source=src,
             description=f"{len(settled)} movement(s) settled", functional=carrying)
    result: Decimal = bank - carrying
    if cur != functional and result > 0:
        j.credit((cfg.account("fx_gain"), "fx.gain"), ZERO, source=src, functional=result,
                 description=f"{cur} received above its carrying value")
    elif cur != functional and result < 0:
        j.debit((cfg.account("fx_loss"), "fx.loss"), ZERO, source=src, functional=-result,
                description=f"{cur} received below its carrying value")
    entry = j.entry(kind="payout", external_id=f"payout/{scoped_id(payout, channel)}",
                    channel=channel, posted_at=payout.issued_at,
                    source_ids=[src, *(ref(item) for item in settled)],
                    memo=f"Payout {payout.external_id}")
    return [] if entry is None else [entry]
