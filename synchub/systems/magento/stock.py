"""Magento stock: MSI source items in batches, or the legacy stock item when MSI is off.

With MSI, ``POST /V1/inventory/source-items`` takes ``{"sourceItems": [{sku, source_code,
quantity, status}]}`` and saves the whole list or none of it: one bad item (an unknown SKU
or source) refuses the batch with a 400. The publisher then sends that batch's items one
by one, so only the bad one fails with Magento's message and the rest are set. The stock
engine hands over only the listings whose figure changed. ``status`` follows the quantity
(1 in stock, 0 out of stock). Without MSI (``options.msi: false``) a single-source store is
written through ``PUT /V1/products/{sku}/stockItems/{itemId}``, one SKU a call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from synchub.errors import FatalAPIError
from synchub.stock.publish.base import ListingChange, PushOutcome, StockPublisher


class MagentoStockOptions(BaseModel):
    """``stock_publisher.options`` of ``magento_source_items``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    msi: bool = Field(default=True, description="false: the legacy single-source stock "
                                                "item API (MSI modules disabled).")
    default_source: str = Field(default="default", description="Source code of a listing "
                                                               "that names none.")


class MagentoSourceItemsPublisher(StockPublisher):
    """Sets source-item quantities (MSI), or legacy stock items, in Magento."""

    Options = MagentoStockOptions

    @property
    def max_batch(self) -> int:
        """Source items per call (legacy: one SKU per call)."""
        return self.spec.batch_size if self.options.msi else 1

    def push(self, changes: Sequence[ListingChange]) -> list[PushOutcome]:
        """One outcome per change, same order."""
        if not self.options.msi:
            return [self._legacy(change) for change in changes]
        out: list[PushOutcome] = []
        for start in range(0, len(changes), self.max_batch):
            out += self._batch(list(changes[start:start + self.max_batch]))
        return out

    def _url(self, path: str) -> str:
        return self.client.base_url + self.spec.path.rstrip("/") + path

    def _item(self, change: ListingChange) -> dict[str, Any]:
        sku = change.sku or change.listing_id.split(":", 1)[0]
        source = change.location_id or self.options.default_source
        return {"sku": sku, "source_code": source, "quantity": change.quantity,
                "status": 1 if change.quantity > 0 else 0}

    def _batch(self, changes: list[ListingChange]) -> list[PushOutcome]:
        try:
            self._post([self._item(c) for c in changes])
        except FatalAPIError as exc:
            if exc.status != 400:
                raise
            if len(changes) == 1:
                return [PushOutcome(changes[0].listing_id, "failed", error=exc.message)]
            # the batch is all or nothing: find the refused item by sending them apart
            self.stats.retried_batches += 1
            return [outcome for c in changes for outcome in self._batch([c])]
        return [PushOutcome(c.listing_id, "pushed", channel_quantity=c.quantity)
                for c in changes]

    def _post(self, items: list[dict[str, Any]]) -> None:
        self.client.http.request("rest", "POST", self._url("/V1/inventory/source-items"),
                                 json={"sourceItems": items})
        self.stats.write_calls += 1

    def _legacy(self, change: ListingChange) -> PushOutcome:
        sku = change.sku or change.listing_id.split(":", 1)[0]
        item_id = change.inventory_item_id or "1"
        body = {"stockItem": {"qty": change.quantity, "is_in_stock": change.quantity > 0}}
        try:
            self.client.http.request(
                "rest", "PUT",
                self._url(f"/V1/products/{quote(sku, safe='')}/stockItems/{item_id}"),
                json=body)
        except FatalAPIError as exc:
            if exc.status in (400, 404):
                return PushOutcome(change.listing_id, "failed", error=exc.message)
            raise
        self.stats.write_calls += 1
        return PushOutcome(change.listing_id, "pushed", channel_quantity=change.quantity)
