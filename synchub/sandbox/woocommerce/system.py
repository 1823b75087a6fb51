"""WooCommerce as the sandbox serves it: key-pair auth, WordPress error bodies, the route
table (no rate limit, as the plugin itself has none)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from synchub.sandbox.kit.auth import key_pair, same_secret
from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.registry import System
from synchub.sandbox.woocommerce.errors import wp_body
from synchub.sandbox.woocommerce.rest import ROUTES as REST_ROUTES
from synchub.sandbox.woocommerce.store import WooStore
from synchub.sandbox.woocommerce.webhooks import ROUTES as WEBHOOK_ROUTES

AUTH_ERROR = wp_body(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")


class WooAPI(VendorAPI):
    """WooCommerce's key-pair auth and error shapes (no built-in rate limit)."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """A WordPress-shaped error for an injected status."""
        if status == 401:
            return Reply(401, AUTH_ERROR)
        code, message = {
            429: ("rest_too_many_requests", "Too many requests. Please slow down."),
            404: ("rest_no_route", "No route was found matching the URL and request method."),
        }.get(status, ("internal_server_error",
                       "There has been a critical error on this website."))
        headers = {"Retry-After": "1"} if status in (429, 503) else {}
        return Reply(status, wp_body(status, code, message), headers)

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """HTTP Basic (key as user, secret as password) or ``consumer_key``/``consumer_secret``."""
        key, secret = key_pair(request, "consumer_key", "consumer_secret")
        ok = same_secret(key, store.consumer_key) and same_secret(secret, store.consumer_secret)
        return None if ok else Reply(401, AUTH_ERROR)


SYSTEM = System("woocommerce", WooStore, WooAPI(), (*WEBHOOK_ROUTES, *REST_ROUTES))
