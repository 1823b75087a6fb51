"""Routes: what each sink receives, resolved from hub.yaml (``sinks:`` and feed webhooks).

A route is one writer of one sink: the entity it writes, the connections it reads from,
its rules (:class:`~synchub.config.sinks.RouteConfig`) and its compiled write mapping.
A feed consumer with a ``webhook:`` is a sink too, with one route per entity it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from synchub.config.connector_writes import WriterSpec
from synchub.config.sinks import RouteConfig, route_sources
from synchub.errors import ConfigError
from synchub.store.tables import ENTITY_TABLE_NAMES

if TYPE_CHECKING:
    from synchub.mapping.export import CompiledExport
    from synchub.plan import Hub

# Parents go first: an order needs its customer and products in the sink, a refund and a
# shipment need their order. Lower rank is drained first.
ENTITY_RANK: dict[str, int] = {"customer": 0, "product": 1, "order": 2, "refund": 3,
                               "shipment": 4}
OTHER_RANK = 5


def entity_rank(entity: str) -> int:
    """Drain order of an entity (parents before children)."""
    return ENTITY_RANK.get(entity, OTHER_RANK)


@dataclass(frozen=True)
class Route:
    """One route of one sink, ready to run."""

    sink: str
    name: str
    writer: WriterSpec
    config: RouteConfig
    sources: tuple[str, ...]
    export: CompiledExport | None = None
    # the sink's connector system; None for a feed consumer (no ConnectorClient)
    system: str | None = None

    @property
    def entity(self) -> str:
        """Canonical entity written by this route."""
        return self.writer.entity

    @property
    def rank(self) -> int:
        """Drain order of this route's records."""
        return entity_rank(self.entity)

    @property
    def state_stream(self) -> str:
        """``sync_state`` stream that keeps this route's cursor (connection = the sink)."""
        return f"route:{self.name}"


def webhook_consumers(hub: Hub) -> list[str]:
    """Feed consumers that receive signed webhooks (each is a sink)."""
    feeds = hub.file.feeds
    if feeds is None:
        return []
    return sorted(n for n, c in feeds.consumers.items() if c.webhook is not None)


def sink_names(hub: Hub) -> list[str]:
    """Every sink of the hub: connections under ``sinks:`` and webhook feed consumers."""
    names = set(hub.file.sinks)
    for consumer in webhook_consumers(hub):
        if consumer in names:
            raise ConfigError(f"feed consumer {consumer!r} has the name of a sink connection; "
                              "rename one of them", file=str(hub.path),
                              key=f"feeds.consumers.{consumer}")
        names.add(consumer)
    return sorted(names)


def route_entities(hub: Hub, sink: str) -> list[str]:
    """Entities a sink receives (needs no compiled mappings: for building DAGs)."""
    return sorted({r.entity for r in build_routes(hub, sink, need_exports=False)})


def build_routes(hub: Hub, sink: str, *, only: str | None = None,
                 need_exports: bool = True) -> list[Route]:
    """The enabled routes of ``sink``, ordered by rank; ``only`` selects one route.

    Raises :class:`ConfigError` for an unknown sink or route, or when a route's write
    mapping was not compiled (the hub was loaded without mappings).
    """
    routes = _consumer_routes(hub, sink) if sink not in hub.file.sinks else \
        _connection_routes(hub, sink, need_exports)
    if routes is None:
        known = ", ".join(sink_names(hub)) or "none"
        raise ConfigError(f"unknown sink {sink!r}; sinks: {known}", file=str(hub.path),
                          key="sinks")
    if only is not None:
        picked = [r for r in routes if r.name == only]
        if not picked:
            known = ", ".join(r.name for r in routes) or "none"
            raise ConfigError(f"sink {sink!r} has no enabled route {only!r}; routes: {known}",
                              file=str(hub.path), key=f"sinks.{sink}")
        routes = picked
    return sorted(routes, key=lambda r: (r.rank, r.name))


def _connection_routes(hub: Hub, sink: str, need_exports: bool) -> list[Route]:
    plan = hub.connection(sink)
    out: list[Route] = []
    for name, cfg in hub.file.sinks[sink].items():
        if not cfg.enabled:
            continue
        writer = plan.connector.writers.get(name)
        if writer is None:  # load_hub reports this; guard for hand-built hubs
            raise ConfigError(f"connector {plan.system!r} has no writer {name!r}",
                              file=str(hub.path), key=f"sinks.{sink}.{name}")
        export = hub.exports.get((sink, name))
        if writer.mapping is not None and export is None and need_exports:
            raise ConfigError(f"route {name!r} of sink {sink!r} needs write mapping "
                              f"{writer.mapping!r}, which is not loaded",
                              file=str(hub.path), key=f"sinks.{sink}.{name}")
        sources = tuple(route_sources(cfg, sink, hub.connections))
        out.append(Route(sink=sink, name=name, writer=writer, config=cfg, sources=sources,
                         export=export, system=plan.system))
    return out


def _consumer_routes(hub: Hub, sink: str) -> list[Route] | None:
    feeds = hub.file.feeds
    consumer = feeds.consumers.get(sink) if feeds is not None else None
    if consumer is None or consumer.webhook is None:
        return None
    hook = consumer.webhook
    sources = tuple(consumer.connections or sorted(hub.connections))
    cfg = RouteConfig(max_attempts=hook.max_attempts)
    # the stock feeds (alerts, exceptions) are served by the API and exports, not webhooks
    return [Route(sink=sink, name=entity,
                  writer=WriterSpec(type="signed_webhook", entity=entity,
                                    batch_size=hook.batch_size,
                                    options={"conn_id": hook.conn_id, "consumer": sink}),
                  config=cfg, sources=sources)
            for entity in consumer.entities if entity in ENTITY_TABLE_NAMES]
