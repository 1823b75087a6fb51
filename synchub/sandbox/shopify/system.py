"""Shopify as the sandbox serves it: auth, error bodies and REST call limit, the route table."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from synchub.sandbox.kit.auth import header_token
from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Route
from synchub.sandbox.shopify.graphql import graphql_reply
from synchub.sandbox.shopify.payments_controls import payments_control_router
from synchub.sandbox.shopify.rest import BASE
from synchub.sandbox.shopify.rest import ROUTES as REST_ROUTES
from synchub.sandbox.shopify.store import ShopifyStore
from synchub.sandbox.shopify.webhooks import ROUTES as WEBHOOK_ROUTES

AUTH_ERROR = {"errors": "[API] Invalid API key or access token "
                        "(unrecognized login or wrong password)"}
THROTTLED = {"errors": "Exceeded 2 calls per second for api client. "
                       "Reduce request rates to resume uninterrupted service."}
STATUS_BODIES = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                 504: "Gateway Timeout", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}


class ShopifyAPI(VendorAPI):
    """Shopify's auth, error shapes and REST call limit."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """A Shopify-shaped error for an injected status."""
        if status == 429:
            return Reply(429, THROTTLED, {"Retry-After": "1"})
        if status == 401:
            return Reply(401, AUTH_ERROR)
        headers = {"Retry-After": "1"} if status == 503 else {}
        return Reply(status, {"errors": STATUS_BODIES.get(status, "Error")}, headers)

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Check ``X-Shopify-Access-Token``."""
        if header_token(request, "X-Shopify-Access-Token", store.access_token):
            return None
        return Reply(401, AUTH_ERROR)

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """The leaky bucket (40 calls, 2/s); GraphQL has its own cost bucket instead."""
        if request.url.path.endswith("/graphql.json"):
            return None, {}
        if not store.rate_limits:
            return None, {"X-Shopify-Shop-Api-Call-Limit": "1/40"}
        bucket = store.rest_bucket
        if not bucket.take():
            return (Reply(429, THROTTLED, {"Retry-After": "2.0"}),
                    {"X-Shopify-Shop-Api-Call-Limit": f"{bucket.capacity}/{bucket.capacity}"})
        return None, {"X-Shopify-Shop-Api-Call-Limit": f"{bucket.used}/{bucket.capacity}"}


ROUTES = (
    *WEBHOOK_ROUTES,
    *REST_ROUTES,
    Route("POST", BASE + "/graphql.json", graphql_reply),
)
SYSTEM = System("shopify", ShopifyStore, ShopifyAPI(), ROUTES,
                controls=payments_control_router)
