"""Shopify Payments over GraphQL (``shopifyPaymentsAccount``) and its ``/_sandbox`` controls.

``payouts`` and ``balanceTransactions`` page lazily in ascending order (the days a page needs
are the only ones rebuilt); ``reverse``, ``last`` and ``before`` read the whole list. Search
terms: payouts ``issued_at``, ``status``, ``id``; transactions ``processed_at``,
``payments_transfer_id`` (the payout id), ``transaction_type``, ``payout_status``, ``id``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from fastapi import APIRouter
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse

from synchub.sandbox.control import json_body
from synchub.sandbox.paging import Row, as_row
from synchub.sandbox.shopify_catalog import gid
from synchub.sandbox.shopify_payments import (
    MAX_REFUNDS,
    Movement,
    PaymentsBook,
    Payout,
    money_cents,
)
from synchub.sandbox.shopify_search import Term, parse_search
from synchub.sandbox.util import (
    cents,
    decode_token,
    encode_token,
    iso_local,
    iso_utc_z,
    parse_time,
)

MAX_PAGE = 250
CONTROL_REFUND_BASE = 995_000_000_000  # + order index x 16 + 2k: refunds made here
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
    op = term.op
    return bool(have > want if op == ">" else have >= want if op == ">=" else
                have < want if op == "<" else have <= want if op == "<=" else have == want)


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


def _lazy_connection(rows: Callable[[Row | None], Iterator[tuple[Row, Any]]],
                     render: Callable[[Any], dict[str, Any]], args: dict[str, Any],
                     ) -> dict[str, Any]:
    """A Relay connection over rows ascending by (key, id), read only as far as needed."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError("You must provide one of first or last")
    size = int(first if first is not None else last or 0)
    if size < 0 or size > MAX_PAGE:
        raise GraphQLError(f"The page size must be between 0 and {MAX_PAGE} (got {size})")
    try:
        after = as_row(decode_token(args["after"])["k"]) if args.get("after") else None
        before = as_row(decode_token(args["before"])["k"]) if args.get("before") else None
    except (ValueError, KeyError):
        raise GraphQLError("Invalid cursor") from None
    reverse = bool(args.get("reverse"))
    if reverse or before is not None or (last is not None and first is None):
        everything = dict(rows(None))
        shown = list(everything)[::-1] if reverse else list(everything)
        # positions in display order: after the `after` row, before the `before` row
        beyond = (lambda k, c: k < c) if reverse else (lambda k, c: k > c)
        start = next((i for i, k in enumerate(shown) if after is None or beyond(k, after)),
                     len(shown))
        end = next((i for i, k in enumerate(shown) if before is not None
                    and not beyond(before, k)), len(shown))
        if first is not None:
            end = min(end, start + size)
        else:
            start = max(start, end - size)
        picked = [(k, everything[k]) for k in shown[start:end]]
        has_next, has_prev = end < len(shown), start > 0
    else:
        picked = list(islice(rows(after), size + 1))
        has_next, has_prev = len(picked) > size, after is not None
        picked = picked[:size]
    edges = [{"cursor": encode_token({"k": list(k)}), "node": render(item)}
             for k, item in picked]
    return {"edges": edges, "nodes": [e["node"] for e in edges], "pageInfo": {
        "hasNextPage": has_next, "hasPreviousPage": has_prev,
        "startCursor": edges[0]["cursor"] if edges else None,
        "endCursor": edges[-1]["cursor"] if edges else None}}


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
    return _lazy_connection(rows, lambda p: payout_node(p, now, cur), args)


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
    return _lazy_connection(rows, lambda m: transaction_node(m, book, now), args)


def payments_resolvers() -> dict[tuple[str, str], Any]:
    """(type, field) -> resolver, attached by :func:`shopify_graphql.shopify_schema`."""
    def account(_root: Any, info: Any) -> dict[str, Any]:
        store = info.context
        return {"id": f"gid://shopify/ShopifyPaymentsAccount/{1000 + len(store.name)}",
                "activated": True, "defaultCurrency": store.currency, "_book": store.payments}
    return {("Query", "shopifyPaymentsAccount"): account,
            ("ShopifyPaymentsAccount", "payouts"): _payouts,
            ("ShopifyPaymentsAccount", "balanceTransactions"): _balance_transactions}


