"""AfterShip, a tracking aggregator: its tags as a status table. Trackings for the hub's
open parcels are created by the generic ``http`` writer its connector declares."""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register AfterShip's strategies."""
    registry.add("courier_status", "aftership",
                 "synchub.systems.aftership.status:aftership_status")
