"""``synchub feeds ...``: API keys of feed consumers and file exports, without Airflow."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta

from synchub.cli.common import (
    SubParsers,
    hub_and_store,
    hub_path,
    out,
    store_override,
    with_store,
)


def when(value: datetime | None) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM:SSZ`` (naive ones are UTC); ``-`` for none."""
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ"))


def cmd_keys_create(args: argparse.Namespace) -> int:
    """Issue a key; the key alone on stdout (shown once), the note on stderr."""
    from synchub.feeds.api import consumers_of
    from synchub.feeds.keys import issue_key

    with hub_and_store(args, mappings=False) as (hub, store):
        expires = (datetime.now(UTC) + timedelta(days=args.expires_days)
                   if args.expires_days else None)
        issued = issue_key(store, args.consumer, consumers_of(hub), label=args.label,
                           expires_at=expires)
    # the one and only time the key is shown: it goes to stdout alone so that it can be
    # piped into a secret store; the note goes to stderr
    out(issued.key)
    sys.stderr.write(f"key {issued.prefix} for consumer {issued.consumer!r} created; it is "
                     "not stored and cannot be shown again\n")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    """Keys with prefix, consumer, creation, last use, expiry and revocation."""
    from synchub.feeds.keys import list_keys

    with hub_and_store(args, mappings=False) as (_, store):
        rows = list_keys(store, args.consumer)
    if args.json:
        for r in rows:
            out(json.dumps({k: (when(v) if isinstance(v, datetime) else v)
                            for k, v in r.items()}))
        return 0
    out(f"{'prefix':<10} {'consumer':<20} {'created':<21} {'last used':<21} "
        f"{'expires':<21} {'revoked':<21} label")
    for r in rows:
        out(f"{r['prefix']:<10} {r['consumer']:<20} {when(r['created_at']):<21} "
            f"{when(r['last_used_at']):<21} {when(r['expires_at']):<21} "
            f"{when(r['revoked_at']):<21} {r['label'] or ''}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    """Revoke a key by its prefix."""
    from synchub.feeds.keys import revoke_key

    with hub_and_store(args, mappings=False) as (_, store):
        consumer = revoke_key(store, args.prefix)
    out(f"key {args.prefix} of consumer {consumer!r} revoked")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a consumer's export files now (the ``feed__<consumer>`` job)."""
    from synchub.jobs.feeds import feed_export

    summary = feed_export(hub_path(args), args.consumer,
                          run_id=args.run_id or f"manual_{uuid.uuid4().hex[:12]}",
                          store=store_override(args))
    if args.json:
        out(json.dumps(summary))
        return 0
    for entity, s in summary["entities"].items():
        files = ", ".join(s["files"]) or "no file (nothing new)"
        out(f"{entity}: {s['records']} records -> {files}")
    return 0


def register(sub: SubParsers) -> None:
    """Register ``synchub feeds`` and its subcommands."""
    feeds = sub.add_parser("feeds", help="feed API keys and file exports")
    fsub = feeds.add_subparsers(dest="feeds_command", required=True)
    keys = fsub.add_parser("keys", help="create, list and revoke API keys")
    ksub = keys.add_subparsers(dest="keys_command", required=True)
    sp = with_store(ksub.add_parser("create", help="issue a key for a consumer (shown once)"))
    sp.add_argument("consumer")
    sp.add_argument("--label", help="what the key is for, e.g. the system using it")
    sp.add_argument("--expires-days", type=int, help="refuse the key after this many days")
    sp.set_defaults(handler=cmd_keys_create)
    sp = with_store(ksub.add_parser("list", help="keys with prefix, consumer, last use"))
    sp.add_argument("--consumer")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(handler=cmd_keys_list)
    sp = with_store(ksub.add_parser("revoke", help="revoke a key by its prefix"))
    sp.add_argument("prefix")
    sp.set_defaults(handler=cmd_keys_revoke)
    sp = with_store(fsub.add_parser("export", help="write a consumer's export files now"))
    sp.add_argument("consumer")
    sp.add_argument("--run-id", help="names the files (default: manual_<random>)")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(handler=cmd_export)
