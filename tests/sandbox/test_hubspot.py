"""The HubSpot sandbox: auth, contacts paging, batch upsert/create/read, search, limits."""

from __future__ import annotations

from typing import Any

import requests

from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.hubspot.store import HubSpotStore
from synchub.sandbox.kit.limits import RollingWindow

CONTACTS = "/crm/v3/objects/contacts"


def call(http: requests.Session, server: SandboxServer, store: str, method: str, path: str,
         body: Any = None, token: str | None = None, **params: Any) -> requests.Response:
    """One HubSpot API call with the store's private-app token."""
    return http.request(method, server.hubspot_url(store) + CONTACTS + path, json=body,
                        params=params or None, timeout=10,
                        headers={"Authorization": f"Bearer {token or f'pat-sandbox-{store}'}"})


def upsert(*rows: tuple[str, dict[str, str]], prop: str = "email") -> dict[str, Any]:
    """A batch/upsert body: (id value, properties) per input, traced as t0, t1, ..."""
    return {"inputs": [{"idProperty": prop, "id": key, "properties": props,
                        "objectWriteTraceId": f"t{i}"} for i, (key, props) in enumerate(rows)]}


def test_wrong_or_missing_token_is_401_with_hubspot_body(
        sandbox: Sandbox, server: SandboxServer, http: requests.Session) -> None:
    sandbox.hubspot("auth", customers=1)
    wrong = call(http, server, "auth", "GET", "", token="pat-sandbox-other")
    missing = http.get(server.hubspot_url("auth") + CONTACTS, timeout=10)
    for resp in (wrong, missing):
        assert resp.status_code == 401
        body = resp.json()
        assert (body["status"], body["category"]) == ("error", "INVALID_AUTHENTICATION")
        assert body["correlationId"]


def test_list_pages_with_after_cursor_and_requested_properties(
        sandbox: Sandbox, server: SandboxServer, http: requests.Session) -> None:
    sandbox.hubspot("paging", customers=25)
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 10, "properties": "email,city"}
        if after:
            params["after"] = after
        resp = call(http, server, "paging", "GET", "", **params)
        assert resp.status_code == 200
        assert resp.headers["X-HubSpot-RateLimit-Max"] == "100"
        assert resp.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        body = resp.json()
        pages += 1
        for contact in body["results"]:
            assert set(contact["properties"]) == {"email", "city", "createdate",
                                                  "lastmodifieddate", "hs_object_id"}
            seen.append(contact["id"])
        after = (body.get("paging") or {}).get("next", {}).get("after")
        if after is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 25
    assert call(http, server, "paging", "GET", "", limit=101).status_code == 400


def test_upsert_creates_then_updates_by_email_without_case(
        sandbox: Sandbox, server: SandboxServer, http: requests.Session) -> None:
    store = sandbox.hubspot("upsert", customers=0)
    first = call(http, server, "upsert", "POST", "/batch/upsert", upsert(
        ("Ann@Example.com", {"firstname": "Ann"}), ("bob@example.com", {"city": "Lyon"})))
    assert first.status_code == 200
    results = {r["objectWriteTraceId"]: r for r in first.json()["results"]}
    assert [r["new"] for r in (results["t0"], results["t1"])] == [True, True]
    assert results["t0"]["properties"]["email"] == "ann@example.com"
    again = call(http, server, "upsert", "POST", "/batch/upsert", upsert(
        ("ann@EXAMPLE.com", {"lastname": "Lee"})))
    updated = again.json()["results"][0]
    assert (updated["id"], updated["new"]) == (results["t0"]["id"], False)
    assert updated["properties"]["firstname"] == "Ann"
    assert updated["properties"]["lastname"] == "Lee"
    assert store.counts() == {"contacts": 2}


def test_upsert_by_custom_unique_property(
        sandbox: Sandbox, server: SandboxServer, http: requests.Session) -> None:
    store = sandbox.hubspot("custom", customers=0)
    for city in ("Rome", "Oslo"):
        resp = call(http, server, "custom", "POST", "/batch/upsert", upsert(
            ("hub-1", {"email": "x@example.com", "city": city}), prop="synchub_id"))
        assert resp.status_code == 200
    assert store.counts() == {"contacts": 1}
    assert store.find("synchub_id", "hub-1")["properties"]["city"] == "Oslo"  # type: ignore[index]
    bad = call(http, server, "custom", "POST", "/batch/upsert", upsert(
        ("Rome", {}), prop="city"))
    assert (bad.status_code, bad.json()["category"]) == (400, "VALIDATION_ERROR")


def test_invalid_email_is_a_207_error_while_the_others_are_applied(
        sandbox: Sandbox, server: SandboxServer, http: requests.Session) -> None:
    store = sandbox.hubspot("partial", customers=0)
    resp = call(http, server, "partial", "POST", "/batch/upsert", upsert(
        ("ok@example.com", {}), ("not-an-email", {}), ("fine@example.org", {"nope": "1"})))
    assert resp.status_code == 207
    body = resp.json()
    assert body["numErrors"] == 2
    by_trace = {e["context"]["objectWriteTraceId"][0]: e for e in body["errors"]}
    assert "INVALID_EMAIL" in by_trace["t1"]["message"]
    assert "PROPERTY_DOESNT_EXIST" in by_trace["t2"]["message"]
    assert {e["category"] for e in body["errors"]} == {"VALIDATION_ERROR"}
    assert [r["objectWriteTraceId"] for r in body["results"]] == ["t0"]
    assert store.counts() == {"contacts": 1}


