"""WooCommerce: tracking back to the order as order meta, customer notes and ``completed``.

Per shipment: ``GET /orders/<id>``; the order meta ``_synchub_tracking`` (a JSON list of the
tracking numbers already written, with their status and the notes already posted) says what
is news. A new tracking number gets the customer note "Shipped with <carrier>, tracking
<number>: <url>"; a status worth telling (delivered, exception) gets one note too. Notes are
looked up in ``GET /orders/<id>/notes`` before one is posted, so a retry never posts twice.
Then one ``PUT /orders/<id>`` sets the meta (and ``status: completed`` when the options say).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.errors import FatalAPIError, RetriableAPIError

if TYPE_CHECKING:
    from synchub.runtime.http import HttpClient

STATUS_WORDS = {"delivered": "Delivered", "exception": "Delivery problem",
                "failed_attempt": "Delivery attempt failed", "returned": "Returned to sender",
                "out_for_delivery": "Out for delivery"}


class WooTrackingOptions(BaseModel):
    """``options`` of a ``woocommerce_order_tracking`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    complete_on: Literal["shipped", "delivered", "never"] = Field(
        default="shipped", description="When the order is set to completed: as soon as a "
                                       "tracking number reaches it, once it is delivered, "
                                       "or never.")
    completable: list[str] = Field(
        default_factory=lambda: ["processing", "on-hold"],
        description="Order statuses that may be moved to completed (never a cancelled, "
                    "refunded, failed or unpaid order).")
    notify_statuses: list[str] = Field(
        default_factory=lambda: ["delivered", "exception"],
        description="Canonical tracking statuses that earn the customer a note.")
    meta_key: str = Field(default="_synchub_tracking",
                          description="Order meta that records what was written.")


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def read_ledger(order: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The tracking entries recorded in the order meta (an empty list when none)."""
    for meta in order.get("meta_data") or []:
        if isinstance(meta, dict) and meta.get("key") == key:
            value = meta.get("value")
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    return []
            return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []
    return []


def shipped_note(carrier: str | None, number: str, url: str | None) -> str:
    """The customer note for a new tracking number."""
    text = f"Shipped with {carrier}, tracking {number}" if carrier else \
        f"Shipped, tracking {number}"
    return f"{text}: {url}" if url else f"{text}."


def status_note(status: str, carrier: str | None, number: str, url: str | None) -> str:
    """The customer note for a status worth telling."""
    word = STATUS_WORDS.get(status, status.replace("_", " ").capitalize())
    parcel = f"{carrier} parcel {number}" if carrier else f"parcel {number}"
    return f"{word}: {parcel}" + (f" ({url})" if url else ".")


class WooCommerceTrackingWriter(PerItemWriter):
    """Writes tracking numbers and statuses to WooCommerce orders, one shipment at a time."""

    options_model = WooTrackingOptions

    def _base(self) -> str:
        if self.client is None or not self.spec.path:
            raise FatalAPIError(f"{self.sink}: the woocommerce_order_tracking writer needs "
                                "the connection's client and the REST path")
        return self.client.base_url + self.spec.path.rstrip("/")

    @property
    def _http(self) -> HttpClient:
        self._base()
        assert self.client is not None
        return self.client.http

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """One shipment: found or created on the order, then its status."""
        p = item.payload
        if not isinstance(p, dict):
            raise ItemFailure(f"shipment {item.record_id}: no payload (the route needs the "
                              "tracking write mapping)")
        number = str(p.get("number") or "").strip()
        order_id = str(p.get("order_id") or "").strip()
        if not number or not order_id:
            raise ItemFailure(f"shipment {item.record_id}: a tracking number and an order id "
                              "are required")
        if not order_id.isdigit():
            raise ItemFailure(f"order id {order_id!r} is not a WooCommerce order id")
        carrier, url = p.get("carrier") or None, p.get("url") or None
        order = self._get_order(order_id)
        opts = self.options
        ledger = read_ledger(order, opts.meta_key)
        entry = next((e for e in ledger
                      if str(e.get("number", "")).upper() == number.upper()), None)
        status = str(p.get("status") or "unknown")
        at = _when(p.get("status_at"))
        if entry is not None and at is not None and (_when(entry.get("at")) or at) > at:
            status, at = str(entry.get("status") or status), _when(entry.get("at"))  # older news
        told = set((entry or {}).get("told") or [])
        notes: list[tuple[str, str]] = []
        if "shipped" not in told:
            notes.append(("shipped", shipped_note(carrier, number, url)))
        if status in opts.notify_statuses and status not in told:
            notes.append((status, status_note(status, carrier, number, url)))
        new_entry = {"number": number, "carrier": carrier, "url": url, "status": status,
                     "at": at.isoformat().replace("+00:00", "Z") if at else None,
                     "told": sorted(told | {kind for kind, _ in notes})}
        target = self._order_status(order, status)
        if not notes and target is None and entry == new_entry:
            return DeliveryResult(item.delivery_id, "skipped", remote_id=f"{order_id}:{number}")
        if notes:
            self._post_notes(order_id, [text for _, text in notes])
        ledger = [e for e in ledger if e is not entry] + [new_entry]
        body: dict[str, Any] = {"meta_data": [
            {"key": opts.meta_key, "value": json.dumps(ledger, separators=(",", ":"))},
            {"key": "_tracking_number", "value": number},
            {"key": "_tracking_provider", "value": carrier or ""},
            {"key": "_tracking_url", "value": url or ""},
            {"key": "_tracking_status", "value": status},
        ]}
        if target is not None:
            body["status"] = target
        # an absolute update: resending it after a lost reply changes nothing
        self._http.request("rest", "PUT", f"{self._base()}/orders/{order_id}", json=body)
        return DeliveryResult(item.delivery_id, "delivered", remote_id=f"{order_id}:{number}")

    def _order_status(self, order: dict[str, Any], status: str) -> str | None:
        """``completed`` when the options say the order is done, else None (no change)."""
        when = self.options.complete_on
        if order.get("status") not in self.options.completable or when == "never":
            return None
        if when == "delivered" and status != "delivered":
            return None
        return "completed"

    def _get_order(self, order_id: str) -> dict[str, Any]:
        try:
            _, order = self._http.get(f"{self._base()}/orders/{order_id}")
        except FatalAPIError as exc:
            if exc.status == 404:
                raise ItemFailure(f"order {order_id} is not in {self.sink}") from None
            raise
        if not isinstance(order, dict):
            raise FatalAPIError(f"GET orders/{order_id}: the answer is not an order")
        return order

    def _post_notes(self, order_id: str, texts: list[str]) -> None:
        """Post each note unless the order already has it (a retry after a lost reply)."""
        url = f"{self._base()}/orders/{order_id}/notes"
        _, existing = self._http.get(url)
        have = {n.get("note") for n in existing or [] if isinstance(n, dict)}
        for text in texts:
            if text in have:
                continue
            try:
                # sent once: the client's own retry could post the note twice
                self._http.request("rest", "POST", url,
                                   json={"note": text, "customer_note": True}, once=True)
            except RetriableAPIError:
                _, again = self._http.get(url)
                if text not in {n.get("note") for n in again or [] if isinstance(n, dict)}:
                    raise
