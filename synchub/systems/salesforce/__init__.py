"""Salesforce (the CRM role): OAuth 2.0 JWT bearer or refresh token, SOQL reads, upserts.

The ``salesforce_oauth`` auth signs an RS256 assertion with the Connection's private key
(or presents a refresh token) and keeps the ``instance_url`` the token answer names; every
data call goes there, not to the login host. The ``salesforce_soql`` transport reads a
SOQL query, following ``nextRecordsUrl`` until ``done``, with ``SystemModstamp`` as the
cursor. The writer ``salesforce_upsert`` upserts up to 200 records a call by an external id
field (``PATCH /composite/sobjects/<SObject>/<field>``, ``allOrNone: false``); a record
Salesforce refuses inside an HTTP 200 fails alone with Salesforce's message.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Salesforce's strategies."""
    from synchub.systems.salesforce.transforms import TRANSFORMS

    here = "synchub.systems.salesforce"
    registry.add("auth", "salesforce_oauth", f"{here}.auth:SalesforceAuth.from_spec",
                 spec=f"{here}.specs:SalesforceAuthSpec")
    registry.add("transport", "salesforce_soql", f"{here}.soql:SOQL",
                 spec=f"{here}.specs:SoqlStreamSpec")
    registry.add("writer", "salesforce_upsert", f"{here}.writer:SalesforceUpsertWriter")
    TRANSFORMS.register_all(registry)
