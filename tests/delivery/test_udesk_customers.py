"""The Udesk customer writer against the loopback Udesk simulator: created by the hub id
(web_token) with the Udesk id as the remote id, updated by that id, found by web_token when
the hub lost the id (or a create's reply), never created twice; a customer without a name
fails by name and the others go through; a 429 is waited out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from synchub.canonical import Customer, SourceRef
from synchub.config.connector_checks import load_connector
from synchub.delivery.base import DeliveryItem
from synchub.mapping.engine import MappingContext
from synchub.mapping.export import load_export_mapping
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.udesk.customers import UdeskCustomerWriter

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_connector(ROOT / "connectors" / "udesk" / "connector.yaml")
EXPORT = load_export_mapping(ROOT / "mappings" / "udesk" / "customers.export.yaml")
CTX = MappingContext(connection="desk", system="udesk")


def customer(ext: str, first: str | None = "伟", last: str | None = "王",
             phone: str | None = "13800138000") -> Customer:
    return Customer(source=SourceRef(connection="youzan_shop", system="youzan", external_id=ext),
                    external_id=ext, first_name=first, last_name=last, phone=phone,
                    email=None, updated_at=datetime(2025, 6, 18, 12, tzinfo=UTC))


def items(*customers: Customer, remote: str | None = None) -> list[DeliveryItem]:
    out = []
    for n, c in enumerate(customers, start=1):
        doc = c.to_json_dict()
        out.append(DeliveryItem(delivery_id=n, route="customers", entity="customer",
                                record_id=c.id, source_connection="youzan_shop", document=doc,
                                payload=EXPORT.apply(doc, CTX),
                                idempotency_key=f"desk:customers:{c.id}", remote_id=remote))
    return out


@pytest.fixture
def desk(sandbox: Any) -> Any:
    sb, srv = sandbox
    store = sb.store("udesk", "customers", customers=0)
    store.rate_limits = False
    creds = store.credentials()
    conn = ConnectionInfo(conn_id="desk", conn_type="http", host=srv.url("udesk", "customers"),
                          login=creds["email"], password=creds["open_api_token"])
    sleeps: list[float] = []
    client = ConnectorClient(SPEC, conn, sleep=sleeps.append)
    yield store, UdeskCustomerWriter(SPEC.writers["customers"], client, sink="desk",
                                     run_id="t"), sleeps
    client.close()


def test_created_by_web_token_then_updated_by_its_id(desk: Any) -> None:
    store, writer, _ = desk
    buyer = customer("c1")
    (first,) = writer.write(items(buyer))
    assert first.outcome == "delivered" and first.remote_id is not None
    row = store.customers[int(first.remote_id)]
    assert (row["web_token"], row["nick_name"]) == (buyer.id, "王伟")
    assert row["cellphones"] == [[None, "13800138000"]]
    assert "来源 youzan_shop" in row["description"]

    renamed = customer("c1", first="芳")
    (again,) = writer.write(items(renamed, remote=first.remote_id))
    assert (again.outcome, again.remote_id) == ("delivered", first.remote_id)
    assert store.customers[int(first.remote_id)]["nick_name"] == "王芳"
    assert len(store.customers) == 1
    methods = [(r.method, r.path) for r in store.requests]
    assert methods[-1] == ("PUT", "/open_api_v1/customers/update_customer")


def test_a_lost_id_is_found_by_web_token_not_created_twice(desk: Any) -> None:
    store, writer, _ = desk
    (first,) = writer.write(items(customer("c2")))
    store.faults(lost_reply_next=1)          # the next write lands, its reply is lost
    (lost,) = writer.write(items(customer("c3")))
    assert lost.outcome == "retry"           # the create is not sent twice blindly
    (found,) = writer.write(items(customer("c3")))
    assert found.outcome == "delivered" and len(store.customers) == 2
    assert store.customers[int(found.remote_id or 0)]["web_token"] == customer("c3").id
    # the hub's binding was lost: the lookup by web_token finds the customer again
    (again,) = writer.write(items(customer("c2")))
    assert again.remote_id == first.remote_id and len(store.customers) == 2


def test_a_nameless_customer_fails_by_name_and_the_rest_go_through(desk: Any) -> None:
    store, writer, _ = desk
    nobody = customer("c4", first=None, last=None, phone=None)
    results = writer.write(items(nobody, customer("c5")))
    assert [r.outcome for r in results] == ["failed", "delivered"]
    assert nobody.id in (results[0].error or "") and "nick_name" in (results[0].error or "")
    assert len(store.customers) == 1


def test_a_429_is_waited_out(desk: Any) -> None:
    store, writer, sleeps = desk
    store.faults(fail_next=[429])
    (result,) = writer.write(items(customer("c6")))
    assert result.outcome == "delivered" and sleeps and len(store.customers) == 1
    assert [r.status for r in store.requests][:2] == [429, 200]
