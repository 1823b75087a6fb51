"""After the pushes: drift between channels and the hub, low-stock alerts, ``explain``.

Drift kinds: ``quantity_mismatch`` (the channel reported, after the hub's last push, a
figure other than the one pushed), ``missing_in_master`` (a channel lists a SKU no master
knows), ``missing_on_channel`` (a master SKU the channel does not list).
Alert kinds: ``stock_out`` (nothing left to sell), ``low_stock`` (at or below the
threshold), ``low_cover`` (fewer days of cover than configured, from the trailing sales
velocity over every channel).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.stock.compute import Calculator, load_master
from synchub.stock.service import _aware, _ingest, channel_listings, expected_on_channel
from synchub.store.stock_tables import (
    stock_alerts,
    stock_drift,
    stock_exceptions,
    stock_publications,
    stock_reservations,
)
from synchub.store.tables import change_counters
from synchub.store.writer import dialect_insert

if TYPE_CHECKING:
    from synchub.plan import Hub
    from synchub.store import Store

_CHUNK = 1000


def build_drift(hub: Hub, store: Store) -> dict[str, dict[str, int]]:
    """Replace the drift table with what the store shows now; counts per channel and kind."""
    stock = hub.stock
    ingest = _ingest(hub)
    assert stock is not None
    now = datetime.now(UTC)
    with store.engine.connect() as conn:
        master = load_master(conn, ingest)
        calc = Calculator(ingest, master)
        master_skus = set(master.levels) | set(ingest.kits)
        rows: list[dict[str, Any]] = []
        for channel in stock.channels:
            listed: set[str] = set()
            for lst in channel_listings(conn, hub, channel):
                if lst.master_sku is None:
                    continue
                listed.add(lst.master_sku)
                if not calc.stocked(lst.master_sku):
                    rows.append(_drift(channel, "missing_in_master", lst.listing_id, lst.sku,
                                       lst.master_sku, None, lst.reported, now))
                elif (lst.published is not None and lst.published_at is not None
                      and lst.reported_at is not None and lst.reported_at > lst.published_at
                      and lst.reported != lst.published):
                    rows.append(_drift(channel, "quantity_mismatch", lst.listing_id, lst.sku,
                                       lst.master_sku, lst.published, lst.reported, now))
            for sku in sorted(master_skus - listed):
                rows.append(_drift(channel, "missing_on_channel", sku, None, sku, None, None,
                                   now))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        counts[r["channel"]][r["kind"]] += 1
    with store.transaction() as conn:
        conn.execute(sa.delete(stock_drift))
        for start in range(0, len(rows), _CHUNK):
            conn.execute(sa.insert(stock_drift), rows[start:start + _CHUNK])
    return {c: dict(k) for c, k in counts.items()}


def _drift(channel: str, kind: str, key: str, sku: str | None, master_sku: str | None,
           published: int | None, reported: int | None, now: datetime) -> dict[str, Any]:
    return {"channel": channel, "kind": kind, "key": key, "sku": sku, "master_sku": master_sku,
            "published": published, "reported": reported, "detected_at": now}


def build_alerts(hub: Hub, store: Store, now: datetime | None = None) -> dict[str, int]:
    """Raise and clear low-stock alerts for every master SKU; counts of raised alerts."""
    stock = hub.stock
    ingest = _ingest(hub)
    assert stock is not None
    cfg = stock.alerts
    now = now or datetime.now(UTC)
    window_days = Decimal(cfg.velocity_window.total_seconds()) / Decimal(86400)
    since = now - cfg.velocity_window
    with store.engine.connect() as conn:
        calc = Calculator(ingest, load_master(conn, ingest))
        sold = {r.sku: int(r.units) for r in conn.execute(
            sa.select(stock_reservations.c.sku,
                      sa.func.sum(stock_reservations.c.quantity).label("units"))
            .where(stock_reservations.c.placed_at >= since,
                   stock_reservations.c.reason != "cancelled")
            .group_by(stock_reservations.c.sku))}
        current = {(r.sku, r.kind): r.status for r in conn.execute(
            sa.select(stock_alerts.c.sku, stock_alerts.c.kind, stock_alerts.c.status))}
    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    for sku in calc.master.levels:
        available = calc.base(sku, None)
        velocity = Decimal(sold.get(sku, 0)) / window_days if window_days else Decimal(0)
        cover = (Decimal(max(available, 0)) / velocity).quantize(Decimal("0.01")) \
            if velocity else None
        data = {"sku": sku, "available": available, "velocity_per_day": str(
            velocity.quantize(Decimal("0.0001"))), "days_of_cover": str(cover) if cover
            is not None else None, "sold_in_window": sold.get(sku, 0)}
        if available <= 0:
            wanted[(sku, "stock_out")] = {**data, "threshold": 0}
        elif cfg.low_stock is not None and available <= cfg.low_stock:
            wanted[(sku, "low_stock")] = {**data, "threshold": cfg.low_stock}
        if (cfg.days_of_cover is not None and cover is not None and available > 0
                and cover < cfg.days_of_cover):
            wanted[(sku, "low_cover")] = {**data, "threshold": str(cfg.days_of_cover)}
    raise_rows = [{"sku": sku, "kind": kind, "status": "raised",
                   "available": d["available"], "threshold": Decimal(str(d["threshold"])),
                   "velocity": Decimal(d["velocity_per_day"]),
                   "days_of_cover": Decimal(d["days_of_cover"]) if d["days_of_cover"] else None,
                   "data": {**d, "kind": kind, "status": "raised", "raised_at": now.isoformat()},
                   "raised_at": now, "cleared_at": None}
                  for (sku, kind), d in sorted(wanted.items())
                  if current.get((sku, kind)) != "raised"]
    clear = sorted(k for k, status in current.items() if status == "raised" and k not in wanted)
    with store.transaction() as conn:
        for start in range(0, len(raise_rows), _CHUNK):
            ins = dialect_insert(conn, stock_alerts)
            conn.execute(ins.on_conflict_do_update(
                index_elements=[stock_alerts.c.sku, stock_alerts.c.kind],
                set_={c: ins.excluded[c] for c in ("status", "available", "threshold",
                                                   "velocity", "days_of_cover", "data",
                                                   "raised_at", "cleared_at")}),
                raise_rows[start:start + _CHUNK])
        for sku, kind in clear:
            conn.execute(sa.update(stock_alerts).where(
                stock_alerts.c.sku == sku, stock_alerts.c.kind == kind).values(
                status="cleared", cleared_at=now,
))
        _number_alerts(conn, [(r["sku"], r["kind"]) for r in raise_rows] + clear)
    counts: dict[str, int] = defaultdict(int)
    for _sku, kind in wanted:
        counts[kind] += 1
    return {**counts, "raised_now": len(raise_rows), "cleared_now": len(clear)}


def _number_alerts(conn: sa.Connection, keys: list[tuple[str, str]]) -> None:
    """Give changed alerts the next change_seq numbers (the alert feed's cursor)."""
    if not keys:
        return
    top = conn.execute(sa.update(change_counters).where(
        change_counters.c.entity == "stock_alert").values(
        value=change_counters.c.value + len(keys)).returning(change_counters.c.value)
    ).scalar_one()
    base = top - len(keys)
    conn.execute(sa.update(stock_alerts).where(
        stock_alerts.c.sku == sa.bindparam("b_sku"), stock_alerts.c.kind == sa.bindparam("b_kind"))
        .values(change_seq=sa.bindparam("b_seq")),
        [{"b_sku": s, "b_kind": k, "b_seq": base + n} for n, (s, k) in enumerate(keys, 1)])


def explain(hub: Hub, store: Store, sku: str, channel: str | None = None) -> dict[str, Any]:
    """How each channel's figure for ``sku`` (a master SKU) is computed, and what it shows."""
    stock = hub.stock
    ingest = _ingest(hub)
    assert stock is not None
    channels = [channel] if channel else list(stock.channels)
    for name in channels:
        if name not in stock.channels:
            from synchub.errors import ConfigError
            raise ConfigError(f"{name!r} is not a stock channel; channels: "
                              f"{', '.join(sorted(stock.channels))}", key="stock.channels")
    parts = sorted(ingest.components(sku))
    with store.engine.connect() as conn:
        calc = Calculator(ingest, load_master(conn, ingest, parts))
        holds = [dict(r._mapping) for r in conn.execute(
            sa.select(stock_reservations.c.order_id, stock_reservations.c.connection,
                      stock_reservations.c.order_external_id, stock_reservations.c.sku,
                      stock_reservations.c.open_qty, stock_reservations.c.reason,
                      stock_reservations.c.placed_at)
            .where(stock_reservations.c.sku.in_(parts), stock_reservations.c.open_qty > 0)
            .order_by(stock_reservations.c.placed_at))]
        exceptions = [dict(r._mapping) for r in conn.execute(
            sa.select(stock_exceptions.c.order_external_id, stock_exceptions.c.connection,
                      stock_exceptions.c.shortfall, stock_exceptions.c.reason,
                      stock_exceptions.c.detected_at)
            .where(stock_exceptions.c.sku.in_(parts), stock_exceptions.c.resolved_at.is_(None)))]
        out: dict[str, Any] = {"sku": sku, "known_to_master": calc.stocked(sku),
                               "reservations": holds, "exceptions": exceptions, "channels": []}
        for name in channels:
            cfg = stock.channels[name]
            locations = frozenset(cfg.locations) if cfg.locations is not None else None
            rules = stock.rules_for(name, sku)
            entry: dict[str, Any] = {"channel": name, "sync": rules.sync,
                                     "locations": sorted(locations) if locations else "all"}
            if calc.stocked(sku):
                entry["computation"] = calc.explain(sku, locations, rules)
            entry["listings"] = [_listing_view(conn, name, lst) for lst in
                                 channel_listings(conn, hub, name) if lst.master_sku == sku]
            out["channels"].append(entry)
    return out


def _listing_view(conn: sa.Connection, channel: str, lst: Any) -> dict[str, Any]:
    pub = conn.execute(sa.select(stock_publications.c.status, stock_publications.c.desired,
                                 stock_publications.c.computed_at, stock_publications.c.error)
                       .where(stock_publications.c.channel == channel,
                              stock_publications.c.listing_id == lst.listing_id)).first()
    return {"listing_id": lst.listing_id, "channel_sku": lst.sku,
            "published": lst.published, "published_at": lst.published_at,
            "channel_reported": lst.reported, "reported_at": _aware(lst.reported_at),
            "channel_shows_now": expected_on_channel(lst),
            "last_status": pub.status if pub else None,
            "last_error": pub.error if pub else None}
