"""Youzan: absolute quantities with ``youzan.item.quantity.update``, one SKU a call.

The API takes one item (``item_id``), optionally one of its SKUs (``sku_id``), the
``quantity`` and ``type`` 0 (full: the figure replaces the shop's; 1 would add to it). It
has no batch form, so every listing is one call; changes of the same listing in one push
are coalesced to the last figure first. Listings are ``<item_id>:<sku_id>``
(``<item_id>`` alone for an item without SKUs). A refusal (an item type the API does not
manage, an unknown SKU) fails that listing with Youzan's code and message; the others go
on. The call rate is waited out by the client; a refused token is renewed once, and a
second refusal stops the run.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.errors import FatalAPIError
from synchub.stock.publish.base import ListingChange
from synchub.stock.publish.batched import BatchedStockPublisher
from synchub.systems.cn_gateway.stock import ItemSku, item_and_sku
from synchub.systems.youzan.errors import YouzanError, YouzanTokenError
from synchub.systems.youzan.specs import YouzanErrorsSpec
from synchub.systems.youzan.transport import call_api

FULL_SET = 0                  # type=0: the quantity replaces the shop's (1: added to it)


class YouzanPublisherOptions(BaseModel):
    """``stock_publisher.options`` of the Youzan connector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = "youzan.item.quantity.update"
    version: str = "3.0.0"
    errors: YouzanErrorsSpec = Field(default_factory=YouzanErrorsSpec)


class YouzanQuantityPublisher(BatchedStockPublisher):
    """One ``youzan.item.quantity.update`` per listing, full set."""

    Options = YouzanPublisherOptions
    unnamed = ("no Youzan item id (expected <item_id>:<sku_id>, or <item_id> for an item "
               "without SKUs, both numbers)")

    @property
    def max_batch(self) -> int:
        """One listing a call: the API has no batch form."""
        return 1

    def target(self, change: ListingChange) -> ItemSku | None:
        """(item_id, sku_id or None); None when the listing names no numeric item."""
        return item_and_sku(change)

    def write_batch(self, batch: list[tuple[ItemSku, int]]) -> dict[ItemSku, str | None]:
        """The one listing of a batch."""
        return {found: self._write(found, quantity) for found, quantity in batch}

    def _write(self, found: ItemSku, quantity: int) -> str | None:
        """One call; None when it went through, else Youzan's refusal."""
        item_id, sku_id = found
        body: dict[str, Any] = {"item_id": int(item_id), "quantity": quantity,
                                "type": FULL_SET}
        if sku_id is not None:
            body["sku_id"] = int(sku_id)
        opts = self.options
        self.stats.write_calls += 1
        try:
            _, answer = call_api(self.client, opts.method, opts.version, body, opts.errors)
        except YouzanTokenError:
            raise
        except YouzanError as exc:
            return f"{exc.code or '-'}: {exc.vendor_message or exc}"
        if not _succeeded(answer):
            raise FatalAPIError(f"{opts.method}: the answer does not say is_success "
                                f"(item {item_id})")
        return None


def _succeeded(answer: Any) -> bool:
    return isinstance(answer, dict) and answer.get("is_success") in (True, "true")


