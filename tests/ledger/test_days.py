"""Which days a ``ledger`` run covers: its params, else its data interval and lookback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from synchub.ledger.days import run_days


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_daily_run_builds_its_day_and_the_lookback_before_it() -> None:
    assert run_days({}, day("2026-11-25"), day("2026-11-26"), 2) == (
        date(2026, 11, 23), date(2026, 11, 25))
    assert run_days(None, day("2026-11-25"), day("2026-11-26"), 0) == (
        date(2026, 11, 25), date(2026, 11, 25))


def test_a_run_without_an_interval_covers_yesterday() -> None:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert run_days({}, None, None, 0) == (yesterday, yesterday)


def test_params_name_any_range_and_are_checked() -> None:
    params = {"first_day": "2026-01-01", "last_day": "2026-01-31", "reconcile_from": ""}
    assert run_days(params, day("2026-11-25"), day("2026-11-26"), 2) == (
        date(2026, 1, 1), date(2026, 1, 31))
    assert run_days({"first_day": "2026-01-05"}, None, None, 2) == (
        date(2026, 1, 5), date(2026, 1, 5))
    with pytest.raises(ValueError, match="last_day 2026-01-01 is before first_day"):
        run_days({"first_day": "2026-01-05", "last_day": "2026-01-01"}, None, None, 0)
