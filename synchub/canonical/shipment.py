"""Canonical Shipment with a closed set of tracking statuses."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from synchub.canonical.base import (
    CanonicalRecord,
    ExternalId,
    Quantity,
    Reference,
    Sku,
    Strict,
    UtcDatetime,
    Warning_,
)

TrackingStatus = Literal[
    "pending", "info_received", "in_transit", "out_for_delivery", "delivered",
    "failed_attempt", "exception", "returned", "expired", "unknown",
]


class TrackingEvent(Strict):
    """One scan or status change reported by the carrier."""

    at: UtcDatetime
    status: TrackingStatus
    description: str | None = None
    location: str | None = None
    # left out of the document (and its content hash) when None or empty, here and in
    # ``warnings``: shipments stored before these fields existed keep their hashes, so an
    # upgrade does not make every stored shipment look changed (and delivered again)
    code: str | None = Field(default=None, max_length=64, exclude_if=lambda v: v is None,
                             description="The carrier's own code for the event, as sent "
                                         "(kept so a code the hub does not know is not lost).")


class ShipmentLine(Strict):
    """Units of one SKU in a shipment."""

    sku: Sku | None = None
    line_external_id: Reference | None = None
    quantity: Quantity


class Shipment(CanonicalRecord):
    """A parcel sent for an order, with its carrier tracking."""

    entity: ClassVar[str] = "shipment"

    external_id: ExternalId
    order_external_id: Reference | None = None
    order_connection: Reference | None = Field(
        default=None, description="The connection the order came from, when the shipment "
                                  "was made by another system (an ERP or WMS).")
    carrier: str | None = None
    service: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    status: TrackingStatus = "unknown"
    events: list[TrackingEvent] = Field(default_factory=list)
    lines: list[ShipmentLine] = Field(default_factory=list)
    shipped_at: UtcDatetime | None = None
    delivered_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None
    warnings: list[Warning_] = Field(default_factory=list, exclude_if=lambda v: not v)

    def check(self) -> None:
        """Flag the events whose carrier code the status table did not know."""
        unknown = sorted({e.code for e in self.events if e.status == "unknown" and e.code})
        if unknown and not any(w.code == "unknown_tracking_code" for w in self.warnings):
            self.warnings.append(Warning_(
                code="unknown_tracking_code",
                message=f"carrier event code(s) {', '.join(unknown)} not in the status "
                        "table; kept as status unknown with the raw code"))
