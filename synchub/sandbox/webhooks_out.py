"""The sandbox's webhook sender: subscriptions per store, signed deliveries, a sender thread.

A store calls :meth:`WebhookSender.emit` when an order or customer is created or changed
(under its lock); the body is rendered then, as the vendor snapshots the record when the
event happens, and queued for every active subscription of the topic. A daemon thread
POSTs the deliveries signed as the vendor signs them (base64 HMAC-SHA256 of the raw body)
with the vendor's headers, retrying a failed one a few times. ``drop_next`` loses the next
deliveries (the poll must recover them) and ``duplicate_next`` sends the next ones twice
with the same ids (the receiver must store them once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from synchub.sandbox.util import dumps, iso_naive_gmt, iso_naive_local, stable_int

log = logging.getLogger("synchub.sandbox.webhooks")

SHOPIFY_TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled",
                            "orders/paid", "orders/fulfilled", "refunds/create",
                            "customers/create", "customers/update"})
WOO_RESOURCES = frozenset({"order", "customer", "product", "coupon"})
WOO_EVENTS = frozenset({"created", "updated", "deleted", "restored"})


def _hex128(*parts: object) -> str:
    """32 hex digits that depend only on ``parts`` (ids stay the same from run to run)."""
    return f"{stable_int(*parts, 'hi'):016x}{stable_int(*parts, 'lo'):016x}"


def signature(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, body)), as both vendors sign."""
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


class WebhookSender:
    """Subscriptions of one store and the thread that delivers their events."""

    max_attempts = 4
    backoff_seconds = 0.05
    timeout_seconds = 5.0

    def __init__(self, store: Any, vendor: str) -> None:
        self.store, self.vendor = store, vendor
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
                               secret=secret or self.default_secret(sid),
                               created=self.store.stamp(), name=name, status=status,
                               api_version=api_version, source=source)
            self.subscriptions[sid] = sub
        if self.vendor == "woocommerce" and status == "active":
            # WooCommerce pings a new webhook's URL with an unsigned form body
            ping = f"webhook_id={sid}".encode()
            self._enqueue(Delivery(sid, "ping", address, ping, {
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "WooCommerce/9.9 Hookshot (WordPress/6.8)"}))
        return sub

    def default_secret(self, sid: int) -> str:
        """Shopify signs with the app's client secret; WooCommerce generates one per webhook."""
        if self.vendor == "shopify":
            return f"shpss_sandbox_{self.store.name}"
        return f"wcs_{stable_int(self.store.key, 'webhook-secret', sid):x}"

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
        body = dumps(resource)
        self._events += 1
        event_id = str(uuid.UUID(hex=_hex128(self.store.key, "event", self._events)))
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
            delivery = Delivery(sub.id, topic, sub.address, body,
                                self._headers(sub, topic, body, event_id, resource))
            self._enqueue(delivery)
            if twice:
                self._enqueue(Delivery(sub.id, topic, sub.address, body,
                                       dict(delivery.headers)))
            queued += 1
        return queued

    def _headers(self, sub: Subscription, topic: str, body: bytes, event_id: str,
                 resource: dict[str, Any]) -> dict[str, str]:
        sig = signature(sub.secret, body)
        delivery_id = _hex128(self.store.key, "delivery", event_id, sub.id)
        if self.vendor == "shopify":
            now = datetime.now(UTC)
            return {
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": sig,
                "X-Shopify-Shop-Domain": f"{self.store.name}.myshopify.com",
                "X-Shopify-Webhook-Id": str(uuid.UUID(hex=delivery_id)),
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": now.isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "X-Shopify-API-Version": sub.api_version or "2025-07",
            }
        resource_name, _, event = topic.partition(".")
        return {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.9 Hookshot (WordPress/6.8)",
            "X-WC-Webhook-Source": sub.source or f"https://{self.store.name}.example/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource_name,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sig,
            "X-WC-Webhook-ID": str(sub.id),
            "X-WC-Webhook-Delivery-ID": delivery_id,
        }

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


# -- the vendors' JSON shapes of a subscription -----------------------------------------------

def shopify_json(sub: Subscription, tz: Any) -> dict[str, Any]:
    """A webhook as Shopify's REST API shows it."""
    from synchub.sandbox.util import iso_local

    stamp = iso_local(sub.created, tz)
    return {"id": sub.id, "address": sub.address, "topic": sub.topic, "created_at": stamp,
            "updated_at": stamp, "format": "json", "fields": [], "metafield_namespaces": [],
            "api_version": sub.api_version, "private_metafield_namespaces": []}


def woo_json(sub: Subscription, tz: Any) -> dict[str, Any]:
    """A webhook as WooCommerce's REST API shows it (the secret is never shown)."""
    resource, _, event = sub.topic.partition(".")
    return {"id": sub.id, "name": sub.name, "status": sub.status, "topic": sub.topic,
            "resource": resource, "event": event,
            "hooks": [f"woocommerce_{'new' if event == 'created' else event}_{resource}"],
            "delivery_url": sub.address,
            "date_created": iso_naive_local(sub.created, tz),
            "date_created_gmt": iso_naive_gmt(sub.created),
            "date_modified": iso_naive_local(sub.created, tz),
            "date_modified_gmt": iso_naive_gmt(sub.created)}
