"""Shopify Payments over GraphQL (``shopifyPaymentsAccount``).

``payouts`` and ``balanceTransactions`` page lazily in ascending order (the days a page needs
are the only ones rebuilt); ``reverse``, ``last`` and ``before`` read the whole list. Search
terms: payouts ``issued_at``, ``status``, ``id``; transactions ``processed_at``,
``payments_transfer_id`` (the payout id), ``transaction_type``, ``payout_status``, ``id``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import GraphQLError

from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.paging import Row
from synchub.sandbox.kit.relay import lazy_connection
from synchub.sandbox.kit.times import iso_utc_z, parse_time
from synchub.sandbox.shopify.catalog import gid
from synchub.sandbox.shopify.payments import Movement, PaymentsBook, Payout
from synchub.sandbox.shopify.search import Term, compare, parse_search

TIME_FIELDS = {"processed_at", "issued_at"}


def decimal_text(amount: int) -> str:
    """Cents as Shopify writes a Decimal: ``41.9``, ``0.0``, ``-12.34``."""
    text = cents(amount).rstrip("0")
    return text + "0" if text.endswith(".") else text


def _money(amount: int, currency: str) -> dict[str, str]:
    return {"amount": decimal_text(amount), "currencyCode": currency}


def payout_node(p: Payout, now: int, currency: str) -> dict[str, Any]:
    """A ShopifyPaymentsPayout as the API returns it."""
    summary: dict[str, Any] = {}
    for key, (gross, fee) in p.summary().items():
        # Shopify names the refunds' gross refundsFeeGross
        summary[f"{key}Gross" if key != "refunds" else "refundsFeeGross"] = _money(gross, currency)
        summary[f"{key}Fee"] = _money(fee, currency)
    return {"id": gid("ShopifyPaymentsPayout", p.id), "legacyResourceId": str(p.id),
            "issuedAt": iso_utc_z(p.issued), "status": p.status(now),
            "transactionType": "DEPOSIT" if p.net >= 0 else "WITHDRAWAL",
            "net": _money(p.net, currency), "summary": summary}


def transaction_node(m: Movement, book: PaymentsBook, now: int) -> dict[str, Any]:
    """A ShopifyPaymentsBalanceTransaction as the API returns it."""
    cur = book.store.currency
    payout = (book.payout(m.source_id, now) if m.type == "TRANSFER" and m.source_id
              else book.payout_for(m.ts, now))
    return {
        "id": gid("ShopifyPaymentsBalanceTransaction", m.id), "type": m.type, "test": False,
        "amount": _money(m.amount, cur), "fee": _money(m.fee, cur), "net": _money(m.net, cur),
        "transactionDate": iso_utc_z(m.ts), "sourceType": m.source_type,
        "sourceId": None if m.source_id is None else str(m.source_id),
        "sourceOrderTransactionId": (None if m.order_transaction_id is None
                                     else str(m.order_transaction_id)),
        "associatedOrder": (None if m.order_id is None
                            else {"id": gid("Order", m.order_id), "name": m.order_name}),
        "associatedPayout": ({"id": None, "status": "PENDING"} if payout is None else
                             {"id": gid("ShopifyPaymentsPayout", payout.id),
                              "status": payout.status(now)}),
        "adjustmentReason": m.reason,
    }


def _check(term: Term, have: Any) -> bool:
    want: Any = term.value
    if term.field in TIME_FIELDS:
        want = parse_time(want)
    elif isinstance(have, int):
        want = int(want)
    else:
        have, want = str(have).lower(), want.lower()
    return compare(have, term.op, want)


def _filter(query: str | None, fields_of: Callable[[Any], dict[str, Any]]
            ) -> tuple[Callable[[Any], bool], int | None, int | None]:
    """A predicate for the search string plus its (low, high) bound on the time field."""
    terms = parse_search(query)
    lo = hi = None
    try:
        for t in terms:
            if t.field in TIME_FIELDS:
                ts = parse_time(t.value)
                if t.op in (">", ">=", "="):
                    lo = ts if lo is None else max(lo, ts)
                if t.op in ("<", "<=", "="):
                    hi = ts if hi is None else min(hi, ts)
    except ValueError:
        raise GraphQLError(f"Invalid search query: {query}") from None

    def keep(item: Any) -> bool:
        if not terms:
            return True
        fields = fields_of(item)
        try:
            return all(_check(t, fields[t.field]) for t in terms if t.field in fields)
        except ValueError:
            raise GraphQLError(f"Invalid search query: {query}") from None
    return keep, lo, hi


def _payouts(account: dict[str, Any], _info: Any, **args: Any) -> dict[str, Any]:
    book: PaymentsBook = account["_book"]
    now, cur = book.now(), book.store.currency
    keep, lo, hi = _filter(args.get("query"), lambda p: {
        "issued_at": p.issued, "status": p.status(now), "id": p.id})
    direction = args.get("transactionType")

    def rows(after: Row | None) -> Iterator[tuple[Row, Any]]:
        since = max(x for x in (lo, after[0] if after else None, 0) if x is not None)
        for p in book.payouts(now, since):
            if hi is not None and p.issued > hi:
                return
            if (after is None or (p.issued, p.id) > after) and keep(p) and (
                    direction is None or direction == ("DEPOSIT" if p.net >= 0 else "WITHDRAWAL")):
                yield (p.issued, p.id), p
    return lazy_connection(rows, lambda p: payout_node(p, now, cur), args)


def _balance_transactions(account: dict[str, Any], _info: Any, **args: Any) -> dict[str, Any]:
    book: PaymentsBook = account["_book"]
    now = book.now()

    def fields(m: Movement) -> dict[str, Any]:
        payout = book.payout_for(m.ts, now) if m.type != "TRANSFER" else book.payout(
            m.source_id or 0, now)
        return {"processed_at": m.ts, "transaction_type": m.type, "id": m.id,
                "payments_transfer_id": payout.id if payout else 0,
                "payout_status": payout.status(now) if payout else "pending"}
    keep, lo, hi = _filter(args.get("query"), fields)
    for t in parse_search(args.get("query")):
        if t.field == "payments_transfer_id" and t.value.isdigit():
            target = book.payout(int(t.value), now)  # read only that payout's days
            lo = max(lo or 0, target.start + 1 if target else now + 1)
            hi = min(hi if hi is not None else now, target.issued if target else now)
    transfers = not args.get("hideTransfers")

    def rows(after: Row | None) -> Iterator[tuple[Row, Any]]:
        since = max(x for x in (lo, after[0] if after else None, 0) if x is not None)
        for m in book.transactions(now, since, transfers):
            if hi is not None and m.ts > hi:
                return
            if (after is None or (m.ts, m.id) > after) and keep(m):
                yield (m.ts, m.id), m
    return lazy_connection(rows, lambda m: transaction_node(m, book, now), args)


def payments_resolvers() -> dict[tuple[str, str], Any]:
    """(type, field) -> resolver, attached by :func:`shopify.graphql.shopify_schema`."""
    def account(_root: Any, info: Any) -> dict[str, Any]:
        store = info.context
        return {"id": f"gid://shopify/ShopifyPaymentsAccount/{1000 + len(store.name)}",
                "activated": True, "defaultCurrency": store.currency, "_book": store.payments}
    return {("Query", "shopifyPaymentsAccount"): account,
            ("ShopifyPaymentsAccount", "payouts"): _payouts,
            ("ShopifyPaymentsAccount", "balanceTransactions"): _balance_transactions}
