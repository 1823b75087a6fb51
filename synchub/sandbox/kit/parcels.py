"""Courier-neutral parcel journeys for the courier simulators (DHL, AfterShip).

Any well-formed tracking number has a journey: the first time a store hears of it, a few
seeded steps are laid out before that moment (information received, picked up, one to three
hub scans), all drawn from the number, so every run tells the same story. The control
action ``POST /_sandbox/<courier>/<store>/track`` (:func:`track_router`) then moves it on
(out for delivery, a failed attempt, delivered, an exception, returned). Each vendor
renders the steps in its own vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from synchub.sandbox.kit.control import answer, error, json_body
from synchub.sandbox.kit.seed import rng_for

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
