"""eBay: shipments back to the order as shipping fulfillments (Fulfillment API v1).

Per shipment: ``GET /order/{orderId}/shipping_fulfillment``; a fulfillment that already
carries the tracking number is the one (a retry after a lost reply creates nothing).
Otherwise ``GET /order/{orderId}`` for the line item ids (the shipment's SKUs matched to the
order's line items; a shipment without lines ships every line item) and ``POST
/order/{orderId}/shipping_fulfillment`` with ``{lineItems: [{lineItemId, quantity}],
shippedDate, shippingCarrierCode, trackingNumber}``; eBay answers 201 with the new
fulfillment's URI in ``Location``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.errors import FatalAPIError

if TYPE_CHECKING:
    from synchub.runtime.http import HttpClient


def _same(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.replace(" ", "").upper() == b.replace(" ", "").upper()


def shipped_date(value: Any) -> str:
    """eBay's timestamp: UTC with milliseconds and ``Z`` (now when the shipment has none)."""
    when = datetime.now(UTC)
    if isinstance(value, str) and value:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ItemFailure(f"shipped_at {value!r} is not an ISO 8601 time") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def line_items(order: dict[str, Any], lines: list[dict[str, Any]], shipment: str
               ) -> list[dict[str, Any]]:
    """``[{lineItemId, quantity}]`` for the shipment's lines (every line item without)."""
    items = [li for li in order.get("lineItems") or [] if isinstance(li, dict)]
    if not lines:
        return [{"lineItemId": li["lineItemId"], "quantity": int(li.get("quantity") or 1)}
                for li in items if li.get("lineItemId")]
    out = []
    for line in lines:
        wanted = str(line.get("line_item_id") or "")
        sku = str(line.get("sku") or "")
        match = next((li for li in items if wanted and li.get("lineItemId") == wanted), None) \
            or next((li for li in items if sku and li.get("sku") == sku), None)
        if match is None:
            raise ItemFailure(f"shipment {shipment}: no line item of order "
                              f"{order.get('orderId')} has SKU {sku or wanted!r}")
        out.append({"lineItemId": match["lineItemId"],
                    "quantity": int(line.get("quantity") or match.get("quantity") or 1)})
    return out


class EbayShippingFulfillmentWriter(PerItemWriter):
    """Writes shipments as eBay shipping fulfillments with carrier and tracking number.

    Each shipment stands alone: an unknown order or SKU, or eBay's refusal, fails that one
    only; a 429 or 5xx makes it ``retry``. The lookup by tracking number first makes a
    retried write (or a second shipment record with the same number) create nothing.
    """

    @property
    def _http(self) -> HttpClient:
        if self.client is None or not self.spec.path:
            raise FatalAPIError(f"{self.sink}: the ebay_shipping_fulfillment writer needs the "
                                "connection's client and the order path")
        return self.client.http

    def _order_url(self, order_id: str) -> str:
        assert self.client is not None and self.spec.path
        return f"{self.client.base_url}{self.spec.path.rstrip('/')}/{quote(order_id, safe='')}"

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """One shipment: found on the order by its tracking number, or created."""
        p = item.payload
        if not isinstance(p, dict):
            raise ItemFailure(f"shipment {item.record_id}: no payload (the route needs the "
                              "tracking write mapping)")
        number = str(p.get("trackingNumber") or "").strip()
        order_id = str(p.get("order_id") or "").strip()
        carrier = str(p.get("shippingCarrierCode") or "").strip()
        if not number or not order_id or not carrier:
            raise ItemFailure(f"shipment {item.record_id}: a tracking number, a carrier and "
                              "an order id are required")
        http = self._http
        base = self._order_url(order_id)
        try:
            _, found = http.get(f"{base}/shipping_fulfillment")
        except FatalAPIError as exc:
            if exc.status == 404:
                raise ItemFailure(f"order {order_id} is not in {self.sink}") from None
            raise
        for f in (found or {}).get("fulfillments") or []:
            if isinstance(f, dict) and _same(f.get("shipmentTrackingNumber"), number):
                return DeliveryResult(item.delivery_id, "skipped",
                                      remote_id=str(f.get("fulfillmentId")))
        _, order = http.get(base)
        body = {"lineItems": line_items(order or {}, list(p.get("lines") or []),
                                        item.record_id),
                "shippedDate": shipped_date(p.get("shipped_at")),
                "shippingCarrierCode": carrier, "trackingNumber": number}
        try:
            resp, _ = http.request("rest", "POST", f"{base}/shipping_fulfillment", json=body,
                                   once=True)
        except FatalAPIError as exc:
            if exc.status in (401, 403):
                raise
            raise ItemFailure(f"shipment {item.record_id} -> order {order_id}: "
                              f"HTTP {exc.status}: {exc.message}") from None
        location = resp.headers.get("Location") or ""
        return DeliveryResult(item.delivery_id, "delivered",
                              remote_id=location.rstrip("/").rsplit("/", 1)[-1] or number)
