"""Timestamps as the vendors write them, and ISO 8601 parsing; all from epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

# China Standard Time: the signed gateways (Taobao, JD, Pinduoduo) write times in it
BEIJING = timezone(timedelta(hours=8))


def iso_local(ts: int, tz: tzinfo) -> str:
    """ISO 8601 with the store's UTC offset, seconds resolution (Shopify style)."""
    return datetime.fromtimestamp(ts, tz).isoformat()


def iso_naive_local(ts: int, tz: tzinfo) -> str:
    """Site-local naive ISO time (WooCommerce ``date_*`` fields)."""
    return datetime.fromtimestamp(ts, tz).replace(tzinfo=None).isoformat()


def iso_naive_gmt(ts: int) -> str:
    """UTC naive ISO time (WooCommerce ``date_*_gmt`` fields)."""
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None).isoformat()


def iso_utc_z(ts: int) -> str:
    """UTC ISO time with a ``Z`` suffix (Shopify GraphQL ``DateTime``)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, naive_tz: tzinfo = UTC) -> int:
    """ISO 8601 (offset, ``Z``, or naive in ``naive_tz``) to epoch seconds; ValueError if bad."""
    text = text.strip().replace(" ", "+") if "T" in text else text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return int(parsed.timestamp())


def beijing(ts: int) -> str:
    """Epoch seconds as the signed gateways write times: ``2025-06-18 20:00:00`` Beijing time."""
    return datetime.fromtimestamp(ts, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def parse_beijing(text: str) -> int:
    """``yyyy-MM-dd HH:mm:ss`` Beijing time as epoch seconds (ValueError if it is not one)."""
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).timestamp())
