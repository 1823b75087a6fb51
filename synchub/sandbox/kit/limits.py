"""Rate limiters the vendors' ``admit`` hooks count requests with; each takes a clock.

:class:`LeakyBucket` (Shopify REST: 40 calls leaking 2/s; DHL; AfterShip),
:class:`TokenBucket` (GraphQL cost points: 2000 restoring 100/s, see :mod:`.graphql_cost`)
and :class:`RollingWindow` (HubSpot: 100 requests in any 10 s); :class:`BanningQuota` (the
signed gateways: calls per minute, then a ban of N seconds). The vendor words the 429 (or
the ban's error) and the rate-limit headers.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class LeakyBucket:
    """A bucket that fills by one per call and leaks at a fixed rate."""

    def __init__(
        self, capacity: int = 40, leak_per_second: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity, self.leak, self._clock = capacity, leak_per_second, clock
        self._level, self._at = 0.0, clock()

    def _drain(self) -> None:
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._at) * self.leak)
        self._at = now

    def take(self) -> bool:
        """Count one call; False (and nothing counted) when the bucket is full."""
        self._drain()
        if self._level + 1 > self.capacity:
            return False
        self._level += 1
        return True

    @property
    def used(self) -> int:
        """Calls currently in the bucket, as the call-limit header reports them."""
        self._drain()
        return min(self.capacity, math.ceil(self._level - 1e-9))


class TokenBucket:
    """Points (GraphQL query cost) spent per request that restore at a fixed rate."""

    def __init__(
        self, maximum: float = 2000.0, restore_per_second: float = 100.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maximum, self.restore, self._clock = maximum, restore_per_second, clock
        self._available, self._at = maximum, clock()

    def _refill(self) -> None:
        now = self._clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore)
        self._at = now

    def try_spend(self, requested: float) -> bool:
        """Reserve ``requested`` points; False when fewer are available (THROTTLED)."""
        self._refill()
        if requested > self._available:
            return False
        self._available -= requested
        return True

    def refund(self, points: float) -> None:
        """Give back what the query did not use (requested minus actual cost)."""
        self._available = min(self.maximum, self._available + max(0.0, points))

    @property
    def available(self) -> float:
        """Points available now."""
        self._refill()
        return round(self._available, 1)


class RollingWindow:
    """At most ``maximum`` requests in any ``interval`` seconds (a sliding window)."""

    def __init__(self, maximum: int, interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.maximum, self.interval, self.clock = maximum, interval, clock
        self._times: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.interval:
            self._times.popleft()

    def take(self) -> bool:
        """Count one request; False (nothing counted) when the window is full."""
        now = self.clock()
        self._expire(now)
        if len(self._times) >= self.maximum:
            return False
        self._times.append(now)
        return True

    @property
    def remaining(self) -> int:
        """Requests still allowed in the current window."""
        self._expire(self.clock())
        return max(0, self.maximum - len(self._times))

    def retry_after(self) -> float:
        """Seconds until the oldest counted request leaves the window."""
        now = self.clock()
        self._expire(now)
        return max(0.0, self._times[0] + self.interval - now) if self._times else 0.0


class BanningQuota:
    """Calls per minute; the call past the quota starts a ban that lasts ``ban_seconds``.

    The signed gateways' rule: the refusal says how long the ban still lasts ("This ban will
    last for N more seconds"), and no call goes until it is over.
    """

    def __init__(self, per_minute: int, ban_seconds: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window = RollingWindow(per_minute, 60.0, clock=clock)
        self.ban_seconds, self.clock = ban_seconds, clock
        self.banned_until = 0.0

    def ban_left(self) -> int | None:
        """None when a call may go; else the whole seconds the ban still lasts."""
        now = self.clock()
        if now >= self.banned_until and self.window.take():
            return None
        if now >= self.banned_until:
            self.banned_until = now + self.ban_seconds
        return max(1, math.ceil(self.banned_until - now))


class CallQuota:
    """A store's call quota: a :class:`BanningQuota`, and refusals a test queues.

    Mixed into a store beside :class:`~synchub.sandbox.kit.store.BaseStore` (whose
    ``rate_limits`` switches the quota off); the store calls :meth:`init_quota` in its
    ``__init__`` and its API refuses a call for the rate when :meth:`over_quota` says so,
    in the vendor's words. ``limited`` holds one entry per next call to refuse whatever
    the quota says (a test's throttled call).
    """

    quota_per_minute = 600        # the sandbox's quota unless a store says otherwise
    quota_ban_seconds = 5
    rate_limits: bool

    def init_quota(self) -> None:
        """The default quota and no queued refusals."""
        self.throttle()
        self.limited: list[int] = []

    def throttle(self, per_minute: int | None = None, ban_seconds: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Allow ``per_minute`` calls, then refuse calls for ``ban_seconds``."""
        self.quota = BanningQuota(
            self.quota_per_minute if per_minute is None else per_minute,
            self.quota_ban_seconds if ban_seconds is None else ban_seconds, clock)

    def over_quota(self) -> bool:
        """Whether this call is refused for the call rate."""
        if self.limited:
            self.limited.pop(0)
            return True
        return bool(self.rate_limits) and self.quota.ban_left() is not None
