"""Marketplace benchmark: a first sync of Amazon orders under the documented limits, and
stock publishing of changed SKUs to each marketplace, with the calls against the minimum.

``python bench/marketplaces/run.py [--orders 10000] [--skus 5000] [--out PATH]``

First sync: the Amazon simulator serves N orders with searchOrders' documented usage plan
(0.0056 requests a second, burst 20) enforced; the connector's own ``header_rate`` limiter
paces the client. Both run on one simulated clock: every wait the limiter asks for advances
the clock instead of sleeping, and the simulator's buckets, token expiry and two-minute
rule read the same clock, so the simulated time is what the limits impose and the wall time
is what the machine took. The run's own report (``StreamSummary.rate_limit``) is printed
beside it.

Stock: N SKUs held by a master, listed on Amazon (one seller SKU each), on Taobao (25
SKUs per item) and on eBay (an inventory item with one offer each), all changed at once,
published by the stock run against the simulators. The clients run without their limiters
and the simulators without their quotas, so the run measures the hub; the time the limits
impose is computed from the call count and the plan (Amazon patchListingsItem 5/s burst 5;
Taobao: TOP publishes no quota, the connector's 5/s burst 2; eBay: no documented call
rate, the connector's 20/s burst 50). JD and Pinduoduo have a row once they publish stock.

eBay's daily revision cap (250 revisions a listing a calendar day): the same N eBay
listings, each already revised 249 times today (in the simulator and in the hub's count),
with ``daily_revisions: {limit: 250, reserve: 25, min_change: 5}``: one run takes the
250th revision of every listing, a second run the same day holds every change back
without a call, and a run of a hub without the cap sends them and eBay refuses each.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from synchub.canonical import InventoryLevel, SourceRef  # noqa: E402
from synchub.pipeline import sync_stream  # noqa: E402
from synchub.pipeline.run import rate_limit_line  # noqa: E402
from synchub.plan import load_hub  # noqa: E402
from synchub.runtime import ConnectionInfo, ConnectorClient  # noqa: E402
from synchub.sandbox import Sandbox, SandboxServer  # noqa: E402
from synchub.stock.ingest import StockIngest  # noqa: E402
from synchub.stock.service import prepare, run_shard  # noqa: E402
from synchub.store import Store  # noqa: E402
from synchub.store.stock_tables import listing_revisions  # noqa: E402

MARKET = "A1PA6795UKMFR9"
SEARCH = "/orders/2026-01-01/orders"
ITEM_BASE, SKU_BASE = 700_000_000_000, 7_100_000_000_000
SKUS_PER_ITEM = 25
EBAY_BATCH, EBAY_REVISION_CAP = 25, 250


class SimClock:
    """Monotonic seconds that advance only when someone sleeps on them."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _hub(work: Path, connectors: Path, connections: dict[str, Any],
         stock: dict[str, Any] | None = None) -> Any:
    doc: dict[str, Any] = {"version": 1, "connectors_dir": str(connectors),
                           "mappings_dir": str(ROOT / "mappings"),
                           "connections": connections}
    if stock:
        doc["stock"] = stock
    path = work / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_hub(path)


def _amazon_conn(srv: SandboxServer, account: Any, name: str) -> ConnectionInfo:
    base = srv.url("amazon", account.name)
    return ConnectionInfo(conn_id=name, conn_type="http", host=base, login=account.client_id,
                          password=account.client_secret,
                          extra={"refresh_token": account.refresh_token,
                                 "token_url": f"{base}/auth/o2/token",
                                 "seller_id": account.seller_id, "marketplace_id": MARKET})


def first_sync(orders: int, work: Path) -> dict[str, Any]:
    """A first sync of ``orders`` Amazon orders under the documented searchOrders plan."""
    hub = _hub(work, ROOT / "connectors",
               {"amz": {"connector": "amazon", "conn_id": "amz", "streams": ["orders"]}})
    store = Store.from_url(f"sqlite:///{work / 'first-sync.db'}")
    store.migrate()
    sandbox = Sandbox(seed=11)
    account: Any = sandbox.store("amazon", "bench", orders=orders)
    clock = SimClock()
    start_epoch = time.time()
    account.limit_clock = clock                               # the usage plans' buckets
    account.clock = lambda: time.time() + clock.now          # token expiry, two-minute rule
    with SandboxServer(sandbox) as srv:
        conn = _amazon_conn(srv, account, "amz")
        t0 = time.perf_counter()
        with ConnectorClient(hub.connection("amz").connector, conn, clock=clock,
                             sleep=clock.sleep) as client:
            summary = sync_stream(hub, "amz", "orders", store=store, conn_info=conn,
                                  client=client, workers=0)
        wall = time.perf_counter() - t0
    store.dispose()
    search = [r for r in account.requests if r.path == SEARCH]
    out = {
        "orders": orders, "fetched": summary.fetched, "stored": summary.stored,
        "searchOrders_calls": len(search), "minimum_calls": math.ceil(orders / 100),
        "throttled_429": sum(1 for r in search if r.status == 429),
        "token_calls": sum(1 for r in account.requests if r.path.endswith("/auth/o2/token")),
        "all_calls": len(account.requests),
        "simulated_seconds": round(clock.now, 1), "wall_seconds": round(wall, 2),
        "report": summary.rate_limit,
        "report_line": rate_limit_line(summary.rate_limit) if summary.rate_limit else None,
        "started_epoch": start_epoch,
    }
    return out


