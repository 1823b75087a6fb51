"""WooCommerce REST v3 batch writes: ``products/batch`` and ``products/<id>/variations/batch``.

At most 100 objects per request across ``create``, ``update`` and ``delete`` (more is a 413,
as WooCommerce answers). Each item succeeds or fails on its own: a failed one is answered in
place as ``{"id", "error": {code, message, data}}`` while the others are applied. The sandbox
applies updates to stock fields (``stock_quantity``, ``manage_stock``, ``stock_status``) and
ignores other fields; ``create`` and ``delete`` items are refused one by one.
"""

from __future__ import annotations

from typing import Any

from synchub.sandbox.kit.http import Reply, json_value
from synchub.sandbox.kit.table import public
from synchub.sandbox.woocommerce.errors import (
    invalid_id,
    invalid_json,
    invalid_param,
    wp_body,
    wp_error,
)
from synchub.sandbox.woocommerce.store import WooStore

MAX_BATCH = 100
SECTIONS = ("create", "update", "delete")
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")


def _fail(record_id: Any, code: str, message: str, status: int = 400,
          **data: Any) -> dict[str, Any]:
    return {"id": record_id, "error": wp_body(status, code, message, **data)}


def _bad_param(record_id: Any, name: str, text: str) -> dict[str, Any]:
    return _fail(record_id, "rest_invalid_param", f"Invalid parameter(s): {name}",
                 params={name: text})


def batch_reply(store: WooStore, raw: bytes, parent_id: str | None) -> Reply:
    """Answer one batch request; ``parent_id`` is set on the variations route."""
    body = json_value(raw)
    if not isinstance(body, dict):
        return invalid_json()
    for section in SECTIONS:
        if section in body and not isinstance(body[section], list):
            return invalid_param(section, f"{section} is not of type array.")
    if sum(len(body.get(section) or []) for section in SECTIONS) > MAX_BATCH:
        return wp_error(413, "woocommerce_rest_request_entity_too_large",
                        f"Unable to accept more than {MAX_BATCH} items for this request.")
    parent = None
    if parent_id is not None:
        found = store.objects.get(int(parent_id)) if parent_id.isdigit() else None
        if found is None or found[0] is not found[1]:
            return invalid_id("product")
        parent = found[0]
    kind = "product" if parent is None else "product_variation"
    out: dict[str, list[dict[str, Any]]] = {}
    if body.get("create"):
        out["create"] = [_fail(0, "woocommerce_rest_cannot_create",
                               "The sandbox accepts batch updates only.", 501)
                         for _ in body["create"]]
    if body.get("update"):
        now = store.stamp()
        out["update"] = [_update(store, item, parent, kind, now) for item in body["update"]]
    if body.get("delete"):
        out["delete"] = [_fail(item if isinstance(item, int) else 0,
                               f"woocommerce_rest_{kind}_cannot_delete",
                               "The sandbox accepts batch updates only.", 501)
                         for item in body["delete"]]
    # WooCommerce answers an empty batch with an empty (PHP) array
    return Reply(200, out or [])


def _update(store: WooStore, item: Any, parent: dict[str, Any] | None, kind: str,
            now: int) -> dict[str, Any]:
    raw_id = item.get("id") if isinstance(item, dict) else None
    record_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else (
        int(raw_id) if isinstance(raw_id, str) and raw_id.isdigit() else 0)
    found = store.objects.get(record_id)
    # the products route updates products; the variations route only its parent's variations
    valid = found is not None and (found[0] is found[1] if parent is None
                                   else found[0] is parent and found[1] is not parent)
    if not isinstance(item, dict) or found is None or not valid:
        return _fail(record_id, f"woocommerce_rest_{kind}_invalid_id", "Invalid ID.")
    product, obj = found
    manage = item.get("manage_stock", obj["manage_stock"])
    if not isinstance(manage, bool):
        return _bad_param(record_id, "manage_stock", "manage_stock is not of type boolean.")
    quantity = item.get("stock_quantity", obj["stock_quantity"])
    if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int)):
        return _bad_param(record_id, "stock_quantity", "stock_quantity is not of type integer.")
    status = item.get("stock_status", obj["stock_status"])
    if status not in STOCK_STATUSES:
        return _bad_param(record_id, "stock_status",
                          f"stock_status is not one of {', '.join(STOCK_STATUSES)}.")
    obj["manage_stock"], obj["stock_status"] = manage, status
    # WooCommerce keeps no stock figure for a product that does not manage stock
    store.set_stock(product, obj, (quantity or 0) if manage else None, now)
    return public(obj)
