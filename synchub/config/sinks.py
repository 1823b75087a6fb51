"""Sinks (``sinks:`` in hub.yaml): which connections receive which records.

``sinks: {odoo_demo: {orders: {from: [shopify_demo]}}}`` sends the orders of
``shopify_demo`` to ``odoo_demo`` through the writer its connector declares as
``writers.orders``, with the write mapping that writer names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from synchub.config.connector import parse_duration

if TYPE_CHECKING:
    from synchub.config.hub import ConnectionView

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
SOURCE_ROLES = ("channel", "marketplace", "erp", "wms", "carrier")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RouteConfig(_Model):
    """One route: the records of one writer of a sink."""

    enabled: bool = True
    sources: list[str] | None = Field(
        default=None, alias="from",
        description="Connections whose records go to the sink (default: every connection "
                    "with a channel, marketplace, erp, wms or carrier role but the sink).")
    when: str | None = Field(default=None, description="JMESPath over the canonical "
                             "document; only records for which it is truthy are sent.")
    initial: Literal["all", "new"] = Field(
        default="all", description="'new': records stored before the route was first run "
                                   "are not sent (no history pushed into the sink).")
    max_attempts: int = Field(default=8, ge=1, le=50,
                              description="Tries before a delivery is dead-lettered.")
    backoff: Duration = Field(default=timedelta(seconds=30),
                              description="First retry delay; doubles each attempt.")
    max_backoff: Duration = Field(default=timedelta(hours=1))
    max_defer: Duration = Field(default=timedelta(days=7), description="How long a record "
                                "may wait for its parent before it is dead-lettered.")


def route_sources(route: RouteConfig, sink: str, plans: Mapping[str, ConnectionView]
                  ) -> list[str]:
    """The connections a route reads from (its ``from``, or the default)."""
    if route.sources is not None:
        return list(route.sources)
    return sorted(n for n, p in plans.items() if n != sink
                  and any(r in SOURCE_ROLES for r in p.config.roles))


def check_sinks(sinks: dict[str, dict[str, RouteConfig]], plans: Mapping[str, ConnectionView]
                ) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(key path under ``sinks``, message) for every inconsistency with the connections."""
    for sink, routes in sinks.items():
        plan = plans.get(sink)
        if plan is None:
            yield (sink,), f"unknown connection {sink!r}; configured: {', '.join(sorted(plans))}"
            continue
        writers = plan.connector.writers
        for name, route in routes.items():
            if name not in writers:
                known = ", ".join(sorted(writers)) or "none"
                yield (sink, name), (f"connector {plan.system!r} has no writer {name!r} "
                                     f"(its writers: {known})")
                continue
            for i, source in enumerate(route.sources or []):
                if source not in plans:
                    yield (sink, name, "from", i), f"unknown connection {source!r}"
                elif source == sink and not writers[name].only_own_orders:
                    yield (sink, name, "from", i), "a sink cannot read its own records"
