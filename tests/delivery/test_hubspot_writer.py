"""The HubSpot batch-upsert writer against the loopback HubSpot sandbox, then via the engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from synchub.canonical import Customer, SourceRef
from synchub.canonical.common import Address
from synchub.config.connector_checks import load_connector
from synchub.delivery.base import DeliveryItem
from synchub.delivery.engine import run_push
from synchub.delivery.writers import writer_class
from synchub.errors import RetriableAPIError
from synchub.mapping.engine import MappingContext
from synchub.mapping.export import load_export_mapping
from synchub.plan import load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.hubspot.store import HubSpotStore
from synchub.sandbox.kit.limits import RollingWindow
from synchub.store import Store
from synchub.systems.hubspot.writer import HubSpotBatchUpsertWriter
from tests.e2e.conftest import write_hub

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_connector(ROOT / "connectors" / "hubspot" / "connector.yaml")
EXPORT = load_export_mapping(ROOT / "mappings" / "hubspot" / "customers.export.yaml")
CTX = MappingContext(connection="crm", system="hubspot")
UPSERT = "/crm/v3/objects/contacts/batch/upsert"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def customer(ext: int, email: str | None, *, connection: str = "shop", first: str = "Ann",
             updated: datetime = T0) -> Customer:
    return Customer(source=SourceRef(connection=connection, system="shopify",
                                     external_id=str(ext)),
                    external_id=str(ext), email=email, first_name=first, last_name="Lee",
                    phone="+4930123456", updated_at=updated,
                    default_address=Address(line1="Main St 1", city="Berlin",
                                            postal_code="10115", country_code="DE"))


def items(*customers: Customer) -> list[DeliveryItem]:
    out = []
    for n, c in enumerate(customers, start=1):
        doc = c.to_json_dict()
        out.append(DeliveryItem(delivery_id=n, route="customers", entity="customer",
                                record_id=c.id, source_connection=c.source.connection,
                                document=doc, payload=EXPORT.apply(doc, CTX),
                                idempotency_key=f"crm:customers:{c.id}"))
    return out


class World:
    """A HubSpot sandbox account and a writer whose client sleeps on a fake clock."""

    def __init__(self, sb: Sandbox, srv: SandboxServer, name: str) -> None:
        self.store: HubSpotStore = sb.hubspot(name, customers=0)
        self.now, self.slept = [0.0], []
        conn = ConnectionInfo(conn_id="crm", conn_type="http", host=srv.hubspot_url(name),
                              password=self.store.access_token)
        self.client = ConnectorClient(SPEC, conn, clock=lambda: self.now[0], sleep=self.sleep)
        self.writer = writer_class("hubspot_batch_upsert")(
            SPEC.writers["customers"], self.client, sink="crm", run_id="run-1")

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now[0] += seconds

    def calls(self) -> int:
        return sum(1 for r in self.store.requests if r.path == UPSERT)


@pytest.fixture
def world(sandbox: tuple[Sandbox, SandboxServer], request: pytest.FixtureRequest
          ) -> Iterator[World]:
    w = World(*sandbox, name=request.node.name.replace("_", "-")[:40])
    yield w
    w.client.close()


def test_registered_type_and_batch_size() -> None:
    assert writer_class("hubspot_batch_upsert") is HubSpotBatchUpsertWriter


def test_250_customers_take_3_calls_and_get_their_contact_ids(world: World) -> None:
    batch = items(*(customer(i, f"c{i}@example.com") for i in range(250)))
    assert world.writer.max_batch == 100
    results = []
    for start in range(0, len(batch), world.writer.max_batch):
        results += world.writer.write(batch[start:start + world.writer.max_batch])
    assert world.calls() == 3
    assert {r.outcome for r in results} == {"delivered"}
    assert world.store.counts() == {"contacts": 250}
    for item, result in zip(batch, results, strict=True):
        contact = world.store.contacts[int(result.remote_id or 0)]
        assert contact["properties"]["email"] == item.document["email"]
        assert contact["properties"]["synchub_id"] == item.record_id
        assert contact["properties"]["synchub_source"] == "shop"


def test_same_email_in_two_shops_is_one_contact(world: World) -> None:
    older = customer(1, "Same@Example.com", first="Old", updated=T0)
    newer = customer(2, "same@example.com", connection="woo", first="New",
                     updated=T0 + timedelta(days=1))
    other = customer(3, "other@example.com")
    results = world.writer.write(items(newer, older, other))
    assert [r.outcome for r in results] == ["delivered"] * 3
    assert results[0].remote_id == results[1].remote_id != results[2].remote_id
    assert world.calls() == 1
    assert world.store.counts() == {"contacts": 2}
    merged = world.store.find("email", "same@example.com")
    assert merged is not None and merged["properties"]["firstname"] == "New"


def test_invalid_email_fails_alone_without_echoing_it(world: World) -> None:
    results = world.writer.write(items(customer(1, "ok@example.com"),
                                       customer(2, "broken.address@nowhere"),
                                       customer(3, "fine@example.org")))
    assert [r.outcome for r in results] == ["delivered", "failed", "delivered"]
    error = results[1].error or ""
    assert "INVALID_EMAIL" in error and customer(2, None).id in error
    assert "broken.address" not in error and "@" not in error
    assert world.store.counts() == {"contacts": 2}


def test_customer_without_email_fails_without_a_call(world: World) -> None:
    c = customer(9, None)
    [result] = world.writer.write(items(c))
    assert (result.outcome, result.error) == ("failed", f"customer {c.id} has no email")
    assert world.calls() == 0


def test_lost_reply_is_retried_and_leaves_one_contact(world: World) -> None:
    world.store.fault_plan.configure(lost_reply_next=1)
    [result] = world.writer.write(items(customer(1, "lost@example.com")))
    assert result.outcome == "delivered"
    assert world.calls() == 2          # the 504 after the commit, then the same upsert again
    assert world.store.counts() == {"contacts": 1}
    assert result.remote_id == world.store.find("email", "lost@example.com")["id"]  # type: ignore[index]


def test_429_waits_for_retry_after_then_delivers(world: World) -> None:
    world.store.window = RollingWindow(maximum=1, interval=10.0, clock=lambda: world.now[0])
    first = world.writer.write(items(customer(1, "a@example.com")))
    second = world.writer.write(items(customer(2, "b@example.com")))
    assert [r.outcome for r in first + second] == ["delivered", "delivered"]
    # the second call was refused once, told to wait 10 s, waited exactly that, then went
    assert 10.0 in world.slept
    assert world.client.stats.retries == 1
    assert [r.status for r in world.store.requests] == [200, 429, 200]


def test_429_past_the_retries_raises_retriable_with_retry_after(world: World) -> None:
    world.store.fault_plan.configure(fail_next=[429] * (SPEC.http.max_retries + 1))
    with pytest.raises(RetriableAPIError) as caught:
        world.writer.write(items(customer(1, "a@example.com")))
    assert (caught.value.status, caught.value.retry_after) == (429, 1.0)
    assert world.store.counts() == {"contacts": 0}


def test_push_run_through_the_engine(tmp_path: Path, db_url: str,
                                     sandbox: tuple[Sandbox, SandboxServer]) -> None:
    sb, srv = sandbox
    crm = sb.hubspot("engine", customers=0)
    path = write_hub(tmp_path, {
        "shop": {"connector": "shopify", "conn_id": "shop", "roles": ["channel"]},
        "crm": {"connector": "hubspot", "conn_id": "crm", "roles": ["crm"]}})
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    doc["sinks"] = {"crm": {"customers": {"from": ["shop"]}}}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    hub = load_hub(path)
    conn = ConnectionInfo(conn_id="crm", conn_type="http", host=srv.hubspot_url("engine"),
                          password=crm.access_token)
    store = Store.from_url(db_url)
    store.migrate()
    try:
        store.write_page(connection="shop", stream="customers", records=[
            customer(i, f"e{i}@example.com") for i in range(150)] + [customer(999, None)])
        summary = run_push(store, hub, "crm", run_id="r1", now=T0,
                           client_for=lambda _s: ConnectorClient(hub.connection("crm")
                                                                 .connector, conn))
        assert (summary["delivered"], summary["dead"]) == (150, 1)
        assert crm.counts() == {"contacts": 150}
        assert sum(1 for r in crm.requests if r.path == UPSERT) == 2
        again = run_push(store, hub, "crm", run_id="r2", now=T0,
                         client_for=lambda _s: ConnectorClient(hub.connection("crm")
                                                               .connector, conn))
        assert (again["routed"], again["delivered"]) == (0, 0)
    finally:
        store.dispose()
