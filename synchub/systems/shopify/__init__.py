"""Shopify, a storefront: stock set through GraphQL ``inventorySetQuantities`` and
fulfillments with tracking written back to its orders."""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Shopify's strategies."""
    registry.add("writer", "shopify_fulfillment",
                 "synchub.systems.shopify.fulfillment:ShopifyFulfillmentWriter")
    registry.add("stock_publisher", "shopify_inventory_set_quantities",
                 "synchub.systems.shopify.stock:ShopifyInventoryPublisher",
                 by_location=True)  # figures are set per shop location: publish_location
