"""The sales side of the simulated Odoo: the models the hub writes to, and their seed.

Importing this module adds ``res.country``, ``res.partner``, ``account.tax``,
``product.pricelist``, ``sale.order``, ``sale.order.line``, ``account.move`` and
``account.move.line`` to :data:`~synchub.sandbox.odoo_catalog.MODELS`, so the read methods
(``search_read``, ``read``, domains, ``fields_get``) serve them like the stock models, with
the accounting of :mod:`synchub.sandbox.odoo_accounting` (accounts, journals, entries).
:func:`seed_sales` fills the reference data (countries, taxes, one pricelist per currency,
the chart of accounts and journals); partners, orders, credit notes and journal entries only
exist once a client creates them.
"""

from __future__ import annotations

from typing import Any

from synchub.sandbox.odoo_accounting import (
    ACCOUNTING_LABELS,
    ACCOUNTING_MODELS,
    ACCOUNTING_REQUIRED,
    ACCOUNTING_SELECTIONS,
    MOVE_FIELDS,
    MOVE_LINE_FIELDS,
    seed_accounting,
)
from synchub.sandbox.odoo_catalog import (
    CURRENCIES,
    MODELS,
    Catalog,
    FieldInfo,
    odoo_time,
)
from synchub.sandbox.util import YEAR_START


def _f(type_: str, string: str, relation: str | None = None) -> FieldInfo:
    return FieldInfo(type_, string, relation)


_COMMON = {"id": _f("integer", "ID"), "display_name": _f("char", "Display Name"),
           "create_date": _f("datetime", "Created on"),
           "write_date": _f("datetime", "Last Updated on")}
SALES_MODELS: dict[str, dict[str, FieldInfo]] = {
    "res.country": {**_COMMON, "name": _f("char", "Country Name"),
                    "code": _f("char", "Country Code")},
    "res.partner": {**_COMMON, "name": _f("char", "Name"), "email": _f("char", "Email"),
                    "phone": _f("char", "Phone"), "street": _f("char", "Street"),
                    "street2": _f("char", "Street2"), "city": _f("char", "City"),
                    "zip": _f("char", "Zip"),
                    "country_id": _f("many2one", "Country", "res.country"),
                    "ref": _f("char", "Reference"), "active": _f("boolean", "Active")},
    "account.tax": {**_COMMON, "name": _f("char", "Tax Name"),
                    "amount": _f("float", "Amount"),
                    "amount_type": _f("selection", "Tax Computation"),
                    "type_tax_use": _f("selection", "Tax Type"),
                    "price_include": _f("boolean", "Included in Price"),
                    "active": _f("boolean", "Active")},
    "product.pricelist": {**_COMMON, "name": _f("char", "Pricelist Name"),
                          "currency_id": _f("many2one", "Currency", "res.currency"),
                          "active": _f("boolean", "Active")},
    "sale.order": {**_COMMON, "name": _f("char", "Order Reference"),
                   "partner_id": _f("many2one", "Customer", "res.partner"),
                   "client_order_ref": _f("char", "Customer Reference"),
                   "origin": _f("char", "Source Document"),
                   "date_order": _f("datetime", "Order Date"),
                   "state": _f("selection", "Status"), "locked": _f("boolean", "Locked"),
                   "pricelist_id": _f("many2one", "Pricelist", "product.pricelist"),
                   "currency_id": _f("many2one", "Currency", "res.currency"),
                   "note": _f("html", "Terms and conditions"),
                   "amount_untaxed": _f("monetary", "Untaxed Amount"),
                   "amount_tax": _f("monetary", "Taxes"),
                   "amount_total": _f("monetary", "Total"),
                   "order_line": _f("one2many", "Order Lines", "sale.order.line")},
    "sale.order.line": {**_COMMON, "order_id": _f("many2one", "Order Reference", "sale.order"),
                        "product_id": _f("many2one", "Product", "product.product"),
                        "name": _f("text", "Description"),
                        "product_uom_qty": _f("float", "Quantity"),
                        "price_unit": _f("float", "Unit Price"),
                        "discount": _f("float", "Discount (%)"),
                        "tax_id": _f("many2many", "Taxes", "account.tax"),
                        "price_subtotal": _f("monetary", "Subtotal"),
                        "price_tax": _f("float", "Total Tax"),
                        "price_total": _f("monetary", "Total"),
                        "state": _f("selection", "Order Status")},
    "account.move": {**_COMMON, "name": _f("char", "Number"),
                     "move_type": _f("selection", "Type"), "ref": _f("char", "Reference"),
                     "invoice_origin": _f("char", "Origin"),
                     "partner_id": _f("many2one", "Partner", "res.partner"),
                     "state": _f("selection", "Status"),
                     "currency_id": _f("many2one", "Currency", "res.currency"),
                     "invoice_date": _f("date", "Invoice/Bill Date"),
                     "amount_untaxed": _f("monetary", "Untaxed Amount"),
                     "amount_tax": _f("monetary", "Tax"),
                     "amount_total": _f("monetary", "Total"),
                     "invoice_line_ids": _f("one2many", "Invoice lines", "account.move.line"),
                     **MOVE_FIELDS},
    "account.move.line": {**_COMMON, "move_id": _f("many2one", "Journal Entry", "account.move"),
                          "product_id": _f("many2one", "Product", "product.product"),
                          "name": _f("char", "Label"), "quantity": _f("float", "Quantity"),
                          "price_unit": _f("float", "Unit Price"),
                          "discount": _f("float", "Discount (%)"),
                          "tax_ids": _f("many2many", "Taxes", "account.tax"),
                          "price_subtotal": _f("monetary", "Subtotal"),
                          "price_total": _f("monetary", "Total"), **MOVE_LINE_FIELDS},
}
MODELS.update(SALES_MODELS)
MODELS.update(ACCOUNTING_MODELS)  # chart of accounts and journals: odoo_accounting

