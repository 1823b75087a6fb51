"""File exports of a feed consumer: what changed since its last export, as JSON Lines and CSV.

``export_consumer`` writes, per entity of the consumer, the records changed after the
consumer's export cursor (``sync_state`` row ``feed:<consumer>`` / ``export:<entity>``) to
``<to>/<entity>/<run_id>.jsonl`` (canonical documents) and ``.csv`` (the flat view's
columns; orders also give ``order_line/<run_id>.csv``). ``to`` is a folder relative to
hub.yaml or any fsspec URL (``file://``, ``s3://``, ``memory://``).

Each run first fixes its window (cursor, newest change it may see], writes every file of the
entity under a temporary name, moves them into place and only then advances the cursor: a
crash leaves the cursor where it was, so the next run writes those records again (at least
once, never skipped). Pages of 1000 rows stream from the database to the file; memory does
not grow with the volume. A window with nothing new writes no file.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import fsspec
import sqlalchemy as sa

from synchub.config.feeds import confine_target, exports_root
from synchub.errors import ConfigError
from synchub.feeds.ledger_views import ROW_FEEDS
from synchub.feeds.reader import max_seq, read_page, scope_filter
from synchub.feeds.views import ENTITY_VIEW, FEED_ORDER_LINES, FeedView

if TYPE_CHECKING:
    from synchub.config.feeds import FeedConsumer
    from synchub.plan import Hub
    from synchub.store import Store

PAGE = 1000


def state_key(consumer: str, entity: str) -> tuple[str, str]:
    """The ``sync_state`` (connection, stream) holding a consumer's export cursor."""
    return f"feed:{consumer}", f"export:{entity}"


def _consumer(hub: Hub, name: str) -> FeedConsumer:
    consumers = hub.file.feeds.consumers if hub.file.feeds else {}
    cfg = consumers.get(name)
    if cfg is None:
        known = ", ".join(sorted(consumers)) or "none"
        raise ConfigError(f"unknown feed consumer {name!r}; configured: {known}",
                          file=str(hub.path), key="feeds.consumers")
    if cfg.export is None:
        raise ConfigError(f"feed consumer {name!r} has no export", file=str(hub.path),
                          key=f"feeds.consumers.{name}.export")
    return cfg


def target_url(hub: Hub, to: str, consumer: str = "") -> str:
    """An export target as fsspec takes it: a plain folder is taken relative to hub.yaml.

    A local target must stay under the exports root, symlinks resolved: ``validate`` checks
    it, and so does every run (a link may have appeared since).
    """
    try:
        return confine_target(to, exports_root(hub.file.feeds, hub.root), hub.root)
    except ValueError as exc:
        raise ConfigError(str(exc), file=str(hub.path),
                          key=f"feeds.consumers.{consumer}.export.to") from None


