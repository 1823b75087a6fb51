"""Rate limiter math with an injected clock: no real sleeping."""

from __future__ import annotations

import threading

import pytest

from synchub.runtime.ratelimit import GraphQLCostLimiter, LeakyBucketLimiter, TokenBucketLimiter

from .helpers import FakeClock

HEADER = "X-Shopify-Shop-Api-Call-Limit"


def test_leaky_bucket_burst_then_waits_one_leak_interval() -> None:
    clock = FakeClock()
    lim = LeakyBucketLimiter(40, 2.0, HEADER, clock=clock, sleep=clock.sleep)
    waits = [lim.acquire() for _ in range(41)]
    assert waits[:40] == [0.0] * 40
    assert waits[40] == pytest.approx(0.5)  # one call leaks out every 0.5 s


def test_leaky_bucket_follows_the_usage_header() -> None:
    clock = FakeClock()
    lim = LeakyBucketLimiter(40, 2.0, HEADER, clock=clock, sleep=clock.sleep)
    lim.observe({HEADER: "39/40"})
    assert lim.acquire() == 0.0  # 39 + 1 fits
    assert lim.acquire() == pytest.approx(0.5)
    clock.now += 10  # with the 0.5 s slept, 21 calls leaked: 41 - 21 + 1
    assert lim.acquire() == 0.0
    assert lim.level == pytest.approx(21.0)
    lim.observe({HEADER: "garbage"})  # ignored
    assert lim.level == pytest.approx(21.0)


def test_a_lightly_used_shop_is_not_paced_at_the_leak_rate() -> None:
    """The server saying 1/40 after every call means there is room: never wait."""
    clock = FakeClock()
    lim = LeakyBucketLimiter(40, 2.0, HEADER, clock=clock, sleep=clock.sleep)
    waits = []
    for _ in range(200):
        waits.append(lim.acquire())
        lim.observe({HEADER: "1/40"})
    assert waits == [0.0] * 200


def test_the_server_figure_lowers_and_raises_our_count() -> None:
    clock = FakeClock()
    lim = LeakyBucketLimiter(40, 2.0, HEADER, clock=clock, sleep=clock.sleep)
    for _ in range(30):
        lim.acquire()
    lim.observe({HEADER: "12/40"})     # other calls leaked or were never counted
    assert lim.level == pytest.approx(12.0)
    lim.observe({HEADER: "40/40"})     # another process of this app used the bucket
    assert lim.acquire() == pytest.approx(0.5)


def test_token_bucket_rate() -> None:
    clock = FakeClock()
    lim = TokenBucketLimiter(10.0, burst=2, clock=clock, sleep=clock.sleep)
    assert [lim.acquire() for _ in range(2)] == [0.0, 0.0]
    assert lim.acquire() == pytest.approx(0.1)
    assert lim.acquire() == pytest.approx(0.1)  # after its own sleep the debt is paid
    clock.now += 5
    assert lim.acquire() == 0.0


def test_graphql_cost_waits_for_restore() -> None:
    clock = FakeClock()
    lim = GraphQLCostLimiter(2000, 100, default_cost=50, clock=clock, sleep=clock.sleep)
    lim.observe({}, {"extensions": {"cost": {"requestedQueryCost": 911, "actualQueryCost": 40,
                                              "throttleStatus": {"maximumAvailable": 2000.0,
                                                                 "currentlyAvailable": 700,
                                                                 "restoreRate": 100.0}}}})
    assert lim.acquire(911) == pytest.approx(2.11)
    # a query can never need more than the bucket holds
    assert lim.acquire(5000) == pytest.approx(20.0)


def test_graphql_wait_for_throttled_body() -> None:
    lim = GraphQLCostLimiter(2000, 100)
    body = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": {"requestedQueryCost": 500, "throttleStatus": {
                "maximumAvailable": 2000.0, "currentlyAvailable": 100, "restoreRate": 100.0}}}}
    assert lim.wait_for(body) == pytest.approx(4.0)
    assert lim.wait_for({"errors": []}) is None


def test_limiter_is_thread_safe() -> None:
    clock = FakeClock()
    waits: list[float] = []
    lim = TokenBucketLimiter(100.0, burst=10, clock=clock, sleep=lambda s: waits.append(s))

    def worker() -> None:
        for _ in range(50):
            lim.acquire()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 200 acquisitions, 10 free: the debts are 1..190 tokens, each reserved exactly once
    assert len(waits) == 190
    assert max(waits) == pytest.approx(1.9)
    assert sorted(round(w, 6) for w in waits) == [round(i / 100, 6) for i in range(1, 191)]
