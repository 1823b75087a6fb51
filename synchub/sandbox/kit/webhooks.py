"""Outgoing webhooks: subscriptions per store, signed deliveries, a sender thread.

A store calls :meth:`WebhookSender.emit` when an order or customer is created or changed
(under its lock); the body is rendered then, as the vendor snapshots the record when the
event happens, and queued for every active subscription of the topic. A daemon thread
POSTs the deliveries, shaped and signed as the vendor's :class:`WebhookStyle` says (the
record as JSON and base64 HMAC-SHA256 of the raw body unless it says otherwise), with its
headers, retrying a failed one a few times. ``drop_next`` loses the next deliveries (the
poll must recover them) and ``duplicate_next`` sends the next ones twice with the same ids
(the receiver must store them once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from synchub.sandbox.kit.http import dumps
from synchub.sandbox.kit.seed import hex128, stable_int

log = logging.getLogger("synchub.sandbox.webhooks")


def signature(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, body)), as Shopify and WooCommerce sign."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Subscription:
    """One registered webhook."""

    id: int
    topic: str
    address: str
    secret: str
    created: int
    name: str = ""
    status: str = "active"
    api_version: str = ""
    source: str = ""


@dataclass
class Delivery:
    """One POST to make (the same object is queued twice for a duplicate)."""

    subscription: int
    topic: str
    url: str
    body: bytes
    headers: dict[str, str]
    attempts: int = 0
    log: list[int] = field(default_factory=list)  # status per attempt (0: no answer)


class WebhookStyle(ABC):
    """How a vendor's webhooks look: secrets, delivery headers, a ping on subscription."""

    @abstractmethod
    def default_secret(self, store: Any, sid: int) -> str:
        """The signing secret of a subscription created without one."""

    @abstractmethod
    def headers(self, store: Any, sub: Subscription, topic: str, sig: str, event_id: str,
                delivery_id: str) -> dict[str, str]:
        """The headers of one delivery (``sig`` is :func:`signature` of the body)."""

    def ping(self, sub: Subscription) -> Delivery | None:
        """A delivery to send when an active subscription is created (none by default)."""
        return None

    def body(self, store: Any, topic: str, resource: dict[str, Any], event_id: str) -> bytes:
        """The bytes a delivery carries (the record as JSON by default)."""
        return dumps(resource)

    def sign(self, store: Any, secret: str, body: bytes) -> str:
        """The signature header's value (base64 HMAC-SHA256 of the body by default)."""
        return signature(secret, body)


class WebhookSender:
    """Subscriptions of one store and the thread that delivers their events."""

    max_attempts = 4
    backoff_seconds = 0.05
    timeout_seconds = 5.0

    def __init__(self, store: Any, style: WebhookStyle) -> None:
        self.store, self.style = store, style
        self.subscriptions: dict[int, Subscription] = {}
        self.drop_next = 0
        self.duplicate_next = 0
        self.sent: list[dict[str, Any]] = []  # what happened to each delivery, in order
        self._next_id = 1 + stable_int(store.key, "webhook-id") % 1000 * 1000
        self._events = 0
        self._queue: deque[Delivery] = deque()
        self._cond = threading.Condition()
        self._busy = 0
        self._thread: threading.Thread | None = None

    # -- subscriptions ---------------------------------------------------------------------

    def subscribe(self, topic: str, address: str, *, secret: str | None = None,
                  name: str = "", status: str = "active", api_version: str = "",
                  source: str = "") -> Subscription:
        """Register a webhook (the vendor routers validate the input first)."""
        with self._cond:
            sid = self._next_id
            self._next_id += 1
            sub = Subscription(id=sid, topic=topic, address=address,
                               secret=secret or self.style.default_secret(self.store, sid),
                               created=self.store.stamp(), name=name, status=status,
                               api_version=api_version, source=source)
            self.subscriptions[sid] = sub
        ping = self.style.ping(sub) if status == "active" else None
        if ping is not None:
            self._enqueue(ping)
        return sub

    def remove(self, sid: int) -> Subscription | None:
        """Delete a webhook; None when unknown."""
        with self._cond:
            return self.subscriptions.pop(sid, None)

    def control(self, drop_next: int | None = None,
                duplicate_next: int | None = None) -> dict[str, Any]:
        """Set the knobs: lose the next N deliveries, send the next N twice."""
        with self._cond:
            if drop_next is not None:
                self.drop_next = max(0, int(drop_next))
            if duplicate_next is not None:
                self.duplicate_next = max(0, int(duplicate_next))
            return {"drop_next": self.drop_next, "duplicate_next": self.duplicate_next,
                    "subscriptions": len(self.subscriptions), "queued": len(self._queue),
                    "sent": len(self.sent)}

    # -- events ----------------------------------------------------------------------------

    def emit(self, topic: str, render: Callable[[], dict[str, Any] | None]) -> int:
        """Queue ``topic`` for its subscribers; ``render`` (called only if any) gives the body."""
        subs = [s for s in list(self.subscriptions.values())
                if s.topic == topic and s.status == "active"]
        if not subs:
            return 0
        resource = render()
        if resource is None:
            return 0
        self._events += 1
        event_id = str(uuid.UUID(hex=hex128(self.store.key, "event", self._events)))
        body = self.style.body(self.store, topic, resource, event_id)
        queued = 0
        for sub in subs:
            with self._cond:
                if self.drop_next:
                    self.drop_next -= 1
                    self.sent.append({"subscription": sub.id, "topic": topic,
                                      "outcome": "dropped", "attempts": 0, "statuses": []})
                    continue
                twice = self.duplicate_next > 0
                self.duplicate_next -= 1 if twice else 0
            delivery = Delivery(sub.id, topic, sub.address, body, self.style.headers(
                self.store, sub, topic, self.style.sign(self.store, sub.secret, body), event_id,
                hex128(self.store.key, "delivery", event_id, sub.id)))
            self._enqueue(delivery)
            if twice:
                self._enqueue(Delivery(sub.id, topic, sub.address, body,
                                       dict(delivery.headers)))
            queued += 1
        return queued

    # -- the sender thread -----------------------------------------------------------------

    def _enqueue(self, delivery: Delivery) -> None:
        with self._cond:
            self._queue.append(delivery)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name=f"sandbox-webhooks-{self.store.name}")
                self._thread.start()
            self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery was sent or given up; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _run(self) -> None:
        with requests.Session() as session:
            while True:
                with self._cond:
                    while not self._queue:
                        if not self._cond.wait(30):
                            self._thread = None  # idle: a later delivery starts a new one
                            return
                    delivery = self._queue.popleft()
                    self._busy += 1
                try:
                    self._deliver(session, delivery)
                finally:
                    with self._cond:
                        self._busy -= 1
                        self._cond.notify_all()

    def _deliver(self, session: requests.Session, d: Delivery) -> None:
        while d.attempts < self.max_attempts:
            d.attempts += 1
            try:
                status = session.post(d.url, data=d.body, headers=d.headers,
                                      timeout=self.timeout_seconds).status_code
            except requests.RequestException:
                status = 0
            d.log.append(status)
            if 200 <= status < 300:
                break
            time.sleep(self.backoff_seconds * 2 ** (d.attempts - 1))
        ok = bool(d.log) and 200 <= d.log[-1] < 300
        with self._cond:
            self.sent.append({"subscription": d.subscription, "topic": d.topic,
                              "outcome": "delivered" if ok else "failed",
                              "attempts": d.attempts, "statuses": list(d.log)})
        if not ok:
            log.warning("sandbox webhook %s to subscription %d failed after %d attempts",
                        d.topic, d.subscription, d.attempts)

