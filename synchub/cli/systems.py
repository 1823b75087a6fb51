"""``synchub systems``: every registered strategy, by kind, with the package that brought it.

The registry is filled from the ``synchub.systems`` entry points (the engine's ``core``
and every installed system); a plugin that failed to load is reported and makes the
command exit 1.
"""

from __future__ import annotations

import argparse
import json

from synchub.cli.common import EXIT_FAILED, EXIT_OK, SubParsers, err, out
from synchub.registry import KINDS, REGISTRY


def cmd_systems(args: argparse.Namespace) -> int:
    """Print the registry as a table (or JSON lines with ``--json``)."""
    entries = [e for e in REGISTRY.entries() if args.kind in (None, e.kind)]
    if args.json:
        for e in entries:
            out(json.dumps({"kind": e.kind, "name": e.name, "package": e.package,
                            "target": e.where, "models": sorted(e.specs)}))
    else:
        packages = sorted({e.package for e in REGISTRY.entries()})
        out(f"{len(REGISTRY.entries())} strategies from {len(packages)} package(s): "
            f"{', '.join(packages)}")
        width = max((len(e.name) for e in entries), default=4)
        for kind in KINDS:
            group = [e for e in entries if e.kind == kind]
            if args.kind is not None and kind != args.kind:
                continue
            out(f"\n{kind}: {KINDS[kind]}" + ("" if group else " (none registered)"))
            for e in group:
                out(f"  {e.name:<{width}}  {e.package:<12} {e.where}")
    for message in REGISTRY.load_errors:
        err(f"error: {message}")
    return EXIT_FAILED if REGISTRY.load_errors else EXIT_OK


def register(sub: SubParsers) -> None:
    """Register ``synchub systems``."""
    sp = sub.add_parser("systems", help="registered strategies (auth, paginators, "
                        "transports, transforms, writers...) and the packages that bring them")
    sp.add_argument("--kind", choices=sorted(KINDS), help="only this kind")
    sp.add_argument("--json", action="store_true", help="one JSON object per line")
    sp.set_defaults(handler=cmd_systems)
