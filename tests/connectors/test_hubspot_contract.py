"""HubSpot contract: the contacts stream's requests, and the batch upsert the writer sends."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import responses
import yaml
from responses import matchers

from synchub.canonical import Customer, SourceRef
from synchub.canonical.common import Address
from synchub.config.connector import ConnectorSpec
from synchub.delivery.base import DeliveryItem
from synchub.delivery.writers import writer_class
from synchub.errors import FatalAPIError
from synchub.mapping import MappingContext, load_mapping
from synchub.mapping.export import load_export_mapping
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.schemas import entity_schema

from .conftest import ROOT, connector, fixture

HOST = "https://api.hubapi.com"
TOKEN = "pat-na1-contract-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONTACTS = f"{HOST}/crm/v3/objects/contacts"
UPSERT = f"{CONTACTS}/batch/upsert"
PROPERTIES = ("email,firstname,lastname,phone,address,city,state,zip,country,company,"
              "lifecyclestage,createdate,lastmodifieddate")
LIST = {"archived": "false", "properties": PROPERTIES, "limit": "100"}
CTX = MappingContext(connection="crm", system="hubspot")


def client() -> ConnectorClient:
    conn = ConnectionInfo(conn_id="crm", conn_type="http", host=HOST, password=TOKEN)
    return ConnectorClient(connector("hubspot"), conn, sleep=lambda s: None)


def items(*emails: str) -> list[DeliveryItem]:
    """Delivery items 11, 12, ... for customers with these emails, mapped for HubSpot."""
    export = load_export_mapping(ROOT / "mappings" / "hubspot" / "customers.export.yaml")
    out = []
    for n, email in enumerate(emails, start=11):
        c = Customer(source=SourceRef(connection="shop", system="shopify", external_id=str(n)),
                     external_id=str(n), email=email, first_name="Ann",
                     default_address=Address(line1="Main St 1", city="Berlin",
                                             country_code="DE"))
        doc = c.to_json_dict()
        out.append(DeliveryItem(delivery_id=n, route="customers", entity="customer",
                                record_id=c.id, source_connection="shop", document=doc,
                                payload=export.apply(doc, CTX), idempotency_key=f"k{n}"))
    return out


def upsert_input(item: DeliveryItem) -> dict[str, Any]:
    """The exact input the writer sends for one item."""
    email = item.document["email"]
    return {"idProperty": "email", "id": email, "objectWriteTraceId": str(item.delivery_id),
            "properties": {"email": email, "firstname": "Ann", "address": "Main St 1",
                           "city": "Berlin", "country": "DE", "synchub_id": item.record_id,
                           "synchub_source": "shop"}}


def writer() -> Any:
    spec = connector("hubspot")
    return writer_class("hubspot_batch_upsert")(spec.writers["customers"], client(),
                                                sink="crm", run_id="r1")


def test_connector_declares_contacts_and_the_customers_writer() -> None:
    spec = connector("hubspot")
    assert {n: s.mappings for n, s in spec.streams.items()} == {"contacts": ["contacts"]}
    w = spec.writers["customers"]
    assert (w.type, w.entity, w.mapping, w.batch_size, w.options) == (
        "hubspot_batch_upsert", "customer", "customers", 100, {"id_property": "email"})
    schema = ConnectorSpec.model_json_schema(mode="validation")
    data = yaml.safe_load((ROOT / "connectors" / "hubspot" / "connector.yaml").read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == []


def test_contacts_two_pages_by_after_cursor(mock_http: responses.RequestsMock) -> None:
    mock_http.get(CONTACTS, json=fixture("hubspot", "contacts_page1"),
                  match=[matchers.query_param_matcher(LIST), matchers.header_matcher(AUTH)])
    mock_http.get(CONTACTS, json=fixture("hubspot", "contacts_page2"),
                  match=[matchers.query_param_matcher({**LIST, "after": "153"}),
                         matchers.header_matcher(AUTH)])
    pages = list(client().read("contacts"))
    assert [[r["id"] for r in p.records] for p in pages] == [["151", "152"], ["153"]]


def test_wrong_token_fails_with_hubspot_message(mock_http: responses.RequestsMock) -> None:
    mock_http.get(CONTACTS, status=401, json={
        "status": "error", "message": "Authentication credentials not found.",
        "correlationId": "9a1f0c4e-0000-4000-8000-000000000001",
        "category": "INVALID_AUTHENTICATION"})
    with pytest.raises(FatalAPIError, match="HTTP 401: Authentication credentials not found"):
        list(client().read("contacts"))


def test_contacts_map_to_valid_customers() -> None:
    mapping = load_mapping(ROOT / "mappings" / "hubspot" / "contacts.yaml")
    records = [rec.to_json_dict() for page in ("contacts_page1", "contacts_page2")
               for raw in mapping.unwrap(fixture("hubspot", page))
               for rec in mapping.apply(raw, CTX)]
    validator = jsonschema.Draft202012Validator(entity_schema("customer"))
    assert all(list(validator.iter_errors(r)) == [] for r in records)
    by_id = {r["external_id"]: r for r in records}
    assert by_id["151"]["default_address"] == {
        "name": "Mara Kovac", "company": "Kovac GmbH", "line1": "Torstrasse 12", "line2": None,
        "city": "Berlin", "province": None, "province_code": None, "postal_code": "10119",
        "country_code": "DE", "phone": None}
    assert (by_id["151"]["updated_at"], by_id["151"]["tags"]) == (
        "2025-03-01T10:00:41.907000Z", ["customer"])
    assert by_id["152"]["default_address"] is None and by_id["152"]["first_name"] is None


def test_one_batch_exact_body_and_207_results_matched_per_input(
        mock_http: responses.RequestsMock) -> None:
    batch = items("Ann@Example.com", "bo@example.com", "bad@@example")
    mock_http.post(UPSERT, status=207, json=fixture("hubspot", "upsert_207"), match=[
        matchers.json_params_matcher({"inputs": [upsert_input(i) for i in batch]}),
        matchers.header_matcher(AUTH)])
    results = writer().write(batch)
    assert [(r.delivery_id, r.outcome, r.remote_id) for r in results] == [
        (11, "delivered", "512"), (12, "delivered", "640"), (13, "failed", None)]
    error = results[2].error or ""
    assert error.startswith(f"HubSpot refused customer {batch[2].record_id}: VALIDATION_ERROR")
    assert "INVALID_EMAIL" in error and "bad@@example" not in error


def test_a_batch_refused_whole_is_halved_until_the_bad_input_is_alone(
        mock_http: responses.RequestsMock) -> None:
    batch = items("good@example.com", "x@y")
    refused = {"status": "error", "category": "VALIDATION_ERROR",
               "correlationId": "9a1f0c4e-0000-4000-8000-000000000002",
               "message": "Property values were not valid: Email address x@y is invalid"}
    mock_http.post(UPSERT, status=400, json=refused, match=[matchers.json_params_matcher(
        {"inputs": [upsert_input(i) for i in batch]})])
    mock_http.post(UPSERT, json={"status": "COMPLETE", "results": [
        {"id": "7", "properties": {"email": "good@example.com"}, "objectWriteTraceId": "11"}]},
        match=[matchers.json_params_matcher({"inputs": [upsert_input(batch[0])]})])
    mock_http.post(UPSERT, status=400, json=refused, match=[matchers.json_params_matcher(
        {"inputs": [upsert_input(batch[1])]})])
    results = writer().write(batch)
    assert [(r.outcome, r.remote_id) for r in results] == [("delivered", "7"), ("failed", None)]
    assert results[1].error == (f"HubSpot refused customer {batch[1].record_id}: HTTP 400: "
                                "VALIDATION_ERROR: Property values were not valid: "
                                "Email address <email> is invalid")
