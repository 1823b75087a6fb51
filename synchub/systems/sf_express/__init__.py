"""SF Express (顺丰, 丰桥 open platform), a courier: its signed standard service, route
tracking and waybill creation.

Everything goes through ``POST /std/service`` with a ``msgDigest``: the ``sf_digest`` auth
signs, the ``sf_service`` transport sends a service's ``msgData`` and opens the answer, the
status table ``sf_express`` turns route ``opCode`` values into canonical statuses, the
writer ``sf_express_create_order`` asks SF for a waybill number for an order, and the
webhook verifier ``sf_route_push`` takes SF's route pushes into the inbox.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register SF Express's strategies."""
    from synchub.systems.sf_express.status import TRANSFORMS

    here = "synchub.systems.sf_express"
    registry.add("auth", "sf_digest", f"{here}.auth:SfDigestAuth.from_spec",
                 spec=f"{here}.specs:SfDigestAuthSpec")
    registry.add("transport", "sf_service", f"{here}.transport:SF_SERVICE",
                 spec=f"{here}.specs:SfServiceStreamSpec",
                 stream_checks=f"{here}.checks:check_stream")
    registry.add("courier_status", "sf_express", f"{here}.status:sf_status")
    registry.add("writer", "sf_express_create_order", f"{here}.waybill:SfCreateOrderWriter")
    registry.add("webhook_verifier", "sf_route_push", f"{here}.push:SF_ROUTE_PUSH")
    TRANSFORMS.register_all(registry)
