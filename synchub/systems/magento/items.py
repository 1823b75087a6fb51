"""Magento order items folded into canonical lines.

Magento lists a configurable product twice: the parent item (``product_type:
configurable``) carries the price, quantity, discount and tax; its child (the simple
product chosen, ``parent_item_id`` pointing at the parent) carries the SKU actually sold and
a price of 0. The hub makes one line of the pair: the child's SKU, the parent's figures.

A bundle's parent carries the price of a fixed-price bundle; a dynamic-price bundle has its
children priced instead. Either way the bundle is one priced line, priced as Magento priced
it (the parent's figures when it has any, else the sum of its children's), and its children
follow as zero-priced component lines, so the stock they take is counted by their SKUs.

When the folded lines do not add up to the order's ``subtotal`` (a child carrying a price
beside a priced parent, a child whose parent is missing...), no figure is changed: the
difference becomes an ``item_mismatch`` adjustment with a warning naming the order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

ZERO = Decimal("0")


@dataclass
class Folded:
    """The canonical lines of one order and what did not add up."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    subtotal: Decimal = ZERO
    mismatch: Decimal = ZERO
    notes: list[str] = field(default_factory=list)


def dec(value: Any) -> Decimal:
    """A Magento amount (number or text, null as 0) as an exact decimal."""
    if value is None or value == "":
        return ZERO
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an amount: {str(value)[:40]!r}") from None


def qty(value: Any) -> int:
    """Magento quantities are decimals (``1.0000``); units are whole."""
    amount = dec(value)
    if amount != amount.to_integral_value():
        raise ValueError(f"quantity {value!r} is not a whole number of units")
    return int(amount)


def text(value: Any) -> str | None:
    """Text of an id or name; null and blanks as None."""
    if value is None:
        return None
    out = str(value).strip()
    return out or None


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currency": currency}


def _line(item: dict[str, Any], currency: str, *, sku: Any, variant: Any = None,
          figures: dict[str, Any] | None = None) -> dict[str, Any]:
    """One canonical line: ``total = unit_price * quantity - discount``."""
    src = figures if figures is not None else item
    units = qty(item.get("qty_ordered"))
    price, discount = dec(src.get("price")), dec(src.get("discount_amount"))
    return {
        "external_id": text(item.get("item_id")),
        "sku": text(sku),
        "product_external_id": text(item.get("product_id")),
        "variant_external_id": text(variant),
        "title": text(item.get("name")),
        "quantity": units,
        "unit_price": _money(price, currency),
        "discount": _money(discount, currency),
        "tax": _money(dec(src.get("tax_amount")), currency),
        "total": _money(price * units - discount, currency),
        "refunded_quantity": min(qty(item.get("qty_refunded")), units),
    }


def _priced(item: dict[str, Any]) -> bool:
    return dec(item.get("price")) != ZERO or dec(item.get("row_total")) != ZERO


def fold(items: list[dict[str, Any]], currency: str, subtotal: Any = None,
         order: Any = None) -> Folded:
    """The canonical lines of a Magento order's ``items``, and the gap to its subtotal."""
    items = [i for i in items if isinstance(i, dict)]
    children: dict[str, list[dict[str, Any]]] = {}
    by_id = {text(i.get("item_id")): i for i in items}
    for item in items:
        parent = text(item.get("parent_item_id"))
        if parent is not None:
            children.setdefault(parent, []).append(item)
    out = Folded()
    for item in items:
        parent = text(item.get("parent_item_id"))
        if parent is not None:
            if parent not in by_id:  # an orphan child: keep it as its own line, say so
                out.notes.append(f"item {item.get('item_id')} names parent {parent}, "
                                 "which the order does not list")
                _add(out, _line(item, currency, sku=item.get("sku")))
            continue
        kids = children.get(text(item.get("item_id")) or "", [])
        if item.get("product_type") == "configurable" and kids:
            _fold_configurable(out, item, kids, currency)
        elif item.get("product_type") == "bundle" and kids:
            _fold_bundle(out, item, kids, currency)
        else:
            _add(out, _line(item, currency, sku=item.get("sku")))
    if subtotal is not None:
        out.mismatch = dec(subtotal) - out.subtotal
        if out.mismatch != ZERO:
            out.notes.append(f"order {order}: the items add up to {out.subtotal} "
                             f"{currency}, its subtotal is {dec(subtotal)} {currency}")
    return out


def _add(out: Folded, line: dict[str, Any]) -> None:
    out.lines.append(line)
    out.subtotal += Decimal(line["unit_price"]["amount"]) * line["quantity"]


def _fold_configurable(out: Folded, parent: dict[str, Any], kids: list[dict[str, Any]],
                       currency: str) -> None:
    child = kids[0]
    if len(kids) > 1:
        out.notes.append(f"configurable item {parent.get('item_id')} has {len(kids)} "
                         "children; the first one's SKU is used")
    _add(out, _line(parent, currency, sku=child.get("sku") or parent.get("sku"),
                    variant=child.get("product_id")))


def _fold_bundle(out: Folded, parent: dict[str, Any], kids: list[dict[str, Any]],
                 currency: str) -> None:
    if _priced(parent) or not any(_priced(k) for k in kids):
        _add(out, _line(parent, currency, sku=parent.get("sku")))
    else:
        # a dynamic-price bundle: the children carry the money, the bundle shows their sum
        units = max(qty(parent.get("qty_ordered")), 1)
        sums = {key: sum((dec(k.get(key)) * (qty(k.get("qty_ordered"))
                          if key == "price" else 1) for k in kids), ZERO)
                for key in ("price", "discount_amount", "tax_amount")}
        sums["price"] = sums["price"] / units
        _add(out, _line(parent, currency, sku=parent.get("sku"), figures=sums))
    for kid in kids:
        line = _line(kid, currency, sku=kid.get("sku"), figures={})
        line["title"] = f"{line['title'] or kid.get('sku')} (in {parent.get('sku')})"
        _add(out, line)


def _args(value: Any) -> tuple[list[dict[str, Any]], str, Any]:
    if not isinstance(value, dict):
        raise ValueError("expects {items, currency, subtotal, order}")
    items, currency = value.get("items") or [], value.get("currency")
    if not isinstance(items, list):
        raise ValueError("items is not a list")
    if not isinstance(currency, str) or not currency:
        raise ValueError("the order has no currency")
    return items, currency, value.get("subtotal")


def order_lines(value: Any) -> list[dict[str, Any]]:
    """Mapping transform: ``{items, currency}`` -> canonical lines."""
    items, currency, _ = _args(value)
    return fold(items, currency).lines


def lines_subtotal(value: Any) -> str:
    """Mapping transform: the sum of the folded lines' ``unit_price x quantity``."""
    items, currency, _ = _args(value)
    return str(fold(items, currency).subtotal)


def item_adjustments(value: Any) -> list[dict[str, Any]]:
    """Mapping transform: ``{items, currency, subtotal}`` -> the ``item_mismatch``
    adjustment when the folded lines miss the order's subtotal (else none)."""
    items, currency, subtotal = _args(value)
    folded = fold(items, currency, subtotal, value.get("order"))
    if folded.mismatch == ZERO:
        return []
    return [{"reason": "item_mismatch", "amount": _money(folded.mismatch, currency)}]


def item_warnings(value: Any) -> list[dict[str, str]]:
    """Mapping transform: what did not add up between parent and child items."""
    items, currency, subtotal = _args(value)
    return [{"code": "item_mismatch", "message": note}
            for note in fold(items, currency, subtotal, value.get("order")).notes]
