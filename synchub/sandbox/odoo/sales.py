"""The sales side of the simulated Odoo: the seed of the models the hub writes to, and the
amounts the ORM computes.

``res.country``, ``res.partner``, ``account.tax``, ``product.pricelist``, ``sale.order``,
``sale.order.line``, ``account.move`` and ``account.move.line`` (:mod:`.models`) are served
like the stock models, with the accounting of :mod:`.accounting` (accounts, journals,
entries). :func:`seed_sales` fills the reference data (countries, taxes, one pricelist per
currency, the chart of accounts and journals); partners, orders, credit notes and journal
entries only exist once a client creates them.
"""

from __future__ import annotations

from typing import Any

from synchub.sandbox.kit.seed import YEAR_START
from synchub.sandbox.odoo.accounting import seed_accounting
from synchub.sandbox.odoo.catalog import CURRENCIES, Catalog, odoo_time
from synchub.sandbox.odoo.models import SALES_MODELS, Records

COUNTRIES = (("AT", "Austria"), ("BE", "Belgium"), ("CA", "Canada"), ("CH", "Switzerland"),
             ("DE", "Germany"), ("DK", "Denmark"), ("ES", "Spain"), ("FR", "France"),
             ("GB", "United Kingdom"), ("IE", "Ireland"), ("IT", "Italy"),
             ("NL", "Netherlands"), ("PL", "Poland"), ("SE", "Sweden"),
             ("US", "United States"), ("CN", "China"))
# (id, name, percent): sales taxes, excluded from the price
TAXES = ((1, "0%", 0.0), (2, "5%", 5.0), (3, "7%", 7.0), (4, "10%", 10.0), (5, "19%", 19.0),
         (6, "20%", 20.0))


def seed_sales(catalog: Catalog, currency: str) -> None:
    """Countries, sales taxes, one pricelist per currency (the company's first), accounts
    and journals."""
    records, created = catalog.records, odoo_time(YEAR_START)
    stamp = {"create_date": created, "write_date": created}
    for model in SALES_MODELS:
        records.setdefault(model, {})
    for cid, (code, name) in enumerate(COUNTRIES, start=1):
        records["res.country"][cid] = {"id": cid, "name": name, "display_name": name,
                                       "code": code, **stamp}
    for tid, name, amount in TAXES:
        records["account.tax"][tid] = {"id": tid, "name": name, "display_name": name,
                                       "amount": amount, "amount_type": "percent",
                                       "type_tax_use": "sale", "price_include": False,
                                       "active": True, **stamp}
    codes = [currency, *(c for c in CURRENCIES if c != currency)]
    for pid, code in enumerate(codes, start=1):
        name = f"{'Default' if code == currency else code} ({code})"
        records["product.pricelist"][pid] = {
            "id": pid, "name": name, "display_name": name, "active": True,
            "currency_id": [CURRENCIES[code][0], code], **stamp}
    for model in SALES_MODELS:
        catalog.next_ids[model] = max(records[model], default=0) + 1
    seed_accounting(catalog)


def next_number(catalog: Catalog, sequence: str, width: int = 5) -> str:
    """The next number of a sequence (``S`` -> ``S00001``, ``RINV/2026/`` -> ...)."""
    number = catalog.picking_numbers.get(sequence, 0) + 1
    catalog.picking_numbers[sequence] = number
    return f"{sequence}{number:0{width}d}"


def sales_view(records: Records) -> dict[str, Any]:
    """What the sales side of the database holds: orders with lines, partners, refunds."""

    def lines(model: str, ids: list[int]) -> list[dict[str, Any]]:
        return [dict(records[model][i]) for i in ids if i in records[model]]

    orders = [{**o, "lines": lines("sale.order.line", o["order_line"])}
              for _, o in sorted(records["sale.order"].items())]
    moves = [{**m, "lines": lines("account.move.line", m["invoice_line_ids"])}
             for _, m in sorted(records["account.move"].items())]
    return {"sale_orders": orders,
            "partners": [dict(p) for _, p in sorted(records["res.partner"].items())],
            "refunds": [m for m in moves if m["move_type"] == "out_refund"]}


def recompute(records: Records, model: str, rec: dict[str, Any]) -> None:
    """Recompute a line's subtotal, tax and total, and its order's or entry's amounts."""
    if model in ("sale.order.line", "account.move.line"):
        qty = rec["product_uom_qty"] if model == "sale.order.line" else rec["quantity"]
        taxes = rec["tax_id"] if model == "sale.order.line" else rec["tax_ids"]
        subtotal = round(qty * rec["price_unit"] * (1 - rec["discount"] / 100.0), 2)
        rate = sum(records["account.tax"][t]["amount"] for t in taxes) / 100.0
        tax = round(subtotal * rate, 2)
        rec["price_subtotal"], rec["price_total"] = subtotal, round(subtotal + tax, 2)
        if model == "sale.order.line":
            rec["price_tax"] = tax
        parent = ("sale.order", "order_id") if model == "sale.order.line" else (
            "account.move", "move_id")
        owner = records[parent[0]].get(rec[parent[1]][0]) if rec[parent[1]] else None
        if owner is not None:
            recompute(records, parent[0], owner)
    elif model in ("sale.order", "account.move"):
        lines_model, field = ("sale.order.line", "order_line") if model == "sale.order" \
            else ("account.move.line", "invoice_line_ids")
        lines = [records[lines_model][i] for i in rec[field]
                 if i in records[lines_model]]
        untaxed = round(sum(ln["price_subtotal"] or 0.0 for ln in lines), 2)
        total = round(sum(ln["price_total"] or 0.0 for ln in lines), 2)
        rec["amount_untaxed"], rec["amount_total"] = untaxed, total
        rec["amount_tax"] = round(total - untaxed, 2)
