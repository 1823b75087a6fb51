"""Courier-neutral parcel journeys for the courier simulators (DHL, UPS, FedEx, SF Express,
AfterShip).

Any well-formed tracking number has a journey: the first time a store hears of it, a few
seeded steps are laid out before that moment (information received, picked up, one to three
hub scans), all drawn from the number, so every run tells the same story. The control
action ``POST /_sandbox/<courier>/<store>/track`` (:func:`track_router`) then moves it on
(out for delivery, a failed attempt, delivered, an exception, returned). Each vendor
renders the steps in its own vocabulary.

:class:`CourierStore` is the store of a courier (no orders or customers of its own);
:class:`JourneyStore` adds the journeys a courier keeps by tracking number, the numbers it
answers as unknown and the ``track`` action's :meth:`~JourneyStore.set_status`.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from synchub.sandbox.kit.control import answer, error, json_body
from synchub.sandbox.kit.seed import rng_for
from synchub.sandbox.kit.store import BaseStore

Stage = Literal["info_received", "in_transit", "out_for_delivery", "failed_attempt",
                "delivered", "exception", "returned", "expired"]
STAGES: tuple[str, ...] = ("info_received", "in_transit", "out_for_delivery",
                           "failed_attempt", "delivered", "exception", "returned", "expired")
WELL_FORMED = re.compile(r"^[A-Z0-9]{8,39}$")
HUBS = ("Leipzig", "Bonn", "Hamburg", "Frankfurt am Main", "Koeln", "Muenchen", "Berlin",
        "Stuttgart", "Hannover", "Dortmund")
ORIGINS = ("Bielefeld", "Nuernberg", "Bremen", "Kassel")
DESTINATIONS = ("Amsterdam", "Wien", "Paris", "Berlin", "Mainz", "Dresden")


def normalize_number(text: str) -> str:
    """A tracking number as carriers compare them: no spaces, upper case."""
    return re.sub(r"\s+", "", text).upper()


def well_formed(number: str) -> bool:
    """True for 8 to 39 letters and digits (DHL, UPS and postal numbers all fit)."""
    return bool(WELL_FORMED.match(number))


@dataclass(slots=True)
class Step:
    """One thing that happened to a parcel."""

    at: int
    stage: str
    location: str


@dataclass(slots=True)
class Journey:
    """The steps of one parcel, oldest first, and where it goes."""

    number: str
    origin: str
    destination: str
    steps: list[Step] = field(default_factory=list)

    @property
    def stage(self) -> str:
        """The stage of the latest step."""
        return self.steps[-1].stage

    @property
    def updated(self) -> int:
        """When the latest step happened."""
        return self.steps[-1].at


def seeded_journey(key: str, number: str, anchor: int) -> Journey:
    """The journey of ``number`` up to ``anchor`` (epoch seconds), drawn from the number."""
    r = rng_for(key, "parcel", number)
    origin, destination = r.choice(ORIGINS), r.choice(DESTINATIONS)
    start = anchor - r.randrange(18, 30) * 3600
    steps = [Step(start, "info_received", origin),
             Step(start + r.randrange(2, 5) * 3600, "in_transit", origin)]
    hubs = r.sample(HUBS, r.randint(1, 3))
    gap = (anchor - 3600 - steps[-1].at) // (len(hubs) + 1)
    for i, hub in enumerate(hubs, start=1):
        steps.append(Step(steps[1].at + i * gap, "in_transit", hub))
    return Journey(number, origin, destination, steps)


def advance(journey: Journey, stage: str, at: int) -> Step:
    """Add a step at ``at`` (kept after the latest one) and return it."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    where = journey.destination if stage in ("out_for_delivery", "failed_attempt",
                                             "delivered") else (
        journey.origin if stage == "returned" else journey.steps[-1].location)
    step = Step(max(at, journey.updated + 1), stage, where)
    journey.steps.append(step)
    return step


class CourierStore(BaseStore):
    """A courier's account: it holds parcels, not orders or customers (the sandbox's volume
    options are accepted and ignored, as every simulated store takes them)."""

    def __init__(self, seed: int, name: str, *, orders: int = 0, customers: int = 0,
                 products: int = 1, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, orders=0, customers=0, products=max(products, 1),
                         rate_limits=rate_limits)


class JourneyStore(CourierStore):
    """A courier that knows a journey for every well-formed number it is asked about.

    A number is seeded on first sight (:func:`seeded_journey`); the ``track`` action moves
    it on or makes it unknown (``not_found``), which every courier answers in its own way
    (a 404, an error inside a 200, an empty route list). A courier whose numbers have
    another form overrides :meth:`parcel_key` and :meth:`number_known`; each renders a
    moved parcel through :meth:`render`.
    """

    number_kind = "tracking number"     # how the ValueError for a malformed number names it

    def __init__(self, seed: int, name: str, *, orders: int = 0, customers: int = 0,
                 products: int = 1, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, products=products, rate_limits=rate_limits)
        self.journeys: dict[str, Journey] = {}
        self.forgotten: set[str] = set()

    def parcel_key(self, number: str) -> str:
        """The number as this courier files it (by default :func:`normalize_number`)."""
        return normalize_number(number)

    def number_known(self, key: str) -> bool:
        """Whether a filed number has the courier's form (by default :func:`well_formed`)."""
        return well_formed(key)

    def parcel_counts(self) -> dict[str, int]:
        """Parcels asked about and those answered as unknown."""
        with self.lock:
            return {"parcels": len(self.journeys), "not_found": len(self.forgotten)}

    def journey(self, number: str) -> Journey | None:
        """The journey of a number (started now on first sight); None when the courier
        has none (malformed, or made unknown by ``track``)."""
        key = self.parcel_key(number)
        with self.lock:
            if key in self.forgotten or not self.number_known(key):
                return None
            found = self.journeys.get(key)
            if found is None:
                found = self.journeys[key] = seeded_journey(self.key, key, self.stamp())
            return found

    def set_status(self, number: str, status: str) -> dict[str, Any]:
        """Move a parcel on (a stage of :data:`STAGES`) or make it unknown (``not_found``);
        the moved parcel as the courier shows it (:meth:`render`)."""
        key = self.parcel_key(number)
        if not self.number_known(key):
            raise ValueError(f"{number!r} is not a well-formed {self.number_kind}")
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

    @abstractmethod
    def render(self, journey: Journey) -> dict[str, Any]:
        """The parcel as the courier's tracking answer shows it."""


def track_router(system: str, get_store: Callable[[str], Any]) -> APIRouter:
    """``POST /_sandbox/<system>/<store>/track`` (never faulted) with
    ``{"tracking_number": "...", "status": "delivered"}``: ``store.set_status(number,
    status)`` moves the parcel on (a stage of :data:`STAGES`, or what else the courier
    accepts). KeyError is a 404, ValueError and TypeError a 400."""
    router = APIRouter(prefix="/_sandbox")

    async def track(store: str, request: Request) -> JSONResponse:
        try:
            body = await json_body(request, {"tracking_number", "status"})
        except (ValueError, TypeError) as exc:
            return error(str(exc))
        number, status = body.get("tracking_number"), body.get("status")
        if not isinstance(number, str) or not isinstance(status, str):
            return error("tracking_number and status must be strings")
        return answer(lambda: get_store(store).set_status(number, status))

    router.add_api_route(f"/{system}/{{store}}/track", track, methods=["POST"])
    return router
