"""Available-to-sell: from the masters' stock and the hub's reservations to a channel figure.

The arithmetic, per channel and master SKU, in this order (``explain`` shows each step):

1. on hand at the master locations that feed the channel (a negative on hand counts as 0),
   minus what the masters reserve themselves (``count_reserved``), minus the units channel
   orders hold in the hub; a kit takes, over its components, the least of
   ``component available // units per kit``;
2. minus the safety ``buffer`` (never below 0);
3. times ``percent`` / 100, rounded down;
4. 0 when the result is at or below ``floor``;
5. at most ``max``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.stock.positions import level_quantities
from synchub.store.stock_tables import stock_positions
from synchub.store.tables import entity_table

if TYPE_CHECKING:
    from synchub.config.stock import RuleValues
    from synchub.stock.ingest import StockIngest


@dataclass(frozen=True, slots=True)
class LocationStock:
    """One master location's figures for one SKU."""

    connection: str
    location_id: str | None
    location_name: str | None
    on_hand: int
    reserved: int
    held: bool = False     # held by a channel that ships it itself: counted only when named


@dataclass
class MasterStock:
    """Every master location's stock per SKU, and the units reserved by channel orders."""

    levels: dict[str, list[LocationStock]] = field(default_factory=lambda: defaultdict(list))
    hub_reserved: dict[str, int] = field(default_factory=dict)

    def knows(self, sku: str) -> bool:
        """Whether any master reports this SKU."""
        return sku in self.levels

    def held_by(self, channel: str, sku: str) -> bool:
        """Whether ``channel`` holds this SKU itself (it fulfils the SKU; never published)."""
        return any(lv.held and lv.connection == channel for lv in self.levels.get(sku, ()))


def load_master(conn: sa.Connection, ingest: StockIngest, skus: list[str] | None = None
                ) -> MasterStock:
    """Read the masters' levels and the reservation counters (a few set-based queries)."""
    levels = entity_table("inventory_level")
    out = MasterStock()
    query = (sa.select(levels.c.connection, levels.c.sku, levels.c.location_external_id,
                       levels.c.location_name, levels.c.on_hand, levels.c.reserved,
                       levels.c.available)
             .where(levels.c.connection.in_(sorted(ingest.masters)), levels.c.sku.is_not(None)))
    pos = sa.select(stock_positions.c.sku, stock_positions.c.reserved).where(
        stock_positions.c.reserved != 0)
    if skus is not None:
        query = query.where(levels.c.sku.in_(skus))
        pos = pos.where(stock_positions.c.sku.in_(skus))
    for row in conn.execute(query):
        if not ingest.counts_location(row.connection, row.location_external_id,
                                      row.location_name):
            continue
        on_hand, reserved = level_quantities(row.on_hand, row.reserved, row.available)
        if not ingest.count_reserved.get(row.connection, True):
            reserved = 0
        out.levels[row.sku].append(LocationStock(row.connection, row.location_external_id,
                                                 row.location_name, on_hand, reserved,
                                                 row.connection in ingest.self_fulfilled))
    out.hub_reserved = {row.sku: int(row.reserved) for row in conn.execute(pos)}
    return out


def apply_rules(available: int, rules: RuleValues) -> tuple[int, list[tuple[str, int]]]:
    """The published figure from what is available, with the value after each rule."""
    x = max(available, 0)
    steps = [("available", x)]
    if rules.buffer:
        x = max(x - rules.buffer, 0)
        steps.append(("buffer", x))
    if rules.percent != 100:
        x = int((Decimal(x) * rules.percent / 100).to_integral_value(rounding=ROUND_FLOOR))
        steps.append(("percent", x))
    if rules.floor and x <= rules.floor:
        x = 0
        steps.append(("floor", x))
    if rules.max is not None and x > rules.max:
        x = rules.max
        steps.append(("max", x))
    return x, steps


class Calculator:
    """Figures for one run: caches each (location set, SKU) base figure."""

    def __init__(self, ingest: StockIngest, master: MasterStock) -> None:
        self.ingest, self.master = ingest, master
        self._base: dict[tuple[frozenset[str] | None, str], int] = {}

    def stocked(self, sku: str) -> bool:
        """Whether the masters know the SKU, or every component of it when it is a kit."""
        return all(self.master.knows(part) for part in self.ingest.components(sku))

    def base(self, sku: str, locations: frozenset[str] | None) -> int:
        """Units of a stocked SKU free to sell from these locations (may be negative)."""
        key = (locations, sku)
        found = self._base.get(key)
        if found is None:
            found = self._base[key] = self._stocked_base(sku, locations)
        return found

    def _stocked_base(self, sku: str, locations: frozenset[str] | None) -> int:
        parts = self.ingest.kits.get(sku)
        if parts:
            return min(max(self._single(part, locations), 0) // per
                       for part, per in parts.items())
        return self._single(sku, locations)

    def _single(self, sku: str, locations: frozenset[str] | None) -> int:
        total = 0
        for lv in self.master.levels.get(sku, ()):
            if _counted(lv, locations):
                total += max(lv.on_hand, 0) - lv.reserved
        return total - self.master.hub_reserved.get(sku, 0)

    def figure(self, sku: str, locations: frozenset[str] | None, rules: RuleValues) -> int:
        """The figure a channel with these locations and rules publishes for ``sku``."""
        return apply_rules(self.base(sku, locations), rules)[0]

    def explain(self, sku: str, locations: frozenset[str] | None, rules: RuleValues
                ) -> dict[str, Any]:
        """How the figure comes about: locations, reservations, kit parts, each rule."""
        parts = self.ingest.kits.get(sku)
        detail: dict[str, Any] = {"sku": sku}
        if parts:
            detail["kit"] = [{"sku": p, "per_kit": per, **self._single_detail(p, locations),
                              "kits": max(self._single(p, locations), 0) // per}
                             for p, per in sorted(parts.items())]
        else:
            detail.update(self._single_detail(sku, locations))
        value, steps = apply_rules(self.base(sku, locations), rules)
        detail["base"] = self.base(sku, locations)
        detail["steps"] = [{"rule": name, "value": v} for name, v in steps]
        detail["rules"] = {"buffer": rules.buffer, "percent": str(rules.percent),
                           "floor": rules.floor, "max": rules.max}
        detail["figure"] = value
        return detail

    def _single_detail(self, sku: str, locations: frozenset[str] | None) -> dict[str, Any]:
        rows = []
        for lv in self.master.levels.get(sku, ()):
            used = _counted(lv, locations)
            rows.append({"master": lv.connection, "location": lv.location_name or lv.location_id,
                         "location_id": lv.location_id, "on_hand": lv.on_hand,
                         "master_reserved": lv.reserved, "counted": used})
        rows.sort(key=lambda r: (r["master"], str(r["location"])))
        return {"locations": rows, "hub_reserved": self.master.hub_reserved.get(sku, 0)}


def _counted(lv: LocationStock, locations: frozenset[str] | None) -> bool:
    """Whether a channel fed by ``locations`` (None: every one) counts this location.

    Stock a channel holds and ships itself feeds another channel only when named: "every
    location" means every location the masters ship from.
    """
    if locations is None:
        return not lv.held
    return lv.location_id in locations or lv.location_name in locations
