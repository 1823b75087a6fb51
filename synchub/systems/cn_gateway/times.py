"""How the gateways write a window's bounds: Beijing time, to the second."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

UTC8 = timezone(timedelta(hours=8))   # Asia/Shanghai: no daylight saving since 1991


def datetime_space_utc8(dt: datetime) -> str:
    """``2025-03-01 18:15:00`` (UTC+08:00, whole seconds, the fraction dropped)."""
    return dt.astimezone(UTC8).strftime("%Y-%m-%d %H:%M:%S")


def parse_beijing(text: str) -> datetime:
    """``yyyy-MM-dd HH:mm:ss`` Beijing time (the Chinese APIs' own clock) as an aware datetime.

    A text with its own offset keeps it; ValueError for anything else.
    """
    parsed = datetime.fromisoformat(text.strip())
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC8)
