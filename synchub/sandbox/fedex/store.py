"""A FedEx developer project: its API key and secret, the tokens it was issued, and the
parcels it asked about, rendered as the Track API shows them.

Any well-formed number has a seeded journey (:mod:`synchub.sandbox.kit.parcels`); one the
control action ``track`` set to ``not_found`` answers FedEx's per-number error
``TRACKING.TRACKINGNUMBER.NOTFOUND`` inside the 200. Scan events carry ISO times with the
local offset, newest first.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from synchub.sandbox.kit.auth import IssuedTokens
from synchub.sandbox.kit.limits import LeakyBucket
from synchub.sandbox.kit.parcels import Journey, JourneyStore, Step
from synchub.sandbox.kit.times import iso_local

LOCAL = ZoneInfo("Europe/Berlin")
TOKEN_SECONDS = 3599                 # FedEx tokens last an hour
NOT_FOUND = ("TRACKING.TRACKINGNUMBER.NOTFOUND",
             "Tracking number cannot be found. Please correct the tracking number and try "
             "again.")
# stage -> (eventType, derivedStatusCode, description, exceptionDescription)
WORDING: dict[str, tuple[str, str, str, str]] = {
    "info_received": ("OC", "IN", "Shipment information sent to FedEx", ""),
    "in_transit": ("AR", "IT", "Arrived at FedEx location", ""),
    "out_for_delivery": ("OD", "OD", "On FedEx vehicle for delivery", ""),
    "failed_attempt": ("DE", "DE", "Delivery exception",
                       "Customer not available or business closed"),
    "delivered": ("DL", "DL", "Delivered", ""),
    "exception": ("SE", "SE", "Shipment exception", "Incorrect address"),
    "returned": ("RS", "RS", "Return to shipper", ""),
    "expired": ("ZZ", "", "No further information", ""),
}


class FedexStore(JourneyStore, IssuedTokens):
    """One FedEx project: its credentials, tokens and the journeys it has asked about."""

    system = "fedex"

    def __init__(self, seed: int, name: str, *, orders: int = 0, customers: int = 0,
                 products: int = 1, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, products=products, rate_limits=rate_limits)
        self.client_id = f"fedex_key_{name}"
        self.client_secret = f"fedex_secret_{name}"
        self.init_tokens(TOKEN_SECONDS)
        self.token_requests = 0
        self.batches: list[int] = []        # numbers per tracking call, in order
        self.bucket = LeakyBucket(capacity=4, leak_per_second=2.0)

    def credentials(self) -> dict[str, str]:
        """The project's API key (login) and secret key (password)."""
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def connection(self, url: str) -> dict[str, Any]:
        """The API key as login, secret key as password."""
        return {"conn_type": "http", "host": url, "login": self.client_id,
                "password": self.client_secret}

    def counts(self) -> dict[str, int]:
        """Parcels asked about, those unknown, tokens issued."""
        with self.lock:
            return {**self.parcel_counts(), "tokens": len(self.tokens)}

    def render(self, journey: Journey) -> dict[str, Any]:
        """The ``completeTrackResults`` entry of a parcel the ``track`` action moved."""
        return self.result(journey.number)

    def result(self, number: str) -> dict[str, Any]:
        """One ``completeTrackResults`` entry for a number as it was asked."""
        journey = self.journey(number)
        if journey is None:
            code, message = NOT_FOUND
            return {"trackingNumber": number, "trackResults": [{
                "trackingNumberInfo": {"trackingNumber": number, "trackingNumberUniqueId": "",
                                       "carrierCode": ""},
                "error": {"code": code, "message": message}}]}
        events = [_event(s) for s in reversed(journey.steps)]
        latest = events[0]
        detail: dict[str, Any] = {"code": latest["eventType"],
                                  "derivedCode": latest["derivedStatusCode"],
                                  "statusByLocale": latest["eventDescription"],
                                  "description": latest["eventDescription"],
                                  "scanLocation": latest["scanLocation"]}
        if latest["exceptionDescription"]:
            detail["ancillaryDetails"] = [{"reason": "08", "reasonDescription":
                                           latest["exceptionDescription"]}]
        return {"trackingNumber": number, "trackResults": [{
            "trackingNumberInfo": {"trackingNumber": journey.number, "carrierCode": "FDXE",
                                   "trackingNumberUniqueId": f"12025~{journey.number}~FDEG"},
            "serviceDetail": {"type": "INTERNATIONAL_PRIORITY",
                              "description": "FedEx International Priority"},
            "latestStatusDetail": detail,
            "scanEvents": events}]}


def _event(step: Step) -> dict[str, Any]:
    kind, derived, description, exception = WORDING[step.stage]
    return {"date": iso_local(step.at, LOCAL), "eventType": kind,
            "eventDescription": description, "exceptionCode": "08" if exception else "",
            "exceptionDescription": exception,
            "scanLocation": {"city": step.location.upper(), "countryCode": "DE"},
            "derivedStatusCode": derived, "derivedStatus": description}
