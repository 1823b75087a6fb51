"""Inserting, changing and deleting documents as Frappe's document model allows.

- a mandatory field left empty is a ``MandatoryError``, a link to a document that does not
  exist a ``LinkValidationError`` (both 417);
- ``docstatus`` 1 on insert submits; on an update 0 -> 1 submits, 1 -> 2 cancels; a
  submitted document's other fields cannot change (``UpdateAfterSubmitError``) and a
  cancelled one cannot change at all;
- a Sales Order's delivery date is not before its date; submitting it reserves its
  quantities in the warehouse's Bin, cancelling releases them;
- a Journal Entry's debits equal its credits, on accounts that are not groups;
- only drafts and cancelled documents can be deleted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from synchub.sandbox.erpnext.errors import Refusal
from synchub.sandbox.erpnext.store import WAREHOUSES, ErpNextStore

MANDATORY = {
    "Customer": ("customer_name",),
    "Sales Order": ("customer", "company", "transaction_date", "delivery_date", "items"),
    "Journal Entry": ("company", "posting_date", "accounts"),
}
LINKS = {"Sales Order": (("customer", "Customer"),)}


def _require(store: ErpNextStore, doctype: str, doc: dict[str, Any]) -> None:
    for field in MANDATORY.get(doctype, ()):
        if doc.get(field) in (None, "", []):
            raise Refusal("MandatoryError", f"[{doctype}, New {doctype}]: {field}")
    for field, target in LINKS.get(doctype, ()):
        if doc.get(field) not in _table(store, target):
            raise Refusal("LinkValidationError", f"Could not find {target}: {doc.get(field)}")


def _table(store: ErpNextStore, doctype: str) -> dict[str, dict[str, Any]]:
    return store.docs.get(doctype, {})


def _check_sales_order(store: ErpNextStore, doc: dict[str, Any]) -> None:
    for n, row in enumerate(doc["items"], 1):
        if row.get("item_code") not in _table(store, "Item"):
            raise Refusal("LinkValidationError",
                          f"Could not find Row #{n}: Item Code: {row.get('item_code')}")
    if str(doc["delivery_date"]) < str(doc["transaction_date"]):
        raise Refusal("ValidationError", "Delivery Date cannot be before Sales Order Date")
    net = sum(Decimal(str(r.get("rate") or 0)) * int(r.get("qty") or 0) for r in doc["items"])
    charges = sum(Decimal(str(t.get("tax_amount") or 0)) for t in doc.get("taxes") or []
                  if t.get("charge_type") == "Actual")
    doc["grand_total"] = float(net - Decimal(str(doc.get("discount_amount") or 0)) + charges)


def _check_journal(store: ErpNextStore, doc: dict[str, Any]) -> None:
    debit = credit = Decimal(0)
    for n, row in enumerate(doc["accounts"], 1):
        account = _table(store, "Account").get(row.get("account"))
        if account is None:
            raise Refusal("LinkValidationError",
                          f"Could not find Row #{n}: Account: {row.get('account')}")
        if account.get("is_group"):
            raise Refusal("ValidationError", f"Row #{n}: Account {row['account']} is a group")
        debit += Decimal(str(row.get("debit_in_account_currency") or 0))
        credit += Decimal(str(row.get("credit_in_account_currency") or 0))
    if debit != credit:
        raise Refusal("ValidationError", "Total Debit must be equal to Total Credit. The "
                                         f"difference is {debit - credit}")
    amended = doc.get("amended_from")
    if amended and _table(store, "Journal Entry").get(amended, {}).get("docstatus") != 2:
        raise Refusal("ValidationError", f"Journal Entry {amended} must be cancelled before "
                                         "it is amended")


def _reserve(store: ErpNextStore, doc: dict[str, Any], sign: int) -> None:
    warehouse = doc.get("set_warehouse") or WAREHOUSES[0]
    for row in doc["items"]:
        for b in _table(store, "Bin").values():
            if b["item_code"] == row["item_code"] and b["warehouse"] == warehouse:
                b["reserved_qty"] += sign * float(row["qty"])
                b["projected_qty"] = b["actual_qty"] - b["reserved_qty"]
                store.put("Bin", b)


def _validate(store: ErpNextStore, doctype: str, doc: dict[str, Any]) -> None:
    _require(store, doctype, doc)
    if doctype == "Sales Order":
        _check_sales_order(store, doc)
    elif doctype == "Journal Entry":
        _check_journal(store, doc)


def insert(store: ErpNextStore, doctype: str, doc: dict[str, Any]) -> dict[str, Any]:
    """A new document (submitted when it says ``docstatus: 1``)."""
    doc = {k: v for k, v in doc.items() if k not in ("name", "creation", "modified")}
    if doc.get("docstatus", 0) not in (0, 1):
        raise Refusal("ValidationError", "A new document cannot be cancelled")
    _validate(store, doctype, doc)
    if doctype == "Customer":
        base = str(doc["customer_name"])
        name, n = base, 1
        while name in _table(store, "Customer"):
            name, n = f"{base} - {n}", n + 1
        doc["name"] = name
    else:
        doc["name"] = store.new_name(doctype)
    saved = store.put(doctype, doc)
    if doctype == "Sales Order" and saved["docstatus"] == 1:
        _reserve(store, saved, +1)
    return saved


def update(store: ErpNextStore, doctype: str, name: str, values: dict[str, Any]
           ) -> dict[str, Any]:
    """Change a document: submit, cancel, or edit a draft."""
    current = _table(store, doctype).get(name)
    if current is None:
        raise Refusal("DoesNotExistError", f"{doctype} {name} not found")
    old, new = current.get("docstatus", 0), values.get("docstatus", current.get("docstatus"))
    if old == 2:
        raise Refusal("ValidationError", "Cannot edit cancelled document")
    edits = {k for k in values if k != "docstatus" and values[k] != current.get(k)}
    if old == 1 and edits:
        raise Refusal("UpdateAfterSubmitError",
                      f"Not allowed to change {sorted(edits)[0]} after submission")
    if (old, new) not in ((0, 0), (0, 1), (1, 1), (1, 2)):
        raise Refusal("ValidationError", f"Cannot change docstatus from {old} to {new}")
    doc = {**current, **values, "name": name}
    if old == 0:
        _validate(store, doctype, doc)
    saved = store.put(doctype, doc)
    if doctype == "Sales Order" and (old, new) in ((0, 1), (1, 2)):
        _reserve(store, saved, +1 if new == 1 else -1)
    return saved


def delete(store: ErpNextStore, doctype: str, name: str) -> None:
    """Delete a draft or a cancelled document."""
    current = _table(store, doctype).get(name)
    if current is None:
        raise Refusal("DoesNotExistError", f"{doctype} {name} not found")
    if current.get("docstatus") == 1:
        raise Refusal("ValidationError", "Submitted Record cannot be deleted. You must Cancel "
                                         "it first.")
    del store.docs[doctype][name]
