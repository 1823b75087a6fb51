"""Weidian: absolute stock with ``vdian.item.stock.update``, several listings a call.

The API takes ``type`` and ``items``: a list of ``{item_id, item_sku_id, stock}``, the
SKU id empty for an item without SKUs; with ``type`` ``set`` the figure replaces the
shop's. Listings are ``<item_id>:<sku_id>`` (``<item_id>`` alone for an item without
SKUs); changes of one listing in a push are coalesced to the last figure. Weidian answers
for the whole call: when it refuses a batch (an unknown SKU among them), each listing of
that batch is sent again alone, so the one at fault fails with Weidian's reason and the
others go through. A refused token is renewed once; a second refusal stops the run.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.stock.publish.base import ListingChange
from synchub.stock.publish.batched import BatchedStockPublisher
from synchub.systems.cn_gateway.stock import ItemSku, item_and_sku
from synchub.systems.weidian.errors import WeidianError, WeidianTokenError
from synchub.systems.weidian.specs import WeidianErrorsSpec
from synchub.systems.weidian.transport import call_api


class WeidianStockOptions(BaseModel):
    """``stock_publisher.options`` of the Weidian connector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = "vdian.item.stock.update"
    version: str = "1.0"
    update_type: str = Field(default="set", description="The API's type: set replaces the "
                                                        "shop's figure.")
    errors: WeidianErrorsSpec = Field(default_factory=WeidianErrorsSpec)


class WeidianStockPublisher(BatchedStockPublisher):
    """``vdian.item.stock.update`` with ``type: set``, ``batch_size`` listings a call."""

    Options = WeidianStockOptions
    unnamed = ("no Weidian item id (expected <item_id>:<sku_id>, or <item_id> for an item "
               "without SKUs, both numbers)")

    def target(self, change: ListingChange) -> ItemSku | None:
        """(item_id, sku_id or None); None when the listing names no numeric item."""
        return item_and_sku(change)

    def write_batch(self, batch: list[tuple[ItemSku, int]]) -> dict[ItemSku, str | None]:
        """Send a batch; a refused batch of several is sent again one listing a call."""
        refused = self._call(batch)
        if refused is None:
            return {t: None for t, _ in batch}
        if len(batch) == 1:
            return {batch[0][0]: refused}
        self.stats.retried_batches += 1
        return {t: self._call([(t, q)]) for t, q in batch}

    def _call(self, batch: list[tuple[ItemSku, int]]) -> str | None:
        """One call; None when it went through, else Weidian's refusal."""
        items: list[dict[str, Any]] = [
            {"item_id": item_id, "item_sku_id": sku_id or "", "stock": quantity}
            for (item_id, sku_id), quantity in batch]
        opts = self.options
        self.stats.write_calls += 1
        try:
            call_api(self.client, opts.method, opts.version,
                     {"type": opts.update_type, "items": items}, opts.errors, write=True)
        except WeidianTokenError:
            raise
        except WeidianError as exc:
            return f"{exc.code}: {exc.reason or exc}"
        return None
