"""FedEx Track API status codes -> the canonical ``TrackingStatus`` (a closed set).

A track result's ``latestStatusDetail`` has a ``code`` (the latest scan's kind: ``PU``,
``AR``, ``OD``, ``DL``...) and a ``derivedCode`` (the same, simplified for display); each
of its ``scanEvents`` has an ``eventType`` and a ``derivedStatusCode``. The detailed code
is read first and the derived one when the table does not know it; a delivery exception is
refined by its words (a missed delivery or a return). Anything unknown gives ``unknown``,
never an error. Registered as the status table ``fedex`` (mappings:
``transform: {courier_status: fedex}``) with the transforms below.
"""

from __future__ import annotations

from typing import Any

from synchub.canonical.shipment import TrackingStatus
from synchub.mapping.transforms import TransformTable

TRANSFORMS = TransformTable()

CODES: dict[str, TrackingStatus] = {
    "OC": "info_received",    # shipment information sent to FedEx (label created)
    "IN": "info_received",    # initiated (derived: label created)
    "PU": "in_transit",       # picked up
    "IT": "in_transit",
    "AR": "in_transit",       # arrived at a FedEx location
    "DP": "in_transit",       # departed a FedEx location
    "AF": "in_transit",       # at a FedEx facility
    "FD": "in_transit",       # at the FedEx destination facility
    "CC": "in_transit",       # cleared customs
    "DY": "in_transit",       # delayed, still moving
    "OD": "out_for_delivery",
    "HL": "out_for_delivery",  # held at a location for the recipient to collect
    "DL": "delivered",
    "DE": "exception",        # delivery exception (refined below)
    "SE": "exception",        # shipment exception
    "CD": "exception",        # clearance delay
    "CA": "exception",        # cancelled by the shipper
    "RS": "returned",         # returned to shipper
}
RETURN_WORDS = ("return to shipper", "returned to shipper", "returning to shipper",
                "returned to sender")
MISSED_WORDS = ("customer not available", "recipient not available", "no one available",
                "delivery attempt", "business closed")


def _code(value: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        code = str(value.get(key) or "").strip().upper()
        if code in CODES:
            return code
    return None


def fedex_status(value: Any) -> TrackingStatus | None:
    """The canonical status of a ``latestStatusDetail`` or a scan event (or a bare code)."""
    if value is None:
        return None
    if isinstance(value, str):
        return CODES.get(value.strip().upper(), "unknown")
    if not isinstance(value, dict):
        return "unknown"
    code = _code(value, "code", "eventType", "derivedCode", "derivedStatusCode")
    if code is None:
        return "unknown"
    status = CODES[code]
    words = " ".join([*(str(value.get(k) or "") for k in
                        ("description", "eventDescription", "exceptionDescription",
                         "statusByLocale")), *_reasons(value)]).lower()
    if status in ("exception", "in_transit") and any(w in words for w in RETURN_WORDS):
        return "returned"
    if code == "DE" and any(w in words for w in MISSED_WORDS):
        return "failed_attempt"
    return status


def _reasons(value: dict[str, Any]) -> list[str]:
    """The ``ancillaryDetails[].reasonDescription`` texts of a latest status (the reason
    of a delivery exception, which its description leaves out)."""
    details = value.get("ancillaryDetails")
    if not isinstance(details, list):
        return []
    return [str(d.get("reasonDescription") or "") for d in details if isinstance(d, dict)]


def _events(events: Any) -> list[dict[str, Any]]:
    return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []


@TRANSFORMS("fedex_delivered_at")
def fedex_delivered_at(events: Any) -> Any:
    """``date`` of the latest scan that means delivered, else None (newest scan first)."""
    for event in _events(events):
        if fedex_status(event) == "delivered":
            return event.get("date")
    return None


@TRANSFORMS("fedex_latest_time")
def fedex_latest_time(events: Any) -> Any:
    """``date`` of the newest scan, else None."""
    found = _events(events)
    return found[0].get("date") if found else None


@TRANSFORMS("fedex_first_time")
def fedex_first_time(events: Any) -> Any:
    """``date`` of the first scan past the label (the pickup), else None."""
    for event in reversed(_events(events)):
        if fedex_status(event) not in ("info_received", "unknown", None):
            return event.get("date")
    return None
