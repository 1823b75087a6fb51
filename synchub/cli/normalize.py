"""``synchub normalize``: a raw vendor payload to canonical JSON Lines."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from synchub.cli.common import EXIT_OK, EXIT_QUARANTINED, SubParsers, entity_name, err, out
from synchub.errors import ConfigError, RecordError

if TYPE_CHECKING:
    from synchub.mapping import CompiledMapping



def pick_mapping(mappings_dir: Path, system: str, entity: str,
                 name: str | None) -> CompiledMapping:
    """The mapping named ``name``, else the system's one mapping to ``entity``."""
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
    """Map a payload; documents on stdout, quarantined records on stderr (exit 3)."""
    from synchub.mapping import MappingContext

    entity = entity_name(args.entity)
    mappings_dir = Path(args.mappings_dir)
    mapping = pick_mapping(mappings_dir, args.connector, entity, args.mapping)
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
    for rec in mapping.unwrap(payload):
        try:
            docs = mapping.apply(rec, ctx)
        except RecordError as exc:
            bad += 1
            err(json.dumps({"record_id": exc.record_id, "entity": entity, "field": exc.field,
                            "reason": exc.message}, ensure_ascii=False))
            continue
        for r in docs:
            out(json.dumps(r.to_json_dict(), ensure_ascii=False))
    return EXIT_QUARANTINED if bad else EXIT_OK


def register(sub: SubParsers) -> None:
    """Register ``synchub normalize``."""
    sp = sub.add_parser("normalize", help="raw vendor payload -> canonical JSON Lines")
    sp.add_argument("--connector", required=True, help="system, e.g. shopify")
    sp.add_argument("--entity", required=True, help="canonical entity, e.g. order")
    sp.add_argument("--mapping", help="mapping name when a system has several for the entity")
    sp.add_argument("--connection", help="connection name to stamp (default: the system)")
    sp.add_argument("--context", action="append", metavar="KEY=VALUE",
                    help="context value, e.g. shop_currency=EUR")
    sp.add_argument("--mappings-dir", default="mappings")
    sp.add_argument("file", nargs="?", help="payload file, or - for stdin")
    sp.set_defaults(handler=cmd_normalize)
