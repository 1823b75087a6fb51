"""WooCommerce REST orders generated from ``seed + index``, reconciling per Woo's totals rule.

``total = sum(line total) + shipping_total + sum(fee total) + total_tax``, where line totals
exclude tax even when the shop enters prices with tax, and refunds carry negative totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from synchub.sandbox.kit import pools
from synchub.sandbox.kit.money import cents, tax_on_net
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, person, rng_for, stable_int
from synchub.sandbox.kit.table import Header
from synchub.sandbox.kit.times import iso_naive_gmt, iso_naive_local
from synchub.sandbox.woocommerce.catalog import EMPTY_SHIPPING, woo_address

ORDER_ID_BASE = 50_000
STATUSES = (("pending", 5), ("processing", 25), ("on-hold", 5), ("completed", 45),
            ("cancelled", 6), ("refunded", 5), ("failed", 4), ("partial", 5))
PAYMENTS = (("stripe", "Kreditkarte (Stripe)"), ("paypal", "PayPal"),
            ("bacs", "Direct bank transfer"), ("cod", "Cash on delivery"))


@dataclass(frozen=True, slots=True)
class WooLine:
    """A sellable item (simple product or variation), frozen at store creation."""

    product_id: int
    variation_id: int
    name: str
    sku: str
    price: int
    reduced: bool


@dataclass(frozen=True, slots=True)
class WooContext:
    """What order generation needs to know about the site."""

    key: str
    currency: str
    tz: tzinfo
    catalog: tuple[WooLine, ...]
    customers: int
    standard_bp: int
    reduced_bp: int


def order_header(key: str, i: int, count: int, now: int | None = None) -> Header:
    """Cheap header of order ``i``; ``status`` is the Woo status, ``name`` the kind."""
    h = stable_int(key, "order-h", i)
    roll, kind = h % 100, "processing"
    for name, weight in STATUSES:
        if roll < weight:
            kind = name
            break
        roll -= weight
    if now is not None:
        return Header(id=ORDER_ID_BASE + i, index=i, created=now, updated=now,
                      status="processing", name="processing")
    created = YEAR_START + i * (YEAR_SECONDS - 40 * 86400) // max(count, 1) + (h >> 8) % 3600
    updated = created + (h >> 20) % (20 * 86400)
    status = "completed" if kind == "partial" else kind
    return Header(id=ORDER_ID_BASE + i, index=i, created=created, updated=updated,
                  status=status, name=kind)


def build_order(ctx: WooContext, h: Header,
                lines_of: Sequence[tuple[WooLine, int]] | None = None) -> dict[str, Any]:
    """The REST order object for header ``h``; ``lines_of`` fixes a placed order's lines."""
    r = rng_for(ctx.key, "order", h.index)
    kind, tz = h.name, ctx.tz
    incl = r.random() < 0.5
    coupon = r.choice(pools.DISCOUNT_CODES) if r.random() < 0.25 else None
    lines: list[dict[str, Any]] = []
    rates: dict[int, list[int]] = {}  # rate_id -> [tax_total, shipping_tax_total]
    sum_total = cart_tax = disc = disc_tax = 0
    count = len(lines_of) if lines_of is not None else r.choice((1, 1, 2, 2, 3, 4))
    for k in range(count):
        if lines_of is not None:
            c, qty = lines_of[k]
        else:
            c = ctx.catalog[r.randrange(len(ctx.catalog))]
            qty = r.choice((1, 1, 1, 2, 3))
        bp, rate_id = (ctx.reduced_bp, 2) if c.reduced else (ctx.standard_bp, 1)
        gross_or_net = c.price * qty
        # With tax-inclusive prices Woo stores the line net of tax; both sides stay in cents.
        subtotal = (gross_or_net * 10000 * 2 + 10000 + bp) // (2 * (10000 + bp)) if incl \
            else gross_or_net
        total = subtotal - (subtotal * coupon[1] // 10000 if coupon else 0)
        sub_tax, tot_tax = tax_on_net(subtotal, bp), tax_on_net(total, bp)
        sum_total, cart_tax = sum_total + total, cart_tax + tot_tax
        disc, disc_tax = disc + subtotal - total, disc_tax + sub_tax - tot_tax
        rates.setdefault(rate_id, [0, 0])[0] += tot_tax
        lines.append({
            "id": 900_000 + h.index * 8 + k, "name": c.name, "product_id": c.product_id,
            "variation_id": c.variation_id, "quantity": qty,
            "tax_class": "reduced-rate" if c.reduced else "", "subtotal": cents(subtotal),
            "subtotal_tax": cents(sub_tax), "total": cents(total), "total_tax": cents(tot_tax),
            "taxes": [{"id": rate_id, "total": cents(tot_tax), "subtotal": cents(sub_tax)}],
            "meta_data": [], "sku": c.sku, "price": round(total / qty / 100, 2),
            "image": {"id": "", "src": ""}, "parent_name": None,
        })
    p = person(ctx.key, r.randrange(max(ctx.customers, 1)))
    guest = r.random() < 0.1 or ctx.customers == 0
    shipped = r.random() > 0.07
    shipping = r.choice((0, 490, 690)) if shipped else 0
    ship_tax = tax_on_net(shipping, ctx.standard_bp)
    if shipped:
        rates.setdefault(1, [0, 0])[1] += ship_tax
    fees = []
    if r.random() < 0.1:
        fee_tax = tax_on_net(200, ctx.standard_bp)
        cart_tax += fee_tax
        rates.setdefault(1, [0, 0])[0] += fee_tax
        fees.append({"id": 980_000 + h.index, "name": "Nachnahmegebühr", "tax_class": "",
                     "tax_status": "taxable", "amount": "2", "total": "2.00",
                     "total_tax": cents(fee_tax),
                     "taxes": [{"id": 1, "total": cents(fee_tax), "subtotal": ""}]})
    total_tax = cart_tax + ship_tax
    grand = sum_total + shipping + sum(200 for _ in fees) + total_tax
    pay = r.choice(PAYMENTS)
    paid = kind in ("processing", "completed", "refunded", "partial")
    created, updated = h.created, h.updated
    refunds: list[dict[str, Any]] = []
    if kind == "refunded":
        refunds.append({"id": 700_000 + h.index, "reason": "Order fully refunded",
                        "total": cents(-grand)})
    elif kind == "partial":
        first = lines[0]
        unit = (int(first["total"].replace(".", "")) + int(first["total_tax"].replace(".", ""))
                ) // first["quantity"]
        refunds.append({"id": 700_000 + h.index, "reason": "Artikel beschädigt",
                        "total": cents(-unit)})
    return {
        "id": h.id, "parent_id": 0, "number": str(h.id),
        "order_key": f"wc_order_{stable_int(ctx.key, h.id) % 16**13:013x}",
        "created_via": "checkout", "version": "9.4.2",
        "status": h.status, "currency": ctx.currency,
        "date_created": iso_naive_local(created, tz), "date_created_gmt": iso_naive_gmt(created),
        "date_modified": iso_naive_local(updated, tz), "date_modified_gmt": iso_naive_gmt(updated),
        "discount_total": cents(disc), "discount_tax": cents(disc_tax),
        "shipping_total": cents(shipping), "shipping_tax": cents(ship_tax),
        "cart_tax": cents(cart_tax), "total": cents(grand), "total_tax": cents(total_tax),
        "prices_include_tax": incl,
        "customer_id": 0 if guest else 2 + r.randrange(max(ctx.customers, 1)),
        "customer_ip_address": "", "customer_user_agent": "",
        "customer_note": r.choice(pools.NOTES) or "",
        "billing": woo_address(p, True),
        "shipping": woo_address(p, False) if shipped else dict(EMPTY_SHIPPING),
        "payment_method": pay[0], "payment_method_title": pay[1],
        "transaction_id": f"txn_{stable_int(ctx.key, 'txn', h.id) % 10**10}" if paid else "",
        "date_paid": iso_naive_local(created + 60, tz) if paid else None,
        "date_paid_gmt": iso_naive_gmt(created + 60) if paid else None,
        "date_completed": iso_naive_local(updated, tz) if h.status == "completed" else None,
        "date_completed_gmt": iso_naive_gmt(updated) if h.status == "completed" else None,
        "cart_hash": "", "meta_data": [], "line_items": lines,
        "tax_lines": [{"id": 800_000 + h.index * 2 + rid, "rate_code": f"TAX-{rid}",
                       "rate_id": rid, "label": "MwSt" if rid == 1 else "MwSt ermäßigt",
                       "compound": False, "tax_total": cents(t[0]),
                       "shipping_tax_total": cents(t[1]),
                       "rate_percent": (ctx.standard_bp if rid == 1 else ctx.reduced_bp) / 100,
                       "meta_data": []} for rid, t in sorted(rates.items())],
        "shipping_lines": ([{"id": 850_000 + h.index, "method_title": "Versand",
                             "method_id": "flat_rate", "instance_id": "1",
                             "total": cents(shipping), "total_tax": cents(ship_tax),
                             "taxes": [{"id": 1, "total": cents(ship_tax), "subtotal": ""}],
                             "meta_data": []}] if shipped else []),
        "fee_lines": fees,
        "coupon_lines": ([{"id": 870_000 + h.index, "code": coupon[0].lower(),
                           "discount": cents(disc), "discount_tax": cents(disc_tax),
                           "meta_data": []}] if coupon else []),
        "refunds": refunds, "set_paid": False,
    }


def order_refunds(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's refunds as ``GET /orders/<id>/refunds`` shows them, with their lines.

    A refund of the whole order gives back every line; a partial one, one unit of the first
    line (the one the order's summary amount was computed from). Refund line quantities and
    amounts are negative, the refund's own ``amount`` positive, as WooCommerce sends them.
    """
    out = []
    grand = order.get("total") or "0"
    for ref in order.get("refunds") or []:
        amount = ref["total"].lstrip("-")
        full = amount == grand.lstrip("-")
        items = order.get("line_items") or []
        chosen = items if full else items[:1]
        lines = []
        for li in chosen:
            qty = li["quantity"] if full else 1
            unit_total = int(li["total"].replace(".", "")) // li["quantity"]
            unit_tax = int(li["total_tax"].replace(".", "")) // li["quantity"]
            lines.append({
                "id": li["id"] + 10_000_000, "name": li["name"], "product_id": li["product_id"],
                "variation_id": li["variation_id"], "quantity": -qty, "tax_class": "",
                "subtotal": cents(-unit_total * qty), "subtotal_tax": cents(-unit_tax * qty),
                "total": cents(-unit_total * qty), "total_tax": cents(-unit_tax * qty),
                "sku": li.get("sku", ""), "price": -unit_total / 100,
                "refund_total": unit_total * qty / 100,
                "meta_data": [{"key": "_refunded_item_id", "value": str(li["id"])}],
            })
        out.append({
            "id": ref["id"], "date_created": order.get("date_modified"),
            "date_created_gmt": order.get("date_modified_gmt"), "amount": amount,
            "reason": ref.get("reason", ""), "refunded_by": 1, "refunded_payment": True,
            "line_items": lines, "shipping_lines": [], "tax_lines": [], "fee_lines": [],
        })
    return out
