"""Taobao / Tmall: absolute quantities through the TOP gateway.

- ``taobao.skus.quantity.update``: one item (``num_iid``), at most 20 of its SKUs a call,
  ``skuid_quantities`` (``skuId:quantity;skuId:quantity``) or ``outerid_quantities``
  (the same with the merchant's outer SKU ids), ``type=1`` (full: the figure replaces
  what the shop shows; 2 would add to it);
- ``taobao.item.quantity.update``: an item without SKUs, ``num_iid``, ``quantity``,
  ``type=1``.

Both answer ``{"<method>_response": {"item": ...}}`` or an ``error_response`` with HTTP 200.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from synchub.errors import FatalAPIError
from synchub.stock.publish.base import ListingChange, PushOutcome
from synchub.systems.cn_gateway.calls import GatewayCallOptions
from synchub.systems.cn_gateway.stock import GatewayStockPublisher, outcomes

MAX_SKUS = 20                 # taobao.skus.quantity.update takes at most 20 SKUs a call
SKUS_METHOD = "taobao.skus.quantity.update"
ITEM_METHOD = "taobao.item.quantity.update"
FULL_SET = 1                  # type=1: the quantity replaces the shop's (2: added to it)
UNNAMED = ("no Taobao item id (expected <num_iid>:<sku_id>, or <num_iid> for an item "
           "without SKUs; with sku_key outerid, a SKU listing needs its sku)")


class TaobaoPublisherOptions(GatewayCallOptions):
    """``stock_publisher.options`` of the Taobao connector."""

    sku_key: Literal["skuid", "outerid"] = Field(
        default="skuid", description="skuid: skuid_quantities with Taobao's SKU ids; outerid: "
        "outerid_quantities with the merchant's outer SKU ids (the listing's sku).")
    response_drop_prefix: str | None = "taobao."


@dataclass(frozen=True, slots=True)
class _Target:
    """Where one listing's figure goes: an item, and one of its SKUs (None: no SKUs)."""

    num_iid: str
    sku: str | None


class TaobaoQuantityPublisher(GatewayStockPublisher):
    """Full-set quantities per item: its SKUs 20 a call, or the item's own quantity.

    Changes of the same listing in one push are coalesced to the last figure. A call the
    gateway refuses (``error_response`` with a ``sub_code`` that is not a throttle or a
    session error) fails the listings of that call with the vendor's ``sub_msg``; when
    the message names one of the call's SKUs, only that SKU fails and the others are sent
    again without it. Other items and calls go on. Throttles are waited out by the
    client; a refused session stops the run (the Connection needs a new one).
    """

    Options = TaobaoPublisherOptions

    @property
    def max_batch(self) -> int:
        """SKUs of one item per call: the connector's batch size, never above 20."""
        return min(self.spec.batch_size, MAX_SKUS)

    def minimum_calls(self, changes: Sequence[ListingChange]) -> int:
        """Per item with SKUs ceil(SKUs / 20); one per item without SKUs."""
        per_item: dict[str, set[str]] = {}
        plain = set()
        for change in changes:
            target = self._target(change)
            if target is None:
                continue
            if target.sku is None:
                plain.add(target.num_iid)
            else:
                per_item.setdefault(target.num_iid, set()).add(target.sku)
        return len(plain) + sum(-(-len(s) // self.max_batch) for s in per_item.values())

    def push(self, changes: Sequence[ListingChange]) -> list[PushOutcome]:
        """Push every change, grouped by item; one outcome per change, same order."""
        results: dict[_Target, tuple[Literal["pushed", "failed"], str | None]] = {}
        last: dict[_Target, int] = {}
        for change in changes:
            target = self._target(change)
            if target is not None:
                last[target] = change.quantity
        items: dict[str, list[_Target]] = {}
        for target in last:
            if target.sku is None:
                results[target] = self._item(target, last[target])
            else:
                items.setdefault(target.num_iid, []).append(target)
        for skus in items.values():
            for start in range(0, len(skus), self.max_batch):
                results.update(self._skus(skus[start:start + self.max_batch], last))
        return outcomes(changes, self._target, results, UNNAMED)

    def _target(self, change: ListingChange) -> _Target | None:
        item, _, sku_part = change.listing_id.partition(":")
        num_iid = (change.product_id or item).strip()
        if not num_iid.isdigit():
            return None
        if self.options.sku_key == "outerid":
            has_skus = bool(sku_part or change.inventory_item_id)
            if has_skus and not (change.sku or "").strip():
                return None       # a SKU of the item, but no outer id to name it by
            sku = change.sku if has_skus else None
        else:
            sku = change.inventory_item_id or sku_part or None
        return _Target(num_iid, sku.strip() if sku else None)

    def _item(self, target: _Target, quantity: int
              ) -> tuple[Literal["pushed", "failed"], str | None]:
        refusal = self._call(ITEM_METHOD, {"num_iid": target.num_iid, "quantity": quantity,
                                           "type": FULL_SET})
        return ("failed", refusal) if refusal else ("pushed", None)

    def _skus(self, batch: list[_Target], last: dict[_Target, int]
              ) -> dict[_Target, tuple[Literal["pushed", "failed"], str | None]]:
        """One item's SKUs in one call; a refusal naming a SKU fails it and resends the rest."""
        done: dict[_Target, tuple[Literal["pushed", "failed"], str | None]] = {}
        pending = list(batch)
        key = f"{self.options.sku_key}_quantities"
        while pending:
            refusal = self._call(SKUS_METHOD, {
                "num_iid": pending[0].num_iid, "type": FULL_SET,
                key: ";".join(f"{t.sku}:{last[t]}" for t in pending)})
            if refusal is None:
                done.update((t, ("pushed", None)) for t in pending)
                return done
            named = [t for t in pending if t.sku and t.sku in refusal]
            if not named or len(named) == len(pending):
                done.update((t, ("failed", refusal)) for t in pending)
                return done
            done.update((t, ("failed", refusal)) for t in named)
            pending = [t for t in pending if t not in named]
            self.stats.retried_batches += 1
        return done

    def _call(self, method: str, business: dict[str, Any]) -> str | None:
        """One signed call; None when it went through, else the vendor's refusal."""
        answer, refusal = self.call(method, business)
        if refusal is None and (not isinstance(answer, dict)
                                or not isinstance(answer.get("item"), dict)):
            url = self.client.base_url + self.spec.path
            raise FatalAPIError(f"POST {url} {method}: the answer has no item", url=url)
        return refusal
