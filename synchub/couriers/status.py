"""Vendor tracking statuses -> the canonical ``TrackingStatus`` (a closed set).

Two mapping transforms are registered here:

- ``dhl_status`` takes a DHL Unified Tracking status object (the shipment's ``status`` or
  one of its ``events``): ``statusCode`` gives the coarse class (pre-transit, transit,
  delivered, failure, unknown) and the free ``status``/``description`` texts refine it,
  because DHL reports "out for delivery", failed attempts and returns only in words.
- ``aftership_status`` takes anything with AfterShip's ``tag`` and ``subtag`` (a tracking
  or a checkpoint).

Values the tables do not know give ``unknown``, never an error: a carrier adding a status
must not stop the tracking of every other parcel.
"""

from __future__ import annotations

from typing import Any, get_args

from synchub.canonical.shipment import TrackingStatus
from synchub.mapping.transforms import register_transform

STATUSES: frozenset[str] = frozenset(get_args(TrackingStatus))
# a parcel in one of these states will not change any more: the hub stops asking about it
FINAL_STATUSES: frozenset[str] = frozenset({"delivered", "returned", "expired"})

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

AFTERSHIP_TAGS: dict[str, TrackingStatus] = {
    "Pending": "pending",
    "InfoReceived": "info_received",
    "InTransit": "in_transit",
    "OutForDelivery": "out_for_delivery",
    # waiting at a pickup point: the last step before the customer has it, as out for delivery
    "AvailableForPickup": "out_for_delivery",
    "AttemptFail": "failed_attempt",
    "Delivered": "delivered",
    "Exception": "exception",
    "Expired": "expired",
}
# subtags that say more than their tag
AFTERSHIP_SUBTAGS: dict[str, TrackingStatus] = {
    "Exception_011": "returned",       # shipment returned to sender
}


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


def aftership_status(value: Any) -> TrackingStatus | None:
    """The canonical status of anything with AfterShip's ``tag`` and ``subtag``."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return "unknown"
    subtag = value.get("subtag")
    if isinstance(subtag, str) and subtag in AFTERSHIP_SUBTAGS:
        return AFTERSHIP_SUBTAGS[subtag]
    tag = value.get("tag")
    return AFTERSHIP_TAGS.get(tag, "unknown") if isinstance(tag, str) else "unknown"


def dhl_delivered_at(value: Any) -> Any:
    """A DHL status object's ``timestamp`` when it means delivered, else None.

    DHL answers ``statusCode: delivered`` for a parcel returned to its sender too, so the
    raw code alone would date a delivery that never happened.
    """
    if isinstance(value, dict) and dhl_status(value) == "delivered":
        return value.get("timestamp")
    return None


register_transform("dhl_status")(dhl_status)
register_transform("dhl_delivered_at")(dhl_delivered_at)
register_transform("aftership_status")(aftership_status)
