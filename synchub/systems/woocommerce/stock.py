"""WooCommerce: stock quantities through the REST v3 batch endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from synchub.errors import FatalAPIError
from synchub.stock.publish.base import ListingChange, PushOutcome, StockPublisher

MAX_ITEMS = 100  # WooCommerce refuses a batch of more than 100 objects with a 413


class WooCommerceBatchPublisher(StockPublisher):
    """Sets ``stock_quantity`` (with ``manage_stock: true``) on products and variations.

    Simple products go through ``products/batch``; variations, grouped by their parent,
    through ``products/<parent>/variations/batch``; at most 100 per call. WooCommerce has no
    compare-and-set: an update overwrites whatever the shop shows, so units sold between the
    hub's last read and this write are not protected (``expected`` is not sent), and a call
    retried after a timeout simply sets the same absolute figures again. Each item succeeds
    or fails on its own; a refused item is ``failed`` with WooCommerce's message.
    """

    @property
    def max_batch(self) -> int:
        """Items per call: the connector's batch size, never above WooCommerce's 100."""
        return min(self.spec.batch_size, MAX_ITEMS)

    def minimum_calls(self, changes: Sequence[ListingChange]) -> int:
        """Simple products in batches; variations in batches per parent product."""
        per_endpoint: dict[str, int] = {}
        for change in changes:
            key = (change.parent_id or "").strip()
            per_endpoint[key] = per_endpoint.get(key, 0) + 1
        return sum(-(-n // self.max_batch) for n in per_endpoint.values())

    def push(self, changes: Sequence[ListingChange]) -> list[PushOutcome]:
        """Push every change, grouped by endpoint; one outcome per change, same order."""
        outcomes: dict[int, PushOutcome] = {}
        groups: dict[str, list[tuple[int, ListingChange, int]]] = {}
        for index, change in enumerate(changes):
            target = _object_id(change)
            if target is None:
                outcomes[index] = PushOutcome(change.listing_id, "failed", error=(
                    "no product or variation id (expected <id>:default)"))
                continue
            parent = (change.parent_id or "").strip()
            if parent and not parent.isdigit():
                outcomes[index] = PushOutcome(change.listing_id, "failed",
                                              error=f"parent id {parent!r} is not numeric")
                continue
            path = f"/products/{parent}/variations/batch" if parent else "/products/batch"
            groups.setdefault(path, []).append((index, change, target))
        for path, members in groups.items():
            for start in range(0, len(members), self.max_batch):
                outcomes.update(self._send(path, members[start:start + self.max_batch]))
        return [outcomes[i] for i in range(len(changes))]

    def _send(self, path: str, members: list[tuple[int, ListingChange, int]]
              ) -> dict[int, PushOutcome]:
        url = self.client.base_url + self.spec.path.rstrip("/") + path
        update = [{"id": target, "stock_quantity": change.quantity, "manage_stock": True}
                  for _, change, target in members]
        _, body = self.client.http.request("rest", "POST", url, json={"update": update})
        self.stats.write_calls += 1
        answered = body.get("update") if isinstance(body, dict) else None
        if not isinstance(answered, list):
            raise FatalAPIError(f"POST {path}: the batch answer has no update list", url=url)
        by_id = {a.get("id"): a for a in answered if isinstance(a, dict)}
        out: dict[int, PushOutcome] = {}
        for position, (index, change, target) in enumerate(members):
            # WooCommerce answers in request order; fall back to the id if it did not
            answer: Any = answered[position] if position < len(answered) else None
            if not isinstance(answer, dict) or answer.get("id") != target:
                answer = by_id.get(target)
            out[index] = _outcome(change, answer)
        return out


def _object_id(change: ListingChange) -> int | None:
    """The product or variation id a listing writes to."""
    raw = change.product_id or change.listing_id.split(":", 1)[0]
    raw = raw.strip()
    return int(raw) if raw.isdigit() else None


def _outcome(change: ListingChange, answer: Any) -> PushOutcome:
    if not isinstance(answer, dict):
        return PushOutcome(change.listing_id, "failed", error="no answer for this item")
    error = answer.get("error")
    if isinstance(error, dict):
        return PushOutcome(change.listing_id, "failed",
                           error=f"{error.get('message')} ({error.get('code')})")
    shown = answer.get("stock_quantity")
    return PushOutcome(change.listing_id, "pushed",
                       channel_quantity=shown if isinstance(shown, int) else None)
