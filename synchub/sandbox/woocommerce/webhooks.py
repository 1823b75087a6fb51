"""WooCommerce webhooks: ``/wp-json/wc/v3/webhooks`` and how deliveries look.

The subscription endpoints go through the same pipeline as every other call (faults, auth,
limits); the deliveries come from :mod:`synchub.sandbox.kit.webhooks`, signed with a secret
per webhook and carrying WooCommerce's ``X-WC-Webhook-*`` headers. A new active webhook's
URL is pinged first with an unsigned form body, as WooCommerce does.
"""

from __future__ import annotations

from typing import Any

from synchub.sandbox.kit.http import Reply, json_value
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.seed import stable_int
from synchub.sandbox.kit.times import iso_naive_gmt, iso_naive_local
from synchub.sandbox.kit.webhooks import Delivery, Subscription, WebhookStyle
from synchub.sandbox.woocommerce.errors import invalid_id, invalid_json, invalid_param, wp_error

RESOURCES = frozenset({"order", "customer", "product", "coupon"})
EVENTS = frozenset({"created", "updated", "deleted", "restored"})
USER_AGENT = "WooCommerce/9.9 Hookshot (WordPress/6.8)"
BASE = "/woocommerce/{store}/wp-json/wc/v3"


class WooWebhooks(WebhookStyle):
    """A secret per webhook, ``X-WC-Webhook-*`` headers, a ping on creation."""

    def default_secret(self, store: Any, sid: int) -> str:
        """WooCommerce generates a secret per webhook."""
        return f"wcs_{stable_int(store.key, 'webhook-secret', sid):x}"

    def headers(self, store: Any, sub: Subscription, topic: str, sig: str, event_id: str,
                delivery_id: str) -> dict[str, str]:
        """WooCommerce's delivery headers."""
        resource_name, _, event = topic.partition(".")
        return {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-WC-Webhook-Source": sub.source or f"https://{store.name}.example/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource_name,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sig,
            "X-WC-Webhook-ID": str(sub.id),
            "X-WC-Webhook-Delivery-ID": delivery_id,
        }

    def ping(self, sub: Subscription) -> Delivery:
        """WooCommerce pings a new webhook's URL with an unsigned form body."""
        return Delivery(sub.id, "ping", sub.address, f"webhook_id={sub.id}".encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT})


def subscription_json(sub: Subscription, tz: Any) -> dict[str, Any]:
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


def create(store: Any, call: Call) -> Reply:
    """``POST webhooks`` with ``{name, topic, delivery_url, secret, status}``."""
    data = json_value(call.body.strip(), {})
    if not isinstance(data, dict):
        return invalid_json()
    topic, url = data.get("topic"), data.get("delivery_url")
    resource, _, event = str(topic or "").partition(".")
    status = data.get("status", "active")
    if resource not in RESOURCES or event not in EVENTS:
        return invalid_param("topic", "Webhook topic is invalid.")
    if not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        return invalid_param("delivery_url", "Webhook delivery URL must be a valid URL.")
    if status not in ("active", "paused", "disabled"):
        return invalid_param("status", "status is not one of active, paused, disabled.")
    secret = data.get("secret")
    source = f"{str(call.request.base_url).rstrip('/')}/woocommerce/{call.path['store']}/"
    sub = store.webhooks.subscribe(str(topic), str(url), name=str(data.get("name") or ""),
                                   secret=secret if isinstance(secret, str) and secret
                                   else None, status=status, source=source)
    return Reply(201, subscription_json(sub, store.tz))


def _found(store: Any, call: Call) -> Subscription | None:
    sid = call.path["sid"]
    found: Subscription | None = (store.webhooks.subscriptions.get(int(sid))
                                  if sid.isdigit() else None)
    return found


def one(store: Any, call: Call) -> Reply:
    """``GET webhooks/<id>``."""
    found = _found(store, call)
    return Reply(200, subscription_json(found, store.tz)) if found else invalid_id("webhook")


def delete(store: Any, call: Call) -> Reply:
    """``DELETE webhooks/<id>?force=true`` (webhooks cannot be trashed)."""
    if call.query.get("force", "").lower() not in ("true", "1"):
        return wp_error(501, "woocommerce_rest_trash_not_supported",
                        "Webhooks do not support trashing.")
    found = _found(store, call)
    if found is None:
        return invalid_id("webhook")
    store.webhooks.remove(found.id)
    return Reply(200, subscription_json(found, store.tz))


ROUTES = (
    Route("GET", BASE + "/webhooks", lambda store, call: Reply(200, [
        subscription_json(w, store.tz) for w in store.webhooks.subscriptions.values()])),
    Route("POST", BASE + "/webhooks", create),
    Route("GET", BASE + "/webhooks/{sid}", one),
    Route("DELETE", BASE + "/webhooks/{sid}", delete),
)
