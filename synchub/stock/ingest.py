"""What ingest needs to know about stock, and the hooks that run inside a page's transaction.

A channel's order page reserves its units; a master's inventory page refreshes the on-hand
counters; a master's shipment page releases the orders it reflects. Each runs in the same
transaction that stores the page, so the stock counters never disagree with the records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synchub.plan import Hub
    from synchub.store.types import DeletionHook, PageHook, StoredRecord


@dataclass(frozen=True)
class StockIngest:
    """The stock section resolved for ingest: who sells, who is master, aliases, kits."""

    channels: frozenset[str]
    masters: frozenset[str]
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    kits: dict[str, dict[str, int]] = field(default_factory=dict)
    master_locations: dict[str, frozenset[str] | None] = field(default_factory=dict)
    count_reserved: dict[str, bool] = field(default_factory=dict)
    self_fulfilled: frozenset[str] = frozenset()
    max_age: timedelta = timedelta(days=14)
    since: datetime | None = None

    @classmethod
    def from_hub(cls, hub: Hub) -> StockIngest | None:
        """None when the hub file has no ``stock:`` section."""
        from synchub.config.stock import kit_components

        stock = hub.stock
        if stock is None:
            return None
        return cls(
            channels=frozenset(stock.channels), masters=frozenset(stock.masters),
            aliases={name: dict(ch.aliases) for name, ch in stock.channels.items()},
            kits=kit_components({k: dict(v) for k, v in stock.kits.items()}),
            master_locations={name: frozenset(m.locations) if m.locations is not None
                              else None for name, m in stock.masters.items()},
            count_reserved={name: m.count_reserved for name, m in stock.masters.items()},
            self_fulfilled=frozenset(n for n, m in stock.masters.items() if m.self_fulfilled),
            max_age=stock.reservations.max_age, since=stock.reservations.since,
        )

    def master_sku(self, connection: str, sku: str) -> str:
        """The master SKU a channel SKU stands for (through the channel's aliases)."""
        return self.aliases.get(connection, {}).get(sku, sku)

    def components(self, sku: str) -> dict[str, int]:
        """Stocked units per unit of ``sku``: its kit components, or the SKU itself."""
        return self.kits.get(sku) or {sku: 1}

    def counts_location(self, master: str, external_id: str | None, name: str | None) -> bool:
        """Whether a master location's stock counts (by id or by name)."""
        wanted = self.master_locations.get(master)
        return wanted is None or external_id in wanted or name in wanted

    def hooks_for(self, connection: str) -> list[PageHook]:
        """The hooks a page of ``connection`` runs inside its transaction."""
        from synchub.stock import positions, reservations

        hooks: list[PageHook] = []
        if connection in self.channels:
            hooks.append(lambda conn, changed, now: reservations.on_orders(
                conn, self, _docs(changed.get("order")), now))
        if connection in self.masters:
            hooks.append(lambda conn, changed, now: positions.on_master_levels(
                conn, self, [r.typed.get("sku") for r in changed.get("inventory_level", [])],
                now))
            hooks.append(lambda conn, changed, now: reservations.on_master_shipments(
                conn, self, _docs(changed.get("shipment")), now))
        return hooks

    def deletion_hooks_for(self, connection: str) -> list[DeletionHook]:
        """The hooks that run when the source of ``connection`` deleted records: a channel
        order deleted holds no stock any more."""
        from synchub.stock import reservations

        if connection not in self.channels:
            return []
        return [lambda conn, deleted, now: reservations.on_deleted_orders(
            conn, self, deleted.get("order") or [], now)]


def _docs(records: list[StoredRecord] | None) -> list[dict[str, Any]]:
    return [json.loads(r.document) for r in records or ()]
