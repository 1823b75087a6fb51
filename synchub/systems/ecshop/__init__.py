"""ECShop, the self-hosted PHP shop read at the database level (its tables through the
generic ``sql`` transport); what YAML cannot say is its stock write: ``goods_number`` set
with a compare-and-set, under the Connection's write user only."""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register ECShop's strategies."""
    registry.add("stock_publisher", "ecshop_goods_number",
                 "synchub.systems.ecshop.stock:GoodsNumberPublisher")
