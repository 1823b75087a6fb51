"""UPS Tracking API status objects -> the canonical ``TrackingStatus`` (a closed set).

A package's ``currentStatus`` and each ``activity[].status`` carry a ``type`` (the class:
``M`` manifest/label, ``P`` pickup, ``I`` in transit, ``X`` exception, ``D`` delivered,
``RS`` returned to shipper...), a ``code`` and a ``description`` in words. The type gives
the coarse state; out for delivery, a missed delivery and a return are said only by code or
in words, so those refine it. Anything unknown gives ``unknown``, never an error: a new
type must not stop the tracking of other parcels. Registered as the status table ``ups``
(mappings: ``transform: {courier_status: ups}``) with the transforms below.

Times: an activity has the local ``date``/``time`` (``YYYYMMDD``/``HHMMSS``) and the same
moment in GMT (``gmtDate``/``gmtTime``, with the local ``gmtOffset``). The GMT pair is
read first (UPS's own example writes ``gmtTime`` without its leading zero: ``74700``);
without it, the local pair less the offset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from synchub.canonical.shipment import TrackingStatus
from synchub.mapping.transforms import TransformError, TransformTable

TRANSFORMS = TransformTable()

STATUS_TYPES: dict[str, TrackingStatus] = {
    "M": "info_received",     # manifest: the label exists, UPS has not got the parcel
    "MV": "expired",          # manifest voided: the label was cancelled
    "P": "in_transit",        # picked up
    "I": "in_transit",
    "W": "in_transit",        # in a warehouse (freight)
    "DO": "in_transit",       # delivered to the origin freight station
    "DD": "in_transit",       # delivered to the destination freight station
    "O": "out_for_delivery",
    "X": "exception",
    "D": "delivered",
    "RS": "returned",         # returned to shipper
    "NA": "unknown",
}
OUT_FOR_DELIVERY_CODES = frozenset({"OT", "OF"})
# (words in the description, status, types the words may refine); first match wins
TEXT_RULES: tuple[tuple[tuple[str, ...], TrackingStatus, frozenset[str]], ...] = (
    (("returned to the sender", "returned to sender", "returning to sender",
      "returned to shipper", "returning the package to the sender"),
     "returned", frozenset({"I", "X", "D"})),
    (("not available for delivery", "delivery attempt", "attempted delivery",
      "receiver was not available", "business was closed"),
     "failed_attempt", frozenset({"X", "I"})),
    (("out for delivery",), "out_for_delivery", frozenset({"I"})),
)
_DIGITS = re.compile(r"^\d+$")
_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})$")


def ups_status(value: Any) -> TrackingStatus | None:
    """The canonical status of a UPS status object (``type``, ``code``, ``description``)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return "unknown"
    kind = str(value.get("type") or "").strip().upper()
    code = str(value.get("code") or "").strip().upper()
    words = " ".join(str(value.get(k) or "") for k in
                     ("description", "simplifiedTextDescription")).lower()
    for phrases, status, kinds in TEXT_RULES:
        if kind in kinds and any(p in words for p in phrases):
            return status
    if kind == "I" and code in OUT_FOR_DELIVERY_CODES:
        return "out_for_delivery"
    return STATUS_TYPES.get(kind, "unknown")


def _clock(date: Any, time: Any) -> datetime | None:
    """``YYYYMMDD`` and ``HHMMSS`` (leading zeros of the time may be missing) as naive."""
    d, t = str(date or "").strip(), str(time or "").strip()
    if not (_DIGITS.match(d) and len(d) == 8 and _DIGITS.match(t) and len(t) <= 6):
        return None
    try:
        return datetime.strptime(d + t.zfill(6), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def _offset(text: Any) -> timedelta | None:
    m = _OFFSET.match(str(text or "").strip())
    if m is None:
        return None
    delta = timedelta(hours=int(m[2]), minutes=int(m[3]))
    return -delta if m[1] == "-" else delta


@TRANSFORMS("ups_activity_time")
def ups_activity_time(activity: Any) -> Any:
    """An activity's moment in UTC: ``gmtDate``/``gmtTime``, else ``date``/``time`` less
    ``gmtOffset``. An activity with neither readable is an error naming its fields."""
    if activity is None:
        return None
    if not isinstance(activity, dict):
        raise TransformError("is not an activity object", activity)
    gmt = _clock(activity.get("gmtDate"), activity.get("gmtTime"))
    if gmt is not None:
        return gmt.replace(tzinfo=UTC)
    local, offset = _clock(activity.get("date"), activity.get("time")), \
        _offset(activity.get("gmtOffset"))
    if local is not None and offset is not None:
        return (local - offset).replace(tzinfo=UTC)
    raise TransformError("has no readable gmtDate/gmtTime nor date/time with gmtOffset",
                         {k: activity.get(k) for k in
                          ("date", "time", "gmtDate", "gmtTime", "gmtOffset")})


def _activities(activities: Any) -> list[dict[str, Any]]:
    return [a for a in activities if isinstance(a, dict)] if isinstance(activities, list) \
        else []


@TRANSFORMS("ups_delivered_at")
def ups_delivered_at(activities: Any) -> Any:
    """The time of the latest activity that means delivered, else None (UPS lists the
    most recent activity first)."""
    for activity in _activities(activities):
        if ups_status(activity.get("status")) == "delivered":
            return ups_activity_time(activity)
    return None


@TRANSFORMS("ups_latest_time")
def ups_latest_time(activities: Any) -> Any:
    """The time of the most recent activity, else None."""
    found = _activities(activities)
    return ups_activity_time(found[0]) if found else None


@TRANSFORMS("ups_first_time")
def ups_first_time(activities: Any) -> Any:
    """The time of the first activity that is not the label (the pickup), else None."""
    for activity in reversed(_activities(activities)):
        if ups_status(activity.get("status")) not in ("info_received", "unknown", None):
            return ups_activity_time(activity)
    return None
