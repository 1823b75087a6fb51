"""Magento: tracking back to the order as a shipment with its track.

``POST /V1/order/{orderId}/ship`` creates a shipment (every remaining item when no
``items`` are named) with ``tracks: [{track_number, title, carrier_code}]`` and answers the
new shipment's id. It is not idempotent: a second call ships again or is refused once
nothing is left to ship. So the writer first lists the order's shipments
(``GET /V1/shipments`` filtered on ``order_id``): a tracking number already on one of them
is ``skipped``; an order already shipped gets the number as a new track on its shipment
(``POST /V1/shipment/track``); only an order without a shipment is shipped. The create is
sent once; after a lost reply the next attempt finds the shipment and skips.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.errors import FatalAPIError

CARRIER_CODES = {"dhl": "dhl", "ups": "ups", "fedex": "fedex", "usps": "usps"}


class MagentoShipOptions(BaseModel):
    """``options`` of a ``magento_order_ship`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notify: bool = Field(default=True, description="Magento e-mails the customer the "
                                                   "shipment.")


class MagentoShipWriter(PerItemWriter):
    """Writes a tracking number to a Magento order, shipping it when not yet shipped."""

    options_model = MagentoShipOptions

    def _url(self, path: str) -> str:
        if self.client is None or self.spec.path is None:
            raise FatalAPIError(f"{self.sink}: the magento_order_ship writer needs the "
                                "connection's client and the REST path")
        return self.client.base_url + self.spec.path.rstrip("/") + path

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """One shipment's tracking number onto its order."""
        p = item.payload if isinstance(item.payload, dict) else {}
        number = str(p.get("number") or "").strip()
        order_id = str(p.get("order_id") or "").strip()
        if not number or not order_id:
            raise ItemFailure(f"shipment {item.record_id}: a tracking number and an order id "
                              "are required")
        if not order_id.isdigit():
            raise ItemFailure(f"order id {order_id!r} is not a Magento order entity id")
        carrier = str(p.get("carrier") or "").strip().lower()
        track = {"track_number": number, "title": p.get("title") or carrier or "Carrier",
                 "carrier_code": CARRIER_CODES.get(carrier, "custom")}
        shipments = self._shipments(order_id)
        for shipment in shipments:
            if any(str(t.get("track_number")) == number for t in shipment.get("tracks") or []
                   if isinstance(t, dict)):
                return DeliveryResult(item.delivery_id, "skipped",
                                      remote_id=str(shipment.get("entity_id")))
        assert self.client is not None
        if shipments:
            first = shipments[0]
            body = {"entity": {**track, "order_id": int(order_id),
                               "parent_id": first.get("entity_id"), "qty": 0, "weight": 0}}
            self.client.http.request("rest", "POST", self._url("/V1/shipment/track"),
                                     json=body, once=True)
            return DeliveryResult(item.delivery_id, "delivered",
                                  remote_id=str(first.get("entity_id")))
        try:
            _, created = self.client.http.request(
                "rest", "POST", self._url(f"/V1/order/{order_id}/ship"),
                json={"notify": self.options.notify, "tracks": [track]}, once=True)
        except FatalAPIError as exc:
            if exc.status in (400, 404):
                raise ItemFailure(f"order {order_id}: {exc.message}") from None
            raise
        return DeliveryResult(item.delivery_id, "delivered", remote_id=str(created))

    def _shipments(self, order_id: str) -> list[dict[str, Any]]:
        assert self.client is not None
        f = "searchCriteria[filter_groups][0][filters][0]"
        params = {f"{f}[field]": "order_id", f"{f}[value]": order_id,
                  f"{f}[condition_type]": "eq"}
        _, body = self.client.http.get(self._url("/V1/shipments"), params=params)
        found = body.get("items") if isinstance(body, dict) else None
        return [s for s in found or [] if isinstance(s, dict)]
