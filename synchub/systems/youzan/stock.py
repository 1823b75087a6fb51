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

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.errors import FatalAPIError
from synchub.stock.publish.base import ListingChange, PushOutcome, StockPublisher
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


def target(change: ListingChange) -> tuple[str, str | None] | None:
    """(item_id, sku_id or None) of a listing; None when it names no numeric item."""
    item, _, sku = change.listing_id.partition(":")
    item_id = (change.product_id or item).strip()
    sku_id = (change.inventory_item_id or sku).strip() or None
    if not item_id.isdigit() or (sku_id is not None and not sku_id.isdigit()):
        return None
    return item_id, sku_id


class YouzanQuantityPublisher(StockPublisher):
    """One ``youzan.item.quantity.update`` per listing, full set."""

    Options = YouzanPublisherOptions

    @property
    def max_batch(self) -> int:
        """One listing a call: the API has no batch form."""
        return 1

    def minimum_calls(self, changes: Sequence[ListingChange]) -> int:
        """One call per distinct listing."""
        return len({t for c in changes if (t := target(c)) is not None})

    def push(self, changes: Sequence[ListingChange]) -> list[PushOutcome]:
        """Push every change; one outcome per change, same order."""
        last: dict[tuple[str, str | None], int] = {}
        for change in changes:
            found = target(change)
            if found is not None:
                last[found] = change.quantity
        results = {t: self._write(t, quantity) for t, quantity in last.items()}
        out = []
        for change in changes:
            found = target(change)
            if found is None:
                out.append(PushOutcome(change.listing_id, "failed", error=(
                    "no Youzan item id (expected <item_id>:<sku_id>, or <item_id> for an "
                    "item without SKUs, both numbers)")))
                continue
            refusal = results[found]
            out.append(PushOutcome(change.listing_id, "failed" if refusal else "pushed",
                                   error=refusal,
                                   channel_quantity=None if refusal else change.quantity))
        return out

    def _write(self, found: tuple[str, str | None], quantity: int) -> str | None:
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


