"""Replay: send dead deliveries again, and ingest quarantined records again.

Nothing that already succeeded is touched: only ``dead`` deliveries become pending, and
only unresolved dead letters are re-mapped. Ids are spelled ``d-<id>`` (a delivery) and
``dl-<id>`` (a dead letter) wherever an operator sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.errors import ConfigError, SynchubError, redact
from synchub.store.delivery_tables import deliveries
from synchub.store.stock_tables import PUBLISH_STREAM
from synchub.store.tables import dead_letters
from synchub.store.writer import write_page

if TYPE_CHECKING:
    from synchub.plan import Hub
    from synchub.runtime import ConnectionInfo
    from synchub.store import Store

DELIVERY_PREFIX, LETTER_PREFIX = "d-", "dl-"


@dataclass
class ReplayResult:
    """What a replay did."""

    deliveries: int = 0        # dead deliveries made pending again
    resolved: int = 0          # dead letters re-ingested
    still_failing: int = 0     # dead letters that failed again (kept, with the new reason)

    def as_dict(self) -> dict[str, int]:
        return {"deliveries": self.deliveries, "resolved": self.resolved,
                "still_failing": self.still_failing}


def parse_id(text: str) -> tuple[str, int]:
    """``("delivery", 34)`` for ``d-34``, ``("dead_letter", 12)`` for ``dl-12``."""
    for prefix, kind in ((LETTER_PREFIX, "dead_letter"), (DELIVERY_PREFIX, "delivery")):
        if text.startswith(prefix) and text[len(prefix):].isdigit():
            return kind, int(text[len(prefix):])
    raise ConfigError(f"unknown id {text!r}: expected d-<n> (a dead delivery) or dl-<n> "
                      "(a quarantined record), as `synchub deadletters` lists them")


def replay_deliveries(store: Store, *, ids: list[int] | None = None, sink: str | None = None,
                      since: datetime | None = None, now: datetime | None = None) -> int:
    """Make dead deliveries pending again (attempts 0, due now); returns how many.

    An id that is not a dead delivery is an error naming it; delivered rows never change.
    """
    when = (now or datetime.now(UTC)).astimezone(UTC)
    d = deliveries.c
    cond = [d.status == "dead"]
    if ids is not None:
        cond.append(d.id.in_(ids))
    if sink is not None:
        cond.append(d.sink == sink)
    if since is not None:
        cond.append(d.updated_at >= since.astimezone(UTC))
    with store.transaction() as conn:
        if ids:
            found = {r.id: r.status for r in conn.execute(
                sa.select(d.id, d.status).where(d.id.in_(ids)))}
            for i in ids:
                if i not in found:
                    raise ConfigError(f"no delivery {DELIVERY_PREFIX}{i}")
                if found[i] != "dead":
                    raise ConfigError(f"delivery {DELIVERY_PREFIX}{i} is {found[i]}, not dead; "
                                      "only dead deliveries are replayed")
        # created_at restarts too: max_defer counts from the replay
        result = conn.execute(sa.update(deliveries).where(*cond).values(
            status="pending", attempts=0, available_at=when, created_at=when,
            updated_at=when))
        return int(result.rowcount or 0)


LEDGER_STREAM = "ledger"


def replay_dead_letters(
    store: Store, hub: Hub, *, ids: list[int] | None = None, connection: str | None = None,
    since: datetime | None = None, conn_info: Callable[[str], ConnectionInfo] | None = None,
) -> tuple[int, int]:
    """Map quarantined records again with the stream's current mappings and store them.

    Returns (resolved, still failing). A record that maps is written with its page
    semantics (change detection, a new change_seq when it changed) and its dead letter
    resolved in one transaction; one that fails again keeps its row with attempts + 1 and
    the new reason.
    ``conn_info`` gives a connection's credentials when its connector needs context
    values (e.g. the shop currency) fetched from the system.
    """
    dl = dead_letters.c
    query = sa.select(dead_letters).where(dl.resolved_at.is_(None)).order_by(dl.id)
    if ids is not None:
        query = query.where(dl.id.in_(ids))
    else:
        # records the ledger could not post are fixed by building their day again (after
        # adding the rate or mapping), listings a channel refused by the next stock run;
        # neither by mapping them again
        query = query.where(dl.stream.not_in((LEDGER_STREAM, PUBLISH_STREAM)))
    if connection is not None:
        query = query.where(dl.connection == connection)
    if since is not None:
        query = query.where(dl.last_seen_at >= since.astimezone(UTC))
    with store.engine.connect() as conn:
        letters = conn.execute(query).all()
    if ids:
        missing = sorted(set(ids) - {r.id for r in letters})
        if missing:
            raise ConfigError(f"no unresolved dead letter {LETTER_PREFIX}{missing[0]}")
        refused = [r.id for r in letters if r.stream == PUBLISH_STREAM]
        if refused:
            raise ConfigError(f"{LETTER_PREFIX}{refused[0]} is a listing the channel refused; "
                              "fix it at the channel (or the hub's stock config) and the next "
                              "stock run sends it again")
        ledger = [r.id for r in letters if r.stream == LEDGER_STREAM]
        if ledger:
            raise ConfigError(f"{LETTER_PREFIX}{ledger[0]} is a record the ledger could not "
                              "post; fix its cause (a rate, a mapping) and rebuild its day "
                              "with `synchub ledger build --day D`")
    resolved = failed = 0
    contexts: dict[str, dict[str, Any]] = {}
    for letter in letters:
        reason = _replay_one(store, hub, letter, contexts, conn_info)
        if reason is None:
            resolved += 1
        else:
            failed += 1
            now = datetime.now(UTC)
            with store.transaction() as conn:
                conn.execute(sa.update(dead_letters).where(dl.id == letter.id).values(
                    attempts=dl.attempts + 1, reason=reason, last_seen_at=now))
    return resolved, failed


def _replay_one(store: Store, hub: Hub, letter: Any, contexts: dict[str, dict[str, Any]],
                conn_info: Callable[[str], ConnectionInfo] | None) -> str | None:
    """Re-ingest one dead letter; None on success, else the reason it still fails."""
    from synchub.pipeline import map_page, stock_hooks

    plan = hub.connections.get(letter.connection)
    if plan is None or letter.stream not in plan.streams:
        return f"stream {letter.stream!r} of {letter.connection!r} is no longer configured"
    if letter.raw is None:
        return "no raw record was kept; it can only be fixed at the source"
    try:
        context = _context(hub, letter.connection, contexts, conn_info, store)
    except SynchubError as exc:
        raise ConfigError(f"cannot replay {LETTER_PREFIX}{letter.id}: the context values of "
                          f"{letter.connection!r} are needed: {exc.message}") from None
    records, dead, _ = map_page([letter.raw], plan.streams[letter.stream], letter.connection,
                                plan.system, context)
    if dead:
        return str(dead[0].reason)
    try:
        with store.transaction() as conn:
            # the same stock hooks as a sync: a replayed order reserves its units
            write_page(conn, connection=letter.connection, stream=letter.stream,
                       records=records, hooks=stock_hooks(hub, letter.connection))
            conn.execute(sa.update(dead_letters).where(dead_letters.c.id == letter.id)
                         .values(resolved_at=datetime.now(UTC)))
    except sa.exc.DataError as exc:
        return redact(f"the store refused the record: {exc.orig}")
    return None


def _context(hub: Hub, connection: str, cache: dict[str, dict[str, Any]],
             conn_info: Callable[[str], ConnectionInfo] | None, store: Store
             ) -> dict[str, Any]:
    if connection in cache:
        return cache[connection]
    plan = hub.connection(connection)
    values: dict[str, Any] = {}
    if plan.connector.context:
        from synchub.runtime import ConnectionInfo, ConnectorClient

        info = conn_info(connection) if conn_info is not None else \
            ConnectionInfo.from_env(plan.config.conn_id)
        client = ConnectorClient(plan.connector, info, tokens=store.tokens)
        try:
            values = client.context()
        finally:
            client.close()
    cache[connection] = values
    return values


def replay(store: Store, hub: Hub, *, target: str | None = None,
           connection: str | None = None, since: datetime | None = None,
           conn_info: Callable[[str], ConnectionInfo] | None = None,
           now: datetime | None = None) -> ReplayResult:
    """Replay one id (``d-34`` / ``dl-12``), or everything dead of a connection or sink.

    With ``connection`` (and optionally ``since``): its quarantined records and, when it
    is a sink, its dead deliveries. With neither: everything dead since ``since``.
    """
    out = ReplayResult()
    if target is not None:
        kind, num = parse_id(target)
        if kind == "delivery":
            out.deliveries = replay_deliveries(store, ids=[num], now=now)
        else:
            out.resolved, out.still_failing = replay_dead_letters(
                store, hub, ids=[num], conn_info=conn_info)
        return out
    if connection is None and since is None:
        raise ConfigError("say what to replay: an id (d-<n>, dl-<n>), --connection or --since")
    if connection is not None:
        from synchub.delivery.routes import sink_names

        if connection not in hub.connections and connection not in sink_names(hub):
            known = ", ".join(sorted({*hub.connections, *sink_names(hub)}))
            raise ConfigError(f"unknown connection or sink {connection!r}; known: {known}")
    out.deliveries = replay_deliveries(store, sink=connection, since=since, now=now)
    out.resolved, out.still_failing = replay_dead_letters(
        store, hub, connection=connection, since=since, conn_info=conn_info)
    return out
