"""JD: absolute quantities by ``jingdong.stock.write.updateSkuStock``.

One SKU a call: ``skuId`` (JD's SKU id) and ``stockNum`` (the full figure; ``storeId``
left out: the seller's default warehouse), as one JSON text in ``360buy_param_json``. The
answer is ``{"jingdong_stock_write_updateSkuStock_responce": {"code": "0", "success":
true}}``; a refusal is ``error_response {code, zh_desc, en_desc}`` with HTTP 200.
Listings are the JD SKU id (``<skuId>``, or ``<wareId>:<skuId>``).
"""

from __future__ import annotations

from typing import Any

from synchub.stock.publish.base import ListingChange
from synchub.systems.cn_gateway.stock import PerSkuGatewayPublisher


class JdSkuStockPublisher(PerSkuGatewayPublisher):
    """Full-set stock per JD SKU, one call each."""

    method = "jingdong.stock.write.updateSkuStock"
    unnamed = ("no JD SKU id (expected the listing <skuId> or <wareId>:<skuId>, digits, "
               "or the SKU id as its inventory item)")

    def target(self, change: ListingChange) -> str | None:
        """The JD SKU id: the inventory item, else the listing's last part."""
        sku = (change.inventory_item_id or change.listing_id.rpartition(":")[2]).strip()
        return sku if sku.isdigit() else None

    def business(self, target: Any, quantity: int) -> dict[str, Any]:
        """``skuId`` and ``stockNum`` (numbers in the JSON, as the SDK sends them)."""
        return {"skuId": int(target), "stockNum": quantity}

    def answer_refusal(self, answer: Any) -> str | None:
        """``success`` must be true."""
        if isinstance(answer, dict) and answer.get("success") in (True, "true"):
            return None
        code = answer.get("code") if isinstance(answer, dict) else None
        return f"{code or '-'}: the answer's success is not true"
