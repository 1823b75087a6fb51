"""Weimob: absolute stock figures with ``weimob_shop/stock/update``, many SKUs a call.

The API takes the organization (``basicInfo.vid``), ``quantityEditType`` (the sandbox and
this publisher take ``edit_type`` 1 as overwrite, 覆盖; unconfirmed, see
docs/systems/weimob.md) and ``goodsList[{goodsId, skuList[{skuId, stockNum}]}]``. It answers
``data.failList[{goodsId, skuIdSet, message}]``: the SKUs it refused, the others taken. So a
batch is one call, and a refusal fails only the SKUs it names, with Weimob's message.

Listings are ``<goodsId>:<skuId>`` (a single-spec goods has one SKU). Changes of one
listing in a push are coalesced to the last figure. The call rate is waited out by the
client; a refused token is renewed once, and a second refusal stops the run.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.errors import FatalAPIError
from synchub.stock.publish.base import ListingChange
from synchub.stock.publish.batched import BatchedStockPublisher
from synchub.systems.weimob.errors import WeimobError, WeimobTokenError
from synchub.systems.weimob.specs import WeimobErrorsSpec
from synchub.systems.weimob.transport import call_api

Target = tuple[int, int]            # goodsId, skuId


class WeimobPublisherOptions(BaseModel):
    """``stock_publisher.options`` of the Weimob connector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vid_field: str = Field(default="extra.vid", description="Connection field: the "
                                                            "organization (store) id.")
    edit_type: int = Field(default=1, description="quantityEditType meaning overwrite.")
    errors: WeimobErrorsSpec = Field(default_factory=WeimobErrorsSpec)


def target(change: ListingChange) -> Target | None:
    """(goodsId, skuId) of a listing; None when it names no numeric goods and SKU."""
    goods, _, sku = change.listing_id.partition(":")
    goods = (change.product_id or goods).strip()
    sku = (change.inventory_item_id or sku).strip()
    if not goods.isdigit() or not sku.isdigit():
        return None
    return int(goods), int(sku)


class WeimobStockPublisher(BatchedStockPublisher):
    """``stock/update`` calls (``path``) of up to ``batch_size`` SKUs, overwrite."""

    Options = WeimobPublisherOptions
    unnamed = "no Weimob goods and SKU id (expected <goodsId>:<skuId>, both numbers)"

    def target(self, change: ListingChange) -> Target | None:
        """(goodsId, skuId); None when the listing names no numeric goods and SKU."""
        return target(change)

    def write_batch(self, batch: list[tuple[Target, int]]) -> dict[Target, str]:
        """One call; the SKUs Weimob refused, with its message."""
        opts = self.options
        goods: dict[int, list[dict[str, int]]] = {}
        for (goods_id, sku_id), quantity in batch:
            goods.setdefault(goods_id, []).append({"skuId": sku_id, "stockNum": quantity})
        vid = str(self.client.conn.field(opts.vid_field))
        body: dict[str, Any] = {
            "basicInfo": {"vid": int(vid) if vid.isdigit() else vid},
            "quantityEditType": opts.edit_type,
            "goodsList": [{"goodsId": g, "skuList": skus} for g, skus in goods.items()]}
        self.stats.write_calls += 1
        try:
            _, data = call_api(self.client, self.spec.path, body, opts.errors)
        except WeimobTokenError:
            raise
        except WeimobError as exc:
            reason = f"{exc.code or '-'}: {exc.vendor_message or exc}"
            return {t: reason for t, _ in batch}
        return _failures(data, {t for t, _ in batch}, self.spec.path)


def _failures(data: Any, sent: set[Target], path: str) -> dict[Target, str]:
    """The ``failList`` entries as (goodsId, skuId) -> message."""
    if data is None:
        return {}
    fails = data.get("failList") if isinstance(data, dict) else None
    if fails is None:
        return {}
    if not isinstance(fails, list):
        raise FatalAPIError(f"POST {path}: data.failList is {type(fails).__name__}, not a list")
    out: dict[Target, str] = {}
    for fail in fails:
        if not isinstance(fail, dict):
            continue
        raw = str(fail.get("goodsId") or "")
        if not raw.isdigit():
            continue
        goods = int(raw)
        message = str(fail.get("message") or "refused")
        # a goods refused without naming its SKUs: every SKU of it that was sent
        skus = fail.get("skuIdSet") or [s for g, s in sent if g == goods]
        for sku in skus:
            key = (goods, int(sku)) if str(sku).isdigit() else None
            if key is not None and key in sent:
                out[key] = message
    return out
