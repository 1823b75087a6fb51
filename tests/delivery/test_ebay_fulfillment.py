"""eBay tracking write-back contract: per shipment the fulfillments are read first (a known
tracking number writes nothing), then the order for its line item ids, then one POST with
the exact body eBay documents; refusals fail the shipment alone with eBay's message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers

from synchub.config.connector_checks import load_connector
from synchub.delivery.base import DeliveryItem
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.ebay.fulfillment import EbayShippingFulfillmentWriter

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_connector(ROOT / "connectors" / "ebay" / "connector.yaml")
HOST = "https://api.ebay.com"
ORDER = f"{HOST}/sell/fulfillment/v1/order/03-12876-40562"
TOKEN_URL = "https://api.ebay.com/identity/v1/oauth2/token"
FIXTURE = json.loads((ROOT / "tests/mapping/fixtures/ebay/orders.json").read_text("utf-8"))


def writer() -> EbayShippingFulfillmentWriter:
    conn = ConnectionInfo(conn_id="ebay", conn_type="http", host=HOST, login="cid",
                          password="secret", extra={"refresh_token": "v^1.1#r"})
    route = SPEC.writers["tracking"]
    return EbayShippingFulfillmentWriter(route, ConnectorClient(SPEC, conn,
                                                                sleep=lambda _s: None),
                                         sink="ebay", run_id="r1")


def item(payload: dict[str, Any]) -> DeliveryItem:
    return DeliveryItem(delivery_id=1, route="tracking", entity="shipment", record_id="shp-1",
                        source_connection="odoo", document={}, payload=payload,
                        idempotency_key="k1")


PAYLOAD = {"order_id": "03-12876-40562", "trackingNumber": "00340434161094000001",
           "shippingCarrierCode": "DHL", "shipped_at": "2026-03-02T10:00:00.5Z",
           "lines": [{"sku": "SKU-00003-1", "quantity": 2}]}


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(TOKEN_URL, json={"access_token": "tok", "expires_in": 7200})
        yield mock


def test_a_new_tracking_number_is_posted_with_the_documented_body(
        mock_http: responses.RequestsMock) -> None:
    mock_http.get(f"{ORDER}/shipping_fulfillment", json={"total": 0, "fulfillments": []})
    mock_http.get(ORDER, json=FIXTURE["orders"][1])
    mock_http.post(f"{ORDER}/shipping_fulfillment", status=201, body="{}",
                   headers={"Location": f"{ORDER}/shipping_fulfillment/00340434161094000001"},
                   match=[matchers.json_params_matcher({
                       "lineItems": [{"lineItemId": "10041524917020", "quantity": 2}],
                       "shippedDate": "2026-03-02T10:00:00.500Z",
                       "shippingCarrierCode": "DHL",
                       "trackingNumber": "00340434161094000001"}),
                       matchers.header_matcher({"Authorization": "Bearer tok"})])
    (result,) = writer().write([item(PAYLOAD)])
    assert (result.outcome, result.remote_id) == ("delivered", "00340434161094000001")


def test_a_known_tracking_number_writes_nothing(mock_http: responses.RequestsMock) -> None:
    mock_http.get(f"{ORDER}/shipping_fulfillment", json={"total": 1, "fulfillments": [
        {"fulfillmentId": "F-1", "shipmentTrackingNumber": "00340434161094000001",
         "shippingCarrierCode": "DHL", "lineItems": []}]})
    (result,) = writer().write([item(PAYLOAD)])
    assert (result.outcome, result.remote_id) == ("skipped", "F-1")


def test_a_refusal_fails_the_shipment_with_ebays_message(
        mock_http: responses.RequestsMock) -> None:
    mock_http.get(f"{ORDER}/shipping_fulfillment", json={"total": 0, "fulfillments": []})
    mock_http.get(ORDER, json=FIXTURE["orders"][1])
    mock_http.post(f"{ORDER}/shipping_fulfillment", status=400, json={"errors": [
        {"errorId": 34100, "domain": "API_FULFILLMENT", "category": "REQUEST",
         "message": "Invalid shippingCarrierCode."}]})
    (result,) = writer().write([item(PAYLOAD)])
    assert result.outcome == "failed"
    assert "HTTP 400" in (result.error or "") and "Invalid shippingCarrierCode" in (
        result.error or "")