# --- /_sandbox: what the account holds, forced payouts, refunds ---------------------------
def refund_order(store: Any, order_id: int, amount: str | None = None) -> dict[str, Any]:
    """Refund money on a paid order now (all that is left by default), as the admin does.

    The refund lands on the REST order (``refunds``, ``financial_status``, ``updated_at``;
    webhooks ``refunds/create`` and ``orders/updated``) and, for an order paid through
    Shopify Payments, becomes a REFUND transaction. KeyError for an unknown order,
    ValueError for an amount the order cannot take.
    """
    if order_id not in store.orders:
        raise KeyError(f"order {order_id} not found")
    row = store.orders.materialize(order_id)
    h = store.orders.header(order_id)
    total = money_cents(row["total_price"])
    done = sum(money_cents(t["amount"]) for rf in row.get("refunds") or []
               for t in rf.get("transactions") or [] if t.get("kind") == "refund")
    if row.get("financial_status") not in ("paid", "partially_refunded"):
        raise ValueError(f"order {order_id} is {row.get('financial_status')}: "
                         "only paid orders can be refunded")
    want = total - done if amount is None else money_cents(amount)
    if want <= 0 or want > total - done:
        raise ValueError(f"refund must be between 0.01 and {cents(total - done)}")
    k = len(row.get("refunds") or [])
    if k >= MAX_REFUNDS:
        raise ValueError(f"an order takes at most {MAX_REFUNDS} refunds here")
    now = store.stamp()
    rid = CONTROL_REFUND_BASE + h.index * 16 + 2 * k
    stamp = iso_local(now, store.tz)
    refund = {"id": rid, "order_id": order_id, "created_at": stamp, "processed_at": stamp,
              "note": "Refund", "restock": False, "refund_line_items": [],
              "order_adjustments": [],
              "transactions": [{"id": rid + 1, "order_id": order_id, "kind": "refund",
                                "status": "success",
                                "gateway": (row.get("payment_gateway_names") or ["manual"])[0],
                                "amount": cents(want), "currency": store.currency,
                                "created_at": stamp}]}
    row.setdefault("refunds", []).append(refund)
    row["financial_status"] = "refunded" if done + want == total else "partially_refunded"
    row["current_total_price"] = cents(total - done - want)
    row["updated_at"] = stamp
    store.orders.touch(order_id, now)
    store.payments.refunded(order_id, now)
    store.webhooks.emit("refunds/create", lambda: refund)
    store.webhooks.emit("orders/updated", lambda: store.order(order_id))
    return {"order_id": order_id, "refund_id": rid, "amount": cents(want),
            "financial_status": row["financial_status"]}


def payouts_report(book: PaymentsBook) -> dict[str, Any]:
    """Every payout issued so far with its figures, and the totals."""
    now, out, total = book.now(), [], 0
    for p in book.payouts(now):
        gross = sum(g for g, _f in p.summary().values())
        out.append({"id": p.id, "issued_at": iso_utc_z(p.issued), "status": p.status(now),
                    "net": cents(p.net), "gross": cents(gross), "fees": cents(gross - p.net),
                    "transactions": len(p.movements),
                    "transactions_net": cents(sum(m.net for m in p.movements)),
                    "orders": sorted({m.order_id for m in p.movements if m.order_id})})
        total += p.net
    return {"currency": book.store.currency, "payouts": out,
            "totals": {"count": len(out), "net": cents(total)}}


def transactions_report(book: PaymentsBook, payout_id: int | None = None,
                        transfers: bool = False) -> dict[str, Any]:
    """The balance transactions (of one payout, or all) with totals by type."""
    now, rows = book.now(), []
    by_type: dict[str, list[int]] = {}
    pending = 0
    for m in book.transactions(now, transfers=transfers):
        payout = book.payout(m.source_id or 0, now) if m.type == "TRANSFER" else \
            book.payout_for(m.ts, now)
        if payout_id is not None and (payout is None or payout.id != payout_id):
            continue
        pending += m.net if payout is None else 0
        rows.append({"id": m.id, "type": m.type, "processed_at": iso_utc_z(m.ts),
                     "amount": cents(m.amount), "fee": cents(m.fee), "net": cents(m.net),
                     "order_id": m.order_id, "order_name": m.order_name,
                     "payout_id": payout.id if payout else None,
                     "payout_status": payout.status(now) if payout else "PENDING"})
        acc = by_type.setdefault(m.type, [0, 0, 0, 0])
        acc[0] += 1
        acc[1] += m.amount
        acc[2] += m.fee
        acc[3] += m.net
    totals = [sum(v[i] for v in by_type.values()) for i in range(4)]
    return {"currency": book.store.currency, "transactions": rows, "totals": {
        "count": totals[0], "amount": cents(totals[1]), "fee": cents(totals[2]),
        "net": cents(totals[3]), "pending_net": cents(pending),
        "by_type": {k: {"count": v[0], "amount": cents(v[1]), "fee": cents(v[2]),
                        "net": cents(v[3])} for k, v in sorted(by_type.items())}}}


def payments_control_router(get_store: Callable[[str], Any]) -> APIRouter:
    """``POST payouts/run``, ``POST orders/<id>/refund``, ``GET payouts``,
    ``GET balance_transactions`` under ``/_sandbox/shopify/<store>/``."""
    router = APIRouter(prefix="/_sandbox/shopify")

    def bad(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @router.post("/{store}/payouts/run")
    async def run(store: str) -> JSONResponse:
        s = get_store(store)
        with s.lock:
            payout = s.payments.run_payout()
            now = s.payments.now()
            return JSONResponse({"payout": None if payout is None else {
                "id": payout.id, "issued_at": iso_utc_z(payout.issued),
                "status": payout.status(now), "net": cents(payout.net),
                "transactions": len(payout.movements)}})

    @router.post("/{store}/orders/{order_id}/refund")
    async def refund(store: str, order_id: int, request: Request) -> JSONResponse:
        try:
            body = await json_body(request, {"amount"})
            amount = body.get("amount")
            if amount is not None and not isinstance(amount, str | int | float):
                raise ValueError("amount must be a decimal string")
            s = get_store(store)
            with s.lock:
                return JSONResponse(refund_order(s, order_id, None if amount is None
                                                 else str(amount)))
        except KeyError as exc:
            return bad(str(exc.args[0]), 404)
        except ValueError as exc:
            return bad(str(exc))

    @router.get("/{store}/payouts")
    async def payouts(store: str) -> JSONResponse:
        s = get_store(store)
        with s.lock:
            return JSONResponse(payouts_report(s.payments))

    @router.get("/{store}/balance_transactions")
    async def transactions(store: str, payout_id: int | None = None,
                           transfers: bool = False) -> JSONResponse:
        s = get_store(store)
        with s.lock:
            return JSONResponse(transactions_report(s.payments, payout_id, transfers))

    return router
