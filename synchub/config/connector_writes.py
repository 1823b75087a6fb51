"""Write capabilities a connector declares: today, how it publishes stock quantities."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StockPublisherSpec(BaseModel):
    """How the hub sets available quantities on this channel (a named engine strategy).

    ``type`` names the strategy (``shopify_inventory_set_quantities``,
    ``woocommerce_batch``); ``path`` is the endpoint it writes to, relative to the base URL.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["shopify_inventory_set_quantities", "woocommerce_batch"]
    path: str = Field(description="Endpoint relative to the base URL ({host}).")
    batch_size: int = Field(gt=0, description="Listings per write call (the API's maximum).")
    quantity_name: str = Field(default="available",
                               description="Shopify: the quantity name that is set.")
    reason: str = Field(default="correction", description="Shopify: the adjustment reason.")
    max_conflict_rounds: int = Field(
        default=2, ge=0, le=10,
        description="Times a batch with stale compare values is re-read and re-sent.")
