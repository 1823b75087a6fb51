"""Channel stock publishers, chosen by the ``type`` of a connector's ``stock_publisher``."""

from __future__ import annotations

from synchub.stock.publish.base import ListingChange, PublishStats, PushOutcome, StockPublisher

__all__ = ["ListingChange", "PublishStats", "PushOutcome", "StockPublisher"]
