"""Write capabilities a connector declares: stock publishing and record writers (sinks)."""

from __future__ import annotations

from typing import Any, Literal

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


class WriterSpec(BaseModel):
    """How the hub writes one kind of record to this system (a named engine strategy).

    ``type`` names the writer (see ``synchub.delivery.writers.WRITERS``); ``options`` are
    checked by that writer's own options model when a push run builds it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(description="Writer strategy, e.g. odoo_sale_order, hubspot_batch_upsert.")
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
