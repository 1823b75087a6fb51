"""``synchub feed <entity>``: read a unified feed in change order, JSON Lines or CSV."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from synchub.cli import EXIT_OK, _entity_name, _err, _open_store, _out
from synchub.errors import ConfigError


def _flatten(doc: dict[str, Any]) -> dict[str, Any]:
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


def _read_feed(store: Any, entity: str, since: int | None, limit: int) -> Any:
    """A page of an entity, stock or ledger row feed (journal lines, reconciliation)."""
    from synchub.feeds.ledger_views import ROW_FEEDS

    if entity not in ROW_FEEDS:
        return store.read_feed(entity, since=since, limit=limit)
    from synchub.feeds.reader import read_page

    with store.engine.connect() as conn:
        return read_page(conn, entity, since=since or 0, limit=limit)


def cmd_feed(args: argparse.Namespace) -> int:
    entity = _entity_name(args.entity)
    store = _open_store(args)
    try:
        since = int(args.since) if args.since not in (None, "") else None
    except ValueError:
        raise ConfigError(f"--since expects a cursor returned by a previous read, got "
                          f"{args.since!r}") from None
    remaining = args.limit
    writer: csv.DictWriter[str] | None = None
    cursor = since
    try:
        while remaining is None or remaining > 0:
            batch = 1000 if remaining is None else min(1000, remaining)
            page = _read_feed(store, entity, cursor, batch)
            for doc in page.records:
                if args.format == "csv":
                    row = _flatten(doc)
                    if writer is None:
                        writer = csv.DictWriter(sys.stdout, fieldnames=list(row),
                                                extrasaction="ignore")
                        writer.writeheader()
                    writer.writerow(row)
                else:
                    _out(json.dumps(doc, ensure_ascii=False))
            if page.next_cursor is not None:
                cursor = page.next_cursor
            if remaining is not None:
                remaining -= len(page.records)
            if len(page.records) < batch:
                break
    finally:
        store.dispose()
    _err(json.dumps({"entity": entity, "next_cursor": cursor}))
    return EXIT_OK


