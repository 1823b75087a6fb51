"""How the gateways write a window's bounds: Beijing time, to the second."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

UTC8 = timezone(timedelta(hours=8))   # Asia/Shanghai: no daylight saving since 1991


def datetime_space_utc8(dt: datetime) -> str:
    """``2025-03-01 18:15:00`` (UTC+08:00, whole seconds, the fraction dropped)."""
    return dt.astimezone(UTC8).strftime("%Y-%m-%d %H:%M:%S")
