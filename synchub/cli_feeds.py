"""``synchub feeds ...``: API keys of feed consumers and file exports, without Airflow."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _hub_and_store(args: argparse.Namespace) -> tuple[Any, Any]:
    from synchub.cli import _hub_path
    from synchub.config.hub import absolutize_sqlite
    from synchub.plan import load_hub
    from synchub.store import Store

    hub = load_hub(_hub_path(args), load_mappings=False)
    url = absolutize_sqlite(args.store, Path.cwd()) if args.store else hub.store_url()
    store = Store.from_url(url)
    store.migrate()
    return hub, store


def _when(value: Any) -> str:
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ"))


def cmd_keys_create(args: argparse.Namespace) -> int:
    from synchub.feeds.api import consumers_of
    from synchub.feeds.keys import issue_key

    hub, store = _hub_and_store(args)
    try:
        expires = (datetime.now(UTC) + timedelta(days=args.expires_days)
                   if args.expires_days else None)
        issued = issue_key(store, args.consumer, consumers_of(hub), label=args.label,
                           expires_at=expires)
    finally:
        store.dispose()
    # the one and only time the key is shown: it goes to stdout alone so that it can be
    # piped into a secret store; the note goes to stderr
    _out(issued.key)
    sys.stderr.write(f"key {issued.prefix} for consumer {issued.consumer!r} created; it is "
                     "not stored and cannot be shown again\n")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from synchub.feeds.keys import list_keys

    _, store = _hub_and_store(args)
    try:
        rows = list_keys(store, args.consumer)
    finally:
        store.dispose()
    if args.json:
        for r in rows:
            _out(json.dumps({k: (_when(v) if isinstance(v, datetime) else v)
                             for k, v in r.items()}))
        return 0
    _out(f"{'prefix':<10} {'consumer':<20} {'created':<21} {'last used':<21} "
         f"{'expires':<21} {'revoked':<21} label")
    for r in rows:
        _out(f"{r['prefix']:<10} {r['consumer']:<20} {_when(r['created_at']):<21} "
             f"{_when(r['last_used_at']):<21} {_when(r['expires_at']):<21} "
             f"{_when(r['revoked_at']):<21} {r['label'] or ''}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from synchub.feeds.keys import revoke_key

    _, store = _hub_and_store(args)
    try:
        consumer = revoke_key(store, args.prefix)
    finally:
        store.dispose()
    _out(f"key {args.prefix} of consumer {consumer!r} revoked")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from synchub.feeds.export import export_consumer

    hub, store = _hub_and_store(args)
    try:
        summary = export_consumer(store, hub, args.consumer,
                                  run_id=args.run_id or f"manual_{uuid.uuid4().hex[:12]}")
    finally:
        store.dispose()
    if args.json:
        _out(json.dumps(summary))
        return 0
    for entity, s in summary["entities"].items():
        files = ", ".join(s["files"]) or "no file (nothing new)"
        _out(f"{entity}: {s['records']} records -> {files}")
    return 0


def add_parser(sub: Any, with_config: Callable[[Any], Any]) -> None:
    """Register ``synchub feeds`` and its subcommands."""
    feeds = sub.add_parser("feeds", help="feed API keys and file exports")
    fsub = feeds.add_subparsers(dest="feeds_command", required=True)

    def common(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        with_config(sp)
        sp.add_argument("--store", help="store URL (default: from the hub file)")
        return sp

    keys = fsub.add_parser("keys", help="create, list and revoke API keys")
    ksub = keys.add_subparsers(dest="keys_command", required=True)
    sp = common(ksub.add_parser("create", help="issue a key for a consumer (shown once)"))
    sp.add_argument("consumer")
    sp.add_argument("--label", help="what the key is for, e.g. the system using it")
    sp.add_argument("--expires-days", type=int, help="refuse the key after this many days")
    sp = common(ksub.add_parser("list", help="keys with prefix, consumer, last use"))
    sp.add_argument("--consumer")
    sp.add_argument("--json", action="store_true")
    sp = common(ksub.add_parser("revoke", help="revoke a key by its prefix"))
    sp.add_argument("prefix")
    sp = common(fsub.add_parser("export", help="write a consumer's export files now"))
    sp.add_argument("consumer")
    sp.add_argument("--run-id", help="names the files (default: manual_<random>)")
    sp.add_argument("--json", action="store_true")


def cmd_feeds(args: argparse.Namespace) -> int:
    """Dispatch ``synchub feeds ...``."""
    if args.feeds_command == "export":
        return cmd_export(args)
    keys = {"create": cmd_keys_create, "list": cmd_keys_list, "revoke": cmd_keys_revoke}
    return keys[args.keys_command](args)
