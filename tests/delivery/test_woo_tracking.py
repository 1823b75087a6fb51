"""WooCommerce tracking writer: the HTTP contract (responses), then behaviour on the sandbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
import yaml

from synchub.canonical import SourceRef
from synchub.canonical.shipment import Shipment, TrackingEvent
from synchub.config.connector_checks import load_connector
from synchub.config.connector_writes import WriterSpec
from synchub.delivery.base import DeliveryItem
from synchub.delivery.engine import run_push
from synchub.delivery.writers import writer_class
from synchub.mapping.engine import MappingContext
from synchub.mapping.export import load_export_mapping
from synchub.plan import load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.store import Store
from synchub.systems.woocommerce.tracking import WooCommerceTrackingWriter
from tests.e2e.conftest import write_hub

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_connector(ROOT / "connectors" / "woocommerce" / "connector.yaml")
WRITER = SPEC.writers["tracking"]
EXPORT = load_export_mapping(ROOT / "mappings" / "woocommerce" / "tracking.export.yaml")
CTX = MappingContext(connection="woo", system="woocommerce")
HOST = "https://woo.example"
API = HOST + "/wp-json/wc/v3"
T1 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
T2 = datetime(2026, 2, 3, 15, 30, tzinfo=UTC)
SHIPPED = "Shipped with DHL, tracking JJD0001: https://track.example/JJD0001"
DELIVERED = "Delivered: DHL parcel JJD0001 (https://track.example/JJD0001)"


def shipment(order_id: Any, *, status: str = "in_transit", at: datetime = T1,
             source: str = "erp", ext: str = "move:1") -> Shipment:
    return Shipment(
        source=SourceRef(connection=source, system="odoo" if source == "erp" else "dhl",
                         external_id=ext),
        external_id=ext, order_connection="woo", order_external_id=str(order_id),
        carrier="dhl", tracking_number="JJD0001",
        tracking_url="https://track.example/JJD0001", status=status,
        events=[TrackingEvent(at=at, status=status)], updated_at=at)


def item(s: Shipment, n: int = 1) -> DeliveryItem:
    doc = s.to_json_dict()
    return DeliveryItem(delivery_id=n, route="tracking", entity="shipment", record_id=s.id,
                        source_connection=s.source.connection, document=doc,
                        payload=EXPORT.apply(doc, CTX), idempotency_key=f"woo:tracking:{s.id}")


def writer(host: str = HOST, key: str = "ck", secret: str = "cs", **options: Any
           ) -> WooCommerceTrackingWriter:
    conn = ConnectionInfo(conn_id="woo", conn_type="http", host=host, login=key,
                          password=secret)
    spec = WriterSpec(**{**WRITER.model_dump(), "options": options})
    return WooCommerceTrackingWriter(spec, ConnectorClient(SPEC, conn, sleep=lambda _s: None),
                                     sink="woo", run_id="r1")


def ledger(status: str, told: list[str], at: str = "2026-02-01T08:00:00Z") -> list[Any]:
    return [{"id": 1, "key": "_synchub_tracking", "value": json.dumps([{
        "number": "JJD0001", "carrier": "DHL", "url": "https://track.example/JJD0001",
        "status": status, "at": at, "told": told}])}]


def body(call: Any) -> Any:
    return json.loads(call.request.body)


# --- contract ------------------------------------------------------------------------------

def test_registered_and_options_checked() -> None:
    assert writer_class("woocommerce_order_tracking") is WooCommerceTrackingWriter
    with pytest.raises(ValueError, match="complete_on"):
        writer(complete_on="sometimes")


def test_contract_new_number_note_then_completed_with_meta() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.get(API + "/orders/42", json={"id": 42, "status": "processing", "meta_data": []})
        rsps.get(API + "/orders/42/notes", json=[])
        rsps.post(API + "/orders/42/notes", json={"id": 1}, status=201)
        rsps.put(API + "/orders/42", json={"id": 42, "status": "completed"})
        (result,) = writer().write([item(shipment(42))])
        note, update = body(rsps.calls[2]), body(rsps.calls[3])
    assert (result.outcome, result.remote_id) == ("delivered", "42:JJD0001")
    assert note == {"note": SHIPPED, "customer_note": True}
    assert update["status"] == "completed"
    meta = {m["key"]: m["value"] for m in update["meta_data"]}
    assert json.loads(meta["_synchub_tracking"]) == [{
        "number": "JJD0001", "carrier": "DHL", "url": "https://track.example/JJD0001",
        "status": "in_transit", "at": "2026-02-01T08:00:00Z", "told": ["shipped"]}]
    assert (meta["_tracking_number"], meta["_tracking_provider"], meta["_tracking_status"]) == (
        "JJD0001", "DHL", "in_transit")


def test_contract_rerun_sends_nothing() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.get(API + "/orders/42", json={"id": 42, "status": "completed",
                                           "meta_data": ledger("in_transit", ["shipped"])})
        (result,) = writer().write([item(shipment(42))])
        assert len(rsps.calls) == 1
    assert result.outcome == "skipped"


def test_contract_delivered_is_one_note_and_the_meta() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.get(API + "/orders/42", json={"id": 42, "status": "completed",
                                           "meta_data": ledger("in_transit", ["shipped"])})
        rsps.get(API + "/orders/42/notes", json=[{"id": 5, "note": SHIPPED}])
        rsps.post(API + "/orders/42/notes", json={"id": 6}, status=201)
        rsps.put(API + "/orders/42", json={"id": 42})
        (result,) = writer().write([item(shipment(42, status="delivered", at=T2))])
        note, update = body(rsps.calls[2]), body(rsps.calls[3])
    assert result.outcome == "delivered"
    assert note == {"note": DELIVERED, "customer_note": True}
    assert "status" not in update  # already completed
    entry = json.loads(update["meta_data"][0]["value"])[0]
    assert (entry["status"], entry["told"]) == ("delivered", ["delivered", "shipped"])


def test_contract_a_note_already_there_is_not_posted_again() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.get(API + "/orders/42", json={"id": 42, "status": "processing", "meta_data": []})
        rsps.get(API + "/orders/42/notes", json=[{"id": 5, "note": SHIPPED}])
        rsps.put(API + "/orders/42", json={"id": 42})
        (result,) = writer().write([item(shipment(42))])
    assert result.outcome == "delivered"


def test_contract_complete_on_delivered_leaves_the_status() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.get(API + "/orders/42", json={"id": 42, "status": "processing", "meta_data": []})
        rsps.get(API + "/orders/42/notes", json=[])
        rsps.post(API + "/orders/42/notes", json={"id": 1}, status=201)
        rsps.put(API + "/orders/42", json={"id": 42})
        writer(complete_on="delivered").write([item(shipment(42))])
        assert "status" not in body(rsps.calls[3])


def test_contract_unknown_order_fails_clearly() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.get(API + "/orders/77", status=404, json={
            "code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID."})
        (result,) = writer().write([item(shipment(77))])
    assert (result.outcome, result.error) == ("failed", "order 77 is not in woo")


# --- behaviour on the sandbox -----------------------------------------------------------

class Site:
    """A sandbox WooCommerce site with one processing order, and a writer pointed at it."""

    def __init__(self, sb: Sandbox, srv: SandboxServer, name: str) -> None:
        self.store = sb.woocommerce(name, orders=5, customers=3, products=6)
        sku = sorted(self.store._by_sku)[0]
        self.order_id = self.store.place_order([{"sku": sku, "quantity": 1}])["id"]
        self.writer = writer(srv.woocommerce_url(name), self.store.consumer_key,
                             self.store.consumer_secret)

    def order(self) -> dict[str, Any]:
        return self.store.order(self.order_id)

    def notes(self) -> list[str]:
        return [n["note"] for n in self.store.order_writes.notes.get(self.order_id, [])]


@pytest.fixture
def site(sandbox: tuple[Sandbox, SandboxServer], request: pytest.FixtureRequest) -> Site:
    sb, srv = sandbox
    return Site(sb, srv, request.node.name[:40].replace("[", "_").replace("]", ""))


def test_shipped_then_delivered_flows_back(site: Site) -> None:
    s = shipment(site.order_id)
    assert site.writer.write([item(s)])[0].outcome == "delivered"
    order = site.order()
    assert order["status"] == "completed"
    meta = {m["key"]: m["value"] for m in order["meta_data"]}
    assert (meta["_tracking_number"], meta["_tracking_url"]) == (
        "JJD0001", "https://track.example/JJD0001")
    assert site.notes() == [SHIPPED]
    assert site.writer.write([item(s)])[0].outcome == "skipped"
    courier = shipment(site.order_id, status="delivered", at=T2, source="dhl", ext="JJD0001")
    assert site.writer.write([item(courier)])[0].outcome == "delivered"
    assert site.notes() == [SHIPPED, DELIVERED]
    assert {m["key"]: m["value"] for m in site.order()["meta_data"]}[
        "_tracking_status"] == "delivered"
    # the warehouse's older status again: nothing moves back, no note
    assert site.writer.write([item(s)])[0].outcome == "skipped"
    assert site.notes() == [SHIPPED, DELIVERED]


def test_lost_reply_on_a_note_posts_it_once(site: Site, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    http = site.writer.client.http
    real_send = http._send

    def send(transport: str, method: str, url: str, params: Any, payload: Any,
             *rest: Any, **options: Any) -> Any:
        if method == "POST" and url.endswith("/notes"):
            site.store.fault_plan.configure(lost_reply_next=1)
        return real_send(transport, method, url, params, payload, *rest, **options)

    monkeypatch.setattr(http, "_send", send)
    (result,) = site.writer.write([item(shipment(site.order_id))])
    assert site.store.stats()["requests_by_status"].get("504") == 1
    assert result.outcome == "delivered"
    assert site.notes() == [SHIPPED]
    assert site.order()["status"] == "completed"


def test_an_order_the_site_does_not_have_fails_with_a_clear_message(site: Site) -> None:
    (result,) = site.writer.write([item(shipment(999999))])
    assert (result.outcome, result.error) == ("failed", "order 999999 is not in woo")


def test_push_run_through_the_engine(tmp_path: Path, db_url: str,
                                     sandbox: tuple[Sandbox, SandboxServer]) -> None:
    sb, srv = sandbox
    site = Site(sb, srv, "engine")
    path = write_hub(tmp_path, {
        "woo": {"connector": "woocommerce", "conn_id": "woo", "roles": ["channel"]},
        "erp": {"connector": "odoo", "conn_id": "erp", "roles": ["erp"]}})
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    doc["sinks"] = {"woo": {"tracking": {"from": ["erp"]}}}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    hub = load_hub(path)
    conn = ConnectionInfo(conn_id="woo", conn_type="http", host=srv.woocommerce_url("engine"),
                          login=site.store.consumer_key, password=site.store.consumer_secret)
    store = Store.from_url(db_url)
    store.migrate()
    client = lambda _s: ConnectorClient(hub.connection("woo").connector, conn,  # noqa: E731
                                        sleep=lambda _x: None)
    try:
        store.write_page(connection="erp", stream="shipments",
                         records=[shipment(site.order_id)])
        assert run_push(store, hub, "woo", run_id="r1", client_for=client)["delivered"] == 1
        assert site.order()["status"] == "completed" and site.notes() == [SHIPPED]
        again = run_push(store, hub, "woo", run_id="r2", client_for=client)
        assert (again["routed"], again["delivered"]) == (0, 0)
    finally:
        store.dispose()
