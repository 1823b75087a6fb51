"""Salesforce end to end against the simulator on loopback, on SQLite and PostgreSQL:
contacts read with SOQL through the JWT bearer flow, a re-run reading only what changed, a
timed-out session renewed, the refresh-token flow, and customers pushed through the
delivery engine with a validation-rule failure dead-lettered and the rest delivered."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.canonical import Customer, SourceRef
from synchub.delivery.engine import run_push
from synchub.errors import FatalAPIError
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.store import Store
from synchub.store.delivery_tables import deliveries
from tests.e2e.conftest import write_hub

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Any:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return load_hub(write_hub(tmp_path, {
        "crm": {"connector": "salesforce", "conn_id": "crm", "roles": ["crm"]}}))


def conn(srv: Any, org: Any, **extra: Any) -> ConnectionInfo:
    creds = org.credentials()
    return ConnectionInfo(conn_id="crm", conn_type="http", host=srv.url("salesforce", org.name),
                          login=creds["username"],
                          extra={"client_id": creds["client_id"],
                                 "private_key": creds["private_key"], **extra})


def test_contacts_sync_with_jwt_then_only_changes(hub: Hub, sandbox: Any,
                                                  store: Store) -> None:
    sb, srv = sandbox
    org = sb.store("salesforce", "read", customers=450)
    first = sync_stream(hub, "crm", "contacts", store=store, conn_info=conn(srv, org))
    assert first.status == "success" and first.stored == 450 and first.quarantined == 0
    docs = {d["external_id"]: d for d in store.read_feed("customer", limit=1000).records}
    row = next(iter(org.records["Contact"].values()))
    doc = docs[row["Id"]]
    assert doc["email"] == row["Email"] and doc["updated_at"].endswith("Z")
    assert doc["accepts_marketing"] is (not row["HasOptedOutOfEmail"])
    token_calls = [r for r in org.requests if r.path.endswith("/oauth2/token")]
    assert len(token_calls) == 1

    changed = org.touch_contacts(3)
    again = sync_stream(hub, "crm", "contacts", store=store, conn_info=conn(srv, org))
    assert again.stored == 3
    docs = {d["external_id"]: d for d in store.read_feed("customer", limit=1000).records}
    assert {docs[i]["phone"] for i in changed} == {org.records["Contact"][i]["Phone"]
                                                   for i in changed}
    queries = [r for r in org.requests if r.path.endswith("/query")]
    assert "SystemModstamp >= " in queries[-1].query["q"]
    assert queries[-1].query["q"].endswith("ORDER BY SystemModstamp ASC")


def test_pages_follow_next_records_url(hub: Hub, sandbox: Any, store: Store) -> None:
    sb, srv = sandbox
    org = sb.store("salesforce", "pages", customers=4100)
    result = sync_stream(hub, "crm", "contacts", store=store, conn_info=conn(srv, org))
    assert result.stored == 4100
    more = [r.path for r in org.requests if "/query/" in r.path]
    assert len(more) == 2 and more[0].endswith("-2000") and more[1].endswith("-4000")


def test_expired_session_is_renewed_once(hub: Hub, sandbox: Any, store: Store) -> None:
    sb, srv = sandbox
    org = sb.store("salesforce", "expiry", customers=5)
    client = ConnectorClient(hub.connection("crm").connector, conn(srv, org))
    try:
        list(client.read("contacts"))
        org.expire_sessions()
        pages = list(client.read("contacts"))
    finally:
        client.close()
    assert sum(len(p.records) for p in pages) == 5
    assert [r.status for r in org.requests if r.path.endswith("/query")] == [200, 401, 200]
    assert sum(1 for r in org.requests if r.path.endswith("/oauth2/token")) == 2


def test_refresh_token_flow(tmp_path: Path, sandbox: Any, store: Store) -> None:
    sb, srv = sandbox
    org = sb.store("salesforce", "refresh", customers=2)
    def refresh(_system: str, doc: dict[str, Any]) -> None:
        doc["auth"] = {"type": "salesforce_oauth", "flow": "refresh_token"}

    path = write_hub(tmp_path, {"crm": {"connector": "salesforce", "conn_id": "crm",
                                        "roles": ["crm"]}}, patch_connector=refresh)
    hub = load_hub(path)
    creds = org.credentials()
    info = ConnectionInfo(conn_id="crm", conn_type="http", host=srv.url("salesforce", org.name),
                          password=creds["refresh_token"],
                          extra={"client_id": creds["client_id"],
                                 "client_secret": creds["client_secret"]})
    assert sync_stream(hub, "crm", "contacts", store=store, conn_info=info).stored == 2
    bad = ConnectionInfo(conn_id="crm", conn_type="http", host=srv.url("salesforce", org.name),
                         password="5Aep-wrong-refresh-token",
                         extra={"client_id": creds["client_id"]})
    with pytest.raises(FatalAPIError) as err:
        sync_stream(hub, "crm", "contacts", store=store, conn_info=bad)
    assert "invalid_grant" in str(err.value) and "wrong-refresh" not in str(err.value)


def customer(ext: int, email: str | None, last: str | None = "Lee") -> Customer:
    return Customer(source=SourceRef(connection="shop", system="shopify", external_id=str(ext)),
                    external_id=str(ext), email=email, first_name="Ann", last_name=last,
                    updated_at=T0)


def test_push_customers_validation_failure_dead_lettered(tmp_path: Path, db_url: str,
                                                         sandbox: Any) -> None:
    sb, srv = sandbox
    org = sb.store("salesforce", "push", customers=0)
    path = write_hub(tmp_path, {
        "shop": {"connector": "shopify", "conn_id": "shop", "roles": ["channel"]},
        "crm": {"connector": "salesforce", "conn_id": "crm", "roles": ["crm"]}})
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    doc["sinks"] = {"crm": {"customers": {"from": ["shop"]}}}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    hub = load_hub(path)
    info = conn(srv, org)
    st = Store.from_url(db_url)
    st.migrate()
    try:
        st.write_page(connection="shop", stream="customers", records=[
            customer(i, f"c{i}@example.com") for i in range(250)]
            + [customer(900, "rule@example.invalid")])
        summary = run_push(st, hub, "crm", run_id="r1", now=T0,
                           client_for=lambda _s: ConnectorClient(
                               hub.connection("crm").connector, info))
        assert (summary["delivered"], summary["dead"]) == (250, 1)
        assert org.counts() == {"Contact": 250}
        patches = [r for r in org.requests if "/composite/sobjects/Contact/" in r.path]
        assert len(patches) == 2 and {r.status for r in patches} == {200}
        with st.engine.connect() as c:
            dead = c.execute(sa.select(deliveries.c.record_id, deliveries.c.last_error)
                             .where(deliveries.c.status == "dead")).all()
        assert [r.record_id for r in dead] == [customer(900, None).id]
        assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in dead[0].last_error
        assert "Email addresses on the .invalid test domain" in dead[0].last_error
        assert "rule@example.invalid" not in dead[0].last_error
        again = run_push(st, hub, "crm", run_id="r2", now=T0,
                         client_for=lambda _s: ConnectorClient(
                             hub.connection("crm").connector, info))
        assert (again["routed"], again["delivered"]) == (0, 0)
    finally:
        st.dispose()
