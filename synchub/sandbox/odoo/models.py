"""The models of the simulated Odoo database: each one's fields (type and relation), and
what the ORM needs to write them (labels, required and computed fields, selections,
one2many children).

The read methods (``search_read``, ``read``, domains, ``fields_get``) serve every model of
:data:`MODELS`; writes are allowed on :data:`WRITABLE`. The stock models are seeded by
:mod:`.catalog`, the sales and accounting ones by :mod:`.sales` and :mod:`.accounting`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Records = dict[str, dict[int, dict[str, Any]]]  # model -> id -> record, as search_read shows it


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """One field of a model: its Odoo type and, for many2one, the related model."""

    type: str
    string: str
    relation: str | None = None


def _f(type_: str, string: str, relation: str | None = None) -> FieldInfo:
    return FieldInfo(type_, string, relation)


_COMMON = {"id": _f("integer", "ID"), "display_name": _f("char", "Display Name"),
           "create_date": _f("datetime", "Created on"),
           "write_date": _f("datetime", "Last Updated on")}

# --- stock ----------------------------------------------------------------------------------
STOCK_MODELS: dict[str, dict[str, FieldInfo]] = {
    "res.currency": {**_COMMON, "name": _f("char", "Currency"), "symbol": _f("char", "Symbol"),
                     "active": _f("boolean", "Active")},
    "res.company": {**_COMMON, "name": _f("char", "Company Name"),
                    "currency_id": _f("many2one", "Currency", "res.currency")},
    "stock.location": {**_COMMON, "name": _f("char", "Location Name"),
                       "complete_name": _f("char", "Full Location Name"),
                       "usage": _f("selection", "Location Type"),
                       "location_id": _f("many2one", "Parent Location", "stock.location"),
                       "active": _f("boolean", "Active")},
    "product.product": {**_COMMON, "default_code": _f("char", "Internal Reference"),
                        "name": _f("char", "Name"), "barcode": _f("char", "Barcode"),
                        "list_price": _f("float", "Sales Price"),
                        "active": _f("boolean", "Active"),
                        "type": _f("selection", "Product Type"),
                        "product_tmpl_id": _f("many2one", "Product Template",
                                              "product.template")},
    "stock.quant": {**_COMMON, "product_id": _f("many2one", "Product", "product.product"),
                    "location_id": _f("many2one", "Location", "stock.location"),
                    "quantity": _f("float", "Quantity"),
                    "reserved_quantity": _f("float", "Reserved Quantity")},
    "stock.move": {**_COMMON, "name": _f("char", "Description"),
                   "product_id": _f("many2one", "Product", "product.product"),
                   "product_uom_qty": _f("float", "Demand"), "quantity": _f("float", "Quantity"),
                   "state": _f("selection", "Status"), "origin": _f("char", "Source Document"),
                   "reference": _f("char", "Reference"),
                   "picking_id": _f("many2one", "Transfer", "stock.picking"),
                   "location_id": _f("many2one", "Source Location", "stock.location"),
                   "location_dest_id": _f("many2one", "Destination Location", "stock.location"),
                   "picking_code": _f("selection", "Type of Operation"),
                   "date": _f("datetime", "Date Scheduled")},
    "delivery.carrier": {**_COMMON, "name": _f("char", "Delivery Method"),
                         "active": _f("boolean", "Active")},
    "stock.picking": {**_COMMON, "name": _f("char", "Reference"),
                      "origin": _f("char", "Source Document"),
                      "state": _f("selection", "Status"),
                      "picking_type_code": _f("selection", "Type of Operation"),
                      "carrier_id": _f("many2one", "Carrier", "delivery.carrier"),
                      "carrier_tracking_ref": _f("char", "Tracking Reference"),
                      "date_done": _f("datetime", "Date of Transfer"),
                      "location_id": _f("many2one", "Source Location", "stock.location"),
                      "location_dest_id": _f("many2one", "Destination Location",
                                             "stock.location")},
}

# --- accounting: accounts and journals, and the journal-entry fields of moves and lines -----
ACCOUNTING_MODELS: dict[str, dict[str, FieldInfo]] = {
    "account.account": {**_COMMON, "code": _f("char", "Code"),
                        "name": _f("char", "Account Name"),
                        "account_type": _f("selection", "Type"),
                        "reconcile": _f("boolean", "Allow Reconciliation"),
                        "currency_id": _f("many2one", "Account Currency", "res.currency"),
                        "deprecated": _f("boolean", "Deprecated")},
    "account.journal": {**_COMMON, "code": _f("char", "Short Code"),
                        "name": _f("char", "Journal Name"), "type": _f("selection", "Type"),
                        "currency_id": _f("many2one", "Currency", "res.currency"),
                        "default_account_id": _f("many2one", "Default Account",
                                                 "account.account"),
                        "active": _f("boolean", "Active")},
}
# the journal-entry fields of account.move and account.move.line (in SALES_MODELS below)
MOVE_FIELDS = {"date": _f("date", "Date"),
               "journal_id": _f("many2one", "Journal", "account.journal"),
               "narration": _f("html", "Terms and Conditions"),
               "line_ids": _f("one2many", "Journal Items", "account.move.line")}
MOVE_LINE_FIELDS = {"account_id": _f("many2one", "Account", "account.account"),
                    "partner_id": _f("many2one", "Partner", "res.partner"),
                    "debit": _f("monetary", "Debit"), "credit": _f("monetary", "Credit"),
                    "balance": _f("monetary", "Balance"),
                    "amount_currency": _f("monetary", "Amount in Currency"),
                    "currency_id": _f("many2one", "Currency", "res.currency")}
ACCOUNT_TYPES = frozenset({
    "asset_receivable", "asset_cash", "asset_current", "asset_non_current",
    "asset_prepayments", "asset_fixed", "liability_payable", "liability_credit_card",
    "liability_current", "liability_non_current", "equity", "equity_unaffected", "income",
    "income_other", "expense", "expense_depreciation", "expense_direct_cost", "off_balance"})

# --- sales: partners, taxes, pricelists, sale orders, invoices and credit notes -------------
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

MODELS: dict[str, dict[str, FieldInfo]] = {**STOCK_MODELS, **SALES_MODELS, **ACCOUNTING_MODELS}

# --- what the ORM needs to write -------------------------------------------------------------
WRITABLE = ("res.partner", "sale.order", "sale.order.line", "account.move",
            "account.move.line", "account.account", "account.journal")
LABELS = {"res.partner": "Contact", "sale.order": "Sales Order",
          "sale.order.line": "Sales Order Line", "account.move": "Journal Entry",
          "account.move.line": "Journal Item", "account.account": "Account",
          "account.journal": "Journal"}
# fields the ORM computes; a value sent for them is ignored, as Odoo does for readonly
# computed fields
COMPUTED = {"id", "display_name", "create_date", "write_date", "amount_untaxed",
            "amount_tax", "amount_total", "price_subtotal", "price_tax", "price_total",
            "balance"}
REQUIRED = {"res.partner": ("name",), "sale.order": ("partner_id",),
            "account.move.line": ("name",), "account.account": ("code", "name", "account_type"),
            "account.journal": ("code", "name", "type")}
SELECTIONS = {("sale.order", "state"): {"draft", "sent", "sale", "cancel"},
              ("account.move", "move_type"): {"entry", "out_invoice", "out_refund",
                                              "in_invoice", "in_refund"},
              ("account.move", "state"): {"draft", "posted", "cancel"},
              ("account.account", "account_type"): ACCOUNT_TYPES,
              ("account.journal", "type"): frozenset({"sale", "purchase", "cash", "bank",
                                                      "general"})}
CHILDREN = {("sale.order", "order_line"): ("sale.order.line", "order_id"),
            ("account.move", "invoice_line_ids"): ("account.move.line", "move_id"),
            ("account.move", "line_ids"): ("account.move.line", "move_id")}
