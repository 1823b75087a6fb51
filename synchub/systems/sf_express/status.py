"""SF Express route ``opCode`` -> the canonical ``TrackingStatus`` (a closed set).

Each route of an ``EXP_RECE_SEARCH_ROUTES`` answer or a route push carries an ``opCode``
(the scan's operation). :data:`OP_CODES` holds the codes whose meaning the sources agree on
(docs/systems/sf_express.md); the canonical set has no "picked up", so a pickup is the first
``in_transit`` scan. A code not in the table gives ``unknown``, never an error: the event is
kept with its raw code (``TrackingEvent.code``) and the shipment carries the warning
``unknown_tracking_code``. Registered as the status table ``sf_express`` (mappings:
``transform: {courier_status: sf_express}``) with the transforms below.
"""

from __future__ import annotations

from typing import Any

from synchub.canonical.shipment import TrackingStatus
from synchub.mapping.transforms import TransformError, TransformTable
from synchub.systems.cn_gateway.times import parse_beijing

TRANSFORMS = TransformTable()

OP_CODES: dict[str, TrackingStatus] = {
    "50": "in_transit",          # 顺丰已收取快件 (picked up)
    "54": "in_transit",          # 上门收件 (picked up at the sender's)
    "30": "in_transit",          # 快件在…完成分拣 (sorted)
    "31": "in_transit",          # 快件到达… (arrived at a facility)
    "36": "in_transit",          # 快件离开… (left a facility)
    "44": "out_for_delivery",    # 正在派送途中 (out for delivery)
    "80": "delivered",           # 已签收 (signed for)
    "631": "returned",           # 已退回 (returned to the sender)
}
DELIVERED = "delivered"


def sf_status(value: Any) -> TrackingStatus:
    """The canonical status of an ``opCode`` (or of a route object holding one)."""
    code = value.get("opCode") if isinstance(value, dict) else value
    return OP_CODES.get(str(code).strip(), "unknown") if code is not None else "unknown"


def _by_time(routes: Any) -> list[dict[str, Any]]:
    """The routes oldest first (SF writes ``yyyy-MM-dd HH:mm:ss``, which sorts as text)."""
    if not isinstance(routes, list):
        return []
    return sorted((r for r in routes if isinstance(r, dict)),
                  key=lambda r: str(r.get("acceptTime") or ""))


@TRANSFORMS("sf_time")
def sf_time(value: Any) -> Any:
    """SF's ``acceptTime`` (``yyyy-MM-dd HH:mm:ss``, Beijing time) as an aware datetime."""
    if value is None or value == "":
        return None
    try:
        return parse_beijing(str(value))
    except ValueError:
        raise TransformError("is not a yyyy-MM-dd HH:mm:ss time", value) from None


@TRANSFORMS("sf_route_status")
def sf_route_status(routes: Any) -> Any:
    """The shipment's status: that of its latest route whose code the table knows.

    A later unknown code does not hide the last known state (it is flagged on the event);
    no routes at all (a waybill SF has not scanned yet) gives ``unknown``.
    """
    for route in reversed(_by_time(routes)):
        status = sf_status(route)
        if status not in (None, "unknown"):
            return status
    return "unknown"


@TRANSFORMS("sf_delivered_at")
def sf_delivered_at(routes: Any) -> Any:
    """``acceptTime`` of the route that says delivered (80), else None."""
    for route in reversed(_by_time(routes)):
        if sf_status(route) == DELIVERED:
            return route.get("acceptTime")
    return None


@TRANSFORMS("sf_latest_time")
def sf_latest_time(routes: Any) -> Any:
    """``acceptTime`` of the latest route, else None."""
    found = _by_time(routes)
    return found[-1].get("acceptTime") if found else None


@TRANSFORMS("sf_first_time")
def sf_first_time(routes: Any) -> Any:
    """``acceptTime`` of the first route (the pickup), else None."""
    found = _by_time(routes)
    return found[0].get("acceptTime") if found else None
