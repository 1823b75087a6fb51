"""AfterShip, a tracking aggregator: its tags as a status table, trackings created for the
hub's open parcels."""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register AfterShip's strategies."""
    from synchub.systems.aftership.status import TRANSFORMS

    registry.add("courier_status", "aftership",
                 "synchub.systems.aftership.status:aftership_status")
    registry.add("writer", "aftership_tracking",
                 "synchub.systems.aftership.writer:AfterShipTrackingWriter")
    TRANSFORMS.register_all(registry)
