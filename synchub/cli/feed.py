"""``synchub feed <entity>``: read a unified feed in change order, JSON Lines or CSV."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import TYPE_CHECKING, Any

from synchub.cli.common import (
    EXIT_OK,
    STORE_HELP,
    SubParsers,
    entity_name,
    err,
    opened_store,
    out,
    with_config,
)
from synchub.errors import ConfigError

if TYPE_CHECKING:
    from synchub.feeds.reader import Page
    from synchub.store import FeedPage, Store



def flatten(doc: dict[str, Any]) -> dict[str, Any]:
    """A document as one CSV row: money as amount and currency, nested values as JSON."""
    row: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict) and set(value) == {"amount", "currency"}:
            row[f"{key}_amount"], row[f"{key}_currency"] = value["amount"], value["currency"]
        elif isinstance(value, dict):
            for k2, v2 in value.items():
                row[f"{key}_{k2}"] = json.dumps(v2, ensure_ascii=False) \
                    if isinstance(v2, dict | list) else v2
        elif isinstance(value, list):
            row[key] = json.dumps(value, ensure_ascii=False)
        else:
            row[key] = value
    return row


def read_feed(store: Store, entity: str, since: int | None, limit: int) -> FeedPage | Page:
    """A page of an entity, stock or ledger row feed (journal lines, reconciliation)."""
    from synchub.feeds.ledger_views import ROW_FEEDS
    from synchub.feeds.reader import read_page

    if entity not in ROW_FEEDS:
        return store.read_feed(entity, since=since, limit=limit)
    with store.engine.connect() as conn:
        return read_page(conn, entity, since=since or 0, limit=limit)


def cmd_feed(args: argparse.Namespace) -> int:
    """Print the feed after ``--since``; the next cursor goes to stderr."""
    entity = entity_name(args.entity)
    with opened_store(args) as store:
        try:
            since = int(args.since) if args.since not in (None, "") else None
        except ValueError:
            raise ConfigError(f"--since expects a cursor returned by a previous read, got "
                              f"{args.since!r}") from None
        remaining = args.limit
        writer: csv.DictWriter[str] | None = None
        cursor = since
        while remaining is None or remaining > 0:
            batch = 1000 if remaining is None else min(1000, remaining)
            page = read_feed(store, entity, cursor, batch)
            for doc in page.records:
                if args.format == "csv":
                    row = flatten(doc)
                    if writer is None:
                        writer = csv.DictWriter(sys.stdout, fieldnames=list(row),
                                                extrasaction="ignore")
                        writer.writeheader()
                    writer.writerow(row)
                else:
                    out(json.dumps(doc, ensure_ascii=False))
            if page.next_cursor is not None:
                cursor = page.next_cursor
            if remaining is not None:
                remaining -= len(page.records)
            if len(page.records) < batch:
                break
    err(json.dumps({"entity": entity, "next_cursor": cursor}))
    return EXIT_OK


def register(sub: SubParsers) -> None:
    """Register ``synchub feed``."""
    sp = with_config(sub.add_parser("feed", help="read unified records in change order"))
    sp.add_argument("entity")
    sp.add_argument("--since", help="cursor from a previous read")
    sp.add_argument("--limit", type=int)
    sp.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    sp.add_argument("--store", help=STORE_HELP)
    sp.set_defaults(handler=cmd_feed)
