"""Pinduoduo: absolute quantities by ``pdd.goods.quantity.update``.

One SKU a call: ``goods_id``, ``sku_id``, ``quantity`` and ``update_type=1`` (full: the
figure replaces the shop's; 2 would add to it). The answer is
``{"goods_quantity_update_response": {"is_success": true}}``; a refusal is
``error_response {error_code, error_msg, sub_code, sub_msg}`` with HTTP 200. Goods in a
promotion slot (资源位) may not decrease: that refusal fails the SKU alone, in the
vendor's words. Listings are ``<goods_id>:<sku_id>``.
"""

from __future__ import annotations

from typing import Any

from synchub.stock.publish.base import ListingChange
from synchub.systems.cn_gateway.stock import PerSkuGatewayPublisher

FULL_SET = 1


class PddGoodsQuantityPublisher(PerSkuGatewayPublisher):
    """Full-set stock per Pinduoduo SKU, one call each."""

    method = "pdd.goods.quantity.update"
    unnamed = ("no Pinduoduo goods and SKU id (expected the listing <goods_id>:<sku_id>, "
               "digits)")

    def target(self, change: ListingChange) -> tuple[str, str] | None:
        """``(goods_id, sku_id)`` from the listing (or its product and inventory item)."""
        goods, _, sku = change.listing_id.partition(":")
        goods = (change.product_id or goods).strip()
        sku = (change.inventory_item_id or sku).strip()
        return (goods, sku) if goods.isdigit() and sku.isdigit() else None

    def business(self, target: Any, quantity: int) -> dict[str, Any]:
        """``goods_id``, ``sku_id``, ``quantity``, ``update_type=1``."""
        goods, sku = target
        return {"goods_id": goods, "sku_id": sku, "quantity": quantity,
                "update_type": FULL_SET}

    def answer_refusal(self, answer: Any) -> str | None:
        """``is_success`` must be true."""
        if isinstance(answer, dict) and answer.get("is_success") in (True, "true"):
            return None
        return "the answer's is_success is not true"
