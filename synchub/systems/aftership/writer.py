"""AfterShip: register a parcel's tracking number so the aggregator follows it.

One ``POST /trackings`` per shipment with ``tracking_number``, the courier ``slug`` (from
the carrier's name, see :class:`AfterShipOptions`), ``order_id`` and, in
``custom_fields``, the connection the order was sold on and the hub's shipment id, which
the ``trackings`` stream reads back to link AfterShip's shipment to its order.

AfterShip itself is the idempotency reference: a tracking is identified by slug and
number, and a second create answers ``meta.code`` 4003 "Tracking already exists." That
answer is ``skipped`` (with AfterShip's id when it gives one): the timeout-after-commit
case and a re-delivered shipment both land there, and nothing is registered twice. A
shipment already registered (it has a ``remote_id``) is not sent again when it changes:
AfterShip follows the carrier, not the hub.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, SinkWriter
from synchub.errors import ConfigError, FatalAPIError, RetriableAPIError

ALREADY_EXISTS = 4003


class AfterShipOptions(BaseModel):
    """How carrier names become AfterShip courier slugs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slugs: dict[str, str] = Field(
        default_factory=dict,
        description="Carrier name words -> slug ('dhl express': dhl); matched as words, "
                    "case-insensitively, longest first.")
    default_slug: str | None = Field(
        default=None, description="Slug when no name matches; null lets AfterShip detect it.")


class AfterShipTrackingWriter(SinkWriter):
    """Creates one AfterShip tracking per shipment with a tracking number."""

    options_model = AfterShipOptions

    def write(self, items: Sequence[DeliveryItem]) -> list[DeliveryResult]:
        """Register each item's tracking number; one result per item."""
        if self.client is None:
            raise ConfigError(f"sink {self.sink!r}: the aftership_tracking writer needs an "
                              "HTTP client", key="writers.type")
        return [self._one(item) for item in items]

    def slug(self, carrier: Any) -> str | None:
        """The courier slug for a carrier name (None: let AfterShip detect it)."""
        if isinstance(carrier, str) and carrier.strip():
            name = carrier.lower()
            for words in sorted(self.options.slugs, key=len, reverse=True):
                if re.search(rf"(?<![a-z0-9]){re.escape(words.lower())}(?![a-z0-9])", name):
                    return str(self.options.slugs[words])
        default: str | None = self.options.default_slug
        return default

    def body(self, item: DeliveryItem, number: str) -> dict[str, Any]:
        """The create request for one shipment (a write mapping's payload may add to it)."""
        doc = item.document
        order_conn = doc.get("order_connection") or (
            item.source_connection if doc.get("order_external_id") else None)
        custom = {"hub_shipment_id": item.record_id}
        if order_conn:
            custom["hub_order_connection"] = str(order_conn)
        body: dict[str, Any] = {"tracking_number": number, "custom_fields": custom}
        if doc.get("order_external_id"):
            body["order_id"] = str(doc["order_external_id"])
        slug = self.slug(doc.get("carrier"))
        if slug:
            body["slug"] = slug
        if isinstance(item.payload, dict):
            body.update(item.payload)
        return body

    def _one(self, item: DeliveryItem) -> DeliveryResult:
        number = str(item.document.get("tracking_number") or "").strip()
        if not number:
            # a shipment without a tracking number has nothing for AfterShip to follow
            return DeliveryResult(item.delivery_id, "skipped",
                                  error=f"shipment {item.record_id} has no tracking number")
        if item.remote_id:
            return DeliveryResult(item.delivery_id, "skipped", remote_id=item.remote_id)
        assert self.client is not None
        url = self.client.base_url + (self.spec.path or "/trackings")
        try:
            _, answer = self.client.http.request("rest", "POST", url,
                                                 json=self.body(item, number))
        except RetriableAPIError as exc:
            return DeliveryResult(item.delivery_id, "retry", error=str(exc),
                                  retry_after=getattr(exc, "retry_after", None))
        except FatalAPIError as exc:
            code, message, data = _meta(exc.body)
            if code == ALREADY_EXISTS:
                remote = data.get("id") if isinstance(data, dict) else None
                return DeliveryResult(item.delivery_id, "skipped",
                                      remote_id=str(remote) if remote else None)
            return DeliveryResult(item.delivery_id, "failed", error=(
                f"AfterShip refused the tracking of shipment {item.record_id}: HTTP "
                f"{exc.status}, code {code}: {message or exc}"))
        data = answer.get("data") if isinstance(answer, dict) else None
        tracking = data.get("tracking", data) if isinstance(data, dict) else None
        remote = tracking.get("id") if isinstance(tracking, dict) else None
        return DeliveryResult(item.delivery_id, "delivered",
                              remote_id=str(remote) if remote else None)


def _meta(body: str | None) -> tuple[int | None, str | None, Any]:
    """``meta.code``, ``meta.message`` and ``data`` of an AfterShip error body."""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        return None, None, None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("meta"), dict):
        return None, None, None
    meta = parsed["meta"]
    code = meta.get("code")
    return (code if isinstance(code, int) else None,
            str(meta["message"]) if meta.get("message") else None, parsed.get("data"))
