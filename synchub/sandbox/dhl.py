"""DHL Shipment Tracking - Unified API: ``GET /track/shipments?trackingNumber=...``.

Served under ``/dhl/<store>``. The key travels in the ``DHL-API-Key`` header; errors are
RFC 7807 problem+json (``status``, ``title``, ``detail``). Any well-formed tracking number
has a seeded journey (:mod:`synchub.sandbox.parcels`); a malformed one, or one the control
action ``track`` set to ``not_found``, answers DHL's 404. Limits as DHL's initial service
level: one call a second (a bucket of 2 absorbs jitter) and 250 calls a day
(``daily_quota``), both off when the sandbox runs without rate limits.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from synchub.sandbox.http_common import Reply, VendorAPI, serve
from synchub.sandbox.limits import LeakyBucket
from synchub.sandbox.parcels import (
    Journey,
    Step,
    advance,
    normalize_number,
    seeded_journey,
    well_formed,
)
from synchub.sandbox.store import BaseStore
from synchub.sandbox.util import iso_local

PROBLEM = "application/problem+json"
LOCAL = ZoneInfo("Europe/Berlin")   # DHL writes local times with their offset
NOT_FOUND = "No shipment with given tracking number found."
# stage -> (statusCode, status, description)
WORDING: dict[str, tuple[str, str, str]] = {
    "info_received": ("pre-transit", "Shipment information received",
                      "The instruction data for this shipment have been provided by the "
                      "sender to DHL electronically"),
    "in_transit": ("transit", "Processed at parcel center",
                   "The shipment has been processed in the parcel center"),
    "out_for_delivery": ("transit", "With delivery courier",
                         "The shipment has been loaded onto the delivery vehicle"),
    "failed_attempt": ("transit", "Delivery attempt",
                       "An attempted delivery was unsuccessful; the recipient is notified"),
    "delivered": ("delivered", "DELIVERED", "The shipment has been delivered"),
    "exception": ("failure", "Shipment on hold",
                  "The shipment could not be processed; clarification is in progress"),
    "returned": ("delivered", "Returned to sender",
                 "The shipment has been returned to the sender"),
    "expired": ("unknown", "No further information", "No further information is available"),
}


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None
            ) -> Reply:
    """A problem+json reply as DHL sends them."""
    return Reply(status, {"status": status, "title": title, "detail": detail},
                 {"content-type": PROBLEM, **(headers or {})})


class DhlStore(BaseStore):
    """One DHL API account: its key, the journeys it has been asked about, its quotas."""

    system = "dhl"

    def __init__(self, seed: int, name: str, *, orders: int = 0, customers: int = 0,
                 products: int = 1, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, orders=0, customers=0, products=max(products, 1),
                         rate_limits=rate_limits)
        self.api_key = f"dhl_sandbox_{name}"
        self.journeys: dict[str, Journey] = {}
        self.forgotten: set[str] = set()
        self.daily_quota = 250
        self.calls: dict[str, int] = {}
        self.bucket = LeakyBucket(capacity=2, leak_per_second=1.0)

    def credentials(self) -> dict[str, str]:
        """The API key (the Connection's password)."""
        return {"api_key": self.api_key}

    def counts(self) -> dict[str, int]:
        """Parcels asked about and those answered as unknown."""
        with self.lock:
            return {"parcels": len(self.journeys), "not_found": len(self.forgotten)}

    def mutate(self, **_: int) -> dict[str, list[Any]]:
        """Nothing to mutate in bulk: parcels move through :meth:`set_status`."""
        return {}

    def journey(self, number: str) -> Journey | None:
        """The journey of a number (started now on first sight); None when DHL has none."""
        key = normalize_number(number)
        with self.lock:
            if key in self.forgotten or not well_formed(key):
                return None
            found = self.journeys.get(key)
            if found is None:
                found = self.journeys[key] = seeded_journey(self.key, key, self.stamp())
            return found

    def set_status(self, number: str, status: str) -> dict[str, Any]:
        """Move a parcel on (a stage of :data:`WORDING`) or make it unknown (``not_found``)."""
        key = normalize_number(number)
        if not well_formed(key):
            raise ValueError(f"{number!r} is not a well-formed tracking number")
        with self.lock:
            if status == "not_found":
                self.forgotten.add(key)
                self.journeys.pop(key, None)
                return {"tracking_number": key, "status": "not_found"}
            self.forgotten.discard(key)
            journey = self.journey(key)
            assert journey is not None
            advance(journey, status, self.stamp())
            return self.render(journey)

    def render(self, journey: Journey) -> dict[str, Any]:
        """The shipment as ``/track/shipments`` shows it (events newest first)."""
        events = [_event(s) for s in reversed(journey.steps)]
        express = journey.number.isdigit() and len(journey.number) == 10
        return {"id": journey.number, "service": "express" if express else "parcel-de",
                "origin": {"address": {"addressLocality": journey.origin}},
                "destination": {"address": {"addressLocality": journey.destination}},
                "status": events[0],
                "details": {"product": {"productName": "DHL EXPRESS WORLDWIDE" if express
                                        else "DHL PAKET"}, "totalNumberOfPieces": 1},
                "events": events}

    def track(self, params: Mapping[str, str]) -> Reply:
        """The answer to one tracking request."""
        number = (params.get("trackingNumber") or "").strip()
        if not number:
            return problem(400, "Bad Request", "The query parameter trackingNumber is missing.")
        journey = self.journey(number)
        if journey is None:
            return problem(404, "No result found", NOT_FOUND)
        shipment = self.render(journey)
        service = params.get("service")
        if service and service != shipment["service"]:
            return problem(404, "No result found", NOT_FOUND)
        return Reply(200, {"shipments": [shipment]})


def _event(step: Step) -> dict[str, Any]:
    code, status, description = WORDING[step.stage]
    return {"timestamp": iso_local(step.at, LOCAL),
            "location": {"address": {"addressLocality": step.location}},
            "statusCode": code, "status": status, "description": description}


class DhlAPI(VendorAPI):
    """DHL's key header, problem+json errors and its two limits."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """A problem+json reply for an injected status."""
        if status == 401:
            return problem(401, "Unauthorized", "Unauthorized for given resource.")
        if status == 429:
            return problem(429, "Too Many Requests", "Too many requests; try again later.",
                           {"Retry-After": "1"})
        if status == 404:
            return problem(404, "No result found", NOT_FOUND)
        return problem(status, "Server Error", "The service is temporarily unavailable.")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """The ``DHL-API-Key`` header must be the store's key."""
        given = request.headers.get("dhl-api-key", "")
        if hmac.compare_digest(given.encode(), store.api_key.encode()):
            return None
        return problem(401, "Unauthorized", "Unauthorized for given resource.")

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """One call a second and ``daily_quota`` calls per UTC day."""
        if not store.rate_limits:
            return None, {}
        if not store.bucket.take():
            return problem(429, "Too Many Requests", "Too many requests; at most 1 call per "
                           "second.", {"Retry-After": "1"}), {}
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        used = store.calls.get(day, 0)
        if used >= store.daily_quota:
            midnight = 86400 - int(datetime.now(UTC).timestamp()) % 86400
            return problem(429, "Too Many Requests", f"Daily quota of {store.daily_quota} "
                           "calls exceeded.", {"Retry-After": str(midnight)}), {}
        store.calls = {day: used + 1}
        return None, {}


def dhl_router(get_store: Callable[[str], DhlStore]) -> APIRouter:
    """``GET /dhl/<store>/track/shipments``."""
    router = APIRouter()
    api = DhlAPI()

    @router.get("/dhl/{store}/track/shipments")
    async def track(store: str, request: Request) -> Response:
        s = get_store(store)
        return await serve(api, s, request, lambda: s.track(request.query_params))

    return router
