"""Shopify webhooks: ``/admin/api/<v>/webhooks.json`` and how deliveries look.

The subscription endpoints go through the same pipeline as every other call (faults, auth,
limits); the deliveries come from :mod:`synchub.sandbox.kit.webhooks`, signed with the
app's client secret and carrying Shopify's ``X-Shopify-*`` headers.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from synchub.sandbox.kit.http import Reply, json_value
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.times import iso_local
from synchub.sandbox.kit.webhooks import Subscription, WebhookStyle

TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled", "orders/paid",
                    "orders/fulfilled", "refunds/create", "customers/create",
                    "customers/update"})
BASE = "/shopify/{store}/admin/api/{version}"


class ShopifyWebhooks(WebhookStyle):
    """Signed with the app's client secret; ``X-Shopify-*`` headers."""

    def default_secret(self, store: Any, sid: int) -> str:
        """Shopify signs every webhook with the app's client secret."""
        return f"shpss_sandbox_{store.name}"

    def headers(self, store: Any, sub: Subscription, topic: str, sig: str, event_id: str,
                delivery_id: str) -> dict[str, str]:
        """Shopify's delivery headers."""
        now = datetime.now(UTC)
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sig,
            "X-Shopify-Shop-Domain": f"{store.name}.myshopify.com",
            "X-Shopify-Webhook-Id": str(uuid.UUID(hex=delivery_id)),
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Triggered-At": now.isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "X-Shopify-API-Version": sub.api_version or "2025-07",
        }


def subscription_json(sub: Subscription, tz: Any) -> dict[str, Any]:
    """A webhook as Shopify's REST API shows it."""
    stamp = iso_local(sub.created, tz)
    return {"id": sub.id, "address": sub.address, "topic": sub.topic, "created_at": stamp,
            "updated_at": stamp, "format": "json", "fields": [], "metafield_namespaces": [],
            "api_version": sub.api_version, "private_metafield_namespaces": []}


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def create(store: Any, call: Call) -> Reply:
    """``POST webhooks.json`` with ``{"webhook": {topic, address, format}}``."""
    data = json_value(call.body.strip(), {})
    hook = data.get("webhook") if isinstance(data, dict) and data else None
    if not isinstance(hook, dict):
        return Reply(400, {"errors": {"webhook": "Required parameter missing or invalid"}})
    topic, address = hook.get("topic"), hook.get("address")
    errors: dict[str, list[str]] = {}
    if topic not in TOPICS:
        errors["topic"] = ["Invalid topic specified."]
    if not _is_url(address):
        errors["address"] = ["can't be blank" if not address else "is invalid"]
    if hook.get("format", "json") != "json":
        errors["format"] = ["is not supported in this sandbox (json only)"]
    if not errors and any(s.topic == topic and s.address == address
                          for s in store.webhooks.subscriptions.values()):
        errors["address"] = ["for this topic has already been taken"]
    if errors:
        return Reply(422, {"errors": errors})
    sub = store.webhooks.subscribe(topic, address, api_version=call.path["version"])
    return Reply(201, {"webhook": subscription_json(sub, store.tz)})


def listing(store: Any, call: Call) -> Reply:
    """``GET webhooks.json``."""
    return Reply(200, {"webhooks": [subscription_json(w, store.tz)
                                    for w in store.webhooks.subscriptions.values()]})


def delete(store: Any, call: Call) -> Reply:
    """``DELETE webhooks/<id>.json``."""
    sid = call.path["sid"]
    gone = store.webhooks.remove(int(sid)) if sid.isdigit() else None
    return Reply(200, {}) if gone else Reply(404, {"errors": "Not Found"})


ROUTES = (
    Route("GET", BASE + "/webhooks.json", listing),
    Route("POST", BASE + "/webhooks.json", create),
    Route("DELETE", BASE + "/webhooks/{sid}.json", delete),
)
