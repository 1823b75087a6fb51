"""The Squarespace Commerce API as the sandbox serves it, under ``/squarespace/<store>``.

Written by ``synchub new-system``: a bearer key, the vendor's error envelope, a rate limit
and ``GET /orders`` filtered by change time and paged as ``connectors/squarespace/connector.yaml``
declares it. Make each of them what the vendor's documentation says (docs/sandbox.md,
"Writing a new vendor's simulator").
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request

from synchub.sandbox.kit.auth import bearer_token, same_secret
from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.paging import as_row, decode_token, encode_token, window
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.table import public
from synchub.sandbox.kit.times import parse_time
from synchub.sandbox.squarespace.store import SquarespaceStore

PAGE_DEFAULT, PAGE_MAX = 50, 50


def envelope(status: int, code: str, message: str) -> Reply:
    """An error as the vendor words it (change: the documented error body)."""
    return Reply(status, {"code": code, "message": message})


class SquarespaceAPI(VendorAPI):
    """A bearer key, errors in the vendor's envelope, the vendor's rate limit."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault in the vendor's envelope."""
        if status == 429:
            reply = envelope(429, "rate_limited", "Too many requests.")
            reply.headers["Retry-After"] = "1"
            return reply
        return envelope(status, "server_error", "The service is unavailable.")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """``Authorization: Bearer <the store's API key>``."""
        if same_secret(bearer_token(request), store.api_key):
            return None
        return envelope(401, "unauthorized", "Invalid or missing API key.")

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """At most the account's limit; a 429 says when to come back."""
        if not store.rate_limits or store.limiter.take():
            return None, {}
        reply = envelope(429, "rate_limited", "Too many requests.")
        reply.headers["Retry-After"] = str(max(1, math.ceil(store.limiter.retry_after())))
        return reply, {}


def list_orders(store: SquarespaceStore, call: Call) -> Reply:
    """``GET /orders``: changed in [updated_min, updated_max], oldest change first, paged
    by an opaque ``cursor`` (the next one in ``next_cursor``, null on the last page)."""
    query = call.query
    try:
        limit = int(query.get("limit", PAGE_DEFAULT))
        low = parse_time(query["updated_min"]) if "updated_min" in query else None
        high = parse_time(query["updated_max"]) if "updated_max" in query else None
        after = as_row(decode_token(query["cursor"])["after"]) if "cursor" in query else None
    except (KeyError, ValueError):
        return envelope(400, "invalid_parameter", "A parameter is not valid.")
    if not 1 <= limit <= PAGE_MAX:
        return envelope(400, "invalid_parameter", f"limit must be 1 to {PAGE_MAX}.")
    page = window(store.changed_between(low, high), limit, after=after)
    orders = [public(store.records[oid]) for _changed, oid in page.rows]
    cursor = encode_token({"after": list(page.rows[-1])}) if page.has_next else None
    return Reply(200, {"orders": orders, "next_cursor": cursor})


ROUTES = (Route("GET", "/squarespace/{store}/orders", list_orders),)
SYSTEM = System("squarespace", SquarespaceStore, SquarespaceAPI(), ROUTES)
