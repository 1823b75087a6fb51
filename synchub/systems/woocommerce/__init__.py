"""WooCommerce, a storefront: stock set through the batch endpoints and tracking written
back to its orders (meta, customer notes, status)."""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register WooCommerce's strategies."""
    registry.add("writer", "woocommerce_order_tracking",
                 "synchub.systems.woocommerce.tracking:WooCommerceTrackingWriter")
    registry.add("stock_publisher", "woocommerce_batch",
                 "synchub.systems.woocommerce.stock:WooCommerceBatchPublisher")
