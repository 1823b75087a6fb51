"""FedEx, a courier: its Track API's status codes as a status table.

The token (OAuth client credentials in the form body) and the batched tracking POST (up to
30 numbers a call, ``inputs.batch_size``) are declared in ``connectors/fedex/connector.yaml``
with the engine's generic auth, REST transport and store-fed inputs; the status table
``fedex`` and its transforms are here (:mod:`synchub.systems.fedex.status`).
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register FedEx's strategies."""
    from synchub.systems.fedex.status import TRANSFORMS

    registry.add("courier_status", "fedex", "synchub.systems.fedex.status:fedex_status")
    TRANSFORMS.register_all(registry)