def safe_run_id(run_id: str) -> str:
    """A run id usable as a file name (Airflow's hold ':' and '+')."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", run_id).strip("._")
    if not cleaned:
        raise ValueError("run_id must contain a letter or digit")
    return cleaned[:200]


def export_consumer(store: Store, hub: Hub, consumer: str, *, run_id: str,
                    page_size: int = PAGE) -> dict[str, Any]:
    """Export what changed for one consumer since its last export; returns counts and files."""
    cfg = _consumer(hub, consumer)
    assert cfg.export is not None  # checked by _consumer
    fs, root = fsspec.core.url_to_fs(target_url(hub, cfg.export.to, consumer))
    name = safe_run_id(run_id)
    out: dict[str, Any] = {"consumer": consumer, "run_id": name, "records": 0, "files": 0,
                           "entities": {}}
    for entity in cfg.entities:
        summary = _export_entity(store, fs, root.rstrip("/"), consumer, entity, name,
                                 cfg.connections, cfg.export.formats, page_size)
        out["entities"][entity] = summary
        out["records"] += summary["records"]
        out["files"] += len(summary["files"])
    return out


def _export_entity(store: Store, fs: Any, root: str, consumer: str, entity: str, run: str,
                   connections: Sequence[str] | None, formats: Sequence[str],
                   page_size: int) -> dict[str, Any]:
    conn_key, stream = state_key(consumer, entity)
    state = store.get_state(conn_key, stream) or {}
    since = int(state.get("change_seq") or 0)
    with store.engine.connect() as conn:
        upto = max_seq(conn, entity, since=since, connections=connections)
    if upto is None:
        return {"records": 0, "files": [], "cursor": since}
    moves: list[tuple[str, str]] = []
    records = 0
    try:
        if "jsonl" in formats:
            path = f"{root}/{entity}/{run}.jsonl"
            records = _write(fs, path, moves, lambda f: _jsonl(store, f, entity, since, upto,
                                                               connections, page_size))
        if "csv" in formats:
            row_feed = ROW_FEEDS.get(entity)
            view = ENTITY_VIEW.get(entity) or (row_feed.view if row_feed else None)
            keys = row_feed.keys if row_feed else ("change_seq",)
            if view is not None:
                n = _write(fs, f"{root}/{entity}/{run}.csv", moves, lambda f: _csv(
                    store, f, view, since, upto, connections, page_size, order_by=keys))
                records = records or n
            if view is not None and entity == "order":
                _write(fs, f"{root}/order_line/{run}.csv", moves, lambda f: _csv(
                    store, f, FEED_ORDER_LINES, since, upto, connections, page_size,
                    order_by=("change_seq", "line_no")))
        for tmp, final in moves:
            fs.mv(tmp, final)
    except BaseException:
        for tmp, _ in moves:
            if fs.exists(tmp):
                fs.rm(tmp)
        raise
    # only now, with every file in place, may the cursor move past these records
    store.set_state(conn_key, stream, {"change_seq": upto, "run_id": run, "records": records,
                                       "at": datetime.now(UTC).isoformat()})
    return {"records": records, "files": [final for _, final in moves], "cursor": upto}


def _write(fs: Any, final: str, moves: list[tuple[str, str]], fill: Any) -> int:
    folder, _, base = final.rpartition("/")
    tmp = f"{folder}/.{base}.part"
    fs.makedirs(folder, exist_ok=True)
    moves.append((tmp, final))
    with fs.open(tmp, "w", encoding="utf-8", newline="") as f:
        count: int = fill(f)
    return count


def _jsonl(store: Store, f: Any, entity: str, since: int, upto: int,
           connections: Sequence[str] | None, page_size: int) -> int:
    count, cursor = 0, since
    while True:
        with store.engine.connect() as conn:
            page = read_page(conn, entity, since=cursor, limit=page_size,
                             connections=connections, upto=upto)
        for doc in page.records:
            f.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += len(page.records)
        cursor = page.next_cursor
        if not page.has_more:
            return count


def _csv(store: Store, f: Any, view: FeedView, since: int, upto: int,
         connections: Sequence[str] | None, page_size: int,
         order_by: tuple[str, ...] = ("change_seq",)) -> int:
    writer = csv.writer(f)
    writer.writerow(view.column_names)
    count = 0
    for row in _view_rows(store, view, since, upto, connections, page_size, order_by):
        writer.writerow(row)
        count += 1
    return count


def _view_rows(store: Store, view: FeedView, since: int, upto: int,
               connections: Sequence[str] | None, page_size: int,
               order_by: tuple[str, ...]) -> Iterator[list[str]]:
    """Rows of a view in the window, by keyset pages on ``order_by`` (constant memory)."""
    table = sa.table(view.name, *(sa.column(c) for c in view.column_names))
    keys = [table.c[k] for k in order_by]
    kinds = [c.kind for c in view.columns]
    last: tuple[Any, ...] | None = None
    while True:
        query = (sa.select(table).where(table.c.change_seq > since, table.c.change_seq <= upto,
                                        scope_filter(table, connections))
                 .order_by(*keys).limit(page_size))
        if last is not None:
            query = query.where(sa.tuple_(*keys) > sa.tuple_(*last))
        with store.engine.connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            yield [_cell(v, k) for v, k in zip(row, kinds, strict=True)]
        if len(rows) < page_size:
            return
        last = tuple(rows[-1]._mapping[k] for k in order_by)


def _cell(value: Any, kind: str) -> str:
    """One CSV cell, spelled the same whatever the database."""
    if value is None:
        return ""
    if kind == "bool":
        return "true" if value in (True, 1, "1", "true") else "false"
    if kind == "time":
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if moment.tzinfo is None:  # SQLite keeps UTC without its zone
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
