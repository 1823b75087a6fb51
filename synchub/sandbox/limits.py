"""Leaky-bucket rate limits: Shopify REST (40 calls, 2/s) and GraphQL cost points (2000, 100/s)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class LeakyBucket:
    """A bucket that fills by one per call and leaks at a fixed rate (Shopify REST)."""

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


class CostBucket:
    """Query-cost points that restore at a fixed rate (Shopify GraphQL)."""

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
