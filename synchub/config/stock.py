"""The ``stock:`` section of ``hub.yaml``: masters, channels and their rules, kits, alerts.

Which connections hold the truth about stock (masters, with their locations), which sell it
(channels, each with the master locations that feed it and its publishing rules), virtual
stock (kits and per-channel SKU aliases), low-stock alerts and how reservations age.
``check_stock`` cross-checks the section against the connections of the hub file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from synchub.config.connector import parse_duration
from synchub.registry import REGISTRY

if TYPE_CHECKING:
    from synchub.config.hub import ConnectionView

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Units = Annotated[int, Field(ge=0)]
SKU = Annotated[str, Field(min_length=1, max_length=255)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SkuRule(_Model):
    """Publishing rules; every key left out falls back to the channel, then to the defaults."""

    sync: bool | None = Field(default=None, description="false: never publish (opt-out).")
    buffer: Units | None = Field(default=None, description="Units held back (safety stock).")
    percent: Decimal | None = Field(
        default=None, ge=0, le=100, decimal_places=2,
        description="Share of what is left that the channel may sell, rounded down.")
    max: Units | None = Field(default=None, description="Cap: never list more than this.")
    floor: Units | None = Field(
        default=None, description="Publish 0 when the figure is at or below this.")


class RuleValues(_Model):
    """Rules with every value resolved."""

    sync: bool = True
    buffer: int = 0
    percent: Decimal = Decimal(100)
    max: int | None = None
    floor: int = 0

    def merged(self, *layers: SkuRule | None) -> RuleValues:
        """These values overridden by each layer in turn (later layers win)."""
        values = self.model_dump()
        keys = set(SkuRule.model_fields)  # a channel's own keys (locations...) are not rules
        for layer in layers:
            if layer is not None:
                values.update(layer.model_dump(exclude_none=True, include=keys))
        return RuleValues(**values)


class MasterConfig(_Model):
    """A connection whose inventory is the truth (an ERP or WMS)."""

    locations: list[str] | None = Field(
        default=None, description="Location names or ids that count (default: every "
                                  "location the master reports).")
    count_reserved: bool = Field(
        default=True, description="Subtract the units the master itself reserves.")
    self_fulfilled: bool = Field(
        default=False,
        description="The master is a sales channel holding this stock and shipping it itself "
                    "(a marketplace's fulfilment network): the connection may also be a "
                    "channel, needs locations (its listings are not stock), is never "
                    "published the SKUs it holds there, and other channels count this stock "
                    "only when they name its locations.")


class DailyRevisions(_Model):
    """A channel's cap on how often one listing may be revised in a calendar day.

    Below ``limit - reserve`` revisions a listing gets every change. From there on only
    changes that matter go: to zero, back from zero, or by at least ``min_change`` units;
    the rest wait for the next day (and are reported). At ``limit`` nothing goes.
    """

    limit: int = Field(ge=1, description="Revisions a listing may get per day (the "
                                         "channel's cap).")
    reserve: int = Field(default=0, ge=0, description="Revisions kept for the changes "
                                                      "that matter, near the cap.")
    min_change: int = Field(default=1, ge=1, description="Near the cap, the smallest change "
                                                         "(units) that still goes.")
    timezone: str = Field(default="UTC", description="The zone of the channel's calendar "
                                                     "day.")

    @model_validator(mode="after")
    def _reserve_below_limit(self) -> DailyRevisions:
        if self.reserve >= self.limit:
            raise ValueError(f"reserve ({self.reserve}) must be below limit ({self.limit})")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        return self


class ChannelConfig(SkuRule):
    """A connection that sells: which master locations feed it and how much it may list."""

    locations: list[str] | None = Field(
        default=None, description="Master locations whose stock this channel sells "
                                  "(default: all).")
    publish_location: str | None = Field(
        default=None, description="The channel's own location id to set quantities at "
                                  "(default: every location the channel reports).")
    publish: bool = Field(default=True, description="false: compute and report, never push.")
    skus: dict[SKU, SkuRule] = Field(default_factory=dict,
                                     description="Per-SKU overrides (master SKUs).")
    aliases: dict[SKU, SKU] = Field(
        default_factory=dict, description="Channel SKU -> master SKU, for items listed "
                                          "under another code.")
    daily_revisions: DailyRevisions | None = Field(
        default=None, description="The channel caps revisions per listing per day: count "
                                  "them and hold back small changes near the cap.")


class AlertConfig(_Model):
    """When a SKU raises a low-stock or stock-out alert."""

    low_stock: Units | None = Field(
        default=5, description="Alert when available units are at or below this.")
    days_of_cover: Decimal | None = Field(
        default=None, gt=0, description="Alert when available / daily sales velocity "
                                        "falls below this many days.")
    velocity_window: Duration = Field(
        default=timedelta(days=14),
        description="Trailing window of sales (all channels) the velocity comes from.")


class ReservationConfig(_Model):
    """Which orders hold units until the master reflects them."""

    max_age: Duration = Field(
        default=timedelta(days=14),
        description="Orders placed longer ago are taken as reflected by the master.")
    since: datetime | None = Field(
        default=None, description="Orders placed before this moment never reserve "
                                  "(the moment stock sync went live), with its UTC offset.")

    @field_validator("since")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("give the time with its offset, e.g. 2026-01-01T00:00:00Z")
        return value


class StockConfig(_Model):
    """The whole ``stock:`` section."""

    schedule: str | None = Field(
        default="*/30 * * * *", description="Fallback schedule besides the Asset triggers.")
    shards: int = Field(default=1, ge=1, le=64,
                        description="Mapped tasks that split the SKUs by hash.")
    masters: dict[str, MasterConfig] = Field(min_length=1)
    channels: dict[str, ChannelConfig] = Field(min_length=1)
    defaults: SkuRule = Field(default_factory=SkuRule)
    kits: dict[SKU, dict[SKU, Annotated[int, Field(gt=0)]]] = Field(
        default_factory=dict, description="Kit SKU -> {component SKU: units per kit}.")
    alerts: AlertConfig = Field(default_factory=AlertConfig)
    reservations: ReservationConfig = Field(default_factory=ReservationConfig)

    @model_validator(mode="before")
    @classmethod
    def _no_empty_kits(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("kits"), dict):
            for kit, parts in data["kits"].items():
                if isinstance(parts, dict) and not parts:
                    raise ValueError(f"kit {kit!r} has no components")
        return data

    def rules_for(self, channel: str, sku: str | None = None) -> RuleValues:
        """The rules one channel applies to one master SKU (or to SKUs without overrides)."""
        ch = self.channels[channel]
        return RuleValues().merged(self.defaults, ch, ch.skus.get(sku) if sku else None)


# --- cross-checks against the hub's connections ------------------------------------------

def kit_components(kits: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Kits flattened to stocked components (kits of kits multiplied out).

    Raises ValueError naming the cycle when a kit contains itself, directly or not.
    """
    flat: dict[str, dict[str, int]] = {}

    def expand(kit: str, path: tuple[str, ...]) -> dict[str, int]:
        if kit in path:
            cycle = " -> ".join((*path[path.index(kit):], kit))
            raise ValueError(f"kit cycle: {cycle}")
        if kit in flat:
            return flat[kit]
        out: dict[str, int] = {}
        for part, qty in kits[kit].items():
            if part in kits:
                for sub, sub_qty in expand(part, (*path, kit)).items():
                    out[sub] = out.get(sub, 0) + qty * sub_qty
            else:
                out[part] = out.get(part, 0) + qty
        flat[kit] = out
        return out

    for kit in kits:
        expand(kit, ())
    return flat


