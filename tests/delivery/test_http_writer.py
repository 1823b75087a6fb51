"""The generic ``http`` writer: a REST write-back declared in YAML, against exact requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from responses import matchers

from synchub.config.connector_checks import connector_model
from synchub.delivery.base import DeliveryItem
from synchub.delivery.writers import writer_class
from synchub.errors import ConfigError
from synchub.runtime import ConnectionInfo, ConnectorClient

HOST = "https://erp.example.com"


def writer(options: dict[str, Any], *, path: str = "/api/items", batch_size: int = 1) -> Any:
    spec = connector_model().model_validate({
        "system": "erp", "title": "ERP", "auth": {"type": "bearer"},
        "http": {"max_retries": 1, "backoff": {"initial_seconds": 0, "max_seconds": 0}},
        "streams": {"items": {"path": "/api/items", "record_selector": "items"}},
        "writers": {"items": {"type": "http", "entity": "product", "path": path,
                              "batch_size": batch_size, "options": options}}})
    conn = ConnectionInfo(conn_id="erp", conn_type="http", host=HOST, password="tok-1234")
    client = ConnectorClient(spec, conn, sleep=lambda s: None)
    return writer_class("http")(spec.writers["items"], client, sink="erp", run_id="r1")


def item(n: int, *, remote: str | None = None, sku: str | None = "SKU-1") -> DeliveryItem:
    doc = {"id": f"p{n}", "sku": sku, "title": f"Item {n}"}
    return DeliveryItem(delivery_id=n, route="items", entity="product", record_id=f"p{n}",
                        source_connection="shop", document=doc,
                        payload={"code": sku, "name": f"Item {n}"},
                        idempotency_key=f"erp:items:p{n}:v1", remote_id=remote)


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def test_create_sends_the_payload_with_the_idempotency_key_and_reads_the_id(
        mock_http: responses.RequestsMock) -> None:
    w = writer({"idempotency_header": "Idempotency-Key", "id_path": "data.id"})
    mock_http.post(f"{HOST}/api/items", status=201, json={"data": {"id": 77}}, match=[
        matchers.json_params_matcher({"code": "SKU-1", "name": "Item 1"}),
        matchers.header_matcher({"Idempotency-Key": "erp:items:p1:v1",
                                 "Authorization": "Bearer tok-1234"})])
    (result,) = w.write([item(1)])
    assert (result.outcome, result.remote_id) == ("delivered", "77")


def test_update_goes_to_the_remote_id_and_without_update_a_known_record_is_skipped(
        mock_http: responses.RequestsMock) -> None:
    w = writer({"update": {"method": "PATCH", "path": "/api/items/{remote_id}"}})
    mock_http.patch(f"{HOST}/api/items/77", json={"ok": True},
                    match=[matchers.json_params_matcher({"code": "SKU-1", "name": "Item 1"})])
    assert [(r.outcome, r.remote_id) for r in w.write([item(1, remote="77")])] == [
        ("delivered", "77")]
    plain = writer({})
    assert [(r.outcome, r.remote_id) for r in plain.write([item(2, remote="78")])] == [
        ("skipped", "78")]


def test_a_record_without_a_required_field_is_skipped_and_says_why() -> None:
    (result,) = writer({"require": ["sku"]}).write([item(1, sku=None)])
    assert result.outcome == "skipped" and result.error == "product p1 has no sku"


def test_refusals_exists_is_skipped_other_codes_fail_with_the_vendor_message(
        mock_http: responses.RequestsMock) -> None:
    w = writer({"code_path": "error.code", "message_path": "error.message",
                "exists": {"status": [409], "codes": ["DUPLICATE"], "id_path": "error.id"}})
    mock_http.post(f"{HOST}/api/items", status=409,
                   json={"error": {"code": "DUPLICATE", "id": "55", "message": "exists"}})
    mock_http.post(f"{HOST}/api/items", status=422,
                   json={"error": {"code": "BAD_SKU", "message": "sku is not valid"}})
    first, second = w.write([item(1)]), w.write([item(2)])
    assert (first[0].outcome, first[0].remote_id) == ("skipped", "55")
    assert second[0].outcome == "failed"
    assert "HTTP 422" in (second[0].error or "")
    assert "code BAD_SKU: sku is not valid" in (second[0].error or "")


def test_a_timeout_of_a_create_without_key_is_not_resent_blindly(
        mock_http: responses.RequestsMock) -> None:
    w = writer({})
    mock_http.post(f"{HOST}/api/items", status=503)   # one call: sent once, retried later
    (result,) = w.write([item(1)])
    assert result.outcome == "retry" and len(mock_http.calls) == 1


def test_a_batch_goes_in_one_call_and_items_are_answered_one_by_one(
        mock_http: responses.RequestsMock) -> None:
    w = writer({"batch_key": "items", "results_path": "results", "id_path": "id",
                "error_path": "error", "require": ["sku"]}, batch_size=10)
    answer = {"results": [{"id": 1}, {"error": "duplicate code"}, {"id": 3}]}
    mock_http.post(f"{HOST}/api/items", json=answer, match=[matchers.json_params_matcher(
        {"items": [item(n).payload for n in (1, 2, 3)]})])
    results = w.write([item(1), item(2), item(9, sku=""), item(3)])
    assert [(r.delivery_id, r.outcome, r.remote_id) for r in results] == [
        (1, "delivered", "1"), (2, "failed", None), (9, "skipped", None),
        (3, "delivered", "3")]
    assert "duplicate code" in (results[1].error or "")
    assert json.loads(mock_http.calls[0].request.body or "{}")["items"][2]["name"] == "Item 3"


def test_a_batch_refused_as_a_whole_fails_every_item(mock_http: responses.RequestsMock) -> None:
    w = writer({}, batch_size=5)
    mock_http.post(f"{HOST}/api/items", status=400, json={"message": "bad batch"})
    assert [r.outcome for r in w.write([item(1), item(2)])] == ["failed", "failed"]


@pytest.mark.parametrize(("options", "message"), [
    ({"exists": {"codes": [1]}}, "exists.codes needs code_path"),
    ({"id_path": "data[?"}, "invalid JMESPath"),
    ({"methd": "POST"}, "Extra inputs are not permitted"),
])
def test_bad_options_are_config_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises((ConfigError, ValueError), match=message):
        writer(options)


def test_a_path_placeholder_without_a_value_names_it(mock_http: responses.RequestsMock) -> None:
    w = writer({}, path="/api/groups/{document.group}/items")
    (result,) = w.write([item(1)])
    assert result.outcome == "failed" and "no value for {document.group}" in (result.error or "")
