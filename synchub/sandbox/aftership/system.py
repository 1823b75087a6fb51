"""AfterShip Tracking API 2024-10: create trackings, list them by ``updated_at`` with cursors.

Served under ``/aftership/<store>/tracking/2024-10``. The key travels in the ``as-api-key``
header. Limit: 10 requests a second per account.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from synchub.sandbox.aftership.store import VERSION, AfterShipStore, envelope
from synchub.sandbox.kit.auth import header_token
from synchub.sandbox.kit.http import Reply, VendorAPI, json_value
from synchub.sandbox.kit.parcels import track_router
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Route


class AfterShipAPI(VendorAPI):
    """AfterShip's key header, envelope errors and 10 requests a second."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An envelope error for an injected status."""
        text = {401: ("Invalid API key.", "Unauthorized"),
                404: ("The URI requested is invalid or the resource requested does not "
                      "exist.", "NotFound"),
                429: ("You have exceeded the API call rate limit. The default limit is 10 "
                      "requests per second.", "TooManyRequests")}
        message, kind = text.get(status, ("Something went wrong on AfterShip's end.",
                                          "InternalError"))
        return envelope(status, message=message, type_=kind)

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """The ``as-api-key`` header must be the account's key."""
        if header_token(request, "as-api-key", store.api_key):
            return None
        return self.error_reply(store, 401)

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """10 requests a second; the as-rate-limit-* headers on every answer."""
        if not store.rate_limits:
            return None, {}
        ok = store.bucket.take()
        headers = {"as-rate-limit-limit": "10",
                   "as-rate-limit-remaining": str(max(0, 10 - store.bucket.used)),
                   "as-rate-limit-reset": str(int(time.time()) + 1)}
        return (None if ok else self.error_reply(store, 429)), headers


BASE = f"/aftership/{{store}}/tracking/{VERSION}"
ROUTES = (
    Route("GET", f"{BASE}/trackings", lambda s, call: s.list(call.query)),
    Route("POST", f"{BASE}/trackings", lambda s, call: s.create(json_value(call.body.strip()))),
)
SYSTEM = System("aftership", AfterShipStore, AfterShipAPI(), ROUTES,
                controls=lambda get_store: track_router("aftership", get_store))
