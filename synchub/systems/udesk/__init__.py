"""Udesk (customer service, the CRM role): Open API v2 signing, customers pushed, tickets read.

The ``udesk_v2`` auth signs every request with the super administrator's email and
open_api_token (a fresh nonce each time); the ``udesk_rest`` transport checks Udesk's
``code`` envelope; the writer ``udesk_customer_upsert`` creates or updates customers by the
hub's id (``web_token``). Tickets map to the canonical ``ServiceTicket``.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Udesk's strategies."""
    from synchub.systems.udesk.transforms import TRANSFORMS

    here = "synchub.systems.udesk"
    registry.add("auth", "udesk_v2", f"{here}.auth:UdeskSignAuth.from_spec",
                 spec=f"{here}.specs:UdeskSignAuthSpec")
    registry.add("transport", "udesk_rest", f"{here}.transport:UDESK_REST",
                 spec=f"{here}.transport:UdeskStreamSpec")
    registry.add("writer", "udesk_customer_upsert", f"{here}.customers:UdeskCustomerWriter")
    TRANSFORMS.register_all(registry)
