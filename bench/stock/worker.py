"""One step of the stock benchmark in a process of its own: ``worker.py STEP JOB_JSON``.

Steps: ``setup`` (master levels and channel listings into a fresh store, ids checked against
the served sandbox), ``run`` (``prepare`` then ``run_shard``, timed, with resident memory
sampled), ``change`` (1 % of the SKUs move at one master location, written as a master
sync would) and ``verify`` (a sample of the listings a run pushed, read back from the
sandbox). Prints one JSON line with the step's figures.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from harness import RssSampler, SandboxDesc, StockJob, read_figures
from scenario import (
    CHANNELS,
    MASTER,
    SEED,
    SHOPIFY_PUBLISH_LOCATION,
    change_pages,
    changed_indexes,
    listing_pages,
    master_pages,
    products_for,
    sku_of,
)

from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.stock.ingest import StockIngest
from synchub.store import Store
from synchub.store.stock_tables import stock_publications
from synchub.store.tables import entity_table

PUSHED_STATUSES = ("pushed", "unchanged", "conflict", "failed")  # rows of changes sent


def _ingest(hub: Hub) -> StockIngest:
    ingest = StockIngest.from_hub(hub)
    assert ingest is not None, "the bench hub file has a stock section"
    return ingest


def _open(job: StockJob) -> tuple[Hub, Store]:
    return load_hub(job.hub), Store.from_url(job.url)


# -- setup ---------------------------------------------------------------------------------


def setup(job: StockJob) -> dict[str, Any]:
    """Migrate the store, write the master's levels and the channels' listings."""
    from synchub.sandbox.sandbox import Sandbox

    hub, store = _open(job)
    started = time.perf_counter()
    store.migrate()
    ingest = _ingest(hub)
    out: dict[str, Any] = {"migrate_s": round(time.perf_counter() - started, 2)}
    started = time.perf_counter()
    levels = 0
    for page in master_pages(job.skus):
        store.write_page(connection=MASTER, stream="stock_quants", records=page,
                         hooks=ingest.hooks_for(MASTER))
        levels += len(page)
    out["master"] = {"levels": levels, "seconds": round(time.perf_counter() - started, 1)}
    desc = SandboxDesc.from_ready(job.sandbox)
    served = {ch: desc.stores[ch]["counts"] for ch in CHANNELS}
    sandbox = Sandbox(SEED, rate_limits=False)
    out["channels"] = {}
    for channel, (system, name) in CHANNELS.items():
        started = time.perf_counter()
        local = sandbox.store(system, name, products=products_for(job.skus), orders=0,
                              customers=0)
        rows = 0
        written: list[tuple[str, str | None, int]] = []
        for page in listing_pages(channel, local):
            store.write_page(connection=channel, stream="inventory", records=page,
                             hooks=ingest.hooks_for(channel))
            rows += len(page)
            written += [(r.external_id, r.parent_external_id, r.available) for r in page
                        if r.sku and (system != "shopify"
                                      or r.location_external_id == SHOPIFY_PUBLISH_LOCATION)]
        seconds = time.perf_counter() - started
        sample = random.Random(f"{SEED}:{channel}").sample(written, min(job.sample,
                                                                        len(written)))
        shown = read_figures(desc, channel, [(ext, parent) for ext, parent, _ in sample])
        mismatches = [(ext, want, shown.get(ext)) for ext, _, want in sample
                      if shown.get(ext) != want]
        out["channels"][channel] = {
            "rows": rows, "listings_to_publish": len(written), "seconds": round(seconds, 1),
            "same_catalog": local.counts() == served[channel],
            "sample_checked": len(sample), "sample_mismatches": mismatches[:5]}
        sandbox.reset(system, name, products=1, orders=0, customers=0)  # free the catalog
    with store.engine.connect() as conn:
        levels_table = entity_table("inventory_level")
        out["inventory_levels_rows"] = conn.execute(
            sa.select(sa.func.count()).select_from(levels_table)).scalar_one()
    store.dispose()
    return out


# -- run: prepare + run_shard, timed by part -----------------------------------------------


class Timers:
    """Seconds spent in the parts of ``run_shard``, collected by wrapping its collaborators."""

    def __init__(self) -> None:
        self.load_master = 0.0
        self.read_listings = 0.0
        self.write_publications = 0.0
        self.push: Counter[str] = Counter()

    def install(self, channel_of_client: dict[int, str]) -> None:
        """Wrap the functions ``run_shard`` looks up at call time."""
        import synchub.stock.publish as publish
        import synchub.stock.service as service

        original_load, original_listings = service.load_master, service.channel_listings
        original_upsert, original_create = (service._upsert_publications,
                                            publish.create_publisher)

        def load_master(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original_load(*args, **kwargs)
            finally:
                self.load_master += time.perf_counter() - started

        def channel_listings(*args: Any, **kwargs: Any) -> Iterator[Any]:
            rows = original_listings(*args, **kwargs)
            while True:  # time spent producing rows (the query and Listing objects) only
                started = time.perf_counter()
                try:
                    row = next(rows)
                except StopIteration:
                    self.read_listings += time.perf_counter() - started
                    return
                self.read_listings += time.perf_counter() - started
                yield row

        def upsert(*args: Any, **kwargs: Any) -> None:
            started = time.perf_counter()
            try:
                original_upsert(*args, **kwargs)
            finally:
                self.write_publications += time.perf_counter() - started

        def create_publisher(spec: Any, client: Any, *, run_id: str) -> Any:
            publisher = original_create(spec, client, run_id=run_id)
            channel = channel_of_client[id(client)]
            push: Callable[..., Any] = publisher.push

            def timed_push(changes: Any) -> Any:
                started = time.perf_counter()
                try:
                    return push(changes)
                finally:
                    self.push[channel] += time.perf_counter() - started

            publisher.push = timed_push  # type: ignore[method-assign]
            return publisher

        service.load_master = load_master
        service.channel_listings = channel_listings
        service._upsert_publications = upsert
        publish.create_publisher = create_publisher


def _connection_info(channel: str, desc: SandboxDesc) -> ConnectionInfo:
    store = desc.stores[channel]
    creds = store["credentials"]
    if CHANNELS[channel][0] == "shopify":
        return ConnectionInfo(conn_id=channel, conn_type="http", host=store["url"],
                              password=creds["access_token"])
    return ConnectionInfo(conn_id=channel, conn_type="http", host=store["url"],
                          login=creds["consumer_key"], password=creds["consumer_secret"])


def run(job: StockJob) -> dict[str, Any]:
    """``prepare`` then ``run_shard`` under the RSS sampler; figures per part and channel."""
    from synchub.stock.service import prepare, run_shard

    hub, store = _open(job)
    desc = SandboxDesc.from_ready(job.sandbox)
    clients: dict[str, ConnectorClient] = {}
    channel_of_client: dict[int, str] = {}

    def client_for(channel: str) -> ConnectorClient:
        client = ConnectorClient(hub.connection(channel).connector,
                                 _connection_info(channel, desc))
        clients[channel] = client
        channel_of_client[id(client)] = channel
        return client

    timers = Timers()
    timers.install(channel_of_client)
    with RssSampler() as rss:
        started = time.perf_counter()
        positions = prepare(hub, store)
        prepared = time.perf_counter()
        summary = run_shard(hub, store, run_id=job.run_id, client_for=client_for)
        finished = time.perf_counter()
    for client in clients.values():
        client.close()
    shard_s = finished - prepared
    push_s = sum(timers.push.values())
    out: dict[str, Any] = {
        "status": summary.status, "positions": positions,
        "prepare_s": round(prepared - started, 2), "run_shard_s": round(shard_s, 2),
        "load_master_s": round(timers.load_master, 2),
        "read_listings_s": round(timers.read_listings, 2),
        "compute_s": round(shard_s - timers.load_master - timers.read_listings - push_s
                           - timers.write_publications, 2),
        "push_s": round(push_s, 2), "write_publications_s": round(timers.write_publications, 2),
        "rss_start_mb": round(rss.start_bytes / 2**20, 1),
        "rss_peak_mb": round(rss.peak_bytes / 2**20, 1), "channels": {}}
    sent = _changes_sent(store, job.run_id)
    for ch in summary.channels:
        client = clients.get(ch.channel)
        spec = hub.connection(ch.channel).connector.stock_publisher
        assert spec is not None
        row = {k: getattr(ch, k) for k in ("listings", "changed", "pushed", "unchanged",
                                           "conflicts", "failed", "write_calls", "read_calls",
                                           "not_in_master", "opted_out")}
        row["batch"] = spec.batch_size
        row["min_calls"] = math.ceil(ch.changed / spec.batch_size)
        if CHANNELS[ch.channel][0] == "woocommerce":
            row["min_calls_per_parent"] = _woo_minimum(sent.get(ch.channel, []),
                                                       spec.batch_size)
            row["parents"] = len({p for p in sent.get(ch.channel, []) if p})
        row["push_s"] = round(timers.push.get(ch.channel, 0.0), 2)
        row["client_requests"] = client.stats.requests if client else 0
        row["client_throttled_s"] = round(client.stats.throttled_seconds, 2) if client else 0.0
        out["channels"][ch.channel] = row
    store.dispose()
    return out


def _changes_sent(store: Store, run_id: str) -> dict[str, list[str | None]]:
    """The parent id (None for a simple product) of every listing a run sent, per channel."""
    levels, pub = entity_table("inventory_level"), stock_publications
    query = (sa.select(pub.c.channel, levels.c.parent_external_id)
             .select_from(pub.join(levels, sa.and_(levels.c.connection == pub.c.channel,
                                                   levels.c.external_id == pub.c.listing_id)))
             .where(pub.c.run_id == run_id, pub.c.status.in_(PUSHED_STATUSES)))
    out: dict[str, list[str | None]] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(query):
            out.setdefault(row.channel, []).append(row.parent_external_id)
    return out


def _woo_minimum(parents: list[str | None], batch: int) -> int:
    """Calls WooCommerce needs at least: simple products in batches, variations per parent."""
    per_endpoint = Counter(parents)
    return sum(math.ceil(n / batch) for n in per_endpoint.values())


# -- change and verify ---------------------------------------------------------------------


def change(job: StockJob) -> dict[str, Any]:
    """Move 1 % of the SKUs' on-hand at one master location, through the master's hooks."""
    hub, store = _open(job)
    ingest = _ingest(hub)
    indexes = changed_indexes(job.skus)
    started = time.perf_counter()
    stored = pages = 0
    for page in change_pages(indexes):
        result = store.write_page(connection=MASTER, stream="stock_quants", records=page,
                                  hooks=ingest.hooks_for(MASTER))
        stored += result.stored
        pages += 1
    seconds = time.perf_counter() - started
    store.dispose()
    return {"skus_changed": len(indexes), "levels_stored": stored, "pages": pages,
            "seconds": round(seconds, 2)}


def verify(job: StockJob) -> dict[str, Any]:
    """Read a sample of the listings a run pushed back from the sandbox."""
    _, store = _open(job)
    desc = SandboxDesc.from_ready(job.sandbox)
    levels, pub = entity_table("inventory_level"), stock_publications
    changed = {sku_of(i) for i in changed_indexes(job.skus)}
    out: dict[str, Any] = {}
    with store.engine.connect() as conn:
        for channel in CHANNELS:
            if job.changed_only:
                sent = conn.execute(sa.select(pub.c.master_sku).where(
                    pub.c.channel == channel, pub.c.run_id == job.run_id,
                    pub.c.status.in_(PUSHED_STATUSES))).scalars().all()
                out.setdefault("sent_outside_change", {})[channel] = sum(
                    1 for sku in sent if sku not in changed)
            rows = conn.execute(
                sa.select(pub.c.listing_id, pub.c.published, levels.c.parent_external_id)
                .select_from(pub.join(levels, sa.and_(
                    levels.c.connection == pub.c.channel,
                    levels.c.external_id == pub.c.listing_id)))
                .where(pub.c.channel == channel, pub.c.run_id == job.run_id,
                       pub.c.status == "pushed")
                .order_by(pub.c.listing_id)).all()
            sample = random.Random(f"{SEED}:verify:{channel}").sample(
                rows, min(job.sample, len(rows)))
            shown = read_figures(desc, channel, [(r.listing_id, r.parent_external_id)
                                                 for r in sample])
            bad = [(r.listing_id, r.published, shown.get(r.listing_id)) for r in sample
                   if shown.get(r.listing_id) != r.published]
            out[channel] = {"pushed": len(rows), "checked": len(sample),
                            "matching": len(sample) - len(bad), "mismatches": bad[:5]}
    store.dispose()
    return out


STEPS: dict[str, Callable[[StockJob], dict[str, Any]]] = {
    "setup": setup, "run": run, "change": change, "verify": verify}


def main(argv: list[str] | None = None) -> int:
    """Run one step and print its figures as JSON on the last line of stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("job", help="the StockJob as a JSON object")
    args = parser.parse_args(argv)
    job = StockJob(**json.loads(args.job))
    started = time.perf_counter()
    result = STEPS[args.step](job)
    result["step_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
