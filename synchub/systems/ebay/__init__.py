"""eBay Sell APIs: the OAuth user token (HTTP Basic client credentials), stock through the
Inventory API's bulkUpdatePriceQuantity, and tracking back as shipping fulfillments,
registered by name."""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register eBay's strategies."""
    here = "synchub.systems.ebay"
    registry.add("auth", "ebay_refresh_token", f"{here}.auth:EbayAuth.from_spec",
                 spec=f"{here}.auth:EbayAuthSpec")
    registry.add("stock_publisher", "ebay_bulk_price_quantity",
                 f"{here}.stock:EbayBulkPublisher")
    registry.add("writer", "ebay_shipping_fulfillment",
                 f"{here}.fulfillment:EbayShippingFulfillmentWriter")
