"""A UPS developer app: its client id and secret, the tokens it was issued, and the
parcels it asked about, rendered as the Tracking API shows them.

Any well-formed number has a seeded journey (:mod:`synchub.sandbox.kit.parcels`); one the
control action ``track`` set to ``not_found`` answers UPS's 404. Activities carry the local
date and time (``YYYYMMDD``, ``HHMMSS``) and the same moment in GMT with the offset, most
recent first; ``gmtTime`` is written without leading zeros, as in UPS's own example.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from synchub.sandbox.kit.auth import IssuedTokens
from synchub.sandbox.kit.limits import LeakyBucket
from synchub.sandbox.kit.parcels import Journey, JourneyStore, Step

LOCAL = ZoneInfo("Europe/Berlin")   # the journeys' places are German hubs
TOKEN_SECONDS = 14399               # UPS tokens last about four hours
# stage -> (type, code, statusCode, description)
WORDING: dict[str, tuple[str, str, str, str]] = {
    "info_received": ("M", "MP", "003",
                      "Shipper created a label, UPS has not received the package yet."),
    "in_transit": ("I", "AR", "005", "Arrived at Facility"),
    "out_for_delivery": ("I", "OT", "072", "Out For Delivery Today"),
    "failed_attempt": ("X", "48", "007", "The receiver was not available for delivery. "
                                         "We'll make a second attempt the next business day."),
    "delivered": ("D", "FS", "011", "DELIVERED"),
    "exception": ("X", "X6", "007", "A mechanical failure has caused a delay."),
    "returned": ("RS", "RS", "012", "Returned to shipper"),
    "expired": ("NA", "NA", "000", "No further information"),
}


class UpsStore(JourneyStore, IssuedTokens):
    """One UPS app: its credentials, tokens and the journeys it has asked about."""

    system = "ups"

    def __init__(self, seed: int, name: str, *, orders: int = 0, customers: int = 0,
                 products: int = 1, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, products=products, rate_limits=rate_limits)
        self.client_id = f"ups_client_{name}"
        self.client_secret = f"ups_secret_{name}"
        self.init_tokens(TOKEN_SECONDS)
        self.token_requests = 0
        self.trans_ids: list[str] = []
        self.bucket = LeakyBucket(capacity=10, leak_per_second=5.0)

    def credentials(self) -> dict[str, str]:
        """The app's Client ID (login) and Client Secret (password)."""
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def connection(self, url: str) -> dict[str, Any]:
        """The Client ID as login, Client Secret as password."""
        return {"conn_type": "http", "host": url, "login": self.client_id,
                "password": self.client_secret}

    def counts(self) -> dict[str, int]:
        """Parcels asked about, those unknown, tokens issued."""
        with self.lock:
            return {**self.parcel_counts(), "tokens": len(self.tokens)}

    def render(self, journey: Journey) -> dict[str, Any]:
        """The shipment as ``/track/v1/details`` shows it (activities newest first)."""
        activity = [_activity(s) for s in reversed(journey.steps)]
        package: dict[str, Any] = {
            "trackingNumber": journey.number,
            "service": {"code": "011", "levelCode": "011", "description": "UPS Standard"},
            "currentStatus": {**activity[0]["status"],
                              "simplifiedTextDescription": activity[0]["status"]
                              ["description"].capitalize()},
            "activity": activity,
            "packageCount": 1,
        }
        if journey.stage == "delivered":
            package["deliveryDate"] = [{"type": "DEL", "date": activity[0]["date"]}]
        return {"inquiryNumber": journey.number, "package": [package]}


def _activity(step: Step) -> dict[str, Any]:
    kind, code, status_code, description = WORDING[step.stage]
    local = datetime.fromtimestamp(step.at, LOCAL)
    gmt = datetime.fromtimestamp(step.at, UTC)
    offset = local.strftime("%z")
    return {"date": local.strftime("%Y%m%d"), "time": local.strftime("%H%M%S"),
            "gmtDate": gmt.strftime("%Y%m%d"), "gmtTime": str(int(gmt.strftime("%H%M%S"))),
            "gmtOffset": f"{offset[:3]}:{offset[3:]}",
            "location": {"address": {"city": step.location, "countryCode": "DE",
                                     "country": "DE"}},
            "status": {"type": kind, "code": code, "statusCode": status_code,
                       "description": description}}
