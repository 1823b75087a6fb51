"""DHL Shipment Tracking - Unified API: ``GET /track/shipments?trackingNumber=...``.

Served under ``/dhl/<store>``. The key travels in the ``DHL-API-Key`` header; errors are
RFC 7807 problem+json (``status``, ``title``, ``detail``). Limits as DHL's initial service
level: one call a second (a bucket of 2 absorbs jitter) and 250 calls a day
(``daily_quota``), both off when the sandbox runs without rate limits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from synchub.sandbox.dhl.store import NOT_FOUND, DhlStore
from synchub.sandbox.kit.auth import header_token
from synchub.sandbox.kit.errors import problem_json
from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.parcels import track_router
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Route


class DhlAPI(VendorAPI):
    """DHL's key header, problem+json errors and its two limits."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """A problem+json reply for an injected status."""
        if status == 401:
            return problem_json(401, "Unauthorized", "Unauthorized for given resource.")
        if status == 429:
            return problem_json(429, "Too Many Requests",
                                "Too many requests; try again later.", {"Retry-After": "1"})
        if status == 404:
            return problem_json(404, "No result found", NOT_FOUND)
        return problem_json(status, "Server Error", "The service is temporarily unavailable.")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """The ``DHL-API-Key`` header must be the store's key."""
        if header_token(request, "DHL-API-Key", store.api_key):
            return None
        return problem_json(401, "Unauthorized", "Unauthorized for given resource.")

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """One call a second and ``daily_quota`` calls per UTC day."""
        if not store.rate_limits:
            return None, {}
        if not store.bucket.take():
            return problem_json(429, "Too Many Requests",
                                "Too many requests; at most 1 call per second.",
                                {"Retry-After": "1"}), {}
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        used = store.calls.get(day, 0)
        if used >= store.daily_quota:
            midnight = 86400 - int(datetime.now(UTC).timestamp()) % 86400
            return problem_json(429, "Too Many Requests",
                                f"Daily quota of {store.daily_quota} calls exceeded.",
                                {"Retry-After": str(midnight)}), {}
        store.calls = {day: used + 1}
        return None, {}


ROUTES = (Route("GET", "/dhl/{store}/track/shipments",
                lambda s, call: s.track(call.query)),)
SYSTEM = System("dhl", DhlStore, DhlAPI(), ROUTES,
                controls=lambda get_store: track_router("dhl", get_store))
