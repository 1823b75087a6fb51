"""AfterShip tags and subtags -> the canonical ``TrackingStatus`` (a closed set).

``aftership_status`` takes anything with AfterShip's ``tag`` and ``subtag`` (a tracking or
a checkpoint). Values the tables do not know give ``unknown``, never an error. Registered as
the status table ``aftership`` (mappings: ``transform: {courier_status: aftership}``).
"""

from __future__ import annotations

from typing import Any

from synchub.canonical.shipment import TrackingStatus

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
