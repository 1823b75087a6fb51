"""``synchub stock ...``: run stock sync, explain a figure, list drift, alerts and exceptions."""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from synchub.cli.common import SubParsers, hub_and_store, hub_path, out, store_override, with_store

if TYPE_CHECKING:
    import sqlalchemy as sa

    from synchub.plan import Hub



def cmd_sync(args: argparse.Namespace) -> int:
    """Compute and push every channel's figures (the ``stock_sync`` jobs, in order)."""
    from synchub.jobs.connections import env_connection
    from synchub.jobs.stock import stock_prepare, stock_report, stock_shard

    path, store = hub_path(args), store_override(args)
    run_id = args.run_id or uuid.uuid4().hex[:16]
    shards = args.shards or len(stock_prepare(path, store=store))
    summaries = [stock_shard(path, s, run_id=run_id, resolve=env_connection, shards=shards,
                             store=store)
                 for s in ([args.shard] if args.shard is not None else range(shards))]
    report = stock_report(path, list(summaries), store=store)
    drift, alerts = report["drift"], report["alerts"]
    if args.json:
        out(json.dumps({"shards": summaries, "drift": drift, "alerts": alerts}, default=str))
        return 0
    for s in summaries:
        for ch in s["channels"]:
            out(f"{ch['channel']} (shard {s['shard']}/{s['shards']}): {ch['listings']} "
                f"listings, {ch['changed']} changed, {ch['pushed']} pushed in "
                f"{ch['write_calls']} calls (minimum {ch['min_calls']}), {ch['conflicts']} "
                f"conflicts, {ch['failed']} failed, {ch['not_in_master']} not in master, "
                f"{ch['opted_out']} opted out"
                + (f", {ch['held']} held back near the daily revision cap"
                   if ch.get("held") else ""))
    for channel, kinds in sorted(drift.items()):
        out(f"drift {channel}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    out("alerts: " + ", ".join(f"{k} {v}" for k, v in sorted(alerts.items())))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """How a SKU's published figures come about, per channel."""
    from synchub.stock.report import explain

    with hub_and_store(args, stock=True) as (hub, store):
        info = explain(hub, store, args.sku, args.channel)
    if args.json:
        out(json.dumps(info, default=str, indent=2))
        return 0
    out(f"SKU {info['sku']}" + ("" if info["known_to_master"] else "  (no master knows it)"))
    for hold in info["reservations"]:
        out(f"  reserved {hold['open_qty']:>5} of {hold['sku']} by order "
            f"{hold['order_external_id']} on {hold['connection']} ({hold['reason']}, placed "
            f"{hold['placed_at']})")
    for exc in info["exceptions"]:
        out(f"  OVERSOLD: {exc['reason']}")
    for ch in info["channels"]:
        locs = ch["locations"]
        out(f"channel {ch['channel']} (locations: "
            f"{', '.join(locs) if isinstance(locs, list) else locs})")
        if not ch["sync"]:
            out("  opted out: never published")
        comp = ch.get("computation")
        if comp:
            _explain_lines(comp)
        for lst in ch["listings"]:
            out(f"  listing {lst['listing_id']} (channel SKU {lst['channel_sku']}): published "
                f"{lst['published']} at {lst['published_at']}; channel reported "
                f"{lst['channel_reported']} at {lst['reported_at']}; last status "
                f"{lst['last_status']}" + (f" ({lst['last_error']})" if lst["last_error"]
                                          else ""))
        if not ch["listings"]:
            out("  not listed on this channel")
    return 0


def _explain_lines(comp: dict[str, Any]) -> None:
    def locations(rows: list[dict[str, Any]], indent: str) -> None:
        for r in rows:
            mark = "" if r["counted"] else "  (not feeding this channel)"
            out(f"{indent}{r['master']} {r['location']}: on hand {r['on_hand']}, master "
                f"reserved {r['master_reserved']}{mark}")

    if "kit" in comp:
        out("  kit of:")
        for part in comp["kit"]:
            out(f"    {part['per_kit']} x {part['sku']}: hub reserved {part['hub_reserved']}"
                f" -> {part['kits']} kits")
            locations(part["locations"], "      ")
    else:
        locations(comp["locations"], "  ")
        out(f"  reserved by channel orders in the hub: {comp['hub_reserved']}")
    out(f"  available to sell: {comp['base']}")
    for step in comp["steps"][1:]:
        out(f"  after {step['rule']}: {step['value']}")
    r = comp["rules"]
    out(f"  rules: buffer {r['buffer']}, percent {r['percent']}, floor {r['floor']}, "
        f"max {r['max']}  =>  figure {comp['figure']}")


def _rows(args: argparse.Namespace, query: Callable[[Hub], sa.Select[Any]]) -> int:
    with hub_and_store(args, stock=True) as (hub, store), store.engine.connect() as conn:
        for row in conn.execute(query(hub)):
            out(json.dumps(dict(row._mapping), default=str, ensure_ascii=False))
    return 0


def cmd_drift(args: argparse.Namespace) -> int:
    """Channel figures that differ from the hub's, as JSON Lines."""
    import sqlalchemy as sa

    from synchub.store.stock_tables import stock_drift

    t = stock_drift

    def query(_hub: Hub) -> sa.Select[Any]:
        q = sa.select(t).order_by(t.c.channel, t.c.kind, t.c.key)
        return q.where(t.c.channel == args.channel) if args.channel else q

    return _rows(args, query)


def cmd_alerts(args: argparse.Namespace) -> int:
    """Raised (or, with ``--all``, every) low-stock and stock-out alert."""
    import sqlalchemy as sa

    from synchub.store.stock_tables import stock_alerts

    t = stock_alerts

    def query(_hub: Hub) -> sa.Select[Any]:
        q = sa.select(t.c.sku, t.c.kind, t.c.status, t.c.available, t.c.threshold,
                      t.c.velocity, t.c.days_of_cover, t.c.raised_at, t.c.cleared_at)
        q = q if args.all else q.where(t.c.status == "raised")
        return q.order_by(t.c.kind, t.c.sku)

    return _rows(args, query)


def cmd_exceptions(args: argparse.Namespace) -> int:
    """Open oversold orders."""
    import sqlalchemy as sa

    from synchub.store.stock_tables import stock_exceptions

    t = stock_exceptions

    def query(_hub: Hub) -> sa.Select[Any]:
        return sa.select(t.c.id, t.c.kind, t.c.connection, t.c.order_external_id, t.c.sku,
                         t.c.shortfall, t.c.reason, t.c.detected_at).where(
            t.c.resolved_at.is_(None)).order_by(t.c.id)

    return _rows(args, query)


def register(sub: SubParsers) -> None:
    """Register ``synchub stock`` and its subcommands."""
    stock = sub.add_parser("stock", help="stock sync: run, explain, drift, alerts")
    ssub = stock.add_subparsers(dest="stock_command", required=True)
    sp = with_store(ssub.add_parser("sync", help="compute and push every channel's figures"))
    sp.add_argument("--shard", type=int)
    sp.add_argument("--shards", type=int)
    sp.add_argument("--run-id")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(handler=cmd_sync)
    sp = with_store(ssub.add_parser("explain", help="how a SKU's published figures come about"))
    sp.add_argument("sku")
    sp.add_argument("--channel")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(handler=cmd_explain)
    sp = with_store(ssub.add_parser("drift", help="channel figures that differ from the hub's"))
    sp.add_argument("--channel")
    sp.set_defaults(handler=cmd_drift)
    sp = with_store(ssub.add_parser("alerts", help="low-stock and stock-out alerts"))
    sp.add_argument("--all", action="store_true", help="cleared alerts too")
    sp.set_defaults(handler=cmd_alerts)
    sp = with_store(ssub.add_parser("exceptions", help="oversold orders"))
    sp.set_defaults(handler=cmd_exceptions)
