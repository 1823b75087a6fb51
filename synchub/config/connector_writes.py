"""Write capabilities a connector declares: stock publishing and record writers (sinks)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class StockPublisherSpec(BaseModel):
    """How the hub sets available quantities on this channel (a registered strategy).

    ``type`` names the strategy (``synchub systems`` lists them); ``path`` is the endpoint
    it writes to, relative to the base URL; ``options`` are checked by the publisher's own
    options model when a stock run builds it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(description="Stock publisher strategy (kind stock_publisher).")
    path: str = Field(description="Endpoint relative to the base URL ({host}).")
    batch_size: int = Field(gt=0, description="Listings per write call (the API's maximum).")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="Publisher-specific settings.")
    max_conflict_rounds: int = Field(
        default=2, ge=0, le=10,
        description="Times a batch with stale compare values is re-read and re-sent.")


class WriterSpec(BaseModel):
    """How the hub writes one kind of record to this system (a named engine strategy).

    ``type`` names the writer (kind ``writer``: ``synchub systems`` lists them); ``options`` are
    checked by that writer's own options model when a push run builds it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(description="Writer strategy (kind writer), e.g. http.")
    entity: str = Field(description="Canonical entity written (order, customer, shipment...).")
    mapping: str | None = Field(
        default=None, description="Write mapping under mappings/<system>/ without the "
                                  "'.export.yaml' suffix; null when the writer needs none.")
    path: str | None = Field(default=None, description="Endpoint relative to the base URL.")
    batch_size: int = Field(default=1, gt=0, le=1000,
                            description="Records per write call (the API's maximum).")
    only_own_orders: bool = Field(
        default=False, description="Route only records whose order came from this very "
                                   "connection (tracking goes back to the channel that sold).")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="Writer-specific settings.")
