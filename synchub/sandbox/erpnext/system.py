"""ERPNext's REST API (Frappe's ``/api/resource``) as the sandbox serves it, under
``/erpnext/<site>``.

- ``Authorization: token <api_key>:<api_secret>`` (or ``Basic`` of the same pair); a wrong
  pair is an ``AuthenticationError`` (401);
- a DocType the sync user's roles do not reach is a ``PermissionError`` (403);
- ``GET /api/resource/<DocType>`` lists (:mod:`.query`: 20 rows of ``name`` unless asked
  otherwise), ``GET .../<name>`` reads one document (a Single DocType such as System
  Settings under its own name), ``POST`` inserts, ``PUT`` changes, ``DELETE`` deletes
  (:mod:`.documents`); answers are ``{"data": ...}``;
- refusals are Frappe's envelope (:mod:`.errors`); injected faults too.

Frappe's rate limiting is off unless a site configures it; the sandbox has none.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.requests import Request

from synchub.sandbox.erpnext import documents
from synchub.sandbox.erpnext.controls import erpnext_control_router
from synchub.sandbox.erpnext.errors import Refusal, frappe_error
from synchub.sandbox.erpnext.query import list_docs
from synchub.sandbox.erpnext.store import ErpNextStore
from synchub.sandbox.kit.auth import same_secret
from synchub.sandbox.kit.http import Reply, VendorAPI, json_value
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route

# the fields each DocType has (custom fields included: the site's setup adds them)
SCHEMA = {
    "Item": ("item_code", "item_name", "item_group", "stock_uom", "disabled",
             "is_stock_item", "has_variants", "variant_of"),
    "Bin": ("item_code", "warehouse", "actual_qty", "reserved_qty", "projected_qty"),
    "Delivery Note": ("customer", "po_no", "status", "is_return", "transporter_name", "lr_no",
                      "posting_date", "posting_time", "items"),
    "Customer": ("customer_name", "customer_type", "customer_group", "territory", "email_id",
                 "mobile_no", "custom_synchub_customer_id"),
    "Sales Order": ("customer", "company", "transaction_date", "delivery_date", "currency",
                    "po_no", "custom_synchub_order_id", "items", "taxes", "status",
                    "grand_total", "discount_amount", "apply_discount_on", "set_warehouse"),
    "Journal Entry": ("voucher_type", "company", "posting_date", "cheque_no", "cheque_date",
                      "user_remark", "custom_synchub_entry_id", "accounts", "amended_from"),
    "Account": ("account_number", "company", "is_group"),
    "System Settings": ("time_zone",),
}
COMMON = ("name", "docstatus", "creation", "modified", "doctype")


def schema(doctype: str) -> frozenset[str]:
    """Every field of a DocType."""
    return frozenset(SCHEMA.get(doctype, ())) | frozenset(COMMON)


class ErpNextAPI(VendorAPI):
    """The sync user's key pair on every request; no rate limit."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault as Frappe words it."""
        if status == 429:
            reply = frappe_error("TooManyRequestsError", "Too Many Requests", 429)
            reply.headers["Retry-After"] = "1"
            return reply
        return frappe_error("InternalServerError", "Internal Server Error", status)

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """``token key:secret`` or ``Basic base64(key:secret)``."""
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                value = base64.b64decode(value).decode()
            except ValueError:
                value = ""
        elif scheme.lower() != "token":
            value = ""
        key, _, secret = value.partition(":")
        if same_secret(key, store.api_key) and same_secret(secret, store.api_secret):
            return None
        return frappe_error("AuthenticationError", "Invalid API key or secret")


def _guarded(handler: Any) -> Any:
    def run(store: ErpNextStore, call: Call) -> Reply:
        doctype = call.path["doctype"]
        if doctype not in SCHEMA:
            return frappe_error("DoesNotExistError", f"DocType {doctype} not found")
        if doctype not in store.roles:
            return frappe_error("PermissionError", f"User does not have doctype access via "
                                f"role permission for document {doctype}")
        try:
            result: Reply = handler(store, call, doctype)
        except Refusal as refusal:
            return refusal.reply
        return result
    run.__name__ = handler.__name__
    return run


@_guarded
def list_resource(store: ErpNextStore, call: Call, doctype: str) -> Reply:
    """``GET /api/resource/<DocType>``."""
    return Reply(200, {"data": list_docs(list(store.of(doctype)), schema(doctype), call.query)})


@_guarded
def get_resource(store: ErpNextStore, call: Call, doctype: str) -> Reply:
    """``GET /api/resource/<DocType>/<name>``."""
    doc = store.docs.get(doctype, {}).get(call.path["name"])
    if doc is None:
        raise Refusal("DoesNotExistError", f"{doctype} {call.path['name']} not found")
    return Reply(200, {"data": doc})


def _body(call: Call) -> dict[str, Any]:
    body = json_value(call.body, empty={}, invalid=None)
    if isinstance(body, dict) and isinstance(body.get("data"), str):
        body = json.loads(body["data"])  # the form-style {"data": "<json>"} body
    if not isinstance(body, dict):
        raise Refusal("ValidationError", "The request body is not a JSON object")
    return body


@_guarded
def insert_resource(store: ErpNextStore, call: Call, doctype: str) -> Reply:
    """``POST /api/resource/<DocType>``."""
    return Reply(200, {"data": documents.insert(store, doctype, _body(call))})


@_guarded
def update_resource(store: ErpNextStore, call: Call, doctype: str) -> Reply:
    """``PUT /api/resource/<DocType>/<name>``."""
    return Reply(200, {"data": documents.update(store, doctype, call.path["name"],
                                                _body(call))})


@_guarded
def delete_resource(store: ErpNextStore, call: Call, doctype: str) -> Reply:
    """``DELETE /api/resource/<DocType>/<name>``."""
    documents.delete(store, doctype, call.path["name"])
    return Reply(202, {"message": "ok"})


BASE = "/erpnext/{store}/api/resource/{doctype}"
ROUTES = (
    Route("GET", BASE, list_resource),
    Route("POST", BASE, insert_resource),
    Route("GET", BASE + "/{name}", get_resource),
    Route("PUT", BASE + "/{name}", update_resource),
    Route("DELETE", BASE + "/{name}", delete_resource),
)
SYSTEM = System("erpnext", ErpNextStore, ErpNextAPI(), ROUTES,
                controls=erpnext_control_router)