WRITABLE = ("res.partner", "sale.order", "sale.order.line", "account.move",
            "account.move.line", "account.account", "account.journal")
LABELS = {"res.partner": "Contact", "sale.order": "Sales Order",
          "sale.order.line": "Sales Order Line", "account.move": "Journal Entry",
          "account.move.line": "Journal Item", **ACCOUNTING_LABELS}
# fields the ORM computes; a value sent for them is ignored, as Odoo does for readonly
# computed fields
COMPUTED = {"id", "display_name", "create_date", "write_date", "amount_untaxed",
            "amount_tax", "amount_total", "price_subtotal", "price_tax", "price_total",
            "balance"}
REQUIRED = {"res.partner": ("name",), "sale.order": ("partner_id",),
            "account.move.line": ("name",), **ACCOUNTING_REQUIRED}
SELECTIONS = {("sale.order", "state"): {"draft", "sent", "sale", "cancel"},
              ("account.move", "move_type"): {"entry", "out_invoice", "out_refund",
                                              "in_invoice", "in_refund"},
              ("account.move", "state"): {"draft", "posted", "cancel"},
              **ACCOUNTING_SELECTIONS}
CHILDREN = {("sale.order", "order_line"): ("sale.order.line", "order_id"),
            ("account.move", "invoice_line_ids"): ("account.move.line", "move_id"),
            ("account.move", "line_ids"): ("account.move.line", "move_id")}

COUNTRIES = (("AT", "Austria"), ("BE", "Belgium"), ("CA", "Canada"), ("CH", "Switzerland"),
             ("DE", "Germany"), ("DK", "Denmark"), ("ES", "Spain"), ("FR", "France"),
             ("GB", "United Kingdom"), ("IE", "Ireland"), ("IT", "Italy"),
             ("NL", "Netherlands"), ("PL", "Poland"), ("SE", "Sweden"),
             ("US", "United States"))
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


def sales_view(records: dict[str, dict[int, dict[str, Any]]]) -> dict[str, Any]:
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


def recompute(records: dict[str, dict[int, dict[str, Any]]], model: str, rec: dict[str, Any]
              ) -> None:
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
