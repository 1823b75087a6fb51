"""Magento writes on the wire (responses): MSI source items in batches with the refused
item found, the legacy stock item, tracking back as a shipment or as one more track."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import responses

from synchub.config.connector_checks import load_connector
from synchub.config.connector_writes import WriterSpec
from synchub.delivery.base import DeliveryItem
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.stock.publish import ListingChange, create_publisher
from synchub.systems.magento.tracking import MagentoShipWriter

ROOT = Path(__file__).resolve().parents[3]
SPEC = load_connector(ROOT / "connectors" / "magento" / "connector.yaml")
HOST = "https://shop.example.com"
API = f"{HOST}/rest/V1"


def client() -> ConnectorClient:
    return ConnectorClient(SPEC, ConnectionInfo(conn_id="m", host=HOST, password="tok"),
                           sleep=lambda _s: None)


def publisher(**options: Any) -> Any:
    s = SPEC.stock_publisher
    assert s is not None
    spec = s.model_copy(update={"batch_size": 2, "options": {**s.options, **options}})
    return create_publisher(spec, client(), run_id="run-1")


def change(sku: str, qty: int, source: str = "default") -> ListingChange:
    return ListingChange(f"{sku}:{source}", qty, None, sku=sku, location_id=source)


@responses.activate(assert_all_requests_are_fired=True)
def test_source_items_go_in_batches_with_status_from_quantity() -> None:
    url = f"{API}/inventory/source-items"
    responses.post(url, json=[], match=[responses.matchers.json_params_matcher({"sourceItems": [
        {"sku": "A", "source_code": "default", "quantity": 5, "status": 1},
        {"sku": "B", "source_code": "eu", "quantity": 0, "status": 0}]})])
    responses.post(url, json=[], match=[responses.matchers.json_params_matcher({"sourceItems": [
        {"sku": "C", "source_code": "default", "quantity": 2, "status": 1}]})])
    out = publisher().push([change("A", 5), change("B", 0, "eu"), change("C", 2)])
    assert [o.status for o in out] == ["pushed"] * 3


@responses.activate(assert_all_requests_are_fired=True)
def test_a_refused_batch_is_split_so_only_the_bad_item_fails() -> None:
    url = f"{API}/inventory/source-items"
    refusal = {"message": "Could not save Source Item",
               "parameters": [{"message": 'Product with SKU "X" does not exist.'}]}
    responses.post(url, status=400, json=refusal)                    # [A, X] together
    responses.post(url, json=[], match=[responses.matchers.json_params_matcher(
        {"sourceItems": [{"sku": "A", "source_code": "default", "quantity": 1, "status": 1}]})])
    responses.post(url, status=400, json=refusal)                    # X alone
    pub = publisher()
    out = pub.push([change("A", 1), change("X", 3)])
    assert [o.status for o in out] == ["pushed", "failed"]
    assert "Could not save Source Item" in (out[1].error or "")
    assert pub.stats.retried_batches == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_without_msi_the_legacy_stock_item_is_written() -> None:
    responses.put(f"{API}/products/A%2F1/stockItems/1", json=1,
                  match=[responses.matchers.json_params_matcher(
                      {"stockItem": {"qty": 4, "is_in_stock": True}})])
    out = publisher(msi=False).push([change("A/1", 4)])
    assert out[0].status == "pushed"


def writer() -> MagentoShipWriter:
    spec = SPEC.writers["tracking"]
    return MagentoShipWriter(WriterSpec(**spec.model_dump()), client(), sink="magento",
                             run_id="r1")


def item(order_id: str = "42", number: str = "1Z999", carrier: str = "ups") -> DeliveryItem:
    payload = {"order_id": order_id, "number": number, "carrier": carrier, "title": "UPS"}
    return DeliveryItem(delivery_id=1, route="tracking", entity="shipment", record_id="s1",
                        source_connection="erp", document={}, payload=payload,
                        idempotency_key="k")


SHIPMENTS = f"{API}/shipments"
FILTER = {"searchCriteria[filter_groups][0][filters][0][field]": "order_id",
          "searchCriteria[filter_groups][0][filters][0][value]": "42",
          "searchCriteria[filter_groups][0][filters][0][condition_type]": "eq"}


@responses.activate(assert_all_requests_are_fired=True)
def test_an_unshipped_order_is_shipped_with_the_track() -> None:
    responses.get(SHIPMENTS, json={"items": [], "total_count": 0},
                  match=[responses.matchers.query_param_matcher(FILTER)])
    responses.post(f"{API}/order/42/ship", json=7, match=[
        responses.matchers.json_params_matcher({"notify": True, "tracks": [
            {"track_number": "1Z999", "title": "UPS", "carrier_code": "ups"}]})])
    [result] = writer().write([item()])
    assert (result.outcome, result.remote_id) == ("delivered", "7")


@responses.activate(assert_all_requests_are_fired=True)
def test_a_number_already_on_a_shipment_is_skipped() -> None:
    responses.get(SHIPMENTS, json={"items": [{"entity_id": 7, "order_id": 42, "tracks": [
        {"track_number": "1Z999"}]}], "total_count": 1})
    [result] = writer().write([item()])
    assert (result.outcome, result.remote_id) == ("skipped", "7")


@responses.activate(assert_all_requests_are_fired=True)
def test_a_shipped_order_gets_one_more_track() -> None:
    responses.get(SHIPMENTS, json={"items": [{"entity_id": 7, "order_id": 42, "tracks": [
        {"track_number": "OLD"}]}], "total_count": 1})
    responses.post(f"{API}/shipment/track", json={"entity_id": 3})
    [result] = writer().write([item()])
    assert result.outcome == "delivered"
    sent = json.loads(responses.calls[1].request.body)["entity"]
    assert (sent["parent_id"], sent["order_id"], sent["track_number"]) == (7, 42, "1Z999")


@responses.activate(assert_all_requests_are_fired=True)
def test_a_refused_ship_fails_that_item_with_magentos_message() -> None:
    responses.get(SHIPMENTS, json={"items": [], "total_count": 0})
    responses.post(f"{API}/order/42/ship", status=400, json={
        "message": "The order does not allow a shipment to be created."})
    [result] = writer().write([item()])
    assert result.outcome == "failed"
    assert "does not allow a shipment" in (result.error or "")


def test_an_order_id_that_is_not_an_entity_id_fails_without_a_call() -> None:
    [result] = writer().write([item(order_id="000000042-A")])
    assert result.outcome == "failed" and "entity id" in (result.error or "")
