"""AfterShip: the tracking write-back declared in YAML (the generic http writer and the
parcels write mapping) against AfterShip's HTTP contract (responses), then on the sandbox:
Odoo parcels pushed to AfterShip through the delivery engine (a lost reply is not
registered twice), and the incremental `trackings` stream brings them back linked to their
orders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses
import yaml
from responses import matchers

from synchub.canonical.base import SourceRef
from synchub.canonical.shipment import Shipment
from synchub.config.connector_checks import load_connector
from synchub.delivery.base import DeliveryItem
from synchub.delivery.engine import run_push
from synchub.delivery.writers import writer_class
from synchub.delivery.writers.http import HttpWriter
from synchub.mapping import MappingContext
from synchub.mapping.export import load_export_mapping
from synchub.pipeline import sync_stream
from synchub.plan import load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.store import Store
from tests.e2e.conftest import write_hub

from .conftest import aftership_conn, by_id, odoo_conn

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_connector(ROOT / "connectors" / "aftership" / "connector.yaml")
EXPORT = load_export_mapping(ROOT / "mappings" / "aftership" / "parcels.export.yaml")
HOST = "https://api.aftership.com"
URL = f"{HOST}/tracking/2024-10/trackings"
KEY = "as-key-41f0c2"


def shipment(number: str | None = "1234567890", carrier: str = "DHL Express") -> Shipment:
    return Shipment(source=SourceRef(connection="erp", system="odoo", external_id="picking:7"),
                    external_id="picking:7", tracking_number=number, carrier=carrier,
                    order_connection="shop", order_external_id="1001", status="in_transit")


def item(s: Shipment, remote: str | None = None) -> DeliveryItem:
    doc = s.to_json_dict()
    payload = EXPORT.apply(doc, MappingContext(connection="tracker", system="aftership"))
    return DeliveryItem(delivery_id=1, route="parcels", entity="shipment", record_id=s.id,
                        source_connection="erp", document=doc, payload=payload,
                        idempotency_key=f"tracker:parcels:{s.id}", remote_id=remote)


@pytest.fixture
def writer() -> HttpWriter:
    conn = ConnectionInfo(conn_id="tracker", conn_type="http", host=HOST, password=KEY)
    client = ConnectorClient(SPEC, conn, sleep=lambda s: None)
    w = writer_class("http")(SPEC.writers["parcels"], client, sink="tracker", run_id="r1")
    assert isinstance(w, HttpWriter)
    return w


def test_create_request_and_answers(writer: HttpWriter,
                                    mock_http: responses.RequestsMock) -> None:
    s = shipment()
    expected = {"tracking_number": "1234567890", "slug": "dhl", "order_id": "1001",
                "custom_fields": {"hub_shipment_id": s.id, "hub_order_connection": "shop"}}
    mock_http.post(URL, status=201, json={"meta": {"code": 201}, "data": {"id": "a1b2"}},
                   match=[matchers.json_params_matcher(expected),
                          matchers.header_matcher({"as-api-key": KEY})])
    mock_http.post(URL, status=400, json={"meta": {"code": 4003, "type": "BadRequest",
                                                   "message": "Tracking already exists."},
                                          "data": {"id": "a1b2"}})
    mock_http.post(URL, status=400, json={"meta": {"code": 4005, "type": "BadRequest",
                                                   "message": "The value of `tracking_number` "
                                                              "is invalid."}, "data": {}})
    results = [writer.write([item(s)])[0] for _ in range(3)]
    assert [(r.outcome, r.remote_id) for r in results] == [
        ("delivered", "a1b2"), ("skipped", "a1b2"), ("failed", None)]
    error = results[2].error or ""
    assert "HTTP 400" in error and "code 4005" in error and s.id in error
    assert "tracking_number` is invalid" in (results[2].error or "")


def test_nothing_is_sent_without_a_number_or_when_registered(
        writer: HttpWriter, mock_http: responses.RequestsMock) -> None:
    none = writer.write([item(shipment(None)), item(shipment(), remote="a1b2")])
    assert [r.outcome for r in none] == ["skipped", "skipped"]
    assert none[1].remote_id == "a1b2" and "has no tracking_number" in (none[0].error or "")
    assert len(mock_http.calls) == 0


@pytest.mark.parametrize(("carrier", "slug"), [
    ("DHL Express", "dhl"), ("DHL Parcel", "dhl-germany"), ("UPS Standard", "ups"),
    ("Pick up in store", None), ("", None),
])
def test_slugs_from_carrier_names(carrier: str, slug: str | None) -> None:
    assert item(shipment(carrier=carrier)).payload.get("slug") == slug


def test_a_server_error_is_retried_later(writer: HttpWriter,
                                         mock_http: responses.RequestsMock) -> None:
    for _ in range(6):   # the first try and the client's 5 retries
        mock_http.post(URL, status=503, json={"meta": {"code": 503}, "data": {}})
    (result,) = writer.write([item(shipment())])
    assert result.outcome == "retry"


def test_register_then_track(tmp_path: Path, sandbox: Any, store: Store) -> None:
    sb, srv = sandbox
    odoo = sb.odoo("demo")
    odoo.deliver("shop:2001", [{"sku": "SKU-00001-1", "quantity": 1}], carrier="DHL Express",
                 tracking_number="1234567890")
    odoo.deliver("shop:2002", [{"sku": "SKU-00002-1", "quantity": 2}], carrier="UPS Standard",
                 tracking_number="1Z999AA10123456784")
    path = write_hub(tmp_path, {
        "erp": {"connector": "odoo", "conn_id": "erp", "roles": ["erp"]},
        "tracker": {"connector": "aftership", "conn_id": "tracker", "roles": ["carrier"]}})
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    doc["sinks"] = {"tracker": {"parcels": {"from": ["erp"], "when": "tracking_number"}}}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    hub = load_hub(path)
    assert sync_stream(hub, "erp", "parcels", store=store,
                       conn_info=odoo_conn(srv, sb)).stored == 2

    account = sb.aftership("demo")
    account.rate_limits = False          # the client paces itself; counts stay exact
    account.fault_plan.configure(lost_reply_next=1)   # the first create commits, reply lost
    client = lambda _s: ConnectorClient(hub.connection("tracker").connector,  # noqa: E731
                                        aftership_conn(srv, sb), sleep=lambda _x: None)
    pushed = run_push(store, hub, "tracker", run_id="r1", client_for=client)
    assert pushed["routed"] == 2 and pushed["delivered"] + pushed["skipped"] == 2
    assert pushed["dead"] == 0 and pushed["skipped"] == 1   # the lost reply: 4003
    assert sorted(k[1] for k in account.trackings) == ["1234567890", "1Z999AA10123456784"]
    assert {k[0] for k in account.trackings} == {"dhl", "ups"}
    creates = [r for r in account.requests if r.method == "POST"]
    assert sorted(r.status for r in creates) == [201, 400, 504]   # 504 applied, 400: 4003

    first = sync_stream(hub, "tracker", "trackings", store=store,
                        conn_info=aftership_conn(srv, sb))
    assert first.status == "success" and first.stored == 2 and first.cursor
    tracked = by_id(store, "tracker")
    dhl = tracked["1234567890"]
    assert (dhl["order_connection"], dhl["order_external_id"]) == ("shop", "2001")
    assert dhl["status"] == "in_transit" and dhl["carrier"] == "dhl"
    assert dhl["events"][0]["status"] == "info_received"
    assert all(e["at"].endswith("Z") for e in dhl["events"])

    account.set_status("1234567890", "delivered")
    again = sync_stream(hub, "tracker", "trackings", store=store,
                        conn_info=aftership_conn(srv, sb))
    assert again.stored == 1
    done = by_id(store, "tracker")["1234567890"]
    assert done["status"] == "delivered" and done["delivered_at"] == done["events"][-1]["at"]
    listed = [r for r in account.requests if r.method == "GET"]
    assert "updated_at_min" in listed[-1].query
    assert json.dumps(done)   # the document is plain JSON
