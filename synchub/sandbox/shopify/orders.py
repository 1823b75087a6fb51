"""Shopify REST orders generated from ``seed + index``, with totals that follow Shopify's rules.

``subtotal_price = total_line_items_price - total_discounts`` and
``total_price = subtotal_price + shipping + (total_tax unless taxes_included)``, all in integer
cents, so a consumer can reconcile every order to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from synchub.sandbox.kit import pools
from synchub.sandbox.kit.money import cents, tax_in_gross, tax_on_net
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, person, rng_for, stable_int
from synchub.sandbox.kit.table import Header
from synchub.sandbox.kit.times import iso_local
from synchub.sandbox.shopify.catalog import CatalogLine, gid

BIG_ID_BASE = 9_007_199_254_740_993  # 2**53 + 1: ids a float-based JSON parser corrupts
ORDER_ID_BASE = 5_600_000_000_000
# (kind, header status, weight); "cancelled" orders are also closed in Shopify
KINDS = (("open", "open", 35), ("closed", "closed", 45), ("partial", "closed", 8),
         ("refunded", "closed", 5), ("cancelled", "cancelled", 7))
FX = {"USD": 1.08, "GBP": 0.85, "CHF": 0.94, "EUR": 1.0, "CAD": 1.47}
MANUAL_SHARE = 12  # percent of orders paid outside Shopify Payments (bank transfer, cash...)


@dataclass(frozen=True, slots=True)
class ShopContext:
    """Everything order generation needs to know about the store."""

    key: str
    currency: str
    tz: tzinfo
    catalog: tuple[CatalogLine, ...]
    customers: int
    customer_header: Any  # Callable[[int], Header]


def order_id(i: int) -> int:
    """Order ids; about one in 40 lies above 2**53."""
    return BIG_ID_BASE + i if i % 40 == 7 else ORDER_ID_BASE + i * 1009


def seeded_gateway(key: str, i: int) -> str:
    """The payment gateway of order ``i`` unless one is given: mostly Shopify Payments."""
    return "manual" if stable_int(key, "gateway", i) % 100 < MANUAL_SHARE else "shopify_payments"


def order_header(key: str, i: int, count: int, now: int | None = None) -> Header:
    """Cheap header of order ``i``; ``now`` stamps orders created by a mutation."""
    h = stable_int(key, "order-h", i)
    roll = h % 100
    kind = "open"
    for name, _status, weight in KINDS:
        if roll < weight:
            kind = name
            break
        roll -= weight
    status = next(s for n, s, _w in KINDS if n == kind)
    if now is not None:
        return Header(id=order_id(i), index=i, created=now, updated=now, status="open",
                      name="open")
    created = YEAR_START + i * (YEAR_SECONDS - 40 * 86400) // max(count, 1) + (h >> 8) % 3600
    updated = created + (h >> 20) % (30 * 86400) if kind != "open" else created + (h >> 20) % 7200
    return Header(id=order_id(i), index=i, created=created, updated=updated, status=status,
                  name=kind)


def _money_set(amount: int, currency: str, presentment: str) -> dict[str, Any]:
    shop = {"amount": cents(amount), "currency_code": currency}
    if presentment == currency:
        return {"shop_money": shop, "presentment_money": shop}
    converted = round(amount * FX.get(presentment, 1.0) / FX.get(currency, 1.0))
    return {"shop_money": shop,
            "presentment_money": {"amount": cents(converted), "currency_code": presentment}}


def _tags(r: Any) -> str:
    # random.sample's ABC check is slow on the hot path; two draws give 0..2 distinct tags
    picked = {r.choice(pools.TAGS) for _ in range(r.randrange(3))}
    return ", ".join(sorted(picked))


def build_order(ctx: ShopContext, h: Header,
                lines_of: Sequence[tuple[CatalogLine, int]] | None = None,
                gateway: str | None = None) -> dict[str, Any]:
    """The REST ``order`` object for header ``h`` (kind in ``h.name``).

    ``lines_of`` fixes the (catalog line, quantity) pairs of a placed order; otherwise the
    lines are drawn from the seed. ``gateway`` fixes how it was paid (else from the seed;
    a partially paid order is always ``manual``: Shopify Payments captures the whole total).
    """
    r = rng_for(ctx.key, "order", h.index)
    kind, oid, tz, cur = h.name, h.id, ctx.tz, ctx.currency
    incl = r.random() < 0.5
    presentment = r.choice(("USD", "GBP", "CHF")) if r.random() < 0.15 else cur
    code = r.choice(pools.DISCOUNT_CODES) if r.random() < 0.25 else None
    lines: list[dict[str, Any]] = []
    tax_by_rate: dict[tuple[str, int], int] = {}
    tlip = disc_total = tax_total = 0
    line_amounts = []  # (net after discount, tax, qty) for refunds
    count = len(lines_of) if lines_of is not None else r.choice((1, 1, 2, 2, 3, 4))
    for k in range(count):
        if lines_of is not None:
            c, qty = lines_of[k]
        else:
            c = ctx.catalog[r.randrange(len(ctx.catalog))]
            qty = r.choice((1, 1, 1, 2, 3))
        gross = c.price * qty
        disc = gross * code[1] // 10000 if code else 0
        net = gross - disc
        tax = tax_in_gross(net, c.rate_bp) if incl else tax_on_net(net, c.rate_bp)
        title = "MwSt" if c.rate_bp in (1900, 700) else "VAT"
        tax_by_rate[(title, c.rate_bp)] = tax_by_rate.get((title, c.rate_bp), 0) + tax
        tlip, disc_total, tax_total = tlip + gross, disc_total + disc, tax_total + tax
        line_amounts.append((net, tax, qty))
        line_id = 15_000_000_000_000 + h.index * 8 + k
        lines.append({
            "id": line_id, "admin_graphql_api_id": gid("LineItem", line_id),
            "variant_id": c.variant_id, "product_id": c.product_id, "sku": c.sku,
            "name": c.product_title + (f" - {c.variant_title}" if c.variant_title else ""),
            "title": c.product_title, "variant_title": c.variant_title, "vendor": None,
            "quantity": qty, "current_quantity": qty, "price": cents(c.price),
            "price_set": _money_set(c.price, cur, presentment),
            "total_discount": cents(disc), "total_discount_set": _money_set(disc, cur, presentment),
            "discount_allocations": (
                [{"amount": cents(disc), "discount_application_index": 0,
                  "amount_set": _money_set(disc, cur, presentment)}] if disc else []),
            "tax_lines": [{"title": title, "rate": c.rate_bp / 10000, "price": cents(tax),
                           "price_set": _money_set(tax, cur, presentment)}],
            "taxable": True, "requires_shipping": c.requires_shipping,
            "fulfillable_quantity": 0 if kind in ("closed", "refunded", "cancelled") else qty,
            "gift_card": False,
        })
    ships = any(line["requires_shipping"] for line in lines)
    p = person(ctx.key, r.randrange(max(ctx.customers, 1)))
    guest = r.random() < 0.08 or ctx.customers == 0
    shipping_address = dict(p["address"]) if ships and r.random() > 0.05 else None
    shipping = r.choice((0, 490, 590, 990)) if shipping_address else 0
    ship_rate = 1900 if cur == "EUR" else 2000
    ship_tax = (tax_in_gross(shipping, ship_rate) if incl else tax_on_net(shipping, ship_rate))
    shipping_lines = []
    if shipping_address:
        title = "MwSt" if ship_rate == 1900 else "VAT"
        tax_by_rate[(title, ship_rate)] = tax_by_rate.get((title, ship_rate), 0) + ship_tax
        tax_total += ship_tax
        shipping_lines.append({
            "id": 4_900_000_000_000 + h.index,
            "title": "Standard" if shipping else "Free Shipping",
            "code": "standard", "source": "shopify", "price": cents(shipping),
            "discounted_price": cents(shipping),
            "price_set": _money_set(shipping, cur, presentment),
            "tax_lines": [{"title": title, "rate": ship_rate / 10000, "price": cents(ship_tax)}],
            "discount_allocations": [],
        })
    subtotal = tlip - disc_total
    total = subtotal + shipping + (0 if incl else tax_total)
    created, updated = h.created, h.updated
    financial, fulfillment = _statuses(r, kind, h.id % 2 == 0)
    if gateway is None:
        gateway = ("manual" if financial == "partially_paid"
                   else seeded_gateway(ctx.key, h.index))
    refunds = _refunds(h, kind, incl, lines, line_amounts, shipping, ship_tax, total, cur, tz,
                       gateway)
    refunded = sum(int(t["amount"].replace(".", "")) for rf in refunds for t in rf["transactions"])
    customer = None
    if not guest:
        ch = ctx.customer_header(r.randrange(ctx.customers))
        customer = {"id": ch.id, "email": p["email"], "first_name": p["first_name"],
                    "last_name": p["last_name"], "phone": p["phone"], "state": "enabled",
                    "currency": cur, "tags": "", "verified_email": True,
                    "created_at": iso_local(ch.created, tz),
                    "updated_at": iso_local(ch.updated, tz),
                    "admin_graphql_api_id": gid("Customer", ch.id)}
    order_number = 1001 + h.index
    return {
        "id": oid, "admin_graphql_api_id": gid("Order", oid), "name": f"#{order_number}",
        "order_number": order_number, "number": order_number - 1000,
        "email": p["email"] if not guest or r.random() < 0.5 else None,
        "phone": p["phone"], "created_at": iso_local(created, tz),
        "updated_at": iso_local(updated, tz), "processed_at": iso_local(created, tz),
        "cancelled_at": iso_local(updated, tz) if kind == "cancelled" else None,
        "cancel_reason": r.choice(("customer", "inventory", "fraud", "declined"))
        if kind == "cancelled" else None,
        "closed_at": None if kind == "open" else iso_local(updated, tz),
        "currency": cur, "presentment_currency": presentment,
        "financial_status": financial, "fulfillment_status": fulfillment,
        "taxes_included": incl, "estimated_taxes": False, "test": False,
        "payment_gateway_names": [gateway],
        "total_line_items_price": cents(tlip), "total_discounts": cents(disc_total),
        "subtotal_price": cents(subtotal), "total_tax": cents(tax_total),
        "total_price": cents(total), "current_total_price": cents(total - refunded),
        "total_line_items_price_set": _money_set(tlip, cur, presentment),
        "total_discounts_set": _money_set(disc_total, cur, presentment),
        "subtotal_price_set": _money_set(subtotal, cur, presentment),
        "total_tax_set": _money_set(tax_total, cur, presentment),
        "total_price_set": _money_set(total, cur, presentment),
        "total_shipping_price_set": _money_set(shipping, cur, presentment),
        "discount_codes": ([{"code": code[0], "amount": cents(disc_total), "type": "percentage"}]
                           if code else []),
        "discount_applications": (
            [{"type": "discount_code", "code": code[0], "value": f"{code[1] / 100:.1f}",
              "value_type": "percentage", "allocation_method": "across",
              "target_selection": "all", "target_type": "line_item"}] if code else []),
        "tags": _tags(r), "note": r.choice(pools.NOTES),
        "source_name": r.choice(("web", "web", "pos", "shopify_draft_order")),
        "customer": customer,
        "billing_address": dict(p["address"]) if r.random() > 0.04 else None,
        "shipping_address": shipping_address, "line_items": lines,
        "shipping_lines": shipping_lines,
        "tax_lines": [{"title": t, "rate": bp / 10000, "price": cents(v),
                       "price_set": _money_set(v, cur, presentment)}
                      for (t, bp), v in sorted(tax_by_rate.items())],
        "refunds": refunds,
    }


def _statuses(r: Any, kind: str, even: bool) -> tuple[str, str | None]:
    if kind == "open":
        fin = r.choices(("pending", "authorized", "paid", "partially_paid"), (20, 20, 50, 10))[0]
        return fin, r.choice((None, None, "partial"))
    if kind == "partial":
        return "partially_refunded", "fulfilled"
    if kind == "refunded":
        return "refunded", "fulfilled"
    if kind == "cancelled":
        return ("refunded" if even else "voided"), None  # even ids get a full refund
    return "paid", "fulfilled"


def _refunds(
    h: Header, kind: str, incl: bool, lines: list[dict[str, Any]],
    amounts: list[tuple[int, int, int]], shipping: int, ship_tax: int, total: int,
    cur: str, tz: tzinfo, gateway: str,
) -> list[dict[str, Any]]:
    full = kind == "refunded" or (kind == "cancelled" and h.id % 2 == 0)
    if kind != "partial" and not full:
        return []
    rid = 990_000_000_000 + h.index * 4
    items, amount = [], 0
    for k, (line, (net, tax, qty)) in enumerate(zip(lines, amounts, strict=True)):
        if not full and k > 0:
            break
        n = qty if full else 1
        sub, t = net * n // qty, tax * n // qty
        amount += sub + (0 if incl else t)
        items.append({
            "id": rid * 10 + k, "line_item_id": line["id"], "quantity": n,
            "restock_type": ("cancel" if kind == "cancelled"
                             else "return" if full else "no_restock"),
            "location_id": None, "subtotal": cents(sub), "total_tax": cents(t),
            "subtotal_set": {"shop_money": {"amount": cents(sub), "currency_code": cur}},
        })
    adjustments = []
    if full:
        amount = total  # lines + shipping: the whole order comes back
        if shipping:
            adjustments.append({"id": rid + 1, "order_id": h.id, "refund_id": rid,
                                "amount": cents(-shipping), "tax_amount": cents(-ship_tax),
                                "kind": "shipping_refund", "reason": "Shipping refund"})
    return [{
        "id": rid, "order_id": h.id, "created_at": iso_local(h.updated, tz),
        "processed_at": iso_local(h.updated, tz),
        "note": "Kunde hat zurückgeschickt" if not full else "Full refund",
        "restock": full, "refund_line_items": items, "order_adjustments": adjustments,
        "transactions": [{"id": rid + 2, "order_id": h.id, "kind": "refund", "status": "success",
                          "gateway": gateway, "amount": cents(amount),
                          "currency": cur, "created_at": iso_local(h.updated, tz)}],
    }]