def _level(connection: str, ext: str, sku: str, location: str, available: int = 0, *,
           item: str | None = None, product: str | None = None) -> InventoryLevel:
    return InventoryLevel(
        source=SourceRef(connection=connection, system=connection, external_id=ext),
        external_id=ext, sku=sku, inventory_item_external_id=item,
        product_external_id=product, location_external_id=location, available=available)


@contextmanager
def _connectors_without_limits(work: Path) -> Iterator[Path]:
    """A copy of the connectors with the client-side limiters removed (see the module doc)."""
    target = work / "connectors"
    shutil.copytree(ROOT / "connectors", target)
    for name in ("amazon", "taobao", "ebay"):
        path = target / name / "connector.yaml"
        doc = yaml.safe_load(path.read_text())
        doc.get("http", {}).pop("rate_limit", None)
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    yield target


def _ebay_conn(srv: SandboxServer, account: Any, name: str) -> ConnectionInfo:
    base = srv.url("ebay", account.name)
    cred = account.credentials()
    return ConnectionInfo(conn_id=name, conn_type="http", host=base, login=cred["client_id"],
                          password=cred["client_secret"],
                          extra={"refresh_token": cred["refresh_token"],
                                 "token_url": f"{base}/identity/v1/oauth2/token",
                                 "finances_host": base})


def _ebay_listings(account: Any, names: list[str]) -> list[InventoryLevel]:
    """One inventory item with one offer per SKU in the simulator; the hub's listings."""
    levels = []
    for n, sku in enumerate(names):
        offer = str(9_000_000_000 + n)
        account.items[sku] = {"quantity": 0, "offerId": offer, "offerQuantity": None,
                              "title": f"Bench {sku}"}
        account.offers[offer] = sku
        levels.append(_level("eb", sku, sku, account.home, item=offer))
    return levels


def _ebay_entry(ch: Any, calls: int) -> dict[str, Any]:
    return {"changed": ch.changed, "pushed": ch.pushed, "write_calls": ch.write_calls,
            "min_calls": ch.min_calls, "http_calls": calls, "held": ch.held,
            "failed": ch.failed,
            "plan_seconds": round(max(0, calls - 50) / 20.0, 1),
            "plan": "the connector's 20/s, burst 50 (eBay documents no call rate)"}


