"""``synchub validate | pools | schemas``: check the config files, export what derives from them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synchub.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    SubParsers,
    err,
    load_hub,
    out,
    with_config,
)
from synchub.errors import ConfigError


def cmd_validate(args: argparse.Namespace) -> int:
    """Load the hub, its connectors and mappings; one line per part, or every error.

    Warnings (a channel no section names) go to stderr too and leave the exit code at 0.
    """
    from synchub.config.loader import ConfigErrors
    from synchub.config.sinks import route_sources

    try:
        hub = load_hub(args)
    except ConfigErrors as exc:
        for e in exc.errors:
            err(f"error: {e.message}")
        err(f"{len(exc.errors)} error(s)")
        return EXIT_USAGE
    except ConfigError as exc:
        err(f"error: {exc.message}")
        return EXIT_USAGE
    for name, plan in hub.connections.items():
        streams = ", ".join(f"{s} -> {'/'.join(p.entities) or '-'}"
                            for s, p in plan.streams.items())
        out(f"ok  {name} ({plan.system}, conn_id {plan.config.conn_id}): {streams}")
    if hub.stock is not None:
        out(f"ok  stock: masters {', '.join(hub.stock.masters)}; channels "
            f"{', '.join(hub.stock.channels)}; {len(hub.stock.kits)} kits")
    for sink, routes in hub.file.sinks.items():
        out(f"ok  sink {sink}: " + "; ".join(
            f"{r} <- {', '.join(route_sources(cfg, sink, hub.connections))}"
            for r, cfg in routes.items()))
    for name, consumer in (hub.file.feeds.consumers if hub.file.feeds else {}).items():
        out(f"ok  feed consumer {name}: {', '.join(consumer.entities)}"
            + (f" of {', '.join(consumer.connections)}" if consumer.connections else ""))
    if hub.ledger is not None:
        led = hub.ledger
        out(f"ok  ledger: books in {led.functional_currency}; channels "
            f"{', '.join(led.channels) or 'none'}; {len(led.fees)} fee types, "
            f"{len(led.taxes)} tax titles, {len(led.commissions)} commission rules mapped")
    for w in hub.warnings:
        err(f"warning: {w.message}")
    warned = (f", {len(hub.warnings)} warning{'s' if len(hub.warnings) != 1 else ''}"
              if hub.warnings else "")
    out(f"{hub.path}: valid ({len(hub.connections)} connections{warned})")
    return EXIT_OK


def cmd_schemas(args: argparse.Namespace) -> int:
    """Write the JSON Schemas and the canonical field docs (or, with ``--check``, fail when
    they are out of date)."""
    from synchub.schemas import export_schemas, update_docs

    changed = export_schemas(Path(args.out), check=args.check)
    if args.docs:
        try:
            if update_docs(Path(args.docs), check=args.check):
                changed.append(Path(args.docs))
        except (OSError, ValueError) as exc:
            err(f"error: {exc}")
            return EXIT_USAGE
    if args.check and changed:
        for p in changed:
            err(f"out of date: {p}")
        err("run `synchub schemas` to regenerate")
        return EXIT_FAILED
    for p in changed:
        out(f"wrote {p}")
    return EXIT_OK


def cmd_pools(args: argparse.Namespace) -> int:
    """The Airflow pools JSON: one pool per connection with its slots."""
    hub = load_hub(args, mappings=False)
    pools = {}
    for name, plan in hub.connections.items():
        slots = plan.config.pool_slots or hub.file.defaults.pool_slots
        pools[f"synchub__{name}"] = {"slots": slots, "description":
                                     f"synchub: concurrent tasks against {name}",
                                     "include_deferred": False}
    out(json.dumps(pools, indent=2))
    return EXIT_OK


def register_validate(sub: SubParsers) -> None:
    """Register ``synchub validate``."""
    sp = with_config(sub.add_parser("validate", help="check hub, connector and mapping YAML"))
    sp.set_defaults(handler=cmd_validate)


def register_schemas(sub: SubParsers) -> None:
    """Register ``synchub schemas``."""
    sp = sub.add_parser("schemas", help="export JSON Schemas of entities and config files")
    sp.add_argument("--out", default="schemas")
    sp.add_argument("--docs", metavar="FILE", help="also regenerate the canonical field "
                    "tables between the markers of FILE (docs/mappings.md)")
    sp.add_argument("--check", action="store_true", help="fail if the files are out of date")
    sp.set_defaults(handler=cmd_schemas)


def register_pools(sub: SubParsers) -> None:
    """Register ``synchub pools``."""
    sp = with_config(sub.add_parser("pools", help="Airflow pools JSON for `airflow pools import`"))
    sp.set_defaults(handler=cmd_pools)
