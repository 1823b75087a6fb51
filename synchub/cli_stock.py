"""``synchub stock ...``: run stock sync, explain a figure, list drift, alerts and exceptions."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _hub_and_store(args: argparse.Namespace) -> tuple[Any, Any]:
    from synchub.cli import _hub_path
    from synchub.config.hub import absolutize_sqlite
    from synchub.errors import ConfigError
    from synchub.plan import load_hub
    from synchub.store import Store

    hub = load_hub(_hub_path(args))
    if hub.stock is None:
        raise ConfigError("the hub file has no stock section", file=str(hub.path), key="stock")
    from pathlib import Path

    url = absolutize_sqlite(args.store, Path.cwd()) if args.store else hub.store_url()
    store = Store.from_url(url)
    store.migrate()
    return hub, store


def cmd_sync(args: argparse.Namespace) -> int:
    from synchub.stock.report import build_alerts, build_drift
    from synchub.stock.service import prepare, run_shard

    hub, store = _hub_and_store(args)
    try:
        run_id = args.run_id or uuid.uuid4().hex[:16]
        prepare(hub, store)
        shards = args.shards or hub.stock.shards
        summaries = [run_shard(hub, store, run_id=run_id, shard=s, shards=shards)
                     for s in ([args.shard] if args.shard is not None else range(shards))]
        drift = build_drift(hub, store)
        alerts = build_alerts(hub, store)
    finally:
        store.dispose()
    if args.json:
        _out(json.dumps({"shards": [s.as_dict() for s in summaries], "drift": drift,
                         "alerts": alerts}, default=str))
        return 0
    for s in summaries:
        for ch in s.channels:
            _out(f"{ch.channel} (shard {s.shard}/{s.shards}): {ch.listings} listings, "
                 f"{ch.changed} changed, {ch.pushed} pushed in {ch.write_calls} calls "
                 f"(minimum {ch.min_calls}), {ch.conflicts} conflicts, {ch.failed} failed, "
                 f"{ch.not_in_master} not in master, {ch.opted_out} opted out")
    for channel, kinds in sorted(drift.items()):
        _out(f"drift {channel}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    _out("alerts: " + ", ".join(f"{k} {v}" for k, v in sorted(alerts.items())))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from synchub.stock.report import explain

    hub, store = _hub_and_store(args)
    try:
        info = explain(hub, store, args.sku, args.channel)
    finally:
        store.dispose()
    if args.json:
        _out(json.dumps(info, default=str, indent=2))
        return 0
    _out(f"SKU {info['sku']}" + ("" if info["known_to_master"] else "  (no master knows it)"))
    for hold in info["reservations"]:
        _out(f"  reserved {hold['open_qty']:>5} of {hold['sku']} by order "
             f"{hold['order_external_id']} on {hold['connection']} ({hold['reason']}, placed "
             f"{hold['placed_at']})")
    for exc in info["exceptions"]:
        _out(f"  OVERSOLD: {exc['reason']}")
    for ch in info["channels"]:
        locs = ch["locations"]
        _out(f"channel {ch['channel']} (locations: "
             f"{', '.join(locs) if isinstance(locs, list) else locs})")
        if not ch["sync"]:
            _out("  opted out: never published")
        comp = ch.get("computation")
        if comp:
            _explain_lines(comp)
        for lst in ch["listings"]:
            _out(f"  listing {lst['listing_id']} (channel SKU {lst['channel_sku']}): published "
                 f"{lst['published']} at {lst['published_at']}; channel reported "
                 f"{lst['channel_reported']} at {lst['reported_at']}; last status "
                 f"{lst['last_status']}" + (f" ({lst['last_error']})" if lst["last_error"]
                                           else ""))
        if not ch["listings"]:
            _out("  not listed on this channel")
    return 0


def _explain_lines(comp: dict[str, Any]) -> None:
    def locations(rows: list[dict[str, Any]], indent: str) -> None:
        for r in rows:
            mark = "" if r["counted"] else "  (not feeding this channel)"
            _out(f"{indent}{r['master']} {r['location']}: on hand {r['on_hand']}, master "
                 f"reserved {r['master_reserved']}{mark}")

    if "kit" in comp:
        _out("  kit of:")
        for part in comp["kit"]:
            _out(f"    {part['per_kit']} x {part['sku']}: hub reserved {part['hub_reserved']}"
                 f" -> {part['kits']} kits")
            locations(part["locations"], "      ")
    else:
        locations(comp["locations"], "  ")
        _out(f"  reserved by channel orders in the hub: {comp['hub_reserved']}")
    _out(f"  available to sell: {comp['base']}")
    for step in comp["steps"][1:]:
        _out(f"  after {step['rule']}: {step['value']}")
    r = comp["rules"]
    _out(f"  rules: buffer {r['buffer']}, percent {r['percent']}, floor {r['floor']}, "
         f"max {r['max']}  =>  figure {comp['figure']}")


def _rows(args: argparse.Namespace, query: Callable[[Any], Any]) -> int:
    hub, store = _hub_and_store(args)
    try:
        with store.engine.connect() as conn:
            for row in conn.execute(query(hub)):
                _out(json.dumps(dict(row._mapping), default=str, ensure_ascii=False))
    finally:
        store.dispose()
    return 0


def cmd_drift(args: argparse.Namespace) -> int:
    from synchub.store.stock_tables import stock_drift as t

    def query(_hub: Any) -> Any:
        q = sa.select(t).order_by(t.c.channel, t.c.kind, t.c.key)
        return q.where(t.c.channel == args.channel) if args.channel else q

    return _rows(args, query)


def cmd_alerts(args: argparse.Namespace) -> int:
    from synchub.store.stock_tables import stock_alerts as t

    def query(_hub: Any) -> Any:
        q = sa.select(t.c.sku, t.c.kind, t.c.status, t.c.available, t.c.threshold,
                      t.c.velocity, t.c.days_of_cover, t.c.raised_at, t.c.cleared_at)
        q = q if args.all else q.where(t.c.status == "raised")
        return q.order_by(t.c.kind, t.c.sku)

    return _rows(args, query)


def cmd_exceptions(args: argparse.Namespace) -> int:
    from synchub.store.stock_tables import stock_exceptions as t

    def query(_hub: Any) -> Any:
        return sa.select(t.c.id, t.c.kind, t.c.connection, t.c.order_external_id, t.c.sku,
                         t.c.shortfall, t.c.reason, t.c.detected_at).where(
            t.c.resolved_at.is_(None)).order_by(t.c.id)

    return _rows(args, query)


def add_parser(sub: Any, with_config: Callable[[Any], Any]) -> None:
    """Register ``synchub stock`` and its subcommands."""
    stock = sub.add_parser("stock", help="stock sync: run, explain, drift, alerts")
    ssub = stock.add_subparsers(dest="stock_command", required=True)

    def common(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        with_config(sp)
        sp.add_argument("--store", help="store URL (default: from the hub file)")
        return sp

    sp = common(ssub.add_parser("sync", help="compute and push every channel's figures"))
    sp.add_argument("--shard", type=int)
    sp.add_argument("--shards", type=int)
    sp.add_argument("--run-id")
    sp.add_argument("--json", action="store_true")
    sp = common(ssub.add_parser("explain", help="how a SKU's published figures come about"))
    sp.add_argument("sku")
    sp.add_argument("--channel")
    sp.add_argument("--json", action="store_true")
    sp = common(ssub.add_parser("drift", help="channel figures that differ from the hub's"))
    sp.add_argument("--channel")
    sp = common(ssub.add_parser("alerts", help="low-stock and stock-out alerts"))
    sp.add_argument("--all", action="store_true", help="cleared alerts too")
    common(ssub.add_parser("exceptions", help="oversold orders"))


COMMANDS = {"sync": cmd_sync, "explain": cmd_explain, "drift": cmd_drift,
            "alerts": cmd_alerts, "exceptions": cmd_exceptions}


def cmd_stock(args: argparse.Namespace) -> int:
    """Dispatch ``synchub stock <command>``."""
    return COMMANDS[args.stock_command](args)