def stock_publish(skus: int, work: Path) -> dict[str, Any]:
    """``skus`` changed SKUs published to Amazon, Taobao and eBay; calls against the
    minimum."""
    sandbox = Sandbox(seed=13, rate_limits=False)
    amazon: Any = sandbox.store("amazon", "bench", orders=0)
    taobao: Any = sandbox.store("taobao", "bench", orders=0)
    ebay: Any = sandbox.store("ebay", "bench", orders=0)
    names = [f"BENCH-{n:05d}" for n in range(skus)]
    eb_listings = _ebay_listings(ebay, names)
    amazon.listings.update({sku: {"productType": "PRODUCT", "quantity": 0} for sku in names})
    items = math.ceil(skus / SKUS_PER_ITEM)
    tb_listings = []
    for i in range(items):
        chunk = names[i * SKUS_PER_ITEM:(i + 1) * SKUS_PER_ITEM]
        sku_ids = {str(SKU_BASE + 100 * i + n): {"outer_id": s, "quantity": 0}
                   for n, s in enumerate(chunk)}
        taobao.items[ITEM_BASE + i] = {"title": f"Bench item {i}", "outer_id": f"BI-{i}",
                                       "num": 0, "skus": sku_ids}
        tb_listings += [_level("tb", f"{ITEM_BASE + i}:{sid}", s["outer_id"], "taobao",
                               item=sid, product=str(ITEM_BASE + i))
                        for sid, s in sku_ids.items()]
    with _connectors_without_limits(work) as connectors, SandboxServer(sandbox) as srv:
        hub = _hub(work, connectors, {
            "erp": {"connector": "woocommerce", "conn_id": "erp", "roles": ["erp"]},
            "amz": {"connector": "amazon", "conn_id": "amz"},
            "tb": {"connector": "taobao", "conn_id": "tb"},
            "eb": {"connector": "ebay", "conn_id": "eb"}},
            {"masters": {"erp": {"locations": ["WH"]}},
             "channels": {"amz": {}, "tb": {}, "eb": {}}})
        cred = taobao.credentials()
        infos = {"amz": _amazon_conn(srv, amazon, "amz"),
                 "tb": ConnectionInfo(conn_id="tb", conn_type="http",
                                      host=srv.url("taobao", "bench"), login=cred["app_key"],
                                      password=cred["app_secret"],
                                      extra={"session": cred["session"]}),
                 "eb": _ebay_conn(srv, ebay, "eb")}
        store = Store.from_url(f"sqlite:///{work / 'stock.db'}")
        store.migrate()
        ingest = StockIngest.from_hub(hub)
        assert ingest is not None
        store.write_page(connection="erp", stream="levels", hooks=ingest.hooks_for("erp"),
                         records=[_level("erp", f"WH:{s}", s, "WH", 10 + n % 50)
                                  for n, s in enumerate(names)])
        store.write_page(connection="amz", stream="listings",
                         records=[_level("amz", s, s, MARKET) for s in names])
        for start in range(0, len(tb_listings), 5000):
            store.write_page(connection="tb", stream="listings",
                             records=tb_listings[start:start + 5000])
        store.write_page(connection="eb", stream="listings", records=eb_listings)
        amazon_before, taobao_before = len(amazon.requests), len(taobao.requests)
        ebay_before = len(ebay.requests)
        prepare(hub, store)
        t0 = time.perf_counter()
        summary = run_shard(hub, store, run_id="bench", conn_info=lambda n: infos[n])
        wall = time.perf_counter() - t0
        store.dispose()
    channels = {ch.channel: ch for ch in summary.channels}
    amz, tb = channels["amz"], channels["tb"]
    patches = [r for r in amazon.requests[amazon_before:] if r.method == "PATCH"]
    gateway = [r for r in taobao.requests[taobao_before:]]
    bulk = [r for r in ebay.requests[ebay_before:] if r.method == "POST"
            and r.path.endswith("/bulk_update_price_quantity")]
    shown_ok = all(amazon.quantity(s) == 10 + n % 50 and ebay.quantity(s) == 10 + n % 50
                   for n, s in enumerate(names))
    return {
        "skus": skus, "wall_seconds": round(wall, 2), "all_published": shown_ok,
        "amazon": {"changed": amz.changed, "pushed": amz.pushed, "write_calls": amz.write_calls,
                   "min_calls": amz.min_calls, "http_calls": len(patches),
                   "plan_seconds": round(max(0, len(patches) - 5) / 5.0, 1),
                   "plan": "patchListingsItem 5/s, burst 5 (documented)"},
        "taobao": {"changed": tb.changed, "pushed": tb.pushed, "write_calls": tb.write_calls,
                   "min_calls": tb.min_calls, "http_calls": len(gateway),
                   "items": items,
                   "plan_seconds": round(max(0, len(gateway) - 2) / 5.0, 1),
                   "plan": "the connector's 5/s, burst 2 (TOP publishes no quota)"},
        "ebay": _ebay_entry(channels["eb"], len(bulk)),
        "jd": None, "pinduoduo": None,     # no stock publisher yet
    }


