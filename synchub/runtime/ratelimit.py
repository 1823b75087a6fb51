"""Client-side rate limiters, one set per connection, fed by the vendor's own signals.

Each limiter answers ``acquire(cost)`` by sleeping just long enough, then records what the
server reported. Waits are computed under a lock and slept outside it, so threads sharing
a connection queue fairly without blocking each other while one sleeps. The clock and the
sleep function are injectable, which keeps tests instant.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from synchub.config.connector import (
    GraphQLCostSpec,
    HeaderRateSpec,
    LeakyBucketSpec,
    TokenBucketSpec,
)

log = logging.getLogger("synchub.runtime")

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class RateLimiter(ABC):
    """Base: ``acquire`` before a request, ``observe`` after it; returns seconds waited."""

    def __init__(self, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()

    def acquire(self, cost: float = 1.0) -> float:
        """Wait until a request of ``cost`` may go; return the seconds slept."""
        with self._lock:
            wait = self._reserve(cost)
        if wait > 0:
            self.sleep(wait)
        return wait

    def observe(self, headers: Mapping[str, str], body: Any = None) -> None:
        """Update the limiter from a response's headers or body (default: nothing)."""
        return None

    def applies_to(self, path: str) -> bool:
        """Whether a request to ``path`` passes this limiter (default: every request)."""
        return True

    def throttled(self) -> None:
        """The server refused a request that passed this limiter with a 429 (default: nothing)."""
        return None

    def pace(self) -> Pace | None:
        """The sustained rate and burst this limiter holds requests to (None: no fixed pace)."""
        return None

    @abstractmethod
    def _reserve(self, cost: float) -> float:
        """Book ``cost`` now; return how long the caller must wait before sending."""


@dataclass(frozen=True)
class Pace:
    """A limiter's sustained rate and burst: what a run of many calls is held to."""

    name: str
    rate_per_second: float
    burst: int

    def plan_seconds(self, calls: int) -> float:
        """Seconds ``calls`` calls take from a full bucket (the burst goes at once)."""
        return max(0, calls - self.burst) / self.rate_per_second

    def describe(self) -> str:
        """``searchOrders: 20 calls at once, then one every 179 s``."""
        every = 1 / self.rate_per_second
        step = f"{every:.0f} s" if every >= 10 else f"{every:.2g} s"
        return f"{self.name}: {self.burst} calls at once, then one every {step}"


class LeakyBucketLimiter(RateLimiter):
    """A bucket of ``capacity`` requests leaking ``leak_per_second``, synced from a header."""

    def __init__(self, capacity: int, leak_per_second: float, usage_header: str | None = None,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        super().__init__(clock, sleep)
        self.capacity, self.leak, self.usage_header = capacity, leak_per_second, usage_header
        self.level = 0.0
        self._at = clock()

    def _drain(self, now: float) -> None:
        self.level = max(0.0, self.level - (now - self._at) * self.leak)
        self._at = now

    def _reserve(self, cost: float) -> float:
        now = self.clock()
        self._drain(now)
        # the request may go once the bucket has room for it; later callers queue behind it
        wait = max(0.0, (self.level + cost - self.capacity) / self.leak)
        self.level += cost
        return wait

    def pace(self) -> Pace | None:
        """A full bucket at once, then the leak rate."""
        return Pace("requests", self.leak, self.capacity)

    def observe(self, headers: Mapping[str, str], body: Any = None) -> None:
        """Trust the server's ``used/capacity`` header over our own count."""
        if not self.usage_header:
            return
        value = headers.get(self.usage_header)
        if not value or "/" not in value:
            return
        used_s, cap_s = value.split("/", 1)
        try:
            used, cap = float(used_s), float(cap_s)
        except ValueError:
            return
        with self._lock:
            self._drain(self.clock())
            self.capacity = int(cap) or self.capacity
            # The server's figure is the truth: it counts every request of this app on the
            # shop (ours in other processes too) and has already leaked what time leaked.
            # Keeping the larger of it and our own count would never let our count fall,
            # pacing a lightly used shop at the leak rate for no reason.
            self.level = min(used, float(self.capacity))


class TokenBucketLimiter(RateLimiter):
    """At most ``rate`` requests per second on average, with bursts up to ``burst``."""

    def __init__(self, rate_per_second: float, burst: int = 1,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        super().__init__(clock, sleep)
        self.rate, self.burst = rate_per_second, float(burst)
        self.tokens = float(burst)
        self._at = clock()

    def _reserve(self, cost: float) -> float:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self._at) * self.rate)
        self._at = now
        self.tokens -= cost  # may go negative: the debt is what later callers wait for
        return max(0.0, -self.tokens / self.rate)

    def pace(self) -> Pace | None:
        """The burst at once, then the rate."""
        return Pace("requests", self.rate, int(self.burst))


