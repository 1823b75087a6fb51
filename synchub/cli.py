"""``synchub``: validate config, normalize payloads, run syncs, read feeds, run the sandbox.

Exit status: 0 success; 1 a sync or API failure; 2 usage or configuration error;
3 some records were quarantined (``normalize``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from synchub.cli_ledger import cmd_ledger
from synchub.errors import ConfigError, SynchubError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_QUARANTINED = 0, 1, 2, 3


def _out(text: str, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _hub_path(args: argparse.Namespace) -> Path:
    from synchub.config.hub import default_hub_path

    return Path(args.config) if args.config else default_hub_path()


def cmd_validate(args: argparse.Namespace) -> int:
    from synchub.config.loader import ConfigErrors
    from synchub.plan import load_hub

    try:
        hub = load_hub(_hub_path(args))
    except ConfigErrors as exc:
        for e in exc.errors:
            _err(f"error: {e.message}")
        _err(f"{len(exc.errors)} error(s)")
        return EXIT_USAGE
    except ConfigError as exc:
        _err(f"error: {exc.message}")
        return EXIT_USAGE
    for name, plan in hub.connections.items():
        streams = ", ".join(f"{s} -> {'/'.join(p.entities) or '-'}"
                            for s, p in plan.streams.items())
        _out(f"ok  {name} ({plan.system}, conn_id {plan.config.conn_id}): {streams}")
    if hub.stock is not None:
        _out(f"ok  stock: masters {', '.join(hub.stock.masters)}; channels "
             f"{', '.join(hub.stock.channels)}; {len(hub.stock.kits)} kits")
    from synchub.config.sinks import route_sources

    for sink, routes in hub.file.sinks.items():
        _out(f"ok  sink {sink}: " + "; ".join(
            f"{r} <- {', '.join(route_sources(cfg, sink, hub.connections))}"
            for r, cfg in routes.items()))
    for name, consumer in (hub.file.feeds.consumers if hub.file.feeds else {}).items():
        _out(f"ok  feed consumer {name}: {', '.join(consumer.entities)}"
             + (f" of {', '.join(consumer.connections)}" if consumer.connections else ""))
    if hub.ledger is not None:
        led = hub.ledger
        _out(f"ok  ledger: books in {led.functional_currency}; channels "
             f"{', '.join(led.channels) or 'none'}; {len(led.fees)} fee types, "
             f"{len(led.taxes)} tax titles, {len(led.commissions)} commission rules mapped")
    _out(f"{hub.path}: valid ({len(hub.connections)} connections)")
    return EXIT_OK


def _entity_name(name: str) -> str:
    from synchub.canonical import ENTITIES

    n = name.strip().lower().replace("-", "_")
    from synchub.feeds.ledger_views import ROW_FEEDS
    from synchub.store.stock_tables import STOCK_FEEDS

    for cand in (n, n[:-1] if n.endswith("s") else n, n[:-2] if n.endswith("es") else n):
        if cand in ENTITIES or cand in STOCK_FEEDS or cand in ROW_FEEDS:
            return cand
    known = sorted(ENTITIES) + sorted(STOCK_FEEDS) + sorted(ROW_FEEDS)
    raise ConfigError(f"unknown entity {name!r}; known: {', '.join(known)}")


def _pick_mapping(mappings_dir: Path, system: str, entity: str, name: str | None) -> Any:
    from synchub.mapping import load_mapping

    folder = mappings_dir / system
    if not folder.is_dir():
        known = sorted(p.name for p in mappings_dir.iterdir() if p.is_dir()) \
            if mappings_dir.is_dir() else []
        raise ConfigError(f"unknown connector {system!r}; mappings exist for: "
                          f"{', '.join(known) or 'none'}")
    if name:
        path = folder / f"{name}.yaml"
        if not path.is_file():
            raise ConfigError(f"no mapping {name!r} for {system}", file=str(path))
        m = load_mapping(path)
        if m.entity != entity:
            raise ConfigError(f"mapping {name!r} produces {m.entity}, not {entity}",
                              file=str(path), key="entity")
        return m
    # write mappings (*.export.yaml) map the other way and are not candidates
    found = [m for m in (load_mapping(p) for p in sorted(folder.glob("*.yaml"))
                         if not p.name.endswith(".export.yaml"))
             if m.entity == entity]
    if not found:
        raise ConfigError(f"{system} has no mapping to {entity}")
    if len(found) == 1:
        return found[0]
    for m in found:  # several (e.g. products and variations): the plain one is the default
        if m.name in (f"{entity}s", entity):
            return m
    names = ", ".join(m.name for m in found)
    raise ConfigError(f"{system} has several mappings to {entity} ({names}); choose with --mapping")


def cmd_normalize(args: argparse.Namespace) -> int:
    from synchub.mapping import MappingContext

    entity = _entity_name(args.entity)
    mappings_dir = Path(args.mappings_dir)
    mapping = _pick_mapping(mappings_dir, args.connector, entity, args.mapping)
    raw = sys.stdin.read() if args.file in (None, "-") else Path(args.file).read_text("utf-8")
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as exc:
        where = args.file or "stdin"
        raise ConfigError(f"{where}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                          ) from None
    values: dict[str, str] = {}
    for item in args.context or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--context expects KEY=VALUE, got {item!r}")
        values[key] = value
    ctx = MappingContext(connection=args.connection or args.connector, system=args.connector,
                         values=values)
    bad = 0
    from synchub.errors import RecordError

    for rec in mapping.unwrap(payload):
        try:
            out = mapping.apply(rec, ctx)
        except RecordError as exc:
            bad += 1
            _err(json.dumps({"record_id": exc.record_id, "entity": entity, "field": exc.field,
                             "reason": exc.message}, ensure_ascii=False))
            continue
        for r in out:
            _out(json.dumps(r.to_json_dict(), ensure_ascii=False))
    return EXIT_QUARANTINED if bad else EXIT_OK


def _open_store(args: argparse.Namespace) -> Any:
    from synchub.config.hub import absolutize_sqlite
    from synchub.plan import load_hub
    from synchub.store import Store

    if getattr(args, "store", None):
        url = absolutize_sqlite(args.store, Path.cwd())
    else:
        url = load_hub(_hub_path(args), load_mappings=False).store_url()
    store = Store.from_url(url)
    store.migrate()
    return store


def cmd_run(args: argparse.Namespace) -> int:
    from synchub.pipeline import sync_connection
    from synchub.plan import load_hub
    from synchub.runtime import ConnectionInfo
    from synchub.store import Store

    hub = load_hub(_hub_path(args))
    plan = hub.connection(args.connection)
    for s in args.stream or []:
        if s not in plan.streams:
            raise ConfigError(f"unknown or disabled stream {s!r} for connection "
                              f"{args.connection!r}; enabled: {', '.join(plan.streams)}")
    conn = ConnectionInfo.from_env(plan.config.conn_id)
    store = Store.from_url(hub.store_url())
    store.migrate()
    try:
        # outside Airflow there is no data interval: the window ends now (less each
        # stream's safety lag, as in a manual Airflow run)
        summaries = sync_connection(hub, args.connection, store=store, conn_info=conn,
                                    streams=args.stream or None, window_end=datetime.now(UTC),
                                    full_refresh=True if args.full_refresh else None)
    finally:
        store.dispose()
    for s in summaries:
        _out(json.dumps(s.as_dict()) if args.json else _summary_line(s.as_dict()))
    return EXIT_OK


def _summary_line(s: dict[str, Any]) -> str:
    return (f"{s['connection']:<16} {s['stream']:<20} fetched {s['fetched']:>7}  "
            f"stored {s['stored']:>7}  unchanged {s['unchanged']:>7}  "
            f"quarantined {s['quarantined']:>5}  cursor {s['cursor'] or '-'}")


def cmd_feed(args: argparse.Namespace) -> int:
    from synchub.cli_feed import cmd_feed as run

    return run(args)


def cmd_schemas(args: argparse.Namespace) -> int:
    from synchub.schemas import export_schemas

    changed = export_schemas(Path(args.out), check=args.check)
    if args.check and changed:
        for p in changed:
            _err(f"out of date: {p}")
        _err("run `synchub schemas` to regenerate")
        return EXIT_FAILED
    for p in changed:
        _out(f"wrote {p}")
    return EXIT_OK


def cmd_sandbox(args: argparse.Namespace, rest: list[str]) -> int:
    from synchub.sandbox.cli import main as sandbox_main

    return sandbox_main(rest)


def cmd_pools(args: argparse.Namespace) -> int:
    from synchub.plan import load_hub

    hub = load_hub(_hub_path(args), load_mappings=False)
    pools = {}
    for name, plan in hub.connections.items():
        slots = plan.config.pool_slots or hub.file.defaults.pool_slots
        pools[f"synchub__{name}"] = {"slots": slots, "description":
                                     f"synchub: concurrent tasks against {name}",
                                     "include_deferred": False}
    _out(json.dumps(pools, indent=2))
    return EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    store = _open_store(args)
    try:
        for run in store.last_runs():
            _out(_summary_line(run) + f"  {run['status']}")
    finally:
        store.dispose()
    return EXIT_OK


def cmd_push_commands(args: argparse.Namespace) -> int:
    from synchub.cli_push import COMMANDS as PUSH_COMMANDS

    return PUSH_COMMANDS[args.command](args)


def cmd_demo(args: argparse.Namespace) -> int:
    from synchub.demo import run_demo

    return run_demo(hub_path=_hub_path(args), changes=args.changes)


def cmd_stock(args: argparse.Namespace) -> int:
    from synchub.cli_stock import cmd_stock as run

    return run(args)


def cmd_feeds(args: argparse.Namespace) -> int:
    from synchub.cli_feeds import cmd_feeds as run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="synchub", description=__doc__.split("\n")[0])
    p.add_argument("-v", "--verbose", action="count", default=0)
    sub = p.add_subparsers(dest="command", required=True)

    def with_config(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--config", "-c", help="hub file (default $SYNCHUB_HUB or ./hub.yaml)")
        return sp

    with_config(sub.add_parser("validate", help="check hub, connector and mapping YAML"))
    sp = sub.add_parser("normalize", help="raw vendor payload -> canonical JSON Lines")
    sp.add_argument("--connector", required=True, help="system, e.g. shopify")
    sp.add_argument("--entity", required=True, help="canonical entity, e.g. order")
    sp.add_argument("--mapping", help="mapping name when a system has several for the entity")
    sp.add_argument("--connection", help="connection name to stamp (default: the system)")
    sp.add_argument("--context", action="append", metavar="KEY=VALUE",
                    help="context value, e.g. shop_currency=EUR")
    sp.add_argument("--mappings-dir", default="mappings")
    sp.add_argument("file", nargs="?", help="payload file, or - for stdin")
    sp = with_config(sub.add_parser("run", help="sync one connection without Airflow"))
    sp.add_argument("connection")
    sp.add_argument("--stream", action="append", help="only this stream (repeatable)")
    sp.add_argument("--full-refresh", action="store_true", help="ignore stored cursors")
    sp.add_argument("--json", action="store_true", help="one JSON summary per stream")
    sp = with_config(sub.add_parser("feed", help="read unified records in change order"))
    sp.add_argument("entity")
    sp.add_argument("--since", help="cursor from a previous read")
    sp.add_argument("--limit", type=int)
    sp.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    sp.add_argument("--store", help="store URL (default: from the hub file)")
    sp = sub.add_parser("schemas", help="export JSON Schemas of entities and config files")
    sp.add_argument("--out", default="schemas")
    sp.add_argument("--check", action="store_true", help="fail if the files are out of date")
    sub.add_parser("sandbox", help="run the loopback vendor API simulators", add_help=False)
    with_config(sub.add_parser("pools", help="Airflow pools JSON for `airflow pools import`"))
    sp = with_config(sub.add_parser("runs", help="the latest run of every stream"))
    sp.add_argument("--store", help="store URL (default: from the hub file)")
    sp = with_config(sub.add_parser("demo", help="sandbox + Airflow sync of every connection"))
    sp.add_argument("--changes", type=int, default=5,
                    help="records the sandbox creates and updates before a repeat run")
    from synchub.cli_stock import add_parser as add_stock_parser

    add_stock_parser(sub, with_config)
    from synchub.cli_push import add_parser as add_push_parser

    add_push_parser(sub, with_config)
    from synchub.cli_feeds import add_parser as add_feeds_parser

    add_feeds_parser(sub, with_config)
    from synchub.cli_ledger import add_parser as add_ledger_parser

    add_ledger_parser(sub, with_config)
    return p


COMMANDS = {
    "validate": cmd_validate, "normalize": cmd_normalize, "run": cmd_run, "feed": cmd_feed,
    "schemas": cmd_schemas, "pools": cmd_pools, "runs": cmd_runs,
    "deadletters": cmd_push_commands, "push": cmd_push_commands,
    "replay": cmd_push_commands, "demo": cmd_demo, "stock": cmd_stock,
    "feeds": cmd_feeds, "ledger": cmd_ledger,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``synchub`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] == "sandbox":
        return cmd_sandbox(argparse.Namespace(), argv[1:])
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        errors = getattr(exc, "errors", [exc])
        for e in errors:
            _err(f"error: {e.message}")
        return EXIT_USAGE
    except SynchubError as exc:
        _err(f"error: {exc.message}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`synchub feed ... | head`): stop quietly, as Unix tools do
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
