"""HubSpot, a CRM: contacts upserted in batches by a unique property."""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register HubSpot's strategies."""
    registry.add("writer", "hubspot_batch_upsert",
                 "synchub.systems.hubspot.writer:HubSpotBatchUpsertWriter")
