"""Youzan's push messages as the sandbox sends them (the kit's sender delivers them).

The body is ``{client_id, id, kdt_id, kdt_name, mode, msg, msg_id, sendCount, status,
test, type, version}`` with ``msg`` the message's JSON URL-encoded (UTF-8); the headers
``Event-Sign`` (lower-case hex ``md5(client_id + body + client_secret)``), ``Event-Type``
(the message type, e.g. ``trade_TradeCreate``) and ``Client-Id``. A new subscription first
gets a test message (``test: true``), as Youzan checks an endpoint.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from urllib.parse import quote_plus

from synchub.sandbox.kit.webhooks import Delivery, Subscription, WebhookStyle


def push_signature(client_id: str, body: bytes, secret: str) -> str:
    """``md5(client_id + body + client_secret)``, lower-case hex."""
    return hashlib.md5(client_id.encode() + body + secret.encode(),
                       usedforsecurity=False).hexdigest()


def push_body(store: Any, topic: str, message: dict[str, Any], event_id: str, *,
              test: bool = False) -> bytes:
    """One push message's bytes (``message`` holds ``_id`` and ``_status``)."""
    inner = {k: v for k, v in message.items() if not k.startswith("_")}
    text = json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
    envelope = {"client_id": store.client_id, "id": message.get("_id", ""),
                "kdt_id": store.kdt_id, "kdt_name": store.kdt_name, "mode": 1,
                "msg": quote_plus(text, safe=""), "msg_id": event_id, "sendCount": 0,
                "status": message.get("_status", ""), "test": test, "type": topic,
                "version": int(time.time())}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


class YouzanPushes(WebhookStyle):
    """Signed with the app's client_secret; a test message on subscription."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def default_secret(self, store: Any, sid: int) -> str:
        """Every push of the app is signed with its client_secret."""
        return str(store.client_secret)

    def body(self, store: Any, topic: str, resource: dict[str, Any], event_id: str) -> bytes:
        """The envelope with ``msg`` URL-encoded."""
        return push_body(store, topic, resource, event_id)

    def sign(self, store: Any, secret: str, body: bytes) -> str:
        """``Event-Sign``."""
        return push_signature(store.client_id, body, secret)

    def headers(self, store: Any, sub: Subscription, topic: str, sig: str, event_id: str,
                delivery_id: str) -> dict[str, str]:
        """``Event-Sign``, ``Event-Type``, ``Client-Id``."""
        return {"Content-Type": "application/json", "Event-Sign": sig, "Event-Type": topic,
                "Client-Id": store.client_id}

    def ping(self, sub: Subscription) -> Delivery | None:
        """Youzan's test message (``test: true``) to a new endpoint."""
        store = self.store
        body = push_body(store, sub.topic, {"_id": "", "_status": ""}, f"test-{sub.id}",
                         test=True)
        return Delivery(sub.id, sub.topic, sub.address, body, self.headers(
            store, sub, sub.topic, self.sign(store, sub.secret, body), "", ""))
