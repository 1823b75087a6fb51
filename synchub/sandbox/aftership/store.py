"""An AfterShip account: its trackings, created through the API and listed by ``updated_at``.

Bodies use AfterShip's envelope ``{"meta": {"code", "message", "type"}, "data"}``;
``meta.code`` 4003 says a tracking (slug + number) already exists. A created tracking gets
the seeded journey of its number (:mod:`synchub.sandbox.kit.parcels`); the control action
``track`` moves it on and bumps ``updated_at``. The API, its key and its limit:
:mod:`.system`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from synchub.sandbox.kit.http import Reply
from synchub.sandbox.kit.limits import LeakyBucket
from synchub.sandbox.kit.paging import decode_token, encode_token, offset_page
from synchub.sandbox.kit.parcels import (
    CourierStore,
    Journey,
    advance,
    normalize_number,
    seeded_journey,
)
from synchub.sandbox.kit.table import public
from synchub.sandbox.kit.times import iso_local, iso_utc_z, parse_time

VERSION = "2024-10"
TAGS: dict[str, tuple[str, str, str]] = {
    "info_received": ("InfoReceived", "InfoReceived_001", "Shipment information received"),
    "in_transit": ("InTransit", "InTransit_001", "Processed at sorting facility"),
    "out_for_delivery": ("OutForDelivery", "OutForDelivery_001", "Out for delivery"),
    "failed_attempt": ("AttemptFail", "AttemptFail_001", "Delivery attempted, nobody home"),
    "delivered": ("Delivered", "Delivered_001", "Delivered"),
    "exception": ("Exception", "Exception_001", "Shipment exception"),
    "returned": ("Exception", "Exception_011", "Shipment returned to sender"),
    "expired": ("Expired", "Expired_001", "No further updates"),
}
CREATE_KEYS = {"tracking_number", "slug", "order_id", "order_number", "title",
               "custom_fields", "order_promised_delivery_date", "language"}


def envelope(code: int, data: Any = None, message: str = "", type_: str = "OK",
             status: int | None = None, headers: dict[str, str] | None = None) -> Reply:
    """A reply in AfterShip's meta/data envelope."""
    meta: dict[str, Any] = {"code": code}
    if message:
        meta.update(message=message, type=type_)
    return Reply(status or code, {"meta": meta, "data": data if data is not None else {}},
                 headers or {})


class AfterShipStore(CourierStore):
    """One AfterShip account: its trackings (by slug and number) and its API key."""

    system = "aftership"

    def __init__(self, seed: int, name: str, *, orders: int = 0, customers: int = 0,
                 products: int = 1, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, products=products, rate_limits=rate_limits)
        self.api_key = f"as_sandbox_{name}"
        self.trackings: dict[tuple[str, str], dict[str, Any]] = {}
        self.journeys: dict[tuple[str, str], Journey] = {}
        self.bucket = LeakyBucket(capacity=10, leak_per_second=10.0)

    def credentials(self) -> dict[str, str]:
        """The API key (the Connection's password)."""
        return {"api_key": self.api_key}

    def counts(self) -> dict[str, int]:
        """Trackings registered."""
        with self.lock:
            return {"trackings": len(self.trackings)}

    def create(self, body: Any) -> Reply:
        """``POST /trackings``: register a number; 4003 when slug + number exist."""
        if not isinstance(body, dict) or set(body) - CREATE_KEYS:
            return envelope(4001, message="Invalid JSON data.", type_="BadRequest",
                            status=400)
        raw = body.get("tracking_number")
        number = normalize_number(raw) if isinstance(raw, str) else ""
        if not 4 <= len(number) <= 100:
            return envelope(4005, message="The value of `tracking_number` is invalid.",
                            type_="BadRequest", status=400)
        slug = str(body.get("slug") or "dhl").lower()
        key = (slug, number)
        if key in self.trackings:
            existing = self.trackings[key]
            return envelope(4003, {"id": existing["id"], "slug": slug,
                                   "tracking_number": number},
                            "Tracking already exists.", "BadRequest", status=400)
        now = self.stamp()
        journey = self.journeys[key] = seeded_journey(self.key, number, now)
        self.trackings[key] = {
            "id": hashlib.sha256(f"{self.key}:{slug}:{number}".encode()).hexdigest()[:32],
            "tracking_number": number, "slug": slug, "created_at": iso_utc_z(now),
            "order_id": body.get("order_id"), "order_number": body.get("order_number"),
            "title": body.get("title") or number,
            "custom_fields": body.get("custom_fields") or {}, "_updated": journey.updated}
        return envelope(201, self.render(key))

    def set_status(self, number: str, status: str) -> dict[str, Any]:
        """Move a registered tracking on (a stage of :data:`TAGS`); KeyError if none."""
        key = normalize_number(number)
        with self.lock:
            found = [k for k in self.trackings if k[1] == key]
            if not found:
                raise KeyError(f"no tracking {number!r}")
            for k in found:
                advance(self.journeys[k], status, self.stamp())
                self.trackings[k]["_updated"] = self.journeys[k].updated
            return self.render(found[0])

    def render(self, key: tuple[str, str]) -> dict[str, Any]:
        """A tracking as the API shows it (checkpoints oldest first)."""
        row, journey = self.trackings[key], self.journeys[key]
        tag, subtag, message = TAGS[journey.stage]
        checkpoints = [{"checkpoint_time": iso_local(s.at, self.tz),
                        "created_at": iso_utc_z(s.at), "slug": row["slug"],
                        "tag": TAGS[s.stage][0], "subtag": TAGS[s.stage][1],
                        "message": TAGS[s.stage][2], "location": s.location,
                        "city": s.location} for s in journey.steps]
        delivered = journey.updated if journey.stage == "delivered" else None
        return {**public(row), "updated_at": iso_utc_z(row["_updated"]), "tag": tag,
                "subtag": subtag, "subtag_message": message, "checkpoints": checkpoints,
                "shipment_delivery_date": iso_local(delivered, self.tz) if delivered else None}

    def list(self, params: Mapping[str, str]) -> Reply:
        """``GET /trackings``: filtered by ``updated_at_min``/``_max``, cursor paged."""
        try:
            limit = int(params.get("limit", "100"))
            if not 1 <= limit <= 200:
                raise ValueError
        except ValueError:
            return envelope(4001, message="limit must be between 1 and 200.",
                            type_="BadRequest", status=400)
        cursor = params.get("cursor")
        try:
            offset = int(decode_token(cursor)["offset"]) if cursor else 0
            low = parse_time(params["updated_at_min"]) if params.get("updated_at_min") else None
            high = parse_time(params["updated_at_max"]) if params.get("updated_at_max") else None
        except (ValueError, KeyError, TypeError):
            return envelope(4001, message="Invalid cursor or date parameter.",
                            type_="BadRequest", status=400)
        rows = sorted((r["_updated"], r["id"], k) for k, r in self.trackings.items()
                      if (low is None or r["_updated"] >= low)
                      and (high is None or r["_updated"] <= high))
        page, nxt = offset_page(rows, offset, limit)
        data = {"pagination": {"total": len(rows), "has_next_page": nxt is not None,
                               "next_cursor": encode_token({"offset": nxt})
                               if nxt is not None else None},
                "trackings": [self.render(k) for _, _, k in page]}
        return envelope(200, data)