def revision_cap(skus: int, work: Path) -> dict[str, Any]:
    """eBay listings one revision short of the day's cap, published to three times."""
    sandbox = Sandbox(seed=17, rate_limits=False)
    ebay: Any = sandbox.store("ebay", "cap", orders=0)
    names = [f"CAP-{n:05d}" for n in range(skus)]
    listings = _ebay_listings(ebay, names)
    day = datetime.now(UTC).date()
    for level in listings:                  # 249 revisions already today, on eBay's side
        ebay.revisions[(level.inventory_item_external_id, day.isoformat())] = (
            EBAY_REVISION_CAP - 1)
    capped = {"limit": EBAY_REVISION_CAP, "reserve": 25, "min_change": 5, "timezone": "UTC"}
    connections = {"erp": {"connector": "woocommerce", "conn_id": "erp", "roles": ["erp"]},
                   "eb": {"connector": "ebay", "conn_id": "eb"}}
    runs: dict[str, Any] = {}
    with _connectors_without_limits(work) as connectors, SandboxServer(sandbox) as srv:
        hub = _hub(work, connectors, connections, {
            "masters": {"erp": {"locations": ["WH"]}},
            "channels": {"eb": {"daily_revisions": capped}}})
        info = _ebay_conn(srv, ebay, "eb")
        store = Store.from_url(f"sqlite:///{work / 'cap.db'}")
        store.migrate()
        ingest = StockIngest.from_hub(hub)
        assert ingest is not None
        store.write_page(connection="eb", stream="listings", records=listings)
        with store.transaction() as conn:   # and in the hub's count
            conn.execute(sa.insert(listing_revisions), [
                {"channel": "eb", "listing_id": s, "day": day,
                 "revisions": EBAY_REVISION_CAP - 1, "updated_at": datetime.now(UTC)}
                for s in names])

        def run(name: str, the_hub: Any, shift: int) -> None:
            store.write_page(connection="erp", stream="levels", hooks=ingest.hooks_for("erp"),
                             records=[_level("erp", f"WH:{s}", s, "WH", 10 + n % 50 + shift)
                                      for n, s in enumerate(names)])
            before = len(ebay.requests)
            prepare(the_hub, store)
            t0 = time.perf_counter()
            summary = run_shard(the_hub, store, run_id=name, conn_info=lambda n: info)
            wall = time.perf_counter() - t0
            calls = sum(1 for r in ebay.requests[before:]
                        if r.path.endswith("/bulk_update_price_quantity"))
            runs[name] = {**_ebay_entry(summary.channels[0], calls),
                          "wall_seconds": round(wall, 2)}

        run("first", hub, 0)        # the 250th revision of every listing
        run("second", hub, 7)       # the same day: at the cap, nothing goes
        uncapped = _hub(work / "uncapped", connectors, connections, {
            "masters": {"erp": {"locations": ["WH"]}}, "channels": {"eb": {}}})
        run("without_cap", uncapped, 7)   # a hub that does not count: eBay refuses each
        store.dispose()
    runs["shown_after"] = sum(ebay.quantity(s) == 10 + n % 50 for n, s in enumerate(names))
    return {"skus": skus, "revisions_before": EBAY_REVISION_CAP - 1, **runs}


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h" if seconds >= 5400 else f"{seconds:.0f} s"


def main(argv: list[str] | None = None) -> int:
    """Run both parts and print the figures; the JSON report goes to ``--out``."""
    parser = argparse.ArgumentParser(prog="bench/marketplaces/run.py")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--skus", type=int, default=5_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/marketplaces.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="synchub-bench-mkt-") as tmp:
        work = Path(tmp)
        (work / "a").mkdir()
        (work / "b").mkdir()
        first = first_sync(args.orders, work / "a")
        _say(f"first sync of {first['orders']:,} Amazon orders: {first['searchOrders_calls']} "
             f"searchOrders calls (minimum {first['minimum_calls']}, 429s "
             f"{first['throttled_429']}), {first['all_calls']} calls in all, "
             f"{_duration(first['simulated_seconds'])} simulated, "
             f"{first['wall_seconds']:.1f} s wall")
        _say(f"  the run's report: {first['report_line']}")
        stock = stock_publish(args.skus, work / "b")
        for name in ("amazon", "taobao", "ebay"):
            ch = stock[name]
            _say(f"stock to {name}: {ch['changed']:,} changed, {ch['pushed']:,} pushed in "
                 f"{ch['write_calls']:,} calls (minimum {ch['min_calls']:,}; HTTP "
                 f"{ch['http_calls']:,}); under {ch['plan']}: {_duration(ch['plan_seconds'])}")
        _say(f"stock run wall time: {stock['wall_seconds']:.1f} s "
             f"(three channels, one run; all published: {stock['all_published']})")
        (work / "c").mkdir()
        (work / "c" / "uncapped").mkdir()
        cap = revision_cap(args.skus, work / "c")
        for name in ("first", "second", "without_cap"):
            ch = cap[name]
            _say(f"eBay at {cap['revisions_before']} revisions today, run {name}: "
                 f"{ch['changed']:,} changed, {ch['pushed']:,} pushed, {ch['held']:,} held, "
                 f"{ch['failed']:,} refused, {ch['http_calls']:,} calls, "
                 f"{ch['wall_seconds']:.1f} s")
        _say(f"  eBay shows the first run's figure on {cap['shown_after']:,} listings")
    report = {"command": " ".join(["bench/marketplaces/run.py", *(argv or sys.argv[1:])]),
              "first_sync": first, "stock": stock, "ebay_revision_cap": cap}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
