"""WooCommerce order writes: update an order (status, meta_data) and its order notes.

``PUT``/``POST``/``PATCH /orders/<id>`` applies ``status`` and ``meta_data`` (other keys are
accepted and ignored) and answers the order; ``GET``/``POST /orders/<id>/notes`` list (newest
first) and add notes. As in WooCommerce, a meta entry with an ``id`` updates that entry, one
with only a ``key`` updates the first entry of that key or adds one; ``completed`` stamps
``date_completed``; a pending order that moves to a paid status takes its stock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synchub.sandbox.kit.http import Reply, json_value
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.table import public
from synchub.sandbox.kit.times import iso_naive_gmt, iso_naive_local
from synchub.sandbox.woocommerce.errors import (
    invalid_id,
    invalid_json,
    invalid_param,
    wp_error,
)

# statuses an order may be given through the API (trash and checkout-draft are internal)
SETTABLE = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed")
PAID = frozenset({"processing", "on-hold", "completed"})
NOTE_ID_BASE = 900_000
META_ID_BASE = 700_000


class OrderWrites:
    """Order notes and meta ids of one WooCommerce site.

    ``take_stock(order_id, row, now)`` is called when an order moves to a paid status: the
    store takes the stock of a placed pending order then (once).
    """

    def __init__(self, store: BaseStore,
                 take_stock: Callable[[int, dict[str, Any], int], None]) -> None:
        self.store, self.take_stock = store, take_stock
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self._next_note = NOTE_ID_BASE
        self._next_meta = META_ID_BASE

    def update_order(self, oid: str, raw: bytes) -> Reply:
        """Apply ``status`` and ``meta_data`` to an order; the order as answered."""
        store = self.store
        if not oid.isdigit() or int(oid) not in store.orders:
            return invalid_id("shop_order")
        body = json_value(raw, {})
        if not isinstance(body, dict):
            return invalid_json()
        status = body.get("status")
        if status is not None and status not in SETTABLE:
            return invalid_param("status", f"status is not one of {', '.join(SETTABLE)}.")
        meta = body.get("meta_data")
        if meta is not None and (not isinstance(meta, list) or not all(
                isinstance(m, dict) and ("key" in m or "id" in m) for m in meta)):
            return invalid_param("meta_data", "meta_data is not a list of {key, value} objects.")
        order_id = int(oid)
        now = store.stamp()
        row = store.orders.materialize(order_id)
        if status is not None and status != row["status"]:
            self._set_status(row, status, now)
        for entry in meta or []:
            self._set_meta(row, entry)
        row["date_modified"] = iso_naive_local(now, store.tz)
        row["date_modified_gmt"] = iso_naive_gmt(now)
        store.orders.touch(order_id, now, status=row["status"])
        webhooks = getattr(store, "webhooks", None)
        if webhooks is not None:
            webhooks.emit("order.updated", lambda: store.order(order_id))
        return Reply(200, public(store.render_order(row)))

    def _set_status(self, row: dict[str, Any], status: str, now: int) -> None:
        store = self.store
        if status in PAID:
            self.take_stock(row["id"], row, now)
        if status == "completed":
            row["date_completed"] = iso_naive_local(now, store.tz)
            row["date_completed_gmt"] = iso_naive_gmt(now)
        row["status"] = status

    def _set_meta(self, row: dict[str, Any], entry: dict[str, Any]) -> None:
        meta: list[dict[str, Any]] = row.setdefault("meta_data", [])
        target = None
        if "id" in entry:
            target = next((m for m in meta if m["id"] == entry["id"]), None)
        elif "key" in entry:
            target = next((m for m in meta if m["key"] == entry["key"]), None)
        if target is None:
            if "key" not in entry:
                return  # an unknown meta id is ignored, as WooCommerce does
            self._next_meta += 1
            target = {"id": self._next_meta, "key": str(entry["key"]), "value": None}
            meta.append(target)
        if "key" in entry:
            target["key"] = str(entry["key"])
        target["value"] = entry.get("value")

    def list_notes(self, oid: str) -> Reply:
        """The order's notes, newest first."""
        if not oid.isdigit() or int(oid) not in self.store.orders:
            return invalid_id("shop_order")
        return Reply(200, list(reversed(self.notes.get(int(oid), []))))

    def add_note(self, oid: str, raw: bytes) -> Reply:
        """Add a note (``customer_note: true`` makes it visible to the customer)."""
        store = self.store
        if not oid.isdigit() or int(oid) not in store.orders:
            return invalid_id("shop_order")
        body = json_value(raw, {})
        if not isinstance(body, dict) or not isinstance(body.get("note"), str) \
                or not body["note"].strip():
            return wp_error(400, "rest_missing_callback_param", "Missing parameter(s): note",
                            params=["note"])
        for flag in ("customer_note", "added_by_user"):
            if flag in body and not isinstance(body[flag], bool):
                return invalid_param(flag, f"{flag} is not of type boolean.")
        now = store.stamp()
        self._next_note += 1
        note = {"id": self._next_note, "author": "system" if not body.get("added_by_user")
                else "admin", "date_created": iso_naive_local(now, store.tz),
                "date_created_gmt": iso_naive_gmt(now), "note": body["note"],
                "customer_note": bool(body.get("customer_note"))}
        self.notes.setdefault(int(oid), []).append(note)
        return Reply(201, note)

