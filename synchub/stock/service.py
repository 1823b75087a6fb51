"""``stock_sync``: compute every channel listing's figure and push only the differences.

One shard reads the masters' stock and each channel's listings with a handful of set-based
queries, computes the figures in memory, compares them with what the channel is known to
show, and hands the differences to the channel's publisher, which batches them as the
channel's API allows. A rerun with nothing changed makes no API call.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.stock import revisions
from synchub.stock.compute import Calculator, load_master
from synchub.stock.ingest import StockIngest
from synchub.stock.positions import rebuild_on_hand
from synchub.store.stock_tables import PUBLISH_STREAM, stock_publications, stock_runs
from synchub.store.tables import dead_letters, entity_table
from synchub.store.types import DeadLetterIn
from synchub.store.writer import dialect_insert, write_page

if TYPE_CHECKING:
    from synchub.config.stock import DailyRevisions
    from synchub.plan import Hub
    from synchub.runtime import ConnectionInfo, ConnectorClient
    from synchub.stock.publish import ListingChange, PushOutcome
    from synchub.store import Store

log = logging.getLogger("synchub.stock")
_WRITE_CHUNK = 1000
_HELD_REPORTED = 50   # held-back changes listed in a run's summary (all are counted)


@dataclass
class ChannelSummary:
    """What one shard did on one channel."""

    channel: str
    listings: int = 0
    changed: int = 0
    pushed: int = 0
    unchanged: int = 0
    conflicts: int = 0
    failed: int = 0
    write_calls: int = 0
    read_calls: int = 0
    min_calls: int = 0
    not_in_master: int = 0
    opted_out: int = 0
    held: int = 0
    # the changes held back near a daily revision cap (the first ones, for the run's report)
    held_back: list[dict[str, Any]] = field(default_factory=list)
    self_fulfilled: int = 0


@dataclass
class StockSummary:
    """What one shard of a stock_sync run did; small enough for XCom."""

    run_id: str
    shard: int
    shards: int
    status: str = "running"
    seconds: float = 0.0
    channels: list[ChannelSummary] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def shard_of(sku: str, shards: int) -> int:
    """The shard a master SKU belongs to (stable across processes and runs)."""
    return zlib.crc32(sku.encode()) % shards if shards > 1 else 0


def prepare(hub: Hub, store: Store) -> int:
    """Refresh every SKU's on-hand counters from the masters (cheap, set-based).

    On PostgreSQL the tables a run reads are analyzed first: the listings query joins
    hundreds of thousands of levels with their publications, and without statistics (a
    fresh deployment, or autovacuum off) the planner may join them row by row.
    """
    ingest = _ingest(hub)
    if store.engine.dialect.name == "postgresql":
        from synchub.store.store import analyze

        analyze(store.engine, "inventory_levels", "stock_publications", "stock_positions")
    with store.transaction() as conn:
        return rebuild_on_hand(conn, ingest, datetime.now(UTC))


def _ingest(hub: Hub) -> StockIngest:
    ingest = StockIngest.from_hub(hub)
    if ingest is None:
        from synchub.errors import ConfigError
        raise ConfigError("the hub file has no stock section", file=str(hub.path), key="stock")
    return ingest


@dataclass(frozen=True, slots=True)
class Listing:
    """One channel listing as the store knows it."""

    listing_id: str
    sku: str | None
    master_sku: str | None
    item_id: str | None
    location_id: str | None
    product_id: str | None
    parent_id: str | None
    reported: int | None
    reported_at: datetime | None
    published: int | None
    published_at: datetime | None
    desired: int | None


def channel_listings(conn: sa.Connection, hub: Hub, channel: str) -> Iterator[Listing]:
    """Every listing of a channel (at its publish location), with what was last published."""
    stock = hub.stock
    assert stock is not None
    cfg = stock.channels[channel]
    levels = entity_table("inventory_level")
    pub = stock_publications
    query = (sa.select(levels.c.external_id, levels.c.sku, levels.c.item_external_id,
                       levels.c.location_external_id, levels.c.product_external_id,
                       levels.c.parent_external_id, levels.c.available, levels.c.updated_at,
                       pub.c.published, pub.c.published_at, pub.c.desired)
             .select_from(levels.outerjoin(pub, sa.and_(pub.c.channel == channel,
                                                        pub.c.listing_id == levels.c.external_id)))
             .where(levels.c.connection == channel)
             .order_by(levels.c.external_id))
    if cfg.publish_location is not None:
        query = query.where(levels.c.location_external_id == cfg.publish_location)
    held = _held_locations(stock, channel)
    if held:  # the stock the channel holds itself is not a listing of it
        query = query.where(levels.c.location_external_id.not_in(held),
                            sa.or_(levels.c.location_name.is_(None),
                                   levels.c.location_name.not_in(held)))
    aliases = cfg.aliases
    for r in conn.execute(query.execution_options(yield_per=5000)):
        master = aliases.get(r.sku, r.sku) if r.sku else None
        yield Listing(r.external_id, r.sku, master, r.item_external_id, r.location_external_id,
                      r.product_external_id, r.parent_external_id, r.available,
                      _aware(r.updated_at), r.published, _aware(r.published_at), r.desired)


def _held_locations(stock: Any, channel: str) -> list[str]:
    master = stock.masters.get(channel)
    if master is None or not master.self_fulfilled:
        return []
    return sorted(master.locations or ())


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for values written as UTC
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def expected_on_channel(listing: Listing) -> int | None:
    """What the channel shows now, as far as the hub knows.

    The channel's own report wins when it is newer than the hub's last push (the channel
    may have sold or been edited since); otherwise the figure last pushed.
    """
    if listing.published is None or listing.published_at is None:
        return listing.reported
    if listing.reported_at is not None and listing.reported_at > listing.published_at:
        return listing.reported
    return listing.published


def run_shard(
    hub: Hub, store: Store, *, run_id: str, shard: int = 0, shards: int = 1,
    client_for: Callable[[str], ConnectorClient] | None = None,
    conn_info: Callable[[str], ConnectionInfo] | None = None,
) -> StockSummary:
    """Compute and publish the SKUs of one shard on every channel."""
    import time

    from synchub.stock.publish import create_publisher

    stock = hub.stock
    ingest = _ingest(hub)
    assert stock is not None
    summary = StockSummary(run_id=run_id, shard=shard, shards=shards)
    started = time.monotonic()
    row_id = _start(store, run_id, shard)
    try:
        with store.engine.connect() as conn:
            calc = Calculator(ingest, load_master(conn, ingest))
        for channel, cfg in stock.channels.items():
            ch = ChannelSummary(channel)
            summary.channels.append(ch)
            locations = frozenset(cfg.locations) if cfg.locations is not None else None
            changes: list[tuple[ListingChange, str, str | None]] = []
            channel_rules = stock.rules_for(channel)  # resolved once; overrides per SKU
            computed: list[dict[str, Any]] = []
            now = datetime.now(UTC)
            with store.engine.connect() as conn:
                for listing in channel_listings(conn, hub, channel):
                    master = listing.master_sku
                    if master is None or shard_of(master, shards) != shard:
                        continue
                    ch.listings += 1
                    if not calc.stocked(master):
                        ch.not_in_master += 1
                        continue
                    if calc.master.held_by(channel, master):
                        ch.self_fulfilled += 1  # the channel ships it from its own stock
                        continue
                    rules = (stock.rules_for(channel, master) if master in cfg.skus
                             else channel_rules)
                    if not rules.sync:
                        ch.opted_out += 1
                        continue
                    desired = calc.figure(master, locations, rules)
                    expected = expected_on_channel(listing)
                    if desired == expected:
                        ch.unchanged += 1
                        if listing.desired != desired:
                            computed.append(_pub_row(channel, listing, desired, run_id, now,
                                                     status="in_sync", published=expected))
                        continue
                    changes.append((_change(listing, desired, expected), master, listing.sku))
            ch.changed = len(changes)
            if changes and cfg.publish:
                plan = hub.connection(channel)
                spec = plan.connector.stock_publisher
                assert spec is not None
                client = client_for(channel) if client_for else \
                    _client(hub, channel, conn_info, store)
                try:
                    publisher = create_publisher(spec, client, run_id=run_id)
                    if cfg.daily_revisions is not None:
                        changes = _hold_back(store, channel, cfg.daily_revisions, changes,
                                             run_id, ch)
                    ch.min_calls = publisher.minimum_calls([c[0] for c in changes])
                    # zeros first: an oversold SKU stops selling everywhere before the rest;
                    # then by parent, so a parent's variations share their batches
                    changes.sort(key=lambda c: (c[0].quantity != 0, c[0].parent_id or "",
                                                c[0].listing_id))
                    for start in range(0, len(changes), _WRITE_CHUNK):
                        chunk = changes[start:start + _WRITE_CHUNK]
                        outcomes = publisher.push([c[0] for c in chunk])
                        _record(store, channel, chunk, outcomes, run_id, ch)
                        if cfg.daily_revisions is not None:
                            revised = [o.listing_id for o in outcomes if o.status == "pushed"]
                            now = datetime.now(UTC)
                            revisions.count(store, channel,
                                            revisions.channel_day(cfg.daily_revisions, now),
                                            revised, now)
                    ch.write_calls = publisher.stats.write_calls
                    ch.read_calls = publisher.stats.read_calls
                finally:
                    if client_for is None:
                        client.close()
            elif changes:
                now = datetime.now(UTC)
                computed += [_pub_row(channel, _as_listing(c), c.quantity, run_id, now,
                                      status="computed", master_sku=m, sku=s)
                             for c, m, s in changes]
            if computed:
                _upsert_publications(store, computed)
        summary.status = "success"
    except BaseException as exc:
        summary.status = "failed"
        summary.error = f"{exc.__class__.__name__}: {exc}"
        raise
    finally:
        summary.seconds = round(time.monotonic() - started, 3)
        _finish(store, row_id, summary)
    for ch in summary.channels:
        log.info("%s: %d listings, %d changed, %d pushed in %d calls (minimum %d), "
                 "%d conflicts, %d failed", ch.channel, ch.listings, ch.changed, ch.pushed,
                 ch.write_calls, ch.min_calls, ch.conflicts, ch.failed)
        if ch.held:
            log.warning("%s: %d changes held back near the daily revision cap (next run or "
                        "next day): %s", ch.channel, ch.held,
                        ", ".join(f"{h['listing_id']} -> {h['quantity']} ({h['reason']})"
                                  for h in ch.held_back[:5]))
    return summary


def _hold_back(store: Store, channel: str, cap: DailyRevisions,
               changes: list[tuple[ListingChange, str, str | None]], run_id: str,
               ch: ChannelSummary) -> list[tuple[ListingChange, str, str | None]]:
    """The changes a capped channel gets now; the others recorded ``held`` and reported."""
    now = datetime.now(UTC)
    day = revisions.channel_day(cap, now)
    counts = revisions.revisions_today(store, channel, day, (c[0].listing_id for c in changes))
    send, held = revisions.gate([c[0] for c in changes], counts, cap)
    if not held:
        return changes
    ch.held = len(held)
    ch.held_back = [h.as_dict() for h in held[:_HELD_REPORTED]]
    by_id = {c[0].listing_id: c for c in changes}
    rows = [{"channel": channel, "listing_id": h.listing_id, "sku": by_id[h.listing_id][2],
             "master_sku": by_id[h.listing_id][1], "desired": h.quantity, "status": "held",
             "error": None, "detail": {"reason": h.reason, "revisions_today": h.revisions},
             "run_id": run_id, "computed_at": now} for h in held]
    # what was last published (and when) stays: the channel still shows it
    _upsert_publications(store, rows, cols=("sku", "master_sku", "desired", "status", "error",
                                            "detail", "run_id", "computed_at"))
    return [changes[i] for i in send]


def _change(listing: Listing, desired: int, expected: int | None) -> ListingChange:
    from synchub.stock.publish import ListingChange

    return ListingChange(listing_id=listing.listing_id, quantity=desired, expected=expected,
                         sku=listing.sku, inventory_item_id=listing.item_id,
                         location_id=listing.location_id, product_id=listing.product_id,
                         parent_id=listing.parent_id)


def _as_listing(change: ListingChange) -> Listing:
    return Listing(change.listing_id, change.sku, None, None, None, None, None, None, None,
                   None, None, None)


def _client(hub: Hub, channel: str, conn_info: Callable[[str], ConnectionInfo] | None,
            store: Store) -> ConnectorClient:
    from synchub.runtime import ConnectionInfo, ConnectorClient

    plan = hub.connection(channel)
    info = conn_info(channel) if conn_info else ConnectionInfo.from_env(plan.config.conn_id)
    return ConnectorClient(plan.connector, info, tokens=store.tokens)


def _pub_row(channel: str, listing: Listing, desired: int, run_id: str, now: datetime, *,
             status: str, published: int | None = None, master_sku: str | None = None,
             sku: str | None = None) -> dict[str, Any]:
    return {"channel": channel, "listing_id": listing.listing_id, "sku": sku or listing.sku,
            "master_sku": master_sku or listing.master_sku, "desired": desired,
            "published": published if published is not None else listing.published,
            "channel_qty": listing.reported, "status": status, "error": None, "detail": None,
            "run_id": run_id, "computed_at": now,
            "published_at": listing.published_at}


def _record(store: Store, channel: str, chunk: list[tuple[ListingChange, str, str | None]],
            outcomes: list[PushOutcome], run_id: str, ch: ChannelSummary) -> None:
    """Write what became of each pushed change (one transaction per chunk)."""
    now = datetime.now(UTC)
    rows = []
    for (change, master, sku), out in zip(chunk, outcomes, strict=True):
        row = {"channel": channel, "listing_id": change.listing_id, "sku": sku,
               "master_sku": master, "desired": change.quantity, "run_id": run_id,
               "computed_at": now, "status": out.status, "error": out.error,
               "detail": None}
        if out.status in ("pushed", "unchanged"):
            ch.pushed += out.status == "pushed"
            ch.unchanged += out.status == "unchanged"
            row.update(published=change.quantity, published_at=now,
                       channel_qty=change.quantity if out.channel_quantity is None
                       else out.channel_quantity)
        elif out.status == "conflict":
            ch.conflicts += 1
            row.update(published=out.channel_quantity, published_at=now,
                       channel_qty=out.channel_quantity)
        else:
            ch.failed += 1
            row.update(published=change.expected, published_at=None, channel_qty=None)
        rows.append(row)
    _upsert_publications(store, rows)
    _dead_letters(store, channel, chunk, outcomes, run_id, now)


def _dead_letters(store: Store, channel: str,
                  chunk: list[tuple[ListingChange, str, str | None]],
                  outcomes: list[PushOutcome], run_id: str, now: datetime) -> None:
    """Refused listings into the dead letters with the channel's message; a listing that
    goes through again resolves its letters."""
    refused = [DeadLetterIn(entity="stock_publication", record_id=change.listing_id,
                            reason=out.error or "refused by the channel",
                            raw={"listing_id": change.listing_id, "sku": sku,
                                 "master_sku": master, "desired": change.quantity,
                                 "run_id": run_id})
               for (change, master, sku), out in zip(chunk, outcomes, strict=True)
               if out.status == "failed"]
    through = [change.listing_id for (change, _, _), out in zip(chunk, outcomes, strict=True)
               if out.status != "failed"]
    dl = dead_letters.c
    with store.transaction() as conn:
        if refused:
            write_page(conn, connection=channel, stream=PUBLISH_STREAM, records=(),
                       dead_letters=refused)
        for start in range(0, len(through), _WRITE_CHUNK):
            conn.execute(sa.update(dead_letters).where(
                dl.connection == channel, dl.stream == PUBLISH_STREAM,
                dl.resolved_at.is_(None),
                dl.record_id.in_(through[start:start + _WRITE_CHUNK])).values(resolved_at=now))


def _upsert_publications(store: Store, rows: list[dict[str, Any]],
                         cols: tuple[str, ...] = (
                             "sku", "master_sku", "desired", "published", "channel_qty",
                             "status", "error", "detail", "run_id", "computed_at",
                             "published_at")) -> None:
    with store.transaction() as conn:
        for start in range(0, len(rows), _WRITE_CHUNK):
            ins = dialect_insert(conn, stock_publications)
            conn.execute(ins.on_conflict_do_update(
                index_elements=[stock_publications.c.channel, stock_publications.c.listing_id],
                set_={c: ins.excluded[c] for c in cols}), rows[start:start + _WRITE_CHUNK])


def _start(store: Store, run_id: str, shard: int) -> int:
    with store.transaction() as conn:
        return int(conn.execute(sa.insert(stock_runs).values(
            run_id=run_id, shard=shard, started_at=datetime.now(UTC), status="running")
            .returning(stock_runs.c.id)).scalar_one())


def _finish(store: Store, row_id: int, summary: StockSummary) -> None:
    with store.transaction() as conn:
        conn.execute(sa.update(stock_runs).where(stock_runs.c.id == row_id).values(
            finished_at=datetime.now(UTC), status=summary.status, summary=summary.as_dict(),
            error=summary.error))
