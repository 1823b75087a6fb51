"""Shopify inventory writes: ``inventorySetQuantities`` (2026-04 semantics).

The mutation is all or nothing: any user error (a stale ``changeFromQuantity``, an unknown
item or location...) leaves every quantity as it was. An ``@idempotent`` key is mandatory;
the same key with the same input answers the first result again without applying twice.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from graphql import GraphQLError

from synchub.sandbox.kit.times import iso_utc_z
from synchub.sandbox.shopify.catalog import gid, stamp_product
from synchub.sandbox.shopify.store import ShopifyStore

MAX_INPUT_ARRAY = 250
QUANTITY_CEILING = 1_000_000_000
NAMES = ("available", "on_hand")
# the reasons Shopify accepts for inventory quantity changes
REASONS = frozenset({
    "correction", "cycle_count_available", "damaged", "movement_canceled", "movement_created",
    "movement_received", "movement_updated", "other", "promotion", "quality_control",
    "received", "reservation_created", "reservation_deleted", "reservation_updated",
    "restock", "safety_stock", "shrinkage",
})


def input_too_large(size: int) -> GraphQLError:
    """Shopify's top-level error for an input array over 250 entries."""
    return GraphQLError(
        f"The input array size of {size} is greater than the maximum allowed of "
        f"{MAX_INPUT_ARRAY}.", extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"})


def _error(field: list[str] | None, code: str, message: str) -> dict[str, Any]:
    return {"field": field, "code": code, "message": message}


def _valid_uri(uri: str) -> bool:
    parts = urlsplit(uri)
    return bool(parts.scheme) and len(uri) > len(parts.scheme) + 1


def set_quantities(store: ShopifyStore, data: dict[str, Any], key: str | None) -> dict[str, Any]:
    """Run ``inventorySetQuantities(input: data) @idempotent(key: key)`` on the store."""
    if key is None:
        raise GraphQLError("The @idempotent directive is required for this mutation.",
                           extensions={"code": "BAD_REQUEST"})
    quantities = data["quantities"]
    if len(quantities) > MAX_INPUT_ARRAY:
        raise input_too_large(len(quantities))
    fingerprint = json.dumps(data, sort_keys=True, separators=(",", ":"))
    seen = store.idempotency.get(key)
    if seen is not None:
        if seen[0] == fingerprint:
            return seen[1]
        return {"inventoryAdjustmentGroup": None, "userErrors": [_error(
            None, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
            "The same idempotency key cannot be used with different operation parameters.")]}
    payload = _apply(store, data)
    store.idempotency[key] = (fingerprint, payload)
    return payload


def _apply(store: ShopifyStore, data: dict[str, Any]) -> dict[str, Any]:
    errors: list[dict[str, Any]] = []
    name = data["name"]
    if name not in NAMES:
        errors.append(_error(["input", "name"], "INVALID_NAME",
                             "The quantity name must be either 'available' or 'on_hand'."))
    if data["reason"] not in REASONS:
        errors.append(_error(["input", "reason"], "INVALID_REASON",
                             "The specified reason is invalid."))
    uri = data.get("referenceDocumentUri")
    if uri is not None and not _valid_uri(uri):
        errors.append(_error(["input", "referenceDocumentUri"], "INVALID_REFERENCE_DOCUMENT",
                             "The specified reference document is invalid."))
    targets: list[tuple[dict[str, Any], int]] = []
    pairs: set[tuple[str, str]] = set()
    for i, entry in enumerate(data["quantities"]):
        path = ["input", "quantities", str(i)]
        item = store.by_gid.get(entry["inventoryItemId"])
        location = store.by_gid.get(entry["locationId"])
        if item is None or not item["id"].startswith("gid://shopify/InventoryItem/"):
            errors.append(_error([*path, "inventoryItemId"], "INVALID_INVENTORY_ITEM",
                                 "The specified inventory item could not be found."))
            continue
        if location is None or not location["id"].startswith("gid://shopify/Location/"):
            errors.append(_error([*path, "locationId"], "INVALID_LOCATION",
                                 "The specified location could not be found."))
            continue
        level = next((lv for lv in item["_levels"] if lv["location"] is location), None)
        if level is None:
            errors.append(_error([*path, "locationId"], "ITEM_NOT_STOCKED_AT_LOCATION",
                                 "The specified inventory item is not stocked at the location."))
            continue
        if (item["id"], location["id"]) in pairs:
            errors.append(_error(path, "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                                 "The combination of inventoryItemId and locationId must be "
                                 "unique."))
            continue
        pairs.add((item["id"], location["id"]))
        if "changeFromQuantity" not in entry:  # omitted, as opposed to an explicit null
            errors.append(_error([*path, "changeFromQuantity"], "COMPARE_QUANTITY_REQUIRED",
                                 "changeFromQuantity must be given for each quantity; pass "
                                 "null to skip the check."))
            continue
        quantity = entry["quantity"]
        if quantity < 0:
            errors.append(_error([*path, "quantity"], "INVALID_QUANTITY_NEGATIVE",
                                 "The quantity can't be negative."))
        elif quantity > QUANTITY_CEILING:
            errors.append(_error([*path, "quantity"], "INVALID_QUANTITY_TOO_HIGH",
                                 "The total quantity can't be higher than 1,000,000,000."))
        compare = entry["changeFromQuantity"]
        if name in NAMES and compare is not None and level["_q"][name] != compare:
            errors.append(_error([*path, "changeFromQuantity"], "CHANGE_FROM_QUANTITY_STALE",
                                 "The changeFromQuantity value does not match the persisted "
                                 "quantity."))
        targets.append((level, quantity))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    now = store.stamp()
    changes: list[dict[str, Any]] = []
    other = "on_hand" if name == "available" else "available"
    touched: dict[int, dict[str, Any]] = {}
    for level, quantity in targets:
        q = level["_q"]
        # committed stays: available and on_hand move together
        delta = quantity - q[name]
        q["available"] += delta
        q["on_hand"] += delta
        item = level["_item"]
        level["_updated"] = item["_updated"] = now
        product = item["_variant"]["_product"]
        touched[id(product)] = product
        for label in (name, other):
            changes.append({"name": label, "delta": delta, "quantityAfterChange": q[label],
                            "item": item, "location": level["location"]})
    for product in touched.values():
        stamp_product(product)
    store.adjustment_groups += 1
    group = {"id": gid("InventoryAdjustmentGroup", 70_000_000_000 + store.adjustment_groups),
             "createdAt": iso_utc_z(now), "reason": data["reason"],
             "referenceDocumentUri": uri, "_changes": changes}
    store.by_gid[group["id"]] = group
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def group_changes(group: dict[str, Any], **filters: Any) -> list[dict[str, Any]]:
    """``InventoryAdjustmentGroup.changes`` with its optional id and name filters."""
    items, locations = filters.get("inventoryItemIds"), filters.get("locationIds")
    names = filters.get("quantityNames")
    return [c for c in group["_changes"]
            if (items is None or c["item"]["id"] in items)
            and (locations is None or c["location"]["id"] in locations)
            and (names is None or c["name"] in names)]

