"""Magento 2 / Adobe Commerce, a self-hosted storefront.

The ``magento`` auth (bearer integration token, OAuth 1.0a HMAC-SHA256 signing or an
admin token, chosen in the Connection); mapping transforms that fold configurable and
bundle items into canonical lines; MSI source items published in batches
(``magento_source_items``); tracking written back as shipments (``magento_order_ship``).
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Magento's strategies."""
    from synchub.systems.magento.transforms import TRANSFORMS

    here = "synchub.systems.magento"
    registry.add("auth", "magento", f"{here}.auth:build", spec=f"{here}.specs:MagentoAuthSpec")
    registry.add("stock_publisher", "magento_source_items",
                 f"{here}.stock:MagentoSourceItemsPublisher")
    registry.add("writer", "magento_order_ship", f"{here}.tracking:MagentoShipWriter")
    TRANSFORMS.register_all(registry)
