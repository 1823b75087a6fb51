"""WooCommerce stock publisher: exact batch calls, per-item errors, the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from synchub.config.connector import ConnectorSpec
from synchub.config.connector_checks import load_connector
from synchub.registry import REGISTRY
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.stock.publish import (
    ListingChange,
    create_publisher,
)
from synchub.systems.woocommerce.stock import WooCommerceBatchPublisher

ROOT = Path(__file__).resolve().parents[2]
HOST = "https://shop.example.com"
API = f"{HOST}/wp-json/wc/v3"


def spec() -> ConnectorSpec:
    return load_connector(ROOT / "connectors" / "woocommerce" / "connector.yaml")


def client(host: str = HOST, login: str = "ck_test", secret: str = "cs_test") -> ConnectorClient:
    conn = ConnectionInfo(conn_id="woo", conn_type="http", host=host, login=login,
                          password=secret)
    return ConnectorClient(spec(), conn, sleep=lambda s: None)


def publisher(c: ConnectorClient | None = None, **over: Any) -> WooCommerceBatchPublisher:
    s = spec().stock_publisher
    assert s is not None
    pub = create_publisher(s.model_copy(update=over), c or client(), run_id="run-1")
    assert isinstance(pub, WooCommerceBatchPublisher)
    return pub


def simple(pid: int, quantity: int, expected: int | None = None) -> ListingChange:
    return ListingChange(f"{pid}:default", quantity, expected, product_id=str(pid))


def variation(vid: int, parent: int, quantity: int) -> ListingChange:
    return ListingChange(f"{vid}:default", quantity, None, product_id=str(vid),
                         parent_id=str(parent))


def echo(request: Any) -> tuple[int, dict[str, str], str]:
    """Answer a batch like WooCommerce: each updated object, in request order."""
    body = json.loads(request.body)
    return 200, {}, json.dumps({"update": [
        {"id": u["id"], "stock_quantity": u["stock_quantity"], "manage_stock": True,
         "date_modified_gmt": "2026-01-01T00:00:00"} for u in body["update"]]})


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def bodies(mock: responses.RequestsMock) -> list[tuple[str, Any]]:
    return [(c.request.url, json.loads(c.request.body)) for c in mock.calls]


def test_registry() -> None:
    assert REGISTRY.get("stock_publisher", "woocommerce_batch") is WooCommerceBatchPublisher
    assert publisher().max_batch == 100
    assert publisher(batch_size=500).max_batch == 100
    assert "compare-and-set" in (WooCommerceBatchPublisher.__doc__ or "")


def test_simple_products_in_batches_of_100(mock_http: responses.RequestsMock) -> None:
    mock_http.add_callback(responses.POST, f"{API}/products/batch", callback=echo)
    mock_http.add_callback(responses.POST, f"{API}/products/batch", callback=echo)
    pub = publisher()
    outcomes = pub.push([simple(1000 + i, i) for i in range(150)])
    sent = bodies(mock_http)
    assert [len(b["update"]) for _, b in sent] == [100, 50]
    assert sent[0][1] == {"update": [
        {"id": 1000 + i, "stock_quantity": i, "manage_stock": True} for i in range(100)]}
    assert [(o.listing_id, o.status, o.channel_quantity) for o in outcomes] == [
        (f"{1000 + i}:default", "pushed", i) for i in range(150)]
    assert (pub.stats.write_calls, pub.stats.read_calls) == (2, 0)


def test_variations_grouped_by_parent(mock_http: responses.RequestsMock) -> None:
    for path in ("/products/batch", "/products/7/variations/batch",
                 "/products/9/variations/batch"):
        mock_http.add_callback(responses.POST, API + path, callback=echo)
    changes = [variation(71, 7, 3), simple(5, 1), variation(91, 9, 0), variation(72, 7, 4)]
    outcomes = publisher().push(changes)
    assert sorted(bodies(mock_http)) == sorted([
        (f"{API}/products/7/variations/batch", {"update": [
            {"id": 71, "stock_quantity": 3, "manage_stock": True},
            {"id": 72, "stock_quantity": 4, "manage_stock": True}]}),
        (f"{API}/products/batch", {"update": [
            {"id": 5, "stock_quantity": 1, "manage_stock": True}]}),
        (f"{API}/products/9/variations/batch", {"update": [
            {"id": 91, "stock_quantity": 0, "manage_stock": True}]})])
    assert [(o.listing_id, o.status, o.channel_quantity) for o in outcomes] == [
        ("71:default", "pushed", 3), ("5:default", "pushed", 1), ("91:default", "pushed", 0),
        ("72:default", "pushed", 4)]


def test_per_item_error_fails_only_that_listing(mock_http: responses.RequestsMock) -> None:
    mock_http.post(f"{API}/products/batch", json={"update": [
        {"id": 1, "stock_quantity": 4, "manage_stock": True},
        {"id": 2, "error": {"code": "woocommerce_rest_product_invalid_id",
                            "message": "Invalid ID.", "data": {"status": 400}}},
        {"id": 3, "stock_quantity": 6, "manage_stock": True}]})
    outcomes = publisher().push([simple(1, 4), simple(2, 5), simple(3, 6)])
    assert [(o.status, o.channel_quantity, o.error) for o in outcomes] == [
        ("pushed", 4, None),
        ("failed", None, "Invalid ID. (woocommerce_rest_product_invalid_id)"),
        ("pushed", 6, None)]


def test_listing_without_a_numeric_id_fails_without_a_call() -> None:
    outcomes = publisher().push([ListingChange("abc:default", 1, None)])
    assert outcomes[0].status == "failed"


# --- against the sandbox ------------------------------------------------------------------

def sandbox_client(sb: Any, srv: Any) -> ConnectorClient:
    w = sb.woocommerce("demo")
    return client(srv.woocommerce_url("demo"), w.consumer_key, w.consumer_secret)


def stock_listings(c: ConnectorClient, state: dict[str, Any] | None = None
                   ) -> dict[str, tuple[int | None, str | None]]:
    """Managed stock by listing id (with the parent of variations), through the streams."""
    out: dict[str, tuple[int | None, str | None]] = {}
    for page in c.read("products", state=state):
        for p in page.records:
            if p["manage_stock"] is True:
                out[f"{p['id']}:default"] = (p["stock_quantity"], None)
    for page in c.read("product_variations", state=state):
        for v in page.records:
            if v["manage_stock"] is True:
                out[f"{v['id']}:default"] = (v["stock_quantity"], str(v["_parent"]["id"]))
    return out


def test_push_then_read_back_through_the_connector(sandbox: Any) -> None:
    sb, srv = sandbox
    woo = sb.woocommerce("demo", orders=5, customers=2, products=25)
    with sandbox_client(sb, srv) as c:
        first = stock_listings(c)
        cursor = {"cursor": max(p["date_modified_gmt"] for p in woo.products)}
        picked = sorted(first.items())[::2]
        assert any(parent for _, (_, parent) in picked)
        changes = [ListingChange(lid, (q or 0) + 5, q, product_id=lid.split(":")[0],
                                 parent_id=parent) for lid, (q, parent) in picked]
        changes.append(simple(999_999, 3))
        pub = publisher(c)
        outcomes = pub.push(changes)
        after = stock_listings(c)
        # the writes bump date_modified: an incremental read from before the push finds them
        changed = stock_listings(c, state=cursor)
    assert [o.status for o in outcomes] == ["pushed"] * (len(changes) - 1) + ["failed"]
    assert "Invalid ID." in (outcomes[-1].error or "")
    expected = {lid: q for lid, (q, _) in first.items()}
    expected.update({ch.listing_id: ch.quantity for ch in changes[:-1]})
    assert {lid: q for lid, (q, _) in after.items()} == expected
    assert {ch.listing_id for ch in changes[:-1]} <= set(changed)
    parents = {parent for _, (_, parent) in picked if parent}
    # one products/batch call (with the unknown id) and one per parent of a variation
    assert pub.stats.write_calls == 1 + len(parents)


@pytest.mark.parametrize(("changes", "minimum"), [
    ([simple(n, 1) for n in range(100)], 1),
    ([simple(n, 1) for n in range(101)], 2),
    ([variation(n, 7, 1) for n in range(3)] + [variation(n, 8, 1) for n in range(10, 12)], 2),
    ([simple(1, 1)] + [variation(n, 7, 1) for n in range(150)], 3),
    ([], 0),
])
def test_minimum_calls_count_batches_per_endpoint(changes: list[ListingChange],
                                                  minimum: int) -> None:
    assert publisher().minimum_calls(changes) == minimum