class HeaderRateLimiter(TokenBucketLimiter):
    """A token bucket for one operation, paced by the rate the server states in a header.

    The declared rate and burst hold until an answer carries the header; its figure
    (requests per second) then replaces the rate. The bucket keeps the declared burst: the
    header states only the rate. A 429 empties the bucket, so the retry waits for a token.
    The first time the burst is spent it logs how long each further call will wait.
    """

    def __init__(self, rate_per_second: float, burst: int, header: str,
                 operation: str | None = None, path_pattern: str | None = None,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        super().__init__(rate_per_second, burst, clock, sleep)
        self.header, self.operation = header, operation or path_pattern or "requests"
        self.pattern = re.compile(path_pattern) if path_pattern else None
        self.calls = 0
        self._told = False

    def applies_to(self, path: str) -> bool:
        """Whether ``path`` is a request of this operation."""
        return self.pattern is None or self.pattern.search(path) is not None

    def _reserve(self, cost: float) -> float:
        wait = super()._reserve(cost)
        self.calls += 1
        if wait > 0 and not self._told:
            self._told = True
            log.warning("rate limit of %s: burst of %d spent; from now on one call every "
                        "%.0f s (%s requests a second)", self.operation, int(self.burst),
                        1 / self.rate, f"{self.rate:g}")
        return wait

    def observe(self, headers: Mapping[str, str], body: Any = None) -> None:
        """Adopt the rate stated in the header, when the answer carries one."""
        value = headers.get(self.header)
        try:
            rate = float(value) if value else 0.0
        except ValueError:
            return
        if rate > 0 and rate != self.rate:
            with self._lock:
                now = self.clock()
                self.tokens = min(self.burst, self.tokens + (now - self._at) * self.rate)
                self._at, self.rate = now, rate

    def throttled(self) -> None:
        """A 429: the server's bucket is empty, so is ours."""
        with self._lock:
            self.tokens = min(self.tokens, 0.0)
            self._at = self.clock()

    def plan_seconds(self, calls: int) -> float:
        """Seconds ``calls`` calls take from a full bucket at the current rate."""
        return max(0, calls - int(self.burst)) / self.rate

    def pace(self) -> Pace | None:
        """The operation's burst at once, then the rate last stated by the header."""
        return Pace(self.operation, self.rate, int(self.burst))


class GraphQLCostLimiter(RateLimiter):
    """Query-cost bucket that mirrors ``extensions.cost.throttleStatus``.

    Before a query it waits until the projected available points cover the query's
    requested cost (the last cost seen for the same query, or ``default_cost``). That
    charge is a reservation: :meth:`settle` replaces it with what the answer reports, and
    refunds it when a failed attempt (a 5xx, a timeout) reports no cost at all.
    """

    def __init__(self, maximum_available: float = 1000, restore_rate: float = 50,
                 default_cost: float = 50,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        super().__init__(clock, sleep)
        self.maximum, self.restore = maximum_available, restore_rate
        self.default_cost = default_cost
        self.available = maximum_available
        self._at = clock()

    def _restore(self, now: float) -> None:
        self.available = min(self.maximum, self.available + (now - self._at) * self.restore)
        self._at = now

    def _reserve(self, cost: float) -> float:
        now = self.clock()
        self._restore(now)
        need = min(cost, self.maximum)  # never wait for what cannot be had
        wait = max(0.0, (need - self.available) / self.restore)
        self.available -= need
        return wait

    def observe(self, headers: Mapping[str, str], body: Any = None) -> None:
        """Adopt the server's throttle status when the body carries one."""
        status = throttle_status(body)
        if status is None:
            return
        with self._lock:
            self._at = self.clock()
            self.maximum = float(status.get("maximumAvailable") or self.maximum)
            self.restore = float(status.get("restoreRate") or self.restore)
            available = status.get("currentlyAvailable")
            if available is not None:
                self.available = float(available)

    def settle(self, reserved: float, body: Any, *, failed: bool) -> None:
        """Replace the reservation of one attempt by the cost its answer reports.

        A throttle status in the answer was adopted by :meth:`observe` and is the truth.
        Otherwise the reported ``actualQueryCost`` (else ``requestedQueryCost``) is charged
        instead of the reservation; a failed attempt that reports nothing is refunded, since
        the server charged nothing we know of. A success that reports nothing keeps the
        reservation: without figures, the estimate is the safe charge.
        """
        if throttle_status(body) is not None:
            return
        charged = reported_cost(body)
        if charged is None and not failed:
            return
        refund = min(reserved, self.maximum) - (charged or 0.0)
        with self._lock:
            self._restore(self.clock())
            self.available = min(self.maximum, self.available + refund)

    def wait_for(self, body: Any) -> float | None:
        """Seconds until a THROTTLED query's requested cost is restored, from its body."""
        cost = (body.get("extensions") or {}).get("cost") if isinstance(body, dict) else None
        status = throttle_status(body)
        if not cost or status is None:
            return None
        requested = float(cost.get("requestedQueryCost") or self.default_cost)
        available = float(status.get("currentlyAvailable") or 0)
        restore = float(status.get("restoreRate") or self.restore)
        return max(0.0, (min(requested, self.maximum) - available) / restore)


class CostReservation:
    """The points one GraphQL attempt reserved, settled once with what its answer says."""

    def __init__(self, limiter: GraphQLCostLimiter, cost: float) -> None:
        self.limiter, self.cost = limiter, cost
        self.settled = False

    def settle(self, body: Any, *, failed: bool) -> None:
        """See :meth:`GraphQLCostLimiter.settle`; later calls do nothing."""
        if not self.settled:
            self.settled = True
            self.limiter.settle(self.cost, body, failed=failed)


def throttle_status(body: Any) -> dict[str, Any] | None:
    """``extensions.cost.throttleStatus`` of a GraphQL body, or None."""
    if not isinstance(body, dict):
        return None
    ext = body.get("extensions")
    cost = ext.get("cost") if isinstance(ext, dict) else None
    status = cost.get("throttleStatus") if isinstance(cost, dict) else None
    return status if isinstance(status, dict) else None


def requested_cost(body: Any) -> float | None:
    """``extensions.cost.requestedQueryCost`` of a GraphQL body, or None."""
    if isinstance(body, dict) and isinstance(body.get("extensions"), dict):
        cost = body["extensions"].get("cost")
        if isinstance(cost, dict) and cost.get("requestedQueryCost") is not None:
            return float(cost["requestedQueryCost"])
    return None


def reported_cost(body: Any) -> float | None:
    """What a GraphQL answer says the query cost: ``actualQueryCost``, else the requested."""
    if isinstance(body, dict) and isinstance(body.get("extensions"), dict):
        cost = body["extensions"].get("cost")
        if isinstance(cost, dict):
            for key in ("actualQueryCost", "requestedQueryCost"):
                if isinstance(cost.get(key), int | float):
                    return float(cost[key])
    return None


def build_limiter(spec: LeakyBucketSpec | TokenBucketSpec | HeaderRateSpec | GraphQLCostSpec,
                  clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> RateLimiter:
    """A limiter from its YAML declaration."""
    if isinstance(spec, LeakyBucketSpec):
        return LeakyBucketLimiter(spec.capacity, spec.leak_per_second, spec.usage_header,
                                  clock, sleep)
    if isinstance(spec, TokenBucketSpec):
        return TokenBucketLimiter(spec.rate_per_second, spec.burst, clock, sleep)
    if isinstance(spec, HeaderRateSpec):
        return HeaderRateLimiter(spec.rate_per_second, spec.burst, spec.header, spec.operation,
                                 spec.path_pattern, clock, sleep)
    return GraphQLCostLimiter(spec.maximum_available, spec.restore_rate, spec.default_cost,
                              clock, sleep)
