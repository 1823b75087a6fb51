"""Seeded fault injection: forced statuses, random errors, latency, hangs and truncated bodies."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import Any

from synchub.sandbox.kit.seed import stable_int


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do to one API request."""

    status: int | None = None
    latency: float = 0.0
    hang: float = 0.0
    truncate: bool = False
    # a write (any method but GET) is applied, then its answer is lost: the client gets a
    # 504 from "the proxy" although the system committed (the case idempotency is for)
    lose_reply: bool = False


class FaultPlan:
    """Per-store fault settings; the random draws are seeded so a run can be repeated."""

    def __init__(self, seed_key: str) -> None:
        self._seed_key = seed_key
        self.configure()

    def configure(
        self, rate_429: float = 0.0, rate_5xx: float = 0.0, latency_ms: int = 0,
        timeout_rate: float = 0.0, truncate_rate: float = 0.0,
        fail_next: list[int] | None = None, hang_seconds: float = 30.0,
        lost_reply_rate: float = 0.0, lost_reply_next: int = 0,
    ) -> dict[str, Any]:
        """Replace every setting (and restart the random sequence); returns the settings."""
        for name, rate in (("rate_429", rate_429), ("rate_5xx", rate_5xx),
                           ("timeout_rate", timeout_rate), ("truncate_rate", truncate_rate),
                           ("lost_reply_rate", lost_reply_rate)):
            if not 0.0 <= float(rate) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        for status in fail_next or []:
            if not 400 <= int(status) <= 599:
                raise ValueError(f"fail_next status {status} is not an HTTP error status")
        self.rate_429, self.rate_5xx = float(rate_429), float(rate_5xx)
        self.latency_ms, self.timeout_rate = int(latency_ms), float(timeout_rate)
        self.truncate_rate, self.hang_seconds = float(truncate_rate), float(hang_seconds)
        self.fail_next: deque[int] = deque(int(s) for s in fail_next or [])
        if int(lost_reply_next) < 0:
            raise ValueError("lost_reply_next must not be negative")
        self.lost_reply_rate, self.lost_reply_next = float(lost_reply_rate), int(lost_reply_next)
        self._lost_rng = random.Random(stable_int(self._seed_key, "lost-replies"))
        self._rng = random.Random(stable_int(self._seed_key, "faults"))
        return self.settings()

    def settings(self) -> dict[str, Any]:
        """The current settings, as the control endpoint reports them."""
        return {"rate_429": self.rate_429, "rate_5xx": self.rate_5xx,
                "latency_ms": self.latency_ms, "timeout_rate": self.timeout_rate,
                "truncate_rate": self.truncate_rate, "fail_next": list(self.fail_next),
                "hang_seconds": self.hang_seconds, "lost_reply_rate": self.lost_reply_rate,
                "lost_reply_next": self.lost_reply_next}

    def decide(self, method: str = "GET") -> Decision:
        """Draw the fate of the next API request."""
        decision = self._decide()
        if method != "GET" and decision.status is None and self._lose():
            return Decision(latency=decision.latency, lose_reply=True)
        return decision

    def _lose(self) -> bool:
        if self.lost_reply_next:
            self.lost_reply_next -= 1
            return True
        return bool(self.lost_reply_rate) and self._lost_rng.random() < self.lost_reply_rate

    def _decide(self) -> Decision:
        latency = self.latency_ms / 1000.0
        if self.fail_next:
            return Decision(status=self.fail_next.popleft(), latency=latency)
        if not (self.rate_429 or self.rate_5xx or self.timeout_rate or self.truncate_rate):
            return Decision(latency=latency)
        # Always draw four numbers so one setting does not shift the sequence of another.
        a, b, c, d = (self._rng.random() for _ in range(4))
        status = 429 if a < self.rate_429 else (
            self._rng.choice((500, 502, 503)) if b < self.rate_5xx else None)
        return Decision(status=status, latency=latency,
                        hang=self.hang_seconds if c < self.timeout_rate else 0.0,
                        truncate=d < self.truncate_rate)
