"""A DHL API account: the parcels it was asked about, rendered as DHL's Shipment Tracking -
Unified API shows them.

Any well-formed tracking number has a seeded journey (:mod:`synchub.sandbox.kit.parcels`);
a malformed one, or one the control action ``track`` set to ``not_found``, answers DHL's
404. The API, its key and its limits: :mod:`.system`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from synchub.sandbox.kit.errors import problem_json
from synchub.sandbox.kit.http import Reply
from synchub.sandbox.kit.limits import LeakyBucket
from synchub.sandbox.kit.parcels import Journey, JourneyStore, Step
from synchub.sandbox.kit.times import iso_local

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


class DhlStore(JourneyStore):
    """One DHL API account: its key, the journeys it has been asked about, its quotas."""

    system = "dhl"

    def __init__(self, seed: int, name: str, *, orders: int = 0, customers: int = 0,
                 products: int = 1, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, products=products, rate_limits=rate_limits)
        self.api_key = f"dhl_sandbox_{name}"
        self.daily_quota = 250
        self.calls: dict[str, int] = {}
        self.bucket = LeakyBucket(capacity=2, leak_per_second=1.0)

    def credentials(self) -> dict[str, str]:
        """The API key (the Connection's password)."""
        return {"api_key": self.api_key}

    def counts(self) -> dict[str, int]:
        """Parcels asked about and those answered as unknown."""
        return self.parcel_counts()

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
            return problem_json(400, "Bad Request",
                                "The query parameter trackingNumber is missing.")
        journey = self.journey(number)
        if journey is None:
            return problem_json(404, "No result found", NOT_FOUND)
        shipment = self.render(journey)
        service = params.get("service")
        if service and service != shipment["service"]:
            return problem_json(404, "No result found", NOT_FOUND)
        return Reply(200, {"shipments": [shipment]})


def _event(step: Step) -> dict[str, Any]:
    code, status, description = WORDING[step.stage]
    return {"timestamp": iso_local(step.at, LOCAL),
            "location": {"address": {"addressLocality": step.location}},
            "statusCode": code, "status": status, "description": description}
