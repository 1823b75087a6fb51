"""Transforms for ERPNext records: Frappe's naive times in the site's timezone.

Registered by the ERPNext system (:func:`synchub.systems.erpnext.register`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from synchub.mapping.transforms import NO_ARGS, Transform, TransformError, TransformTable

TRANSFORMS = TransformTable()
# Frappe writes a Time field as str(timedelta): one-digit hours ("9:05:00")
_SHORT_HOUR = re.compile(r"(?<=[ T])(\d):")


def _padded(text: str) -> str:
    return _SHORT_HOUR.sub(r"0\1:", text)


@TRANSFORMS("frappe_site_datetime")
def frappe_site_datetime(value: Any) -> Any:
    """``"2025-03-01 10:15:00.123456|Asia/Kolkata"`` -> the aware UTC time.

    Frappe stores ``modified``, ``creation`` and ``posting_date`` + ``posting_time`` as naive
    values in the site's timezone (System Settings ``time_zone``); the mapping joins the
    value and the zone (a context value) with ``|``, as ``{op: concat, sep: "|"}`` does, and
    this parses the pair. A date alone is midnight in the site's zone. Null stays null.
    """
    if value is None:
        return None
    text, sep, zone = str(value).rpartition("|")
    if not sep or not text.strip():
        raise TransformError("is not '<naive time>|<zone>'", value)
    try:
        tz = ZoneInfo(zone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise TransformError(f"names an unknown time zone {zone.strip()!r}", value) from None
    try:
        naive = datetime.fromisoformat(_padded(text.strip()))
    except ValueError:
        raise TransformError("is not a Frappe time (YYYY-MM-DD HH:MM:SS[.ffffff])",
                             value) from None
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=tz).astimezone(UTC)


_ORIGIN = re.compile(r"^([a-z][a-z0-9_]*):([^\s:]+)$")
_ORIGIN_PARTS = {"connection": 1, "order": 2}


@TRANSFORMS("frappe_order_ref", takes_args=True)
def frappe_order_ref(args: Any) -> Transform:
    """One part of a reference written as ``<connection>:<order external id>``.

    The hub writes that reference in a sales order's ``po_no``, which ERPNext copies to
    the delivery notes made from the order. ``{frappe_order_ref: connection}`` or
    ``{frappe_order_ref: order}``; any other text (a customer's own PO number) gives None.
    """
    if args is NO_ARGS or not isinstance(args, str) or args not in _ORIGIN_PARTS:
        raise ValueError("frappe_order_ref takes connection or order")
    group = _ORIGIN_PARTS[args]

    def fn(value: Any) -> Any:
        if not isinstance(value, str):
            return None
        match = _ORIGIN.match(value.strip())
        return match[group] if match else None

    return fn
