"""``synchub new-system <name>``: a new system's files, from connector to contract test.

Writes the connector, a mapping skeleton, a systems package, a simulator on the sandbox kit
(registered in the sandbox's table), a contract test that passes against it, and a docs
page, then prints what to do next (docs/adding-a-system.md walks through it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synchub.cli.common import EXIT_OK, SubParsers, out


def cmd_new_system(args: argparse.Namespace) -> int:
    """Scaffold the system under ``--root`` (the project folder); list the files written."""
    from synchub.scaffold import main_hint, new_system

    root = Path(args.root).resolve()
    written = new_system(args.name, root, title=args.title)
    out(f"wrote {len(written)} file(s) for system {args.name!r}:")
    for path in written:
        out(f"  {path.relative_to(root)}")
    out("\nNext:\n" + main_hint(args.name, root))
    return EXIT_OK


def register(sub: SubParsers) -> None:
    """Register ``synchub new-system``."""
    sp = sub.add_parser("new-system", help="scaffold a new system: connector, mapping, "
                        "systems package, simulator, contract test, docs page")
    sp.add_argument("name", help="the system's name (lowercase, e.g. acme_shop)")
    sp.add_argument("--title", help="its display name (default: from the name)")
    sp.add_argument("--root", default=".", help="the project folder (default: here)")
    sp.set_defaults(handler=cmd_new_system)
