"""Channel stock publishers, chosen by the ``type`` of a connector's ``stock_publisher``.

Publishers are registered strategies (kind ``stock_publisher``); :mod:`.base` says what
every one receives and answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synchub.registry import REGISTRY
from synchub.stock.publish.base import ListingChange, PublishStats, PushOutcome, StockPublisher

if TYPE_CHECKING:
    from synchub.config.connector import StockPublisherSpec
    from synchub.runtime import ConnectorClient


def create_publisher(spec: StockPublisherSpec, client: ConnectorClient, *,
                     run_id: str) -> StockPublisher:
    """The publisher the spec's ``type`` names, bound to a connection's client and a run."""
    cls: type[StockPublisher] = REGISTRY.get("stock_publisher", spec.type,
                                             key="stock_publisher.type")
    return cls(spec, client, run_id=run_id)


__all__ = ["ListingChange", "PublishStats", "PushOutcome", "StockPublisher", "create_publisher"]
