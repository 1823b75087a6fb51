"""DHL Unified Tracking statuses -> the canonical ``TrackingStatus`` (a closed set).

``dhl_status`` takes a status object (the shipment's ``status`` or one of its ``events``):
``statusCode`` gives the coarse class (pre-transit, transit, delivered, failure, unknown)
and the free ``status``/``description`` texts refine it, because DHL reports "out for
delivery", failed attempts and returns only in words. Values the tables do not know give
``unknown``, never an error: a new status must not stop the tracking of other parcels.
Registered as the status table ``dhl`` (mappings: ``transform: {courier_status: dhl}``);
``dhl_delivered_at`` is a transform of its own.
"""

from __future__ import annotations

from typing import Any

from synchub.canonical.shipment import TrackingStatus
from synchub.mapping.transforms import TransformTable

TRANSFORMS = TransformTable()

DHL_STATUS_CODES: dict[str, TrackingStatus] = {
    "pre-transit": "info_received",   # the label exists, DHL has not got the parcel yet
    "transit": "in_transit",
    "delivered": "delivered",
    "failure": "exception",
    "unknown": "unknown",
}
# (words in status/description, status, statusCodes the words may refine); the first match
# wins, so the more specific phrases come first
DHL_TEXT_RULES: tuple[tuple[tuple[str, ...], TrackingStatus, frozenset[str]], ...] = (
    (("returned to sender", "returned to the sender", "returned to shipper",
      "returned to the shipper", "zurückgesandt", "an den absender zurück"),
     "returned", frozenset({"transit", "delivered", "failure"})),
    (("delivery attempt", "attempted delivery", "could not be delivered",
      "recipient not at home", "not delivered", "zustellversuch"),
     "failed_attempt", frozenset({"transit", "failure"})),
    (("out for delivery", "with delivery courier", "loaded onto the delivery vehicle",
      "in zustellung"),
     "out_for_delivery", frozenset({"transit"})),
)


def dhl_status(value: Any) -> TrackingStatus | None:
    """The canonical status of a DHL status object (``statusCode``, ``status``, ``description``)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return "unknown"
    code = str(value.get("statusCode") or "").strip().lower()
    words = " ".join(str(value.get(k) or "") for k in ("status", "description")).lower()
    for phrases, status, codes in DHL_TEXT_RULES:
        if code in codes and any(p in words for p in phrases):
            return status
    return DHL_STATUS_CODES.get(code, "unknown")


@TRANSFORMS("dhl_delivered_at")
def dhl_delivered_at(value: Any) -> Any:
    """A DHL status object's ``timestamp`` when it means delivered, else None.

    DHL answers ``statusCode: delivered`` for a parcel returned to its sender too, so the
    raw code alone would date a delivery that never happened.
    """
    if isinstance(value, dict) and dhl_status(value) == "delivered":
        return value.get("timestamp")
    return None
