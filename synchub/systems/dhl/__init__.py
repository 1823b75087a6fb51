"""DHL, a courier: its Unified Tracking statuses as a status table (and transforms)."""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register DHL's strategies."""
    from synchub.systems.dhl.status import TRANSFORMS

    registry.add("courier_status", "dhl", "synchub.systems.dhl.status:dhl_status")
    TRANSFORMS.register_all(registry)
