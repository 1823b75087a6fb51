"""Shopify: absolute quantities through ``inventorySetQuantities`` (Admin GraphQL 2026-04).

One mutation per batch of up to 250 listings, with a compare-and-set per listing
(``changeFromQuantity``) and an ``@idempotent`` key derived from the run and the batch, so a
retry of the same call after a timeout is answered from the first result instead of being
applied twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.errors import FatalAPIError
from synchub.stock.publish.base import ListingChange, PushOutcome, StockPublisher

MAX_QUANTITIES = 250  # Shopify refuses any input array over 250 entries
STALE = "CHANGE_FROM_QUANTITY_STALE"

SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup {
      id
      changes { name quantityAfterChange item { id } location { id } }
    }
    userErrors { field message code }
  }
}
""".strip()

READ_LEVELS = """
query CurrentLevels($ids: [ID!]!, $names: [String!]!) {
  nodes(ids: $ids) {
    id
    ... on InventoryLevel { quantities(names: $names) { name quantity } }
  }
}
""".strip()


def item_gid(number: str) -> str:
    """``gid://shopify/InventoryItem/<n>``."""
    return f"gid://shopify/InventoryItem/{number}"


def location_gid(number: str) -> str:
    """``gid://shopify/Location/<n>``."""
    return f"gid://shopify/Location/{number}"


def level_gid(item: str, location: str) -> str:
    """The InventoryLevel global id Shopify gives an item stocked at a location."""
    return f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"


@dataclass(slots=True)
class _Entry:
    """One listing of a batch in flight: where it sits in the input and its compare value."""

    index: int
    change: ListingChange
    item: str
    location: str
    compare: int | None


class ShopifyPublisherOptions(BaseModel):
    """``stock_publisher.options`` of a Shopify connector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quantity_name: str = Field(default="available", description="The quantity name set.")
    reason: str = Field(default="correction", description="The adjustment reason.")


class ShopifyInventoryPublisher(StockPublisher):
    """Sets ``available`` (or ``on_hand``) per item and location with compare-and-set.

    A stale compare value makes Shopify refuse the whole batch. The publisher then re-reads
    the stale listings once and decides per listing: the channel already shows the target
    (``unchanged``); it shows more (lowering is always safe: re-sent with the new compare
    value); it shows less (the channel sold units the hub has not ingested yet, so the
    figure is not raised in this run: ``conflict``). Up to ``max_conflict_rounds`` re-sends.
    """

    Options = ShopifyPublisherOptions

    @property
    def max_batch(self) -> int:
        """Listings per mutation: the connector's batch size, never above Shopify's 250."""
        return min(self.spec.batch_size, MAX_QUANTITIES)

    @property
    def url(self) -> str:
        """The GraphQL endpoint the connector names (its path carries the API version)."""
        return self.client.base_url + self.spec.path

    def push(self, changes: Sequence[ListingChange]) -> list[PushOutcome]:
        """Push every change in batches; one outcome per change, same order."""
        outcomes: dict[int, PushOutcome] = {}
        entries: list[_Entry] = []
        for index, change in enumerate(changes):
            ids = _ids(change)
            if ids is None:
                outcomes[index] = PushOutcome(change.listing_id, "failed", error=(
                    "no inventory item and location id (expected <item>:<location>)"))
                continue
            entries.append(_Entry(index, change, *ids, change.expected))
        for start in range(0, len(entries), self.max_batch):
            outcomes.update(self._push_batch(entries[start:start + self.max_batch]))
        return [outcomes[i] for i in range(len(changes))]

    def _push_batch(self, pending: list[_Entry]) -> dict[int, PushOutcome]:
        """One batch until every listing is settled; the mutation is all or nothing."""
        done: dict[int, PushOutcome] = {}
        rounds = 0
        while pending:
            if done or rounds:
                self.stats.retried_batches += 1  # what is left of the batch goes again
            payload = self._mutate(pending)
            errors = payload.get("userErrors") or []
            if not errors:
                after = _quantities_after(payload, self.options.quantity_name)
                for e in pending:
                    shown = after.get((item_gid(e.item), location_gid(e.location)),
                                      e.change.quantity)
                    done[e.index] = PushOutcome(e.change.listing_id, "pushed",
                                                channel_quantity=shown)
                return done
            stale: set[int] = set()
            refused: dict[int, str] = {}
            for error in errors:
                position = _position(error)
                if position is None or position >= len(pending):
                    # not about one listing (name, reason, idempotency): the whole call is wrong
                    raise FatalAPIError(
                        f"inventorySetQuantities refused the batch: {error.get('code')}: "
                        f"{error.get('message')}", url=self.url)
                if error.get("code") == STALE:
                    stale.add(position)
                else:
                    refused.setdefault(position, f"{error.get('code')}: {error.get('message')}")
            for position, message in refused.items():
                e = pending[position]
                done[e.index] = PushOutcome(e.change.listing_id, "failed", error=message)
            stale_entries = [e for i, e in enumerate(pending) if i in stale and i not in refused]
            # the mutation changed nothing: every listing not settled is sent again
            pending = [e for i, e in enumerate(pending) if i not in refused]
            if stale_entries:
                self._resolve_stale(stale_entries, done,
                                    resend=rounds < self.spec.max_conflict_rounds)
                rounds += 1
                pending = [e for e in pending if e.index not in done]
        return done

    def _resolve_stale(self, stale: list[_Entry], done: dict[int, PushOutcome], *,
                       resend: bool) -> None:
        """Settle each stale listing from a fresh read, or give it a new compare value."""
        current = self._read_current(stale)
        for e in stale:
            shown = current.get((e.item, e.location))
            listing = e.change.listing_id
            if shown is None:
                done[e.index] = PushOutcome(listing, "failed",
                                            error="the listing no longer exists at the channel")
            elif shown == e.change.quantity:
                done[e.index] = PushOutcome(listing, "unchanged", channel_quantity=shown)
            elif shown > e.change.quantity and resend:
                e.compare = shown  # lowering is safe whatever sold in between
            else:
                # below the target: units sold that the hub has not ingested yet (or no
                # rounds left); the channel's figure stands in this run
                done[e.index] = PushOutcome(listing, "conflict", channel_quantity=shown)
                self.stats.conflicts += 1

    def _mutate(self, entries: list[_Entry]) -> dict[str, Any]:
        quantities = [{"inventoryItemId": item_gid(e.item), "locationId": location_gid(e.location),
                       "quantity": e.change.quantity, "changeFromQuantity": e.compare}
                      for e in entries]
        variables = {
            "input": {"name": self.options.quantity_name, "reason": self.options.reason,
                      "referenceDocumentUri": f"synchub://stock_sync/{self.run_id}",
                      "quantities": quantities},
            "key": idempotency_key(self.run_id, entries),
        }
        _, body = self.client.http.graphql(self.url, SET_QUANTITIES, variables)
        self.stats.write_calls += 1
        payload = ((body or {}).get("data") or {}).get("inventorySetQuantities")
        if not isinstance(payload, dict):
            raise FatalAPIError("inventorySetQuantities answered without a payload", url=self.url)
        return payload

    def _read_current(self, entries: list[_Entry]) -> dict[tuple[str, str], int]:
        """The channel's current figure per (item, location), in one ``nodes`` query."""
        ids = [level_gid(e.item, e.location) for e in entries]
        _, body = self.client.http.graphql(self.url, READ_LEVELS,
                                           {"ids": ids, "names": [self.options.quantity_name]})
        self.stats.read_calls += 1
        nodes = ((body or {}).get("data") or {}).get("nodes") or []
        out: dict[tuple[str, str], int] = {}
        for e, node in zip(entries, nodes, strict=False):
            if not isinstance(node, dict):
                continue
            figures = {q.get("name"): q.get("quantity") for q in node.get("quantities") or []}
            value = figures.get(self.options.quantity_name)
            if isinstance(value, int):
                out[(e.item, e.location)] = value
        return out


