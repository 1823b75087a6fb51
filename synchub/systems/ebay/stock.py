"""eBay: the quantity of inventory items and their live offers, through the Inventory API.

``POST /sell/inventory/v1/bulk_update_price_quantity`` with ``{"requests": [{"sku": ...,
"shipToLocationAvailability": {"quantity": N}, "offers": [{"offerId": ...,
"availableQuantity": N}]}]}``, at most 25 requests a call. eBay answers 200 (all taken) or
207 (some refused) with one entry per SKU and per offer in ``responses[]``: ``{statusCode,
sku, offerId?, errors?[{errorId, domain, category, message}], warnings?}``. A listing may be
revised 250 times a calendar day; the stock config's ``daily_revisions`` keeps the count
(synchub/stock/revisions.py), this publisher only writes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synchub.errors import FatalAPIError
from synchub.stock.publish.base import ListingChange, PushOutcome, StockPublisher

MAX_REQUESTS = 25   # requests (inventory items) per call


class EbayBulkPublisherOptions(BaseModel):
    """``stock_publisher.options`` of the eBay connector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    offers: bool = Field(
        default=True, description="Also set availableQuantity on the listing's offer when "
        "the hub knows its id (the inventory level's item id): eBay shows the smaller of "
        "the item's and the offer's quantity.")


class EbayBulkPublisher(StockPublisher):
    """``bulkUpdatePriceQuantity``, up to 25 SKUs a call.

    Changes of one SKU in a push are coalesced (the last figure goes). An SKU eBay refuses
    (any entry of it with a statusCode other than 200) fails alone with eBay's message; the
    others of the call go through. A 4xx for the whole call (a malformed request) fails
    every SKU of it with eBay's message; 401/403 stop the run.
    """

    Options = EbayBulkPublisherOptions

    @property
    def max_batch(self) -> int:
        """25 requests a call, or fewer when the connector says so."""
        return max(1, min(self.spec.batch_size, MAX_REQUESTS))

    def minimum_calls(self, changes: Sequence[ListingChange]) -> int:
        """One call per 25 distinct SKUs."""
        return -(-len({_sku(c) for c in changes}) // self.max_batch)

    def push(self, changes: Sequence[ListingChange]) -> list[PushOutcome]:
        """Send each distinct SKU once with its last figure; one outcome per change."""
        last: dict[str, ListingChange] = {}
        for change in changes:
            last[_sku(change)] = change
        skus = list(last)
        answers: dict[str, str | None] = {}
        for start in range(0, len(skus), self.max_batch):
            answers.update(self._call([last[s] for s in skus[start:start + self.max_batch]]))
        out = []
        for change in changes:
            error = answers[_sku(change)]
            status: Literal["pushed", "failed"] = "failed" if error else "pushed"
            out.append(PushOutcome(change.listing_id, status,
                                   channel_quantity=None if error else last[_sku(change)]
                                   .quantity, error=error))
        return out

    def request(self, change: ListingChange) -> dict[str, Any]:
        """The ``PriceQuantity`` of one SKU."""
        entry: dict[str, Any] = {"sku": _sku(change),
                                 "shipToLocationAvailability": {"quantity": change.quantity}}
        if self.options.offers and change.inventory_item_id:
            entry["offers"] = [{"offerId": change.inventory_item_id,
                                "availableQuantity": change.quantity}]
        return entry

    def _call(self, batch: list[ListingChange]) -> dict[str, str | None]:
        url = f"{self.client.base_url}{self.spec.path}"
        self.stats.write_calls += 1
        try:
            _, answer = self.client.http.request(
                "rest", "POST", url, json={"requests": [self.request(c) for c in batch]})
        except FatalAPIError as exc:
            if exc.status in (401, 403):
                raise
            text = f"HTTP {exc.status}: {errors_text(exc.body)}"
            return {_sku(c): text for c in batch}
        responses = answer.get("responses") if isinstance(answer, dict) else None
        if not isinstance(responses, list):
            raise FatalAPIError(f"POST {url}: the answer has no responses[]", url=url)
        refused: dict[str, list[str]] = {}
        seen: set[str] = set()
        for entry in responses:
            if not isinstance(entry, dict):
                continue
            sku = str(entry.get("sku") or "")
            seen.add(sku)
            if entry.get("statusCode") != 200:
                where = f"offer {entry['offerId']}: " if entry.get("offerId") else ""
                refused.setdefault(sku, []).append(
                    f"{where}{entry.get('statusCode')} {_messages(entry.get('errors'))}")
        out: dict[str, str | None] = {}
        for change in batch:
            sku = _sku(change)
            if sku in refused:
                out[sku] = "; ".join(refused[sku])
            elif sku not in seen:
                out[sku] = "eBay's answer has no entry for this SKU"
            else:
                out[sku] = None
        return out


def _sku(change: ListingChange) -> str:
    return change.sku or change.listing_id


def _messages(errors: Any) -> str:
    """``errorId: message`` of each entry of eBay's ``errors[]``."""
    if not isinstance(errors, list) or not errors:
        return "no details"
    return "; ".join(f"{e.get('errorId')}: {e.get('message')}" for e in errors
                     if isinstance(e, dict))


def errors_text(body: str | None) -> str:
    """The messages of an eBay error body (``errors[]``), else its start."""
    try:
        parsed = json.loads(body or "")
    except ValueError:
        return (body or "no details")[:500]
    return _messages(parsed.get("errors") if isinstance(parsed, dict) else None)
