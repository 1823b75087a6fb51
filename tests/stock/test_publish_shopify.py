"""Shopify stock publisher: exact inventorySetQuantities calls, stale compares, the sandbox."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from synchub.config.connector import ConnectorSpec, StockPublisherSpec
from synchub.config.connector_checks import load_connector
from synchub.errors import ConfigError, FatalAPIError
from synchub.registry import REGISTRY
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.stock.publish import (
    ListingChange,
    create_publisher,
)
from synchub.systems.shopify.stock import ShopifyInventoryPublisher

ROOT = Path(__file__).resolve().parents[2]
HOST = "https://demo.myshopify.com"
URL = f"{HOST}/admin/api/2026-04/graphql.json"


def spec() -> ConnectorSpec:
    return load_connector(ROOT / "connectors" / "shopify" / "connector.yaml")


def client(host: str = HOST, token: str = "shpat_test", connector: ConnectorSpec | None = None,
           sleep: Callable[[float], None] = lambda s: None) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="shop", conn_type="http", host=host, password=token)
    return ConnectorClient(connector or spec(), conn, sleep=sleep)


def publisher(run_id: str = "run-1", **over: Any) -> ShopifyInventoryPublisher:
    s = spec()
    assert s.stock_publisher is not None
    options = {k: over.pop(k) for k in ("quantity_name", "reason") if k in over}
    pub_spec = s.stock_publisher.model_copy(update={**over, "options": options})
    pub = create_publisher(pub_spec, client(), run_id=run_id)
    assert isinstance(pub, ShopifyInventoryPublisher)
    return pub


def change(item: int, quantity: int, expected: int | None, location: int = 61) -> ListingChange:
    return ListingChange(f"{item}:{location}", quantity, expected, inventory_item_id=str(item),
                         location_id=str(location))


def gq(item: int, quantity: int, compare: int | None, location: int = 61) -> dict[str, Any]:
    return {"inventoryItemId": f"gid://shopify/InventoryItem/{item}",
            "locationId": f"gid://shopify/Location/{location}", "quantity": quantity,
            "changeFromQuantity": compare}


def ok(quantities: list[dict[str, Any]]) -> dict[str, Any]:
    """A successful answer echoing what was set."""
    return {"data": {"inventorySetQuantities": {"userErrors": [], "inventoryAdjustmentGroup": {
        "id": "gid://shopify/InventoryAdjustmentGroup/1",
        "changes": [{"name": "available", "quantityAfterChange": q["quantity"],
                     "item": {"id": q["inventoryItemId"]}, "location": {"id": q["locationId"]}}
                    for q in quantities]}}}}


def user_errors(*errors: tuple[str, list[str]]) -> dict[str, Any]:
    return {"data": {"inventorySetQuantities": {"inventoryAdjustmentGroup": None, "userErrors": [
        {"code": code, "field": field, "message": f"{code} message"} for code, field in errors]}}}


def stale(position: int) -> tuple[str, list[str]]:
    return ("CHANGE_FROM_QUANTITY_STALE",
            ["input", "quantities", str(position), "changeFromQuantity"])


def levels(*figures: tuple[int, int]) -> dict[str, Any]:
    return {"data": {"nodes": [
        {"id": f"gid://shopify/InventoryLevel/61?inventory_item_id={item}",
         "quantities": [{"name": "available", "quantity": q}]} for item, q in figures]}}


class Recorder:
    """Answers GraphQL posts from a queue and keeps every request body."""

    def __init__(self, mock: responses.RequestsMock, *answers: Any) -> None:
        self.answers, self.bodies = list(answers), []
        mock.add_callback(responses.POST, URL, callback=self)

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        self.bodies.append(body)
        answer = self.answers.pop(0)
        if callable(answer):
            answer = answer(body)
        return 200, {}, json.dumps(answer)


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def test_registry_and_factory() -> None:
    assert (REGISTRY.get("stock_publisher", "shopify_inventory_set_quantities")
            is ShopifyInventoryPublisher)
    pub = publisher()
    assert pub.max_batch == 250 and pub.url == URL
    assert (pub.options.quantity_name, pub.options.reason) == ("available", "correction")
    typo = pub.spec.model_copy(update={"options": {"quantity": "on_hand"}})
    with pytest.raises(ConfigError, match="stock_publisher 'shopify_inventory_set_quantities': "
                                          "quantity: Extra inputs are not permitted"):
        create_publisher(typo, client(), run_id="r")
    bogus = StockPublisherSpec.model_construct(type="nope", path="/x", batch_size=1)
    with pytest.raises(ConfigError, match="unknown stock_publisher 'nope'"):
        create_publisher(bogus, client(), run_id="r")


def test_batches_of_250_with_exact_input(mock_http: responses.RequestsMock) -> None:
    changes = [change(1000 + i, i, None if i % 2 else i + 1) for i in range(300)]
    rec = Recorder(mock_http, lambda b: ok(b["variables"]["input"]["quantities"]),
                   lambda b: ok(b["variables"]["input"]["quantities"]))
    pub = publisher()
    outcomes = pub.push(changes)
    assert [len(b["variables"]["input"]["quantities"]) for b in rec.bodies] == [250, 50]
    first = rec.bodies[0]
    assert "inventorySetQuantities(input: $input) @idempotent(key: $key)" in first["query"]
    assert first["variables"]["input"] == {
        "name": "available", "reason": "correction",
        "referenceDocumentUri": "synchub://stock_sync/run-1",
        "quantities": [gq(1000 + i, i, None if i % 2 else i + 1) for i in range(250)]}
    # the compare value is an explicit null when the hub has never seen a figure
    assert "changeFromQuantity" in first["variables"]["input"]["quantities"][1]
    assert [(o.listing_id, o.status, o.channel_quantity) for o in outcomes] == [
        (f"{1000 + i}:61", "pushed", i) for i in range(300)]
    assert (pub.stats.write_calls, pub.stats.read_calls) == (2, 0)


def test_smaller_batch_size_and_quantity_name(mock_http: responses.RequestsMock) -> None:
    rec = Recorder(mock_http, *[lambda b: ok(b["variables"]["input"]["quantities"])] * 3)
    pub = publisher(batch_size=2, quantity_name="on_hand", reason="cycle_count_available")
    pub.push([change(i, 1, 0) for i in range(5)])
    assert [len(b["variables"]["input"]["quantities"]) for b in rec.bodies] == [2, 2, 1]
    assert {(b["variables"]["input"]["name"], b["variables"]["input"]["reason"])
            for b in rec.bodies} == {("on_hand", "cycle_count_available")}


def test_idempotency_key_is_stable_per_batch_and_differs_otherwise(
        mock_http: responses.RequestsMock) -> None:
    rec = Recorder(mock_http, *[lambda b: ok(b["variables"]["input"]["quantities"])] * 5)
    batch = [change(1, 5, 3), change(2, 0, None)]
    publisher("run-1").push(batch)
    publisher("run-1").push(list(reversed(batch)))    # same content, other order
    publisher("run-2").push(batch)                     # another run
    publisher("run-1").push([change(1, 6, 3), change(2, 0, None)])  # other quantity
    publisher("run-1").push([change(1, 5, 4), change(2, 0, None)])  # other compare value
    keys = [b["variables"]["key"] for b in rec.bodies]
    assert keys[0] == keys[1] and len(set(keys)) == 4
    assert all(len(k) == 64 for k in keys)


def test_a_retried_call_sends_the_same_key(mock_http: responses.RequestsMock) -> None:
    mock_http.add(responses.POST, URL, body=requests.ConnectTimeout("timed out"))
    rec = Recorder(mock_http, lambda b: ok(b["variables"]["input"]["quantities"]))
    pub = publisher()
    outcomes = pub.push([change(1, 5, 3)])
    assert outcomes[0].status == "pushed"
    sent = [json.loads(call.request.body) for call in mock_http.calls]
    assert len(sent) == 2 and sent[0] == sent[1] == rec.bodies[0]
    assert pub.client.stats.retries == 1 and pub.stats.write_calls == 1


def test_stale_compare_lowers_safely_and_never_raises(mock_http: responses.RequestsMock) -> None:
    batch = [change(1, 5, 10),    # channel now 12: higher than the target, lowered to 5
             change(2, 8, 3),     # channel now 6: lower (sold units), not raised
             change(3, 4, 4),     # not stale: sent again in the same round
             change(4, 9, 2)]     # channel now 9: already the target
    rec = Recorder(mock_http, user_errors(stale(0), stale(1), stale(3)),
                   levels((1, 12), (2, 6), (4, 9)),
                   lambda b: ok(b["variables"]["input"]["quantities"]))
    pub = publisher()
    outcomes = pub.push(batch)
    read, resend = rec.bodies[1], rec.bodies[2]
    assert "nodes(ids: $ids)" in read["query"]
    assert read["variables"] == {"ids": [
        f"gid://shopify/InventoryLevel/61?inventory_item_id={i}" for i in (1, 2, 4)],
        "names": ["available"]}
    assert resend["variables"]["input"]["quantities"] == [gq(1, 5, 12), gq(3, 4, 4)]
    assert resend["variables"]["key"] != rec.bodies[0]["variables"]["key"]
    assert [(o.status, o.channel_quantity) for o in outcomes] == [
        ("pushed", 5), ("conflict", 6), ("pushed", 4), ("unchanged", 9)]
    assert (pub.stats.write_calls, pub.stats.read_calls, pub.stats.conflicts,
            pub.stats.retried_batches) == (2, 1, 1, 1)


def test_conflict_rounds_are_bounded(mock_http: responses.RequestsMock) -> None:
    rec = Recorder(mock_http, user_errors(stale(0)), levels((1, 12)),
                   user_errors(stale(0)), levels((1, 15)))
    pub = publisher(max_conflict_rounds=1)
    outcomes = pub.push([change(1, 5, 10)])
    assert [b["variables"]["input"]["quantities"] for b in rec.bodies[::2]] == [
        [gq(1, 5, 10)], [gq(1, 5, 12)]]
    assert (outcomes[0].status, outcomes[0].channel_quantity) == ("conflict", 15)


def test_invalid_listing_fails_alone_and_the_rest_is_resent(
        mock_http: responses.RequestsMock) -> None:
    rec = Recorder(mock_http, user_errors(
        ("INVALID_INVENTORY_ITEM", ["input", "quantities", "1", "inventoryItemId"])),
        lambda b: ok(b["variables"]["input"]["quantities"]))
    outcomes = publisher().push([change(1, 5, 3), change(2, 6, 3), change(3, 7, 3)])
    assert rec.bodies[1]["variables"]["input"]["quantities"] == [gq(1, 5, 3), gq(3, 7, 3)]
    assert [o.status for o in outcomes] == ["pushed", "failed", "pushed"]
    assert outcomes[1].error == "INVALID_INVENTORY_ITEM: INVALID_INVENTORY_ITEM message"


def test_batch_wide_errors_raise(mock_http: responses.RequestsMock) -> None:
    Recorder(mock_http, user_errors(("INVALID_REASON", ["input", "reason"])))
    with pytest.raises(FatalAPIError, match="INVALID_REASON"):
        publisher().push([change(1, 5, 3)])


def test_listing_without_ids_fails_without_a_call() -> None:
    outcomes = publisher().push([ListingChange("not-a-listing", 1, None)])
    assert (outcomes[0].status, outcomes[0].error is not None) == ("failed", True)


# --- against the sandbox ------------------------------------------------------------------

def read_available(c: ConnectorClient) -> dict[str, dict[str, int]]:
    """Every level's quantities by listing id, through the connector's inventory stream."""
    out = {}
    for page in c.read("inventory_levels"):
        for item in page.records:
            item_id = item["id"].rsplit("/", 1)[1]
            for edge in item["inventoryLevels"]["edges"]:
                node = edge["node"]
                loc = node["location"]["id"].rsplit("/", 1)[1]
                out[f"{item_id}:{loc}"] = {q["name"]: q["quantity"] for q in node["quantities"]}
    return out


def sandbox_client(sb: Any, srv: Any, store: str = "demo", **kw: Any) -> ConnectorClient:
    return client(srv.shopify_url(store), sb.shopify(store).access_token, **kw)


def listing(item: dict[str, Any], level: dict[str, Any], quantity: int,
            expected: int | None) -> ListingChange:
    return change(item["_id"], quantity, expected, location=level["location"]["_id"])


def test_push_then_read_back_through_the_connector(sandbox: Any) -> None:
    sb, srv = sandbox
    sb.shopify("demo", orders=5, customers=2, products=12)
    with sandbox_client(sb, srv) as c:
        before = read_available(c)
        changes = [ListingChange(lid, q["available"] + 7 if n % 2 else max(0, q["available"] - 3),
                                 q["available"], inventory_item_id=lid.split(":")[0],
                                 location_id=lid.split(":")[1])
                   for n, (lid, q) in enumerate(sorted(before.items()))]
        pub = create_publisher(spec().stock_publisher, c, run_id="sbx-1")
        outcomes = pub.push(changes)
        assert {o.status for o in outcomes} == {"pushed"}
        after = read_available(c)
    assert {ch.listing_id: after[ch.listing_id]["available"] for ch in changes} == {
        ch.listing_id: ch.quantity for ch in changes}
    # available and on_hand moved together; committed stayed
    for ch in changes:
        old, new = before[ch.listing_id], after[ch.listing_id]
        assert new["on_hand"] - old["on_hand"] == new["available"] - old["available"]
        assert new["committed"] == old["committed"]
    assert pub.stats.write_calls == -(-len(changes) // 250)


def test_an_order_between_read_and_push_makes_the_compare_stale(sandbox: Any) -> None:
    sb, srv = sandbox
    shop = sb.shopify("demo", orders=5, customers=2, products=12)
    first_levels = [(v["inventoryItem"], v["inventoryItem"]["_levels"][0])
                    for p in shop.products for v in p["_variants"]
                    if v["inventoryItem"]["tracked"] and v["sku"]
                    and v["inventoryItem"]["_levels"][0]["_q"]["available"] >= 12]
    (item_a, level_a), (item_b, level_b) = first_levels[:2]
    with sandbox_client(sb, srv) as c:
        seen = read_available(c)
        a_seen = seen[f"{item_a['_id']}:{level_a['location']['_id']}"]["available"]
        b_seen = seen[f"{item_b['_id']}:{level_b['location']['_id']}"]["available"]
        # orders placed after the hub's read take 2 units of each
        for item in (item_a, item_b):
            shop.place_order([{"sku": item["sku"], "quantity": 2}])
        pub = create_publisher(spec().stock_publisher, c, run_id="sbx-2")
        outcomes = pub.push([listing(item_a, level_a, a_seen - 10, a_seen),   # lower: safe
                             listing(item_b, level_b, b_seen - 1, b_seen)])   # would raise
        after = read_available(c)
    assert [(o.status, o.channel_quantity) for o in outcomes] == [
        ("pushed", a_seen - 10), ("conflict", b_seen - 2)]
    assert after[outcomes[0].listing_id]["available"] == a_seen - 10
    assert after[outcomes[1].listing_id]["available"] == b_seen - 2   # the sale stands
    assert (pub.stats.write_calls, pub.stats.read_calls, pub.stats.conflicts) == (2, 1, 1)


def test_a_timed_out_write_retried_is_applied_once(sandbox: Any) -> None:
    sb, srv = sandbox
    shop = sb.shopify("demo", orders=5, customers=2, products=6)
    item = shop.products[0]["_variants"][0]["inventoryItem"]
    level = item["_levels"][0]
    seen = level["_q"]["available"]
    # the first attempt hangs past the client's timeout but is applied by the shop
    shop.faults(timeout_rate=1.0, hang_seconds=2.0)
    connector = spec()
    connector = connector.model_copy(update={
        "http": connector.http.model_copy(update={"timeout_seconds": 1.0})})

    def before_retry(_seconds: float) -> None:
        shop.faults()                       # the network recovers...
        deadline = time.monotonic() + 5
        while shop.adjustment_groups == 0 and time.monotonic() < deadline:
            time.sleep(0.02)                # ...after the shop applied the first attempt

    with sandbox_client(sb, srv, connector=connector, sleep=before_retry) as c:
        pub = create_publisher(spec().stock_publisher, c, run_id="sbx-3")
        outcomes = pub.push([listing(item, level, seen + 4, seen)])
        retries = c.stats.retries
    # the retry carried the same key: answered from the first result, not stale, not re-applied
    # (a loaded machine may time out a retry too: every one of them carries the same key)
    assert retries >= 1
    assert outcomes[0].status == "pushed" and level["_q"]["available"] == seen + 4
    assert shop.adjustment_groups == 1
    posts = [r for r in shop.requests if r.path.endswith("/graphql.json")]
    assert len(posts) == retries + 1
