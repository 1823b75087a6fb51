"""Amazon FBM stock publisher: one patchListingsItem per SKU, refusals alone, the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from synchub.config.connector import ConnectorSpec, HeaderRateSpec
from synchub.config.connector_checks import load_connector
from synchub.errors import ConfigError
from synchub.registry import REGISTRY
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.stock.publish import ListingChange, create_publisher
from synchub.systems.amazon.stock import AmazonListingsPublisher

ROOT = Path(__file__).resolve().parents[2]
HOST = "https://sellingpartnerapi-eu.amazon.com"
SELLER, MARKET = "A2SELLER", "A1PA6795UKMFR9"
ITEMS = f"{HOST}/listings/2021-08-01/items/{SELLER}"
TOKEN_URL = "https://api.amazon.com/auth/o2/token"


def spec() -> ConnectorSpec:
    return load_connector(ROOT / "connectors" / "amazon" / "connector.yaml")


def client(host: str = HOST, **extra: Any) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="amazon", conn_type="http", host=host, login="cid",
                          password="csecret",
                          extra={"refresh_token": "Atzr|r", "seller_id": SELLER,
                                 "marketplace_id": MARKET, **extra})
    return ConnectorClient(spec(), conn, sleep=lambda s: None)


def publisher(c: ConnectorClient | None = None, **options: Any) -> AmazonListingsPublisher:
    s = spec().stock_publisher
    assert s is not None
    if options:
        s = s.model_copy(update={"options": {**s.options, **options}})
    pub = create_publisher(s, c or client(), run_id="run-1")
    assert isinstance(pub, AmazonListingsPublisher)
    return pub


def change(sku: str, quantity: int, marketplace: str | None = None) -> ListingChange:
    return ListingChange(sku, quantity, None, sku=sku, location_id=marketplace)


def accepted(request: Any) -> tuple[int, dict[str, str], str]:
    sku = request.url.split("?")[0].rsplit("/", 1)[-1]
    return 200, {"x-amzn-RateLimit-Limit": "5"}, json.dumps(
        {"sku": sku, "status": "ACCEPTED", "submissionId": "f1dc2914", "issues": []})


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(TOKEN_URL, json={"access_token": "Atza|a", "token_type": "bearer",
                                   "expires_in": 3600})
        yield mock


def patches(mock: responses.RequestsMock) -> list[tuple[str, Any]]:
    return [(str(c.request.url), json.loads(c.request.body or b"")) for c in mock.calls
            if c.request.method == "PATCH"]


def body(quantity: int, op: str = "replace", product_type: str = "PRODUCT") -> dict[str, Any]:
    return {"productType": product_type, "patches": [{
        "op": op, "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}]}]}


def test_registry_and_yaml() -> None:
    assert REGISTRY.get("stock_publisher", "amazon_listings") is AmazonListingsPublisher
    pub = publisher()
    assert (pub.max_batch, pub.options.product_type, pub.options.op) == (1, "PRODUCT", "replace")
    assert any(isinstance(lim, HeaderRateSpec) and lim.operation == "patchListingsItem"
               and (lim.rate_per_second, lim.burst) == (5, 5)
               for lim in spec().http.rate_limits())


def test_one_patch_per_sku_with_the_exact_body(mock_http: responses.RequestsMock) -> None:
    for sku in ("SKU%2F1", "B-2", "C-3"):
        mock_http.add_callback(responses.PATCH, f"{ITEMS}/{sku}", callback=accepted)
    pub = publisher()
    changes = [change("SKU/1", 4), change("B-2", 0), change("C-3", 12)]
    outcomes = pub.push(changes)
    assert patches(mock_http) == [
        (f"{ITEMS}/SKU%2F1?marketplaceIds={MARKET}", body(4)),
        (f"{ITEMS}/B-2?marketplaceIds={MARKET}", body(0)),
        (f"{ITEMS}/C-3?marketplaceIds={MARKET}", body(12))]
    assert [(o.listing_id, o.status, o.channel_quantity) for o in outcomes] == [
        ("SKU/1", "pushed", 4), ("B-2", "pushed", 0), ("C-3", "pushed", 12)]
    assert pub.stats.write_calls == pub.minimum_calls(changes) == 3
    token = next(c for c in mock_http.calls if c.request.method == "PATCH").request
    assert token.headers["x-amz-access-token"] == "Atza|a"


def test_changes_of_one_sku_are_coalesced_to_the_last(mock_http: responses.RequestsMock
                                                      ) -> None:
    mock_http.add_callback(responses.PATCH, f"{ITEMS}/A-1", callback=accepted)
    mock_http.add_callback(responses.PATCH, f"{ITEMS}/A-1", callback=accepted)
    pub = publisher(op="merge", product_types={"A-1": "SHIRT"})
    changes = [change("A-1", 5), change("A-1", 3), change("A-1", 7, "A13V1IB3VIYZZH")]
    outcomes = pub.push(changes)
    assert patches(mock_http) == [
        (f"{ITEMS}/A-1?marketplaceIds={MARKET}", body(3, "merge", "SHIRT")),
        (f"{ITEMS}/A-1?marketplaceIds=A13V1IB3VIYZZH", body(7, "merge", "SHIRT"))]
    assert [o.status for o in outcomes] == ["pushed"] * 3
    assert pub.stats.write_calls == pub.minimum_calls(changes) == 2


def test_the_product_type_read_with_the_listing_is_sent_unless_the_options_name_one(
        mock_http: responses.RequestsMock) -> None:
    # the listings stream keeps a listing's productType in inventory_item_external_id
    for sku in ("A-1", "B-2", "C-3"):
        mock_http.add_callback(responses.PATCH, f"{ITEMS}/{sku}", callback=accepted)
    pub = publisher(product_types={"B-2": "SHIRT"})
    typed = [ListingChange("A-1", 5, None, sku="A-1", inventory_item_id="LUGGAGE"),
             ListingChange("B-2", 6, None, sku="B-2", inventory_item_id="LUGGAGE"),
             change("C-3", 7)]
    pub.push(typed)
    assert [b["productType"] for _, b in patches(mock_http)] == ["LUGGAGE", "SHIRT", "PRODUCT"]


def test_an_fba_location_is_never_patched_and_fails_by_name(mock_http: responses.RequestsMock
                                                            ) -> None:
    # FBA stock left out of the self-fulfilled master's locations would look like a listing
    mock_http.add_callback(responses.PATCH, f"{ITEMS}/B-2", callback=accepted)
    pub = publisher()
    changes = [change("A-1", 5, "AMAZON_FBA:A1PA6795UKMFR9"), change("B-2", 1)]
    outcomes = pub.push(changes)
    assert [u for u, _ in patches(mock_http)] == [f"{ITEMS}/B-2?marketplaceIds={MARKET}"]
    assert [(o.status, o.error and "self_fulfilled" in o.error) for o in outcomes] == [
        ("failed", True), ("pushed", None)]
    assert pub.stats.write_calls == pub.minimum_calls(changes) == 1


def test_refused_listings_fail_alone_with_amazons_message(mock_http: responses.RequestsMock
                                                          ) -> None:
    mock_http.patch(f"{ITEMS}/BAD-TYPE", json={
        "sku": "BAD-TYPE", "status": "INVALID", "submissionId": "x1", "issues": [
            {"code": "4000003", "message": "The product type PRODUCT is not valid here.",
             "severity": "ERROR", "attributeNames": ["fulfillment_availability"]},
            {"code": "18027", "message": "just a warning", "severity": "WARNING"}]})
    mock_http.patch(f"{ITEMS}/GONE", status=404, json={"errors": [
        {"code": "NotFound", "message": "The requested listings item was not found.",
         "details": "sku: GONE"}]})
    mock_http.patch(f"{ITEMS}/ODD", status=400, json={"errors": [
        {"code": "InvalidInput", "message": "Request has missing or invalid parameters."}]})
    mock_http.add_callback(responses.PATCH, f"{ITEMS}/OK-1", callback=accepted)
    outcomes = publisher().push([change("BAD-TYPE", 1), change("GONE", 2), change("ODD", 3),
                                 change("OK-1", 4)])
    assert [(o.status, o.error) for o in outcomes] == [
        ("failed", "INVALID: 4000003: The product type PRODUCT is not valid here."),
        ("failed", "HTTP 404: NotFound: The requested listings item was not found."),
        ("failed", "HTTP 400: InvalidInput: Request has missing or invalid parameters."),
        ("pushed", None)]


def test_no_marketplace_is_a_config_error_naming_the_field() -> None:
    c = client(marketplace_id="")
    with pytest.raises(ConfigError, match=r"extra\.marketplace_id"):
        publisher(c).push([change("A", 1)])


# --- against the sandbox ------------------------------------------------------------------

def test_patches_reach_the_simulator() -> None:
    sandbox = Sandbox(seed=7)
    account: Any = sandbox.store("amazon", "demo", orders=0)
    account.refuse("SKU-003", "8560", "SKU SKU-003 is not eligible for merchant fulfilment.")
    with SandboxServer(sandbox) as server:
        base = server.url("amazon", account.name)
        conn = ConnectionInfo(conn_id="amazon", conn_type="http", host=base,
                              login=account.client_id, password=account.client_secret,
                              extra={"refresh_token": account.refresh_token,
                                     "token_url": f"{base}/auth/o2/token",
                                     "seller_id": account.seller_id,
                                     "marketplace_id": MARKET})
        with ConnectorClient(spec(), conn) as c:
            pub = publisher(c)
            outcomes = pub.push([change("SKU-001", 9), change("SKU-002", 0),
                                 change("SKU-003", 5), change("NOPE", 1),
                                 change("SKU-004", 2)])
            wrong_type = publisher(c, product_types={"SKU-005": "SHOES"}).push(
                [change("SKU-005", 1)])
    assert [o.status for o in outcomes] == ["pushed", "pushed", "failed", "failed", "pushed"]
    assert "8560: SKU SKU-003 is not eligible" in (outcomes[2].error or "")
    assert "NotFound" in (outcomes[3].error or "")
    assert wrong_type[0].status == "failed" and "SHOES" in (wrong_type[0].error or "")
    assert [account.quantity(s) for s in ("SKU-001", "SKU-002", "SKU-003", "SKU-004",
                                          "SKU-005")] == [9, 0, 0, 2, 0]
    assert pub.stats.write_calls == 5
    # paced by the usage plan (5 a second, burst 5); a 429 at the edge is retried
    answered = [r for r in account.requests if r.method == "PATCH" and r.status != 429]
    assert len(answered) == 6
