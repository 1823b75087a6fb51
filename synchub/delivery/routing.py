"""Routing: turn stored changes into ``deliveries`` rows, page by page, behind a cursor.

Each route reads its entity table in ``change_seq`` order from its cursor (kept in
``sync_state`` as connection = the sink, stream = ``route:<name>``). A page's deliveries
rows and the advanced cursor are one transaction, and ``change_seq`` is handed out in
commit order (docs/adr/0001), so a crash re-reads at most one page and misses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jmespath
import sqlalchemy as sa
from jmespath.exceptions import JMESPathError

from synchub.delivery.routes import Route
from synchub.errors import ConfigError
from synchub.store import entity_table
from synchub.store.delivery_tables import deliveries
from synchub.store.store import analyze
from synchub.store.writer import dialect_insert, upsert_state

PAGE_SIZE = 1000


@dataclass
class RouteCounts:
    """What routing one route did in one run."""

    routed: int = 0      # records queued (new, or a new version)
    unchanged: int = 0   # the sink has (or is already queued) this exact version
    filtered: int = 0    # not for this sink: ``when``, the write mapping's ``when``, ownership

    def as_dict(self) -> dict[str, int]:
        return {"routed": self.routed, "unchanged": self.unchanged, "filtered": self.filtered}


def idempotency_key(sink: str, route: str, record_id: str, content_hash: str) -> str:
    """The key a writer sends so that the sink applies one version once (<= 255 chars)."""
    key = f"{sink}:{route}:{record_id}:{content_hash}"
    if len(key) > 255:
        # sink and route names are bounded by the config; keep the identifying tail
        key = key[-255:]
    return key


def _filter(route: Route) -> Callable[[dict[str, Any]], bool]:
    """Whether a canonical document goes to this route's sink."""
    when = None
    if route.config.when:
        try:
            when = jmespath.compile(route.config.when)
        except JMESPathError as exc:
            raise ConfigError(f"invalid JMESPath {route.config.when!r}: {exc}",
                              key=f"sinks.{route.sink}.{route.name}.when") from None
    export, own = route.export, route.writer.only_own_orders

    def wanted(doc: dict[str, Any]) -> bool:
        if when is not None and not _truthy(when.search(doc)):
            return False
        if export is not None and not export.wants(doc):
            return False
        return not own or doc.get("order_connection") == route.sink

    return wanted


def _truthy(value: Any) -> bool:
    # JMESPath truthiness: empty strings, lists, objects, false and null are false
    return value not in (None, False, "", [], {})


ANALYZE_FIRST = 5000  # deliveries routed in one run before the first ANALYZE


def route_changes(conn_factory: Callable[[], Any], route: Route, now: datetime,
                  page_size: int | None = None) -> RouteCounts:
    """Route every change after the route's cursor; one transaction per page.

    ``conn_factory`` opens a write transaction (``Store.transaction``).
    """
    page_size = page_size or PAGE_SIZE
    table = entity_table(route.entity)
    wanted = _filter(route)
    counts = RouteCounts()
    # PostgreSQL plans the per-page lookup of existing deliveries from the table's
    # statistics; a large first routing outruns autovacuum (or runs without it) and the
    # lookup turns into a scan of the route's rows per page, so analyze as it grows
    analyze_at = ANALYZE_FIRST
    while True:
        with conn_factory() as conn:
            engine = conn.engine
            state = _get_state(conn, route)
            if state is None and route.config.initial == "new":
                # no history: start after what is stored now
                top = conn.execute(sa.select(sa.func.max(table.c.change_seq))).scalar()
                upsert_state(conn, route.sink, route.state_stream,
                             {"cursor": int(top or 0)}, now)
                return counts
            cursor = int((state or {}).get("cursor") or 0)
            rows = conn.execute(
                sa.select(table.c.id, table.c.connection, table.c.content_hash,
                          table.c.change_seq, table.c.data, table.c.deleted_at)
                .where(table.c.change_seq > cursor,
                       table.c.connection.in_(list(route.sources)))
                .order_by(table.c.change_seq)
                .limit(page_size)
            ).all()
            if not rows:
                if state is None:
                    upsert_state(conn, route.sink, route.state_stream, {"cursor": cursor}, now)
                return counts
            _route_page(conn, route, rows, wanted, now, counts)
            upsert_state(conn, route.sink, route.state_stream,
                         {"cursor": int(rows[-1].change_seq)}, now)
        if counts.routed >= analyze_at and engine.dialect.name == "postgresql":
            analyze(engine, deliveries.name)
            analyze_at = counts.routed * 2
        if len(rows) < page_size:
            return counts


