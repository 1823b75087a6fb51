"""The plan layer: config files compiled into what runs (connectors, mappings, strategies)."""

from __future__ import annotations

from synchub.plan.hub import ConnectionPlan, Hub, StreamPlan, load_hub

__all__ = ["ConnectionPlan", "Hub", "StreamPlan", "load_hub"]