def check_stock(stock: StockConfig, plans: Mapping[str, ConnectionView]
                ) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems of the stock section as (key path under ``stock``, message) pairs."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    known = ", ".join(sorted(plans)) or "none"
    for name in stock.masters:
        plan = plans.get(name)
        if plan is None:
            problems.append((("masters", name), f"unknown connection {name!r}; configured: "
                                                f"{known}"))
        elif (stock.masters[name].self_fulfilled and name in stock.channels
              and stock.masters[name].locations is None):
            problems.append((("masters", name, "locations"),
                             f"connection {name!r} is a channel and a self_fulfilled master: "
                             "name the locations that hold its stock, or its listings would "
                             "count as stock"))
        elif (not stock.masters[name].self_fulfilled
              and not {"erp", "wms"} & set(plan.config.roles)):
            problems.append((("masters", name), f"connection {name!r} is a stock master but "
                                                "its roles do not include erp or wms"))
        elif not any(m.entity == "inventory_level" for s in plan.streams.values()
                     for m in s.mappings) and plan.streams and any(
                         s.mappings for s in plan.streams.values()):
            problems.append((("masters", name), f"connection {name!r} syncs no inventory "
                                                "levels, so it cannot be a stock master"))
    declared: set[str] = set()
    undeclared_master = any(m.locations is None for m in stock.masters.values())
    for m in stock.masters.values():
        declared.update(m.locations or [])
    for name, ch in stock.channels.items():
        plan = plans.get(name)
        if plan is None:
            problems.append((("channels", name), f"unknown connection {name!r}; configured: "
                                                 f"{known}"))
            continue
        if name in stock.masters and not stock.masters[name].self_fulfilled:
            problems.append((("channels", name), f"connection {name!r} cannot be both a "
                                                 "stock master and a channel (unless the "
                                                 "master is self_fulfilled)"))
        if not {"channel", "marketplace"} & set(plan.config.roles):
            problems.append((("channels", name), f"connection {name!r} sells stock but its "
                                                 "roles do not include channel or marketplace"))
        publisher = plan.connector.stock_publisher
        if ch.publish and publisher is None:
            problems.append((("channels", name, "publish"),
                             f"connector {plan.system!r} cannot publish stock (its "
                             "connector.yaml has no stock_publisher); set publish: false"))
        elif (ch.publish and publisher is not None and ch.publish_location is None
              and REGISTRY.has("stock_publisher", publisher.type)
              and REGISTRY.entry("stock_publisher", publisher.type).specs.get("by_location")):
            # a shop with several locations would get the whole figure at each of them
            problems.append((("channels", name), "publish_location is required: the id of "
                                                 "the shop location whose quantity is set"))
        for i, loc in enumerate(ch.locations or []):
            if loc not in declared:
                hint = (" (declare the locations of every master under "
                        "stock.masters.<name>.locations)" if undeclared_master else "")
                problems.append((("channels", name, "locations", i),
                                 f"unknown location {loc!r}; masters declare: "
                                 f"{', '.join(sorted(declared)) or 'none'}{hint}"))
        for alias, target in ch.aliases.items():
            if alias == target:
                problems.append((("channels", name, "aliases", alias),
                                 "an alias must name another SKU"))
    for kit, parts in stock.kits.items():
        if kit in parts:
            problems.append((("kits", kit), f"kit cycle: {kit} -> {kit}"))
    if not any(p[0][0] == "kits" for p in problems):
        try:
            kit_components(stock.kits)
        except ValueError as exc:
            cyc = str(exc).split(": ", 1)[1].split(" -> ")[0]
            problems.append((("kits", cyc), str(exc)))
    return problems
