"""eBay stock: bulkUpdatePriceQuantity in calls of 25 SKUs, refusals alone, and the daily
revision cap kept by the stock run (counted in the store, small changes held back near the
cap, to zero and back from zero always sent), against ``responses`` and the simulator."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
import sqlalchemy as sa
import yaml

from synchub.canonical import InventoryLevel, SourceRef
from synchub.config.connector_checks import load_connector
from synchub.config.stock import DailyRevisions
from synchub.jobs.stock import stock_report
from synchub.plan import Hub, load_hub
from synchub.registry import REGISTRY
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.stock import revisions
from synchub.stock.ingest import StockIngest
from synchub.stock.publish import ListingChange, create_publisher
from synchub.stock.service import prepare, run_shard
from synchub.store import Store
from synchub.store.stock_tables import listing_revisions, stock_publications
from synchub.systems.ebay.stock import EbayBulkPublisher
from tests.stock.conftest import level

ROOT = Path(__file__).resolve().parents[2]
HOST = "https://api.ebay.com"
BULK = f"{HOST}/sell/inventory/v1/bulk_update_price_quantity"
TOKEN_URL = "https://api.ebay.com/identity/v1/oauth2/token"


def client(host: str = HOST, login: str = "cid", password: str = "csecret",
           **extra: Any) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="ebay", conn_type="http", host=host, login=login,
                          password=password, extra={"refresh_token": "v^1.1#r", **extra})
    spec = load_connector(ROOT / "connectors" / "ebay" / "connector.yaml")
    return ConnectorClient(spec, conn, sleep=lambda s: None)


def publisher(c: ConnectorClient | None = None) -> EbayBulkPublisher:
    spec = load_connector(ROOT / "connectors" / "ebay" / "connector.yaml").stock_publisher
    assert spec is not None
    pub = create_publisher(spec, c or client(), run_id="run-1")
    assert isinstance(pub, EbayBulkPublisher)
    return pub


def change(sku: str, quantity: int, offer: str | None = None,
           expected: int | None = None) -> ListingChange:
    return ListingChange(sku, quantity, expected, sku=sku, inventory_item_id=offer)


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(TOKEN_URL, json={"access_token": "tok", "expires_in": 7200})
        yield mock


def ok(request: Any) -> tuple[int, dict[str, str], str]:
    body = json.loads(request.body)
    return 200, {}, json.dumps({"responses": [
        {"statusCode": 200, "sku": r["sku"]} for r in body["requests"]]})


def bodies(mock: responses.RequestsMock) -> list[Any]:
    return [json.loads(c.request.body) for c in mock.calls if c.request.url == BULK]


def test_registry_and_yaml() -> None:
    assert REGISTRY.get("stock_publisher", "ebay_bulk_price_quantity") is EbayBulkPublisher
    assert publisher().max_batch == 25


def test_25_skus_a_call_with_the_exact_body_and_the_minimum_of_calls(
        mock_http: responses.RequestsMock) -> None:
    for _ in range(3):
        mock_http.add_callback(responses.POST, BULK, callback=ok)
    changes = [change(f"SKU-{n:02d}", n) for n in range(60)]
    changes[0] = change("SKU-00", 0, offer="5000000001")
    pub = publisher()
    outcomes = pub.push(changes)
    sent = bodies(mock_http)
    assert [len(b["requests"]) for b in sent] == [25, 25, 10]
    assert sent[0]["requests"][0] == {"sku": "SKU-00",
                                      "shipToLocationAvailability": {"quantity": 0},
                                      "offers": [{"offerId": "5000000001",
                                                  "availableQuantity": 0}]}
    assert sent[0]["requests"][1] == {"sku": "SKU-01",
                                      "shipToLocationAvailability": {"quantity": 1}}
    assert [o.status for o in outcomes] == ["pushed"] * 60
    assert pub.stats.write_calls == pub.minimum_calls(changes) == 3
    auth = next(c for c in mock_http.calls if c.request.url == BULK).request
    assert auth.headers["Authorization"] == "Bearer tok"


def test_changes_of_one_sku_are_coalesced_to_the_last(mock_http: responses.RequestsMock
                                                      ) -> None:
    mock_http.add_callback(responses.POST, BULK, callback=ok)
    pub = publisher()
    changes = [change("A", 5), change("B", 1), change("A", 3)]
    outcomes = pub.push(changes)
    assert bodies(mock_http)[0]["requests"] == [
        {"sku": "A", "shipToLocationAvailability": {"quantity": 3}},
        {"sku": "B", "shipToLocationAvailability": {"quantity": 1}}]
    assert [(o.status, o.channel_quantity) for o in outcomes] == [
        ("pushed", 3), ("pushed", 1), ("pushed", 3)]
    assert pub.stats.write_calls == pub.minimum_calls(changes) == 1


def test_a_refused_sku_fails_alone_with_ebays_message(mock_http: responses.RequestsMock
                                                      ) -> None:
    mock_http.post(BULK, status=207, json={"responses": [
        {"statusCode": 200, "sku": "OK-1"},
        {"statusCode": 404, "sku": "GONE", "errors": [
            {"errorId": 25702, "domain": "API_INVENTORY", "category": "REQUEST",
             "message": "SKU GONE is not available in the system"}]},
        {"statusCode": 200, "sku": "CAPPED"},
        {"statusCode": 400, "sku": "CAPPED", "offerId": "77", "errors": [
            {"errorId": 25746, "domain": "API_INVENTORY", "category": "REQUEST",
             "message": "This listing has been revised 250 times today."}]}]})
    outcomes = publisher().push([change("OK-1", 1), change("GONE", 2),
                                 change("CAPPED", 3, offer="77")])
    assert [(o.status, o.error) for o in outcomes] == [
        ("pushed", None),
        ("failed", "404 25702: SKU GONE is not available in the system"),
        ("failed", "offer 77: 400 25746: This listing has been revised 250 times today.")]


def test_a_refused_call_fails_its_skus_with_ebays_message(mock_http: responses.RequestsMock
                                                          ) -> None:
    mock_http.post(BULK, status=400, json={"errors": [
        {"errorId": 25709, "domain": "API_INVENTORY", "category": "REQUEST",
         "message": "Invalid request: at most 25 requests per call."}]})
    outcomes = publisher().push([change("A", 1), change("B", 2)])
    assert {o.error for o in outcomes} == {
        "HTTP 400: 25709: Invalid request: at most 25 requests per call."}


# --- the revision gate ---------------------------------------------------------------------

CAP = DailyRevisions(limit=250, reserve=25, min_change=5)


@pytest.mark.parametrize(("done", "quantity", "expected", "sent"), [
    (0, 9, 10, True),          # far from the cap: everything goes
    (224, 9, 10, True),
    (225, 9, 10, False),       # near the cap: a change of 1 waits
    (225, 5, 10, True),        # a change of 5 goes
    (240, 0, 10, True),        # to zero always goes
    (240, 3, 0, True),         # back from zero always goes
    (240, 3, None, True),      # the channel's figure unknown: it goes
    (250, 0, 10, False),       # at the cap nothing goes
])
def test_the_gate(done: int, quantity: int, expected: int | None, sent: bool) -> None:
    go, held = revisions.gate([change("A", quantity, expected=expected)], {"A": done}, CAP)
    assert (go == [0]) is sent
    assert (len(held) == 1) is not sent
    if held:
        assert f"{done} of 250" in held[0].reason


def test_daily_revisions_config_is_checked() -> None:
    with pytest.raises(ValueError, match="reserve"):
        DailyRevisions(limit=10, reserve=10)
    with pytest.raises(ValueError, match="unknown time zone"):
        DailyRevisions(limit=10, timezone="Mars/Olympus")


def make_hub(tmp_path: Path) -> Hub:
    doc = {"version": 1, "connectors_dir": str(ROOT / "connectors"),
           "mappings_dir": str(ROOT / "mappings"),
           "connections": {"erp": {"connector": "woocommerce", "conn_id": "erp",
                                   "roles": ["erp"]},
                           "eb": {"connector": "ebay", "conn_id": "eb"}},
           "stock": {"masters": {"erp": {"locations": ["WH"]}},
                     "channels": {"eb": {"daily_revisions": {"limit": 250, "reserve": 25,
                                                             "min_change": 5}}}}}
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_hub(path)


def listing(sku: str) -> InventoryLevel:
    return InventoryLevel(source=SourceRef(connection="eb", system="ebay", external_id=sku),
                          external_id=sku, sku=sku, location_external_id="ship_to_home",
                          available=0)


class World:
    """The eBay simulator, a hub selling on it, and the store."""

    def __init__(self, sandbox: Any, tmp_path: Path, db_url: str) -> None:
        sb, srv = sandbox
        self.ebay: Any = sb.store("ebay", "demo", orders=0, products=20)
        self.ebay.refuse("SKU-00003-1", 25001, "A system error has occurred: the listing "
                         "is under review.")
        base = srv.url("ebay", "demo")
        self.info = ConnectionInfo(conn_id="eb", conn_type="http", host=base,
                                   login=self.ebay.client_id, password=self.ebay.client_secret,
                                   extra={"refresh_token": self.ebay.refresh_token,
                                          "token_url": f"{base}/identity/v1/oauth2/token"})
        self.hub = make_hub(tmp_path)
        self.store = Store.from_url(db_url)
        self.store.migrate()
        self.ingest = StockIngest.from_hub(self.hub)
        self.skus = [f"SKU-{n:05d}-{v}" for v, top in ((1, 20), (2, 10))
                     for n in range(1, top + 1)]
        self.runs = 0
        self.last: dict[str, Any] = {}

    def master(self, figures: dict[str, int]) -> None:
        assert self.ingest is not None
        self.store.write_page(connection="erp", stream="levels",
                              hooks=self.ingest.hooks_for("erp"),
                              records=[level(s, "WH", q) for s, q in figures.items()])

    def stock(self) -> Any:
        self.runs += 1
        prepare(self.hub, self.store)
        summary = run_shard(self.hub, self.store, run_id=f"run{self.runs}",
                            conn_info=lambda name: self.info)
        self.last = summary.as_dict()
        return summary.channels[0]

    def revisions(self) -> dict[str, int]:
        c = listing_revisions.c
        with self.store.engine.connect() as conn:
            return {r.listing_id: r.revisions for r in conn.execute(
                sa.select(c.listing_id, c.revisions).where(c.channel == "eb"))}

    def set_revisions(self, counts: dict[str, int]) -> None:
        day = datetime.now(UTC).date()
        with self.store.transaction() as conn:
            for sku, n in counts.items():
                conn.execute(sa.update(listing_revisions).where(
                    listing_revisions.c.listing_id == sku, listing_revisions.c.day == day)
                    .values(revisions=n))


@pytest.fixture
def world(sandbox: Any, tmp_path: Path, db_url: str) -> Iterator[World]:
    w = World(sandbox, tmp_path, db_url)
    yield w
    w.store.dispose()


def test_stock_reaches_ebay_and_the_revision_cap_holds_back_small_changes(
        world: World, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    world.store.write_page(connection="eb", stream="inventory_items",
                           records=[listing(s) for s in world.skus])
    world.master({s: 10 + i for i, s in enumerate(world.skus)})
    first = world.stock()
    # 30 SKUs in two calls; the refused one fails alone with eBay's message
    assert (first.changed, first.pushed, first.failed, first.held) == (30, 29, 1, 0)
    assert first.write_calls == first.min_calls == 2
    assert world.ebay.quantity("SKU-00001-1") == 10
    assert world.ebay.quantity("SKU-00003-1") != 12
    letters = world.store.dead_letters()
    assert [(d["stream"], d["record_id"]) for d in letters] == [
        ("stock_publish", "SKU-00003-1")]
    assert "25001: A system error has occurred" in letters[0]["reason"]
    counted = world.revisions()
    assert len(counted) == 29 and set(counted.values()) == {1}   # refused: not a revision

    # four listings near or at the cap; the master moves each a little or to zero
    a, b, c, d = "SKU-00001-1", "SKU-00002-1", "SKU-00004-1", "SKU-00005-1"
    world.set_revisions({a: 230, b: 230, c: 240, d: 250})
    world.master({a: 11, b: 0, c: 30, d: 0})   # +1 (held), to zero, +17, at the cap
    calls = len(world.ebay.requests)
    caplog.set_level(logging.WARNING, logger="synchub.stock")
    second = world.stock()
    assert (second.changed, second.held) == (5, 2)                 # + the refused one
    assert {h["listing_id"] for h in second.held_back} == {a, d}
    assert "below min_change 5" in next(h["reason"] for h in second.held_back
                                        if h["listing_id"] == a)
    assert "daily cap reached: 250 of 250" in next(h["reason"] for h in second.held_back
                                                   if h["listing_id"] == d)
    assert (world.ebay.quantity(a), world.ebay.quantity(b), world.ebay.quantity(c),
            world.ebay.quantity(d)) == (10, 0, 30, 14)
    assert second.write_calls == second.min_calls == 1
    assert len(world.ebay.requests) - calls == 2                    # the token and one call
    assert world.revisions()[b] == 231 and world.revisions()[a] == 230
    assert "2 changes held back near the daily revision cap" in caplog.text
    # the stock_sync report task (what Airflow shows) totals them
    assert stock_report(world.hub.path, [world.last], store=db_url)["totals"]["held"] == 2
    with world.store.engine.connect() as conn:
        held = {r.listing_id: r for r in conn.execute(sa.select(stock_publications).where(
            stock_publications.c.status == "held"))}
    assert set(held) == {a, d}
    assert held[a].desired == 11 and held[a].published == 10        # still what eBay shows
    assert held[a].detail["revisions_today"] == 230


def test_the_simulator_refuses_a_listing_past_its_cap(sandbox: Any) -> None:
    sb, srv = sandbox
    account: Any = sb.store("ebay", "capped", orders=0, products=2)
    account.revision_cap = 2
    base = srv.url("ebay", "capped")
    with client(base, account.client_id, account.client_secret,
                token_url=f"{base}/identity/v1/oauth2/token",
                refresh_token=account.refresh_token) as c:
        pub = publisher(c)
        results = [pub.push([change("SKU-00001-1", q)])[0] for q in (3, 4, 5)]
    assert [r.status for r in results] == ["pushed", "pushed", "failed"]
    assert "25746: This listing has been revised 2 times today" in (results[2].error or "")
    assert account.quantity("SKU-00001-1") == 4
