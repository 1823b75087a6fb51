"""The Salesforce connector's HTTP contract, with ``responses``: the JWT bearer token
request, data calls on the answer's instance_url, SOQL paging by nextRecordsUrl, the
collection upsert with a per-record failure in an HTTP 200, and error envelopes."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from synchub.config.connector_checks import load_connector
from synchub.delivery.base import DeliveryItem
from synchub.delivery.writers import writer_class
from synchub.errors import FatalAPIError
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.salesforce.assertion import b64url_decode

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_connector(ROOT / "connectors" / "salesforce" / "connector.yaml")
LOGIN = "https://login.salesforce.com"
INSTANCE = "https://acme.my.salesforce.com"
TOKEN = f"{LOGIN}/services/oauth2/token"
QUERY = f"{INSTANCE}/services/data/v62.0/query"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption()).decode()


def client() -> ConnectorClient:
    conn = ConnectionInfo(conn_id="crm", conn_type="http", host=LOGIN, login="int@acme.org",
                          extra={"client_id": "3MVG9abc", "private_key": PEM})
    return ConnectorClient(SPEC, conn, sleep=lambda _s: None)


def token_reply(rsps: responses.RequestsMock, access: str = "00Dxx!tok1") -> None:
    rsps.post(TOKEN, json={"access_token": access, "instance_url": INSTANCE,
                           "id": f"{LOGIN}/id/00Dxx/005xx", "token_type": "Bearer",
                           "issued_at": "1750000000000"})


def contact(n: int, stamp: str) -> dict[str, object]:
    return {"attributes": {"type": "Contact"}, "Id": f"003{n:015d}", "LastName": "Lee",
            "SystemModstamp": stamp}


def test_jwt_token_then_soql_pages_on_the_instance() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token_reply(rsps)
        rsps.get(QUERY, json={"totalSize": 3, "done": False,
                              "nextRecordsUrl": "/services/data/v62.0/query/01gxx-2000",
                              "records": [contact(1, "2025-03-01T10:00:00.000+0000"),
                                          contact(2, "2025-03-01T11:00:00.000+0000")]})
        last = contact(3, "2025-03-02T09:00:00.000+0000")
        rsps.get(f"{QUERY}/01gxx-2000", json={"totalSize": 3, "done": True, "records": [last]})
        with client() as c:
            pages = list(c.read("contacts", state={"cursor": "2025-03-01T00:00:00Z"}))
        form = parse_qs(rsps.calls[0].request.body)
        assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
        header, claims, _ = form["assertion"][0].split(".")
        assert json.loads(b64url_decode(header)) == {"alg": "RS256"}
        body = json.loads(b64url_decode(claims))
        assert (body["iss"], body["sub"], body["aud"]) == ("3MVG9abc", "int@acme.org", LOGIN)
        first = rsps.calls[1].request
        assert first.headers["Authorization"] == "Bearer 00Dxx!tok1"
        assert first.headers["Sforce-Query-Options"] == "batchSize=2000"
        q = parse_qs(first.url.split("?", 1)[1])["q"][0]
        assert q.startswith("SELECT Id, FirstName")
        assert q.endswith("FROM Contact WHERE SystemModstamp >= 2025-02-28T23:59:00Z "
                          "ORDER BY SystemModstamp ASC")
        assert "?" not in rsps.calls[2].request.url.split("/query/")[1]
    assert [len(p.records) for p in pages] == [2, 1]
    assert pages[-1].state == {"cursor": "2025-03-02T09:00:00Z"}


def test_invalid_session_fetches_a_new_token_and_sends_again() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token_reply(rsps, "00Dxx!old")
        rsps.get(QUERY, status=401, json=[{"message": "Session expired or invalid",
                                          "errorCode": "INVALID_SESSION_ID"}])
        token_reply(rsps, "00Dxx!new")
        rsps.get(QUERY, json={"totalSize": 0, "done": True, "records": []})
        with client() as c:
            list(c.read("contacts"))
        assert rsps.calls[3].request.headers["Authorization"] == "Bearer 00Dxx!new"


def test_refused_query_names_salesforce_error_code() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token_reply(rsps)
        rsps.get(QUERY, status=400, json=[{"message": "No such column 'Emial' on entity 'Contact'",
                                          "errorCode": "INVALID_FIELD"}])
        with client() as c, pytest.raises(FatalAPIError) as err:
            list(c.read("contacts"))
    assert "INVALID_FIELD: No such column 'Emial' on entity 'Contact'" in str(err.value)


def item(n: int, payload: dict[str, object]) -> DeliveryItem:
    return DeliveryItem(delivery_id=n, route="customers", entity="customer",
                        record_id=f"cust-{n}", source_connection="shop", document={},
                        payload=payload, idempotency_key=f"crm:customers:cust-{n}")


def test_upsert_collection_per_record_failure_in_a_200() -> None:
    url = f"{INSTANCE}/services/data/v62.0/composite/sobjects/Contact/Synchub_Id__c"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        token_reply(rsps)
        rsps.patch(url, json=[
            {"id": "003xx1", "success": True, "errors": [], "created": True},
            {"success": False, "errors": [{
                "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "message": "Email bad@example.invalid is not allowed", "fields": []}]},
            {"id": "003xx3", "success": True, "errors": [], "created": False}])
        with client() as c:
            writer = writer_class("salesforce_upsert")(SPEC.writers["customers"], c,
                                                       sink="crm", run_id="r1")
            results = writer.write([
                item(1, {"Synchub_Id__c": "h1", "LastName": "Lee", "Email": None}),
                item(2, {"Synchub_Id__c": "h2", "LastName": "Roe",
                         "Email": "bad@example.invalid"}),
                item(3, {"Synchub_Id__c": "h3", "LastName": "Poe"})])
        sent = json.loads(rsps.calls[1].request.body)
    assert sent["allOrNone"] is False
    assert sent["records"][0] == {"attributes": {"type": "Contact"}, "Synchub_Id__c": "h1",
                                  "LastName": "Lee"}
    assert [r.outcome for r in results] == ["delivered", "failed", "delivered"]
    assert [r.remote_id for r in results] == ["003xx1", None, "003xx3"]
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in (results[1].error or "")
    assert "bad@example.invalid" not in (results[1].error or "")
    assert writer.max_batch == 200


def test_record_without_external_id_fails_without_a_call() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True), client() as c:
        writer = writer_class("salesforce_upsert")(SPEC.writers["customers"], c,
                                                   sink="crm", run_id="r1")
        [result] = writer.write([item(1, {"LastName": "Lee"})])
    assert (result.outcome, result.error) == ("failed", "customer cust-1 has no Synchub_Id__c")