def test_batch_limits_and_duplicate_ids_refuse_the_whole_batch(
        sandbox: Sandbox, server: SandboxServer, http: requests.Session) -> None:
    store = sandbox.hubspot("limits", customers=0)
    big = upsert(*((f"c{i}@example.com", {}) for i in range(101)))
    resp = call(http, server, "limits", "POST", "/batch/upsert", big)
    assert (resp.status_code, resp.json()["category"]) == (400, "VALIDATION_ERROR")
    dup = call(http, server, "limits", "POST", "/batch/upsert", upsert(
        ("a@example.com", {}), ("A@example.com", {})))
    assert dup.status_code == 400
    assert "Duplicate IDs" in dup.json()["message"]
    assert store.counts() == {"contacts": 0}


def test_create_read_search_and_get(
        sandbox: Sandbox, server: SandboxServer, http: requests.Session) -> None:
    sandbox.hubspot("crud", customers=0)
    created = call(http, server, "crud", "POST", "/batch/create", {"inputs": [
        {"properties": {"email": "zoe@example.com", "firstname": "Zoe"}}]})
    assert created.status_code == 201
    cid = created.json()["results"][0]["id"]
    conflict = call(http, server, "crud", "POST", "/batch/create", {"inputs": [
        {"properties": {"email": "ZOE@example.com"}}]})
    assert (conflict.status_code, conflict.json()["category"]) == (409, "CONFLICT")
    read = call(http, server, "crud", "POST", "/batch/read", {
        "idProperty": "email", "properties": ["firstname"],
        "inputs": [{"id": "zoe@example.com"}, {"id": "ghost@example.com"}]})
    assert read.status_code == 207
    assert [r["id"] for r in read.json()["results"]] == [cid]
    assert read.json()["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    found = call(http, server, "crud", "POST", "/search", {"filterGroups": [{"filters": [
        {"propertyName": "email", "operator": "EQ", "value": "Zoe@Example.com"}]}]})
    assert (found.json()["total"], found.json()["results"][0]["id"]) == (1, cid)
    one = call(http, server, "crud", "GET", "/zoe@example.com", idProperty="email")
    assert one.json()["id"] == cid
    assert call(http, server, "crud", "GET", f"/{cid}").json()["properties"]["firstname"] == "Zoe"
    missing = call(http, server, "crud", "GET", "/999999")
    assert (missing.status_code, missing.json()["category"]) == (404, "OBJECT_NOT_FOUND")


def test_ten_secondly_rolling_limit(
        sandbox: Sandbox, server: SandboxServer, http: requests.Session) -> None:
    store: HubSpotStore = sandbox.hubspot("limited", customers=1)
    now = [0.0]
    store.window = RollingWindow(maximum=2, interval=10.0, clock=lambda: now[0])
    assert [call(http, server, "limited", "GET", "").status_code for _ in range(2)] == [200, 200]
    refused = call(http, server, "limited", "GET", "")
    assert refused.status_code == 429
    body = refused.json()
    assert (body["policyName"], body["errorType"]) == ("TEN_SECONDLY_ROLLING", "RATE_LIMIT")
    assert refused.headers["Retry-After"] == "10"
    assert refused.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    now[0] = 10.5  # both counted requests have left the window
    assert call(http, server, "limited", "GET", "").status_code == 200


def test_lost_reply_applies_the_upsert_then_answers_504(
        sandbox: Sandbox, server: SandboxServer, http: requests.Session) -> None:
    store = sandbox.hubspot("lost", customers=0)
    store.fault_plan.configure(lost_reply_next=1)
    lost = call(http, server, "lost", "POST", "/batch/upsert", upsert(("l@example.com", {})))
    assert lost.status_code == 504
    assert store.counts() == {"contacts": 1}
    again = call(http, server, "lost", "POST", "/batch/upsert", upsert(("l@example.com", {})))
    assert (again.status_code, again.json()["results"][0]["new"]) == (200, False)
    assert store.counts() == {"contacts": 1}


def test_the_connector_reads_every_contact_page_by_page(
        sandbox: Sandbox, server: SandboxServer) -> None:
    from pathlib import Path

    from synchub.config.connector_checks import load_connector
    from synchub.mapping import MappingContext, load_mapping
    from synchub.runtime import ConnectionInfo, ConnectorClient

    root = Path(__file__).resolve().parents[2]
    store = sandbox.hubspot("reader", customers=130)
    conn = ConnectionInfo(conn_id="crm", conn_type="http", host=server.hubspot_url("reader"),
                          password=store.access_token)
    with ConnectorClient(load_connector(root / "connectors/hubspot/connector.yaml"),
                         conn) as client:
        pages = list(client.read("contacts"))
    assert [len(p.records) for p in pages] == [100, 30]
    mapping = load_mapping(root / "mappings/hubspot/contacts.yaml")
    ctx = MappingContext(connection="crm", system="hubspot")
    customers = [c for p in pages for r in p.records for c in mapping.apply(r, ctx)]
    assert len({c.email for c in customers}) == 130
    assert all(c.default_address and c.default_address.city for c in customers)
