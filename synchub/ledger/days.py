"""Which days a ledger run covers: named ones, else its data interval and the lookback."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any


def run_days(params: Mapping[str, Any] | None, start: datetime | None, end: datetime | None,
             lookback: int) -> tuple[date, date]:
    """(first, last) day of a run.

    ``params`` ``first_day`` / ``last_day`` (ISO days; one alone means that day) win; else
    the data interval ``[start, end)`` (a daily interval is one day) and ``lookback`` days
    before it, for records synced late; a run without an interval covers yesterday (UTC).
    """
    params = params or {}
    first: str = params.get("first_day") or ""
    last: str = params.get("last_day") or ""
    if first or last:
        first_day = date.fromisoformat(first or last)
        last_day = date.fromisoformat(last or first)
        if last_day < first_day:
            raise ValueError(f"last_day {last_day} is before first_day {first_day}")
        return first_day, last_day
    if start is None or end is None:
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start = end - timedelta(days=1)
    last_day = (end - timedelta(microseconds=1)).date() if end > start else start.date()
    return min(start.date(), last_day) - timedelta(days=lookback), last_day