def _ids(change: ListingChange) -> tuple[str, str] | None:
    """The numeric (inventory item, location) ids of a listing."""
    item, location = change.inventory_item_id, change.location_id
    if not (item and location):
        parts = change.listing_id.split(":")
        if len(parts) != 2:
            return None
        item, location = item or parts[0], location or parts[1]
    item, location = item.rsplit("/", 1)[-1], location.rsplit("/", 1)[-1]
    return (item, location) if item.isdigit() and location.isdigit() else None


def _position(error: dict[str, Any]) -> int | None:
    """The quantities index a user error names (``["input", "quantities", "3", ...]``)."""
    field = error.get("field") or []
    if len(field) >= 3 and field[:2] == ["input", "quantities"] and str(field[2]).isdigit():
        return int(field[2])
    return None


def _quantities_after(payload: dict[str, Any], name: str) -> dict[tuple[str, str], int]:
    """What the channel now shows per (item gid, location gid), from the adjustment group."""
    group = payload.get("inventoryAdjustmentGroup") or {}
    out: dict[tuple[str, str], int] = {}
    for change in group.get("changes") or []:
        after = change.get("quantityAfterChange")
        if change.get("name") == name and isinstance(after, int):
            item = str((change.get("item") or {}).get("id"))
            location = str((change.get("location") or {}).get("id"))
            out[(item, location)] = after
    return out


def idempotency_key(run_id: str, entries: Sequence[_Entry]) -> str:
    """A key per run and batch content: the same call retried gets the same key."""
    content = sorted((e.change.listing_id, e.change.quantity, e.compare) for e in entries)
    digest = hashlib.sha256(json.dumps([run_id, content], separators=(",", ":")).encode())
    return digest.hexdigest()
