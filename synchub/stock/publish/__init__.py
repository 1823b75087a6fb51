"""Channel stock publishers, chosen by the ``type`` of a connector's ``stock_publisher``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from synchub.errors import ConfigError
from synchub.stock.publish.base import ListingChange, PublishStats, PushOutcome, StockPublisher
from synchub.stock.publish.shopify import ShopifyInventoryPublisher
from synchub.stock.publish.woocommerce import WooCommerceBatchPublisher

if TYPE_CHECKING:
    from synchub.config.connector import StockPublisherSpec
    from synchub.runtime import ConnectorClient

PUBLISHERS: dict[str, type[StockPublisher]] = {
    "shopify_inventory_set_quantities": ShopifyInventoryPublisher,
    "woocommerce_batch": WooCommerceBatchPublisher,
}


def create_publisher(spec: StockPublisherSpec, client: ConnectorClient, *,
                     run_id: str) -> StockPublisher:
    """The publisher the spec's ``type`` names, bound to a connection's client and a run."""
    cls = PUBLISHERS.get(spec.type)
    if cls is None:
        raise ConfigError(f"unknown stock_publisher type {spec.type!r}; expected one of "
                          f"{', '.join(sorted(PUBLISHERS))}", key="stock_publisher.type")
    return cls(spec, client, run_id=run_id)


__all__ = ["PUBLISHERS", "ListingChange", "PublishStats", "PushOutcome",
           "ShopifyInventoryPublisher", "StockPublisher", "WooCommerceBatchPublisher",
           "create_publisher"]
