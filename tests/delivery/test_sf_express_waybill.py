"""The SF Express waybill writer against the loopback SF simulator: a waybill number per
order as the delivery's remote id; a reply lost after SF accepted the order is answered by
the order lookup, not a second waybill; an order without a recipient phone fails by name
while the others go through; an order with a waybill already is not sent again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from synchub.config.connector_checks import load_connector
from synchub.delivery.base import DeliveryItem
from synchub.mapping.engine import MappingContext
from synchub.mapping.export import load_export_mapping
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.sf_express.waybill import SfCreateOrderWriter

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_connector(ROOT / "connectors" / "sf_express" / "connector.yaml")
EXPORT = load_export_mapping(ROOT / "mappings" / "sf_express" / "waybills.export.yaml")
ORDERS = json.loads((ROOT / "tests" / "mapping" / "golden" / "taobao" / "orders.json")
                    .read_text(encoding="utf-8"))
CTX = MappingContext(connection="sf", system="sf_express")


def items(*docs: dict[str, Any], remote: str | None = None) -> list[DeliveryItem]:
    return [DeliveryItem(delivery_id=n, route="waybills", entity="order", record_id=d["id"],
                         source_connection=d["source"]["connection"], document=d,
                         payload=EXPORT.apply(d, CTX), idempotency_key=f"sf:waybills:{d['id']}",
                         remote_id=remote)
            for n, d in enumerate(docs, start=1)]


@pytest.fixture
def sf(sandbox: Any) -> Any:
    sb, srv = sandbox
    store = sb.store("sf_express", "waybills")
    store.rate_limits = False
    creds = store.credentials()
    conn = ConnectionInfo(conn_id="sf", conn_type="http", host=srv.url("sf_express", "waybills"),
                          login=creds["partner_id"], password=creds["checkword"],
                          extra={"monthly_card": "7551234567"})
    client = ConnectorClient(SPEC, conn, sleep=lambda s: None)
    writer = SfCreateOrderWriter(SPEC.writers["waybills"], client, sink="sf", run_id="t")
    yield store, writer
    client.close()


def test_a_waybill_per_order_becomes_its_remote_id(sf: Any) -> None:
    store, writer = sf
    first, second = ORDERS[0], ORDERS[1]
    results = writer.write(items(first, second))
    assert [r.outcome for r in results] == ["delivered", "delivered"]
    numbers = [r.remote_id for r in results]
    assert all(n and n.startswith("SF") and len(n) == 15 for n in numbers)
    assert store.waybills[first["id"]]["waybillNo"] == numbers[0]
    sent = store.waybills[first["id"]]["msg"]
    assert sent["monthlyCard"] == "7551234567" and sent["expressTypeId"] == 2
    sender, recipient = sent["contactInfoList"]
    assert (sender["contactType"], recipient["contactType"]) == (1, 2)
    assert recipient["city"] == "杭州市" and sent["cargoDetails"][0]["count"] == 2


def test_a_lost_reply_finds_the_waybill_instead_of_a_second_one(sf: Any) -> None:
    store, writer = sf
    store.faults(lost_reply_next=1)      # SF accepts the create, the reply never arrives
    (result,) = writer.write(items(ORDERS[2]))
    assert result.outcome == "delivered"
    assert result.remote_id == store.waybills[ORDERS[2]["id"]]["waybillNo"]
    assert len(store.waybills) == 1
    paths = [r.status for r in store.requests]
    assert paths == [504, 200, 200]      # create (lost), create again (8016), lookup


def test_a_bad_recipient_fails_by_name_and_the_rest_go_through(sf: Any) -> None:
    store, writer = sf
    broken = json.loads(json.dumps(ORDERS[1]))
    broken["id"] = "order-without-phone"
    broken["shipping_address"]["phone"] = None
    broken["customer"] = {**(broken.get("customer") or {}), "phone": None}
    results = writer.write(items(broken, ORDERS[0]))
    assert [r.outcome for r in results] == ["failed", "delivered"]
    assert results[0].error is not None
    assert "order-without-phone" in results[0].error and "mobile" in results[0].error
    assert list(store.waybills) == [ORDERS[0]["id"]]


def test_an_order_with_a_waybill_is_not_sent_again(sf: Any) -> None:
    store, writer = sf
    (result,) = writer.write(items(ORDERS[0], remote="SF1300000000042"))
    assert (result.outcome, result.remote_id) == ("skipped", "SF1300000000042")
    assert store.requests == []
