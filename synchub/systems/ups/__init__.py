"""UPS, a courier: its Tracking API's status types as a status table, and its times.

The token (OAuth client credentials, HTTP Basic) and the tracking calls are declared in
``connectors/ups/connector.yaml`` with the engine's generic auth and REST transport; what
YAML cannot say is here: the status table ``ups`` and the transforms that read an
activity's GMT date and time (:mod:`synchub.systems.ups.status`).
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register UPS's strategies."""
    from synchub.systems.ups.status import TRANSFORMS

    registry.add("courier_status", "ups", "synchub.systems.ups.status:ups_status")
    TRANSFORMS.register_all(registry)
