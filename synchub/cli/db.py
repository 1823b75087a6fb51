"""``synchub db upgrade``: migrate the hub store to the code's head revision (once per deploy).

Tasks and the other commands never migrate; they check the store's revision and fail with
a message that names this command.
"""

from __future__ import annotations

import argparse

from synchub.cli.common import EXIT_OK, SubParsers, load_hub, out, store_override, with_store


def cmd_upgrade(args: argparse.Namespace) -> int:
    """Upgrade the store of ``--store`` or the hub file; print from which revision to which."""
    from synchub.store import Store

    url = store_override(args) or load_hub(args, mappings=False).store_url()
    store = Store.from_url(url)
    try:
        before, after = store.upgrade()
        where = store.engine.url.render_as_string(hide_password=True)
    finally:
        store.dispose()
    if before == after:
        out(f"hub store {where}: at revision {after} already")
    else:
        out(f"hub store {where}: upgraded from revision {before or 'none (empty)'} to {after}")
    return EXIT_OK


def register(sub: SubParsers) -> None:
    """Register ``synchub db`` and its subcommands."""
    db = sub.add_parser("db", help="the hub store's schema: `db upgrade` once per deploy")
    dsub = db.add_subparsers(dest="db_command", required=True)
    sp = with_store(dsub.add_parser("upgrade", help="migrate the hub store to this code's "
                                    "head revision (prints from which to which)"))
    sp.set_defaults(handler=cmd_upgrade)
