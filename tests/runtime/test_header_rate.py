"""The ``header_rate`` limiter: a token bucket per operation paced by the rate a response
header states; waits counted on a fake clock, never slept."""

from __future__ import annotations

import logging

import pytest

from synchub.config.connector import HttpSpec
from synchub.runtime.ratelimit import HeaderRateLimiter, build_limiter

from .helpers import FakeClock

HEADER = "x-amzn-RateLimit-Limit"


def limiter(clock: FakeClock, rate: float = 1.0, burst: int = 3,
            pattern: str | None = None) -> HeaderRateLimiter:
    return HeaderRateLimiter(rate, burst, HEADER, "searchOrders", pattern, clock=clock,
                             sleep=clock.sleep)


def test_the_burst_goes_at_once_then_one_call_per_token() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=0.0056, burst=20)
    waits = [lim.acquire() for _ in range(22)]
    assert waits[:20] == [0.0] * 20
    assert waits[20:] == [pytest.approx(1 / 0.0056)] * 2
    assert clock.slept == [pytest.approx(1 / 0.0056)] * 2


def test_pacing_follows_the_rate_the_header_states() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=1.0, burst=1)
    assert lim.acquire() == 0.0
    lim.observe({HEADER: "0.25"})                 # the seller's plan is slower than declared
    assert lim.acquire() == pytest.approx(4.0)
    lim.observe({HEADER: "2"})                    # and then faster
    assert lim.acquire() == pytest.approx(0.5)
    lim.observe({"other": "9"})                   # no header, or nonsense: the rate stays
    lim.observe({HEADER: "fast"})
    assert lim.acquire() == pytest.approx(0.5)
    assert lim.rate == 2.0


def test_a_429_empties_the_bucket() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=0.5, burst=5)
    assert lim.acquire() == 0.0
    lim.throttled()                               # the server counted calls we did not see
    assert lim.acquire() == pytest.approx(2.0)


def test_it_limits_only_the_paths_of_its_operation() -> None:
    lim = limiter(FakeClock(), pattern="/orders/2026-01-01/orders$")
    assert lim.applies_to("/orders/2026-01-01/orders")
    assert not lim.applies_to("/orders/2026-01-01/orders/302-3159896-1390916")
    assert limiter(FakeClock()).applies_to("/anything")


def test_a_spent_burst_is_logged_once_with_the_pace(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=0.0056, burst=2)
    with caplog.at_level(logging.WARNING, logger="synchub.runtime"):
        for _ in range(4):
            lim.acquire()
    told = [r.getMessage() for r in caplog.records if "burst" in r.getMessage()]
    assert told == ["rate limit of searchOrders: burst of 2 spent; from now on one call "
                    "every 179 s (0.0056 requests a second)"]


def test_a_first_sync_plan_counts_the_calls_past_the_burst() -> None:
    lim = limiter(FakeClock(), rate=0.0056, burst=20)
    # 10,000 orders at 100 a page: 100 calls, the first 20 at once, then 80 at 0.0056/s
    assert lim.plan_seconds(100) == pytest.approx(80 / 0.0056)
    assert lim.plan_seconds(15) == 0.0


def test_it_is_declared_in_yaml_per_operation() -> None:
    http = HttpSpec.model_validate({"rate_limit": [
        {"type": "header_rate", "header": HEADER, "rate_per_second": 0.0056, "burst": 20,
         "operation": "searchOrders", "path_pattern": "/orders$"}]})
    (spec,) = http.rate_limits()
    built = build_limiter(spec)
    assert isinstance(built, HeaderRateLimiter)
    assert (built.rate, built.burst, built.operation) == (0.0056, 20.0, "searchOrders")
    with pytest.raises(ValueError, match="path_pattern is not a valid regex"):
        HttpSpec.model_validate({"rate_limit": {
            "type": "header_rate", "header": HEADER, "rate_per_second": 1,
            "path_pattern": "(unclosed"}})
