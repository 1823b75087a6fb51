"""Shopify Payments controls under ``/_sandbox/shopify/<store>/`` (never faulted, not logged):
forced payouts, refunds, and reports of what the account holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from synchub.sandbox.kit.control import answer, error, json_body
from synchub.sandbox.kit.money import cents, money_cents
from synchub.sandbox.kit.times import iso_local, iso_utc_z
from synchub.sandbox.shopify.payments import MAX_REFUNDS, PaymentsBook
from synchub.sandbox.shopify.store import ShopifyStore

CONTROL_REFUND_BASE = 995_000_000_000  # + order index x 16 + 2k: refunds made here


def refund_order(store: ShopifyStore, order_id: int, amount: str | None = None
                 ) -> dict[str, Any]:
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
        except ValueError as exc:
            return error(str(exc))
        amount = body.get("amount")
        if amount is not None and not isinstance(amount, str | int | float):
            return error("amount must be a decimal string")
        s = get_store(store)

        def run() -> dict[str, Any]:
            with s.lock:
                return refund_order(s, order_id, None if amount is None else str(amount))
        return answer(run)

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