def _get_state(conn: sa.Connection, route: Route) -> dict[str, Any] | None:
    from synchub.store.tables import sync_state

    state: dict[str, Any] | None = conn.execute(
        sa.select(sync_state.c.state).where(sync_state.c.connection == route.sink,
                                            sync_state.c.stream == route.state_stream)
    ).scalar_one_or_none()
    return state


def _route_page(conn: sa.Connection, route: Route, rows: Sequence[Any],
                wanted: Callable[[dict[str, Any]], bool], now: datetime,
                counts: RouteCounts) -> None:
    d = deliveries.c
    existing = {r.record_id: r for r in conn.execute(
        sa.select(d.id, d.record_id, d.content_hash, d.delivered_hash, d.status)
        .where(d.sink == route.sink, d.route == route.name,
               d.record_id.in_([r.id for r in rows])))}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        doc = row.data if isinstance(row.data, dict) else {}
        old = existing.get(row.id)
        # a record deleted at its source is pushed to no sink (its tombstone goes by the
        # feeds); a version of it still waiting to go is skipped
        if row.deleted_at is not None or not wanted(doc):
            counts.filtered += 1
            if old is not None and old.status in ("pending", "deferred"):
                # the version waiting to go is outdated and the current one is not for
                # this sink: send neither
                updates.append(_version(row, route, now, status="skipped", old=old))
            continue
        if old is not None and old.content_hash == row.content_hash \
                and old.status != "skipped":
            counts.unchanged += 1
            continue
        if old is not None and old.delivered_hash == row.content_hash:
            # back to the version the sink holds (A -> B -> A before B went out)
            counts.unchanged += 1
            updates.append(_version(row, route, now, status="delivered", old=old))
            continue
        counts.routed += 1
        if old is None:
            inserts.append({
                "sink": route.sink, "route": route.name, "entity": route.entity,
                "record_id": row.id, "source_connection": row.connection,
                "content_hash": row.content_hash, "change_seq": row.change_seq,
                "rank": route.rank, "status": "pending", "attempts": 0,
                "available_at": now,
                "idempotency_key": idempotency_key(route.sink, route.name, row.id,
                                                   row.content_hash),
                "created_at": now, "updated_at": now})
        else:
            # a new version gets a fresh start, also when the old one was dead: the new
            # version may be the fix
            updates.append(_version(row, route, now, status="pending", old=old))
    if inserts:
        conn.execute(dialect_insert(conn, deliveries).on_conflict_do_nothing(
            index_elements=[d.sink, d.route, d.record_id]), inserts)
    if updates:
        conn.execute(
            sa.update(deliveries).where(d.id == sa.bindparam("b_id")).values(
                content_hash=sa.bindparam("b_hash"), change_seq=sa.bindparam("b_seq"),
                source_connection=sa.bindparam("b_src"), status=sa.bindparam("b_status"),
                attempts=0, available_at=now, last_error=None,
                idempotency_key=sa.bindparam("b_key"), created_at=now, updated_at=now),
            updates)


def _version(row: Any, route: Route, now: datetime, *, status: str, old: Any
             ) -> dict[str, Any]:
    return {"b_id": old.id, "b_hash": row.content_hash, "b_seq": row.change_seq,
            "b_src": row.connection, "b_status": status,
            "b_key": idempotency_key(route.sink, route.name, row.id, row.content_hash)}
