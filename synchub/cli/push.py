"""``synchub push | replay | deadletters``: deliver to sinks, list and replay what is dead."""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from synchub.cli.common import (
    STORE_HELP,
    SubParsers,
    hub_path,
    opened_store,
    out,
    store_override,
    with_config,
)
from synchub.errors import ConfigError

if TYPE_CHECKING:
    from synchub.store import Store



def parse_since(text: str | None) -> datetime | None:
    """``--since`` as an aware datetime (UTC when the text names no offset)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--since expects an ISO date or time, got {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cmd_push(args: argparse.Namespace) -> int:
    """Route and drain one sink without Airflow; print the summary."""
    from synchub.jobs.connections import env_connection
    from synchub.jobs.push import push_sink

    summary = push_sink(hub_path(args), args.sink, resolve=env_connection,
                        run_id=args.run_id or uuid.uuid4().hex[:16], route=args.route,
                        budget=args.budget, store=store_override(args))
    if args.json:
        out(json.dumps(summary))
        return 0
    for name, c in summary["routes"].items():
        out(f"{args.sink}.{name:<16} routed {c['routed']:>6}  delivered {c['delivered']:>6}  "
            f"skipped {c['skipped']:>6}  retried {c['retried']:>5}  deferred "
            f"{c['deferred']:>5}  dead {c['dead']:>5}")
    if summary["stopped"]:
        out(f"stopped early ({summary['stopped']}): the rest is due on the next run")
    return 0


def dead_rows(store: Store, connection: str | None) -> list[dict[str, Any]]:
    """Quarantined records and dead deliveries, one listing: id, kind, where, why."""
    import sqlalchemy as sa

    from synchub.store.delivery_tables import deliveries

    d = deliveries
    rows = []
    for row in store.dead_letters(connection=connection):
        rows.append({"id": f"dl-{row['id']}", "kind": "quarantined",
                     "connection": row["connection"], "stream": row["stream"],
                     "entity": row["entity"], "record_id": row["record_id"],
                     "field": row["field"], "reason": row["reason"],
                     "attempts": row["attempts"], "at": row["last_seen_at"]})
    query = sa.select(d.c.id, d.c.sink, d.c.route, d.c.entity, d.c.record_id,
                      d.c.source_connection, d.c.last_error, d.c.attempts, d.c.updated_at
                      ).where(d.c.status == "dead").order_by(d.c.id)
    if connection is not None:
        query = query.where(sa.or_(d.c.sink == connection,
                                   d.c.source_connection == connection))
    with store.engine.connect() as conn:
        for r in conn.execute(query):
            rows.append({"id": f"d-{r.id}", "kind": "undelivered", "connection": r.sink,
                         "stream": f"route:{r.route}", "entity": r.entity,
                         "record_id": r.record_id, "field": None, "reason": r.last_error,
                         "attempts": r.attempts, "at": r.updated_at})
    return rows


def cmd_deadletters(args: argparse.Namespace) -> int:
    """List quarantined records (``dl-<n>``) and dead deliveries (``d-<n>``)."""
    with opened_store(args) as store:
        rows = dead_rows(store, args.connection)
    for row in rows:
        out(json.dumps(row, ensure_ascii=False, default=str))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Replay one id, or everything dead of a connection (optionally since a time)."""
    from synchub.jobs.connections import env_connection
    from synchub.jobs.push import replay_dead

    if args.id and (args.connection or args.since):
        raise ConfigError("give an id, or --connection/--since, not both")
    result = replay_dead(hub_path(args), resolve=env_connection, target=args.id,
                         connection=args.connection, since=parse_since(args.since),
                         store=store_override(args))
    out(f"deliveries queued again: {result['deliveries']}; quarantined records re-ingested: "
        f"{result['resolved']}; still failing: {result['still_failing']}")
    return 1 if result["still_failing"] else 0


def register(sub: SubParsers) -> None:
    """Register ``synchub push``, ``synchub replay`` and ``synchub deadletters``."""
    sp = with_config(sub.add_parser("push", help="route and deliver records to one sink "
                                                 "without Airflow"))
    sp.add_argument("sink", help="sink connection or webhook feed consumer")
    sp.add_argument("--route", help="only this route of the sink")
    sp.add_argument("--budget", type=float, help="stop draining after this many seconds")
    sp.add_argument("--run-id")
    sp.add_argument("--json", action="store_true", help="the summary as JSON")
    sp.add_argument("--store", help=STORE_HELP)
    sp.set_defaults(handler=cmd_push)
    sp = with_config(sub.add_parser("replay", help="replay dead deliveries or quarantined "
                                                   "records"))
    sp.add_argument("id", nargs="?", help="d-<n> (a dead delivery) or dl-<n> (a record)")
    sp.add_argument("--connection", help="everything dead of this connection or sink")
    sp.add_argument("--since", help="only what died since (ISO date or time, UTC)")
    sp.add_argument("--store", help=STORE_HELP)
    sp.set_defaults(handler=cmd_replay)
    sp = with_config(sub.add_parser("deadletters", help="list quarantined records and dead "
                                                        "deliveries"))
    sp.add_argument("--connection")
    sp.add_argument("--store", help=STORE_HELP)
    sp.set_defaults(handler=cmd_deadletters)
