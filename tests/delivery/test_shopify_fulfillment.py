"""Shopify fulfillment writer: the HTTP contract (responses), then behaviour on the sandbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
import yaml

from synchub.canonical import SourceRef
from synchub.canonical.shipment import Shipment, ShipmentLine, TrackingEvent
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
from synchub.systems.shopify.fulfillment import ShopifyFulfillmentWriter
from tests.e2e.conftest import write_hub

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_connector(ROOT / "connectors" / "shopify" / "connector.yaml")
WRITER = SPEC.writers["tracking"]
EXPORT = load_export_mapping(ROOT / "mappings" / "shopify" / "tracking.export.yaml")
CTX = MappingContext(connection="shop", system="shopify")
HOST = "https://shop.example"
GQL = HOST + "/admin/api/2026-04/graphql.json"
T1 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
T2 = datetime(2026, 2, 3, 15, 30, tzinfo=UTC)


def shipment(order_id: Any, number: str = "JJD0001", *, status: str = "in_transit",
             at: datetime = T1, source: str = "erp", ext: str = "move:1",
             lines: list[tuple[str, int]] | None = None) -> Shipment:
    return Shipment(
        source=SourceRef(connection=source, system="odoo" if source == "erp" else "dhl",
                         external_id=ext),
        external_id=ext, order_connection="shop", order_external_id=str(order_id),
        carrier="DHL Express", tracking_number=number,
        tracking_url=f"https://track.example/{number}", status=status,
        events=[TrackingEvent(at=at, status=status, description="scan")],
        lines=[ShipmentLine(sku=s, quantity=q) for s, q in lines or []], updated_at=at)


def item(s: Shipment, n: int = 1) -> DeliveryItem:
    doc = s.to_json_dict()
    return DeliveryItem(delivery_id=n, route="tracking", entity="shipment", record_id=s.id,
                        source_connection=s.source.connection, document=doc,
                        payload=EXPORT.apply(doc, CTX), idempotency_key=f"shop:tracking:{s.id}")


def writer(host: str = HOST, token: str = "shpat_test", **options: Any
           ) -> ShopifyFulfillmentWriter:
    conn = ConnectionInfo(conn_id="shop", conn_type="http", host=host, password=token)
    spec = WriterSpec(**{**WRITER.model_dump(), "options": options})
    return ShopifyFulfillmentWriter(spec, ConnectorClient(SPEC, conn, sleep=lambda _s: None),
                                    sink="shop", run_id="r1")


# --- contract ------------------------------------------------------------------------------

def order_body(fulfillments: list[dict[str, Any]] | None = None,
               fo_status: str = "OPEN") -> dict[str, Any]:
    return {"data": {"order": {
        "id": "gid://shopify/Order/42", "name": "#1042",
        "fulfillmentOrders": {"nodes": [{"id": "gid://shopify/FulfillmentOrder/7",
                                         "status": fo_status, "lineItems": {"nodes": [
            {"id": "gid://shopify/FulfillmentOrderLineItem/71", "sku": "SKU-A",
             "remainingQuantity": 2, "totalQuantity": 2},
            {"id": "gid://shopify/FulfillmentOrderLineItem/72", "sku": "SKU-B",
             "remainingQuantity": 1, "totalQuantity": 1}]}}]},
        "fulfillments": fulfillments or []}}}


def fulfillment(last: str | None, at: str = "2026-02-01T08:00:00Z") -> dict[str, Any]:
    return {"id": "gid://shopify/Fulfillment/9", "status": "SUCCESS", "displayStatus": last,
            "trackingInfo": [{"number": "JJD0001", "company": "DHL Express", "url": None}],
            "events": {"nodes": [{"status": last, "happenedAt": at}] if last else []}}


def sent(call: Any) -> dict[str, Any]:
    return json.loads(call.request.body)


def test_registered_and_options_checked() -> None:
    assert writer_class("shopify_fulfillment") is ShopifyFulfillmentWriter
    with pytest.raises(ValueError, match="surprise"):
        writer(surprise=True)


def test_contract_query_then_create_then_event() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=order_body())
        rsps.post(GQL, json={"data": {"fulfillmentCreate": {"fulfillment": {
            "id": "gid://shopify/Fulfillment/9", "status": "SUCCESS",
            "displayStatus": "FULFILLED", "trackingInfo": []}, "userErrors": []}}})
        rsps.post(GQL, json={"data": {"fulfillmentEventCreate": {"fulfillmentEvent": {
            "id": "gid://shopify/FulfillmentEvent/1", "status": "IN_TRANSIT",
            "happenedAt": "2026-02-01T08:00:00Z"}, "userErrors": []}}})
        (result,) = writer().write([item(shipment(42, lines=[("SKU-A", 1)]))])
        query, create, event = (sent(c) for c in rsps.calls)
    assert (result.outcome, result.remote_id) == ("delivered", "gid://shopify/Fulfillment/9")
    assert "fulfillmentOrders" in query["query"]
    assert query["variables"] == {"id": "gid://shopify/Order/42"}
    assert "fulfillmentCreate" in create["query"]
    assert create["variables"] == {"fulfillment": {
        "lineItemsByFulfillmentOrder": [{
            "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/7",
            "fulfillmentOrderLineItems": [
                {"id": "gid://shopify/FulfillmentOrderLineItem/71", "quantity": 1}]}],
        "trackingInfo": {"number": "JJD0001", "company": "DHL Express",
                         "url": "https://track.example/JJD0001"},
        "notifyCustomer": True}}
    assert event["variables"] == {"event": {
        "fulfillmentId": "gid://shopify/Fulfillment/9", "status": "IN_TRANSIT",
        "happenedAt": "2026-02-01T08:00:00Z", "message": "scan"}}


def test_contract_without_lines_fulfills_all_that_remains() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=order_body())
        rsps.post(GQL, json={"data": {"fulfillmentCreate": {"fulfillment": {
            "id": "gid://shopify/Fulfillment/9", "status": "SUCCESS"}, "userErrors": []}}})
        s = shipment(42, status="pending")  # no event status: only the create
        (result,) = writer(notify_customer=False).write([item(s)])
        create = sent(rsps.calls[1])["variables"]["fulfillment"]
    assert result.outcome == "delivered"
    assert create["lineItemsByFulfillmentOrder"] == [
        {"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/7"}]
    assert create["notifyCustomer"] is False


def test_contract_rerun_sends_nothing() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=order_body([fulfillment("IN_TRANSIT")]))
        (result,) = writer().write([item(shipment(42))])
        assert len(rsps.calls) == 1
    assert (result.outcome, result.remote_id) == ("skipped", "gid://shopify/Fulfillment/9")


def test_contract_status_change_is_one_event() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=order_body([fulfillment("IN_TRANSIT")]))
        rsps.post(GQL, json={"data": {"fulfillmentEventCreate": {"fulfillmentEvent": {
            "id": "gid://shopify/FulfillmentEvent/2", "status": "DELIVERED",
            "happenedAt": "2026-02-03T15:30:00Z"}, "userErrors": []}}})
        (result,) = writer().write([item(shipment(42, status="delivered", at=T2))])
        event = sent(rsps.calls[1])["variables"]["event"]
    assert result.outcome == "delivered"
    assert (event["status"], event["happenedAt"]) == ("DELIVERED", "2026-02-03T15:30:00Z")


def test_contract_an_older_status_does_not_override_a_newer_one() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=order_body([fulfillment("DELIVERED", "2026-02-03T15:30:00Z")]))
        (result,) = writer().write([item(shipment(42, status="in_transit", at=T1))])
    assert result.outcome == "skipped"


def test_contract_user_errors_fail_with_the_message() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=order_body())
        rsps.post(GQL, json={"data": {"fulfillmentCreate": {"fulfillment": None, "userErrors": [
            {"field": ["fulfillment"], "message": "Tracking number is invalid"}]}}})
        (result,) = writer().write([item(shipment(42))])
    assert result.outcome == "failed"
    assert "fulfillmentCreate refused: fulfillment: Tracking number is invalid" in result.error


def test_contract_throttled_is_retry() -> None:
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=throttled)
        (result,) = writer().write([item(shipment(42))])
        assert len(rsps.calls) == SPEC.http.max_retries + 1
    assert result.outcome == "retry" and "Throttled" in result.error


def test_contract_unknown_order_fails_clearly() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json={"data": {"order": None}})
        (result,) = writer().write([item(shipment(77))])
    assert (result.outcome, result.error) == ("failed", "order 77 is not in shop")


def test_contract_closed_order_and_unknown_sku_fail_clearly() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=order_body(fo_status="CLOSED"))
        rsps.post(GQL, json=order_body())
        closed, unknown = writer().write([item(shipment(42), 1),
                                          item(shipment(42, lines=[("SKU-Z", 1)]), 2)])
    assert closed.error == "order 42 has nothing left to fulfill (no open fulfillment order)"
    assert unknown.error == "order 42: no open line for SKU(s) SKU-Z"


def untracked(fid: int, number: str | None = None, status: str = "SUCCESS"
              ) -> dict[str, Any]:
    """A fulfillment the merchant (or another app) made, without tracking unless ``number``."""
    return {"id": f"gid://shopify/Fulfillment/{fid}", "status": status,
            "displayStatus": "FULFILLED",
            "trackingInfo": [{"number": number, "company": None, "url": None}] if number else [],
            "events": {"nodes": []}}


def lines_body(**skus_by_fulfillment: list[str]) -> dict[str, Any]:
    """The answer to the fulfilled-lines query: ``F8=["SKU-A"]`` -> Fulfillment/8 holds SKU-A."""
    return {"data": {"order": {"fulfillments": [
        {"id": f"gid://shopify/Fulfillment/{name[1:]}", "fulfillmentLineItems": {"nodes": [
            {"lineItem": {"sku": sku}} for sku in skus]}}
        for name, skus in skus_by_fulfillment.items()]}}}


def tracking_updated(fid: int) -> dict[str, Any]:
    return {"data": {"fulfillmentTrackingInfoUpdate": {"fulfillment": {
        "id": f"gid://shopify/Fulfillment/{fid}", "status": "SUCCESS",
        "displayStatus": "FULFILLED", "trackingInfo": [
            {"number": "JJD0001", "company": "DHL Express",
             "url": "https://track.example/JJD0001"}]}, "userErrors": []}}}


def test_contract_fulfilled_without_tracking_gets_the_number_then_the_event() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=order_body([untracked(9)], fo_status="CLOSED"))
        rsps.post(GQL, json=tracking_updated(9))
        rsps.post(GQL, json={"data": {"fulfillmentEventCreate": {"fulfillmentEvent": {
            "id": "gid://shopify/FulfillmentEvent/1", "status": "DELIVERED",
            "happenedAt": "2026-02-03T15:30:00Z"}, "userErrors": []}}})
        (result,) = writer().write([item(shipment(42, status="delivered", at=T2))])
        query, update, event = (sent(c) for c in rsps.calls)
    assert (result.outcome, result.remote_id) == ("delivered", "gid://shopify/Fulfillment/9")
    assert query["variables"] == {"id": "gid://shopify/Order/42"}
    assert "fulfillmentCreate" not in update["query"]
    assert "fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId" in update["query"]
    assert update["variables"] == {
        "fulfillmentId": "gid://shopify/Fulfillment/9",
        "trackingInfoInput": {"number": "JJD0001", "company": "DHL Express",
                              "url": "https://track.example/JJD0001"},
        "notifyCustomer": True}
    assert event["variables"]["event"]["fulfillmentId"] == "gid://shopify/Fulfillment/9"
    assert event["variables"]["event"]["status"] == "DELIVERED"


def test_contract_partial_order_lines_go_to_their_fulfillment_without_tracking() -> None:
    body = order_body([untracked(8), untracked(9)])
    fo = body["data"]["order"]["fulfillmentOrders"]["nodes"][0]
    fo["status"] = "IN_PROGRESS"
    fo["lineItems"]["nodes"][0]["remainingQuantity"] = 0  # SKU-A went out untracked
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=body)
        rsps.post(GQL, json=lines_body(F8=["SKU-C"], F9=["SKU-A"]))
        rsps.post(GQL, json=tracking_updated(9))
        s = shipment(42, status="pending", lines=[("SKU-A", 2)])  # pending: no event
        (result,) = writer(notify_customer=False).write([item(s)])
        _, lines, update = (sent(c) for c in rsps.calls)
    assert (result.outcome, result.remote_id) == ("delivered", "gid://shopify/Fulfillment/9")
    assert "fulfillmentLineItems" in lines["query"]
    assert lines["variables"] == {"id": "gid://shopify/Order/42"}
    assert update["variables"]["fulfillmentId"] == "gid://shopify/Fulfillment/9"
    assert update["variables"]["notifyCustomer"] is False


@pytest.mark.parametrize(("fulfillments", "lines", "held", "why"), [
    ([untracked(8, "OTHER1"), untracked(9, status="CANCELLED")], [], None,
     "every fulfillment of it carries another tracking number"),
    ([untracked(9)], [("SKU-B", 1)], ["SKU-A"],
     "its fulfillments without tracking hold none of these SKUs"),
])
def test_contract_fulfilled_with_no_fulfillment_to_take_the_number_fails_clearly(
        fulfillments: list[dict[str, Any]], lines: list[tuple[str, int]],
        held: list[str] | None, why: str) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=order_body(fulfillments, fo_status="CLOSED"))
        if held is not None:
            rsps.post(GQL, json=lines_body(F9=held))
        (result,) = writer().write([item(shipment(42, lines=lines))])
        assert not any("Update" in sent(c)["query"] for c in rsps.calls)
    assert result.outcome == "failed"
    assert result.error == ("order 42 has nothing left to fulfill (no open fulfillment "
                            f"order); {why}")


def test_contract_tracking_update_user_error_fails_with_the_message() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(GQL, json=order_body([untracked(9)], fo_status="CLOSED"))
        rsps.post(GQL, json={"data": {"fulfillmentTrackingInfoUpdate": {
            "fulfillment": None, "userErrors": [
                {"field": ["fulfillmentId"], "message": "Fulfillment does not exist."}]}}})
        (result,) = writer().write([item(shipment(42))])
    assert result.outcome == "failed"
    assert result.error.endswith(
        "fulfillmentTrackingInfoUpdate refused: fulfillmentId: Fulfillment does not exist.")


# --- behaviour on the sandbox -----------------------------------------------------------

class Shop:
    """A sandbox shop with one open order of two SKUs, and a writer pointed at it."""

    def __init__(self, sb: Sandbox, srv: SandboxServer, name: str) -> None:
        self.store = sb.shopify(name, orders=5, customers=3, products=6)
        self.skus = sorted(self.store._by_sku)[:2]
        placed = self.store.place_order([{"sku": self.skus[0], "quantity": 2},
                                         {"sku": self.skus[1], "quantity": 1}])
        self.order_id = placed["id"]
        self.writer = writer(srv.shopify_url(name), self.store.access_token)

    def fulfillments(self) -> list[dict[str, Any]]:
        book = self.store.fulfillment_book.book(self.order_id)
        return book.fulfillments

    def rest(self) -> dict[str, Any]:
        return self.store.order(self.order_id)


@pytest.fixture
def shop(sandbox: tuple[Sandbox, SandboxServer], request: pytest.FixtureRequest) -> Shop:
    sb, srv = sandbox
    return Shop(sb, srv, request.node.name[:40].replace("[", "_").replace("]", ""))


def test_a_shipment_reaches_the_order_as_one_fulfillment(shop: Shop) -> None:
    s = shipment(shop.order_id, lines=[(shop.skus[0], 2)])
    (result,) = shop.writer.write([item(s)])
    assert result.outcome == "delivered"
    (f,) = shop.fulfillments()
    assert f["id"] == result.remote_id
    assert f["trackingInfo"] == [{"number": "JJD0001", "company": "DHL Express",
                                  "url": "https://track.example/JJD0001"}]
    assert [li["quantity"] for li in f["fulfillmentLineItems"]] == [2]
    assert f["displayStatus"] == "IN_TRANSIT"
    rest = shop.rest()
    assert rest["fulfillment_status"] == "partial"
    assert rest["fulfillments"][0]["tracking_number"] == "JJD0001"
    # the same shipment again: found by its number, nothing sent but the read
    before = len(shop.store.requests)
    assert shop.writer.write([item(s)])[0].outcome == "skipped"
    assert len(shop.store.requests) == before + 1


def test_lost_reply_after_create_is_found_and_leaves_one_fulfillment(
        shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    http = shop.writer.client.http
    real_send = http._send
    lost = []

    def send(transport: str, method: str, url: str, params: Any, payload: Any,
             *rest: Any, **options: Any) -> Any:
        if payload and "fulfillmentCreate" in payload["query"] and not lost:
            lost.append(1)
            shop.store.fault_plan.configure(lost_reply_next=1)
        return real_send(transport, method, url, params, payload, *rest, **options)

    monkeypatch.setattr(http, "_send", send)
    (result,) = shop.writer.write([item(shipment(shop.order_id))])
    assert lost and shop.store.stats()["requests_by_status"].get("504") == 1
    assert result.outcome == "delivered"
    assert len(shop.fulfillments()) == 1
    assert result.remote_id == shop.fulfillments()[0]["id"]


def test_lost_reply_and_no_answer_retries_later_and_finds_it(
        shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    http = shop.writer.client.http
    real_send = http._send

    def send(transport: str, method: str, url: str, params: Any, payload: Any,
             *rest: Any, **options: Any) -> Any:
        if payload and "fulfillmentCreate" in payload["query"]:
            # applied, reply lost, and the shop stays down for the re-read
            shop.store.fault_plan.configure(lost_reply_next=1, fail_next=[])
            out = None
            try:
                out = real_send(transport, method, url, params, payload, *rest, **options)
            finally:
                shop.store.fault_plan.configure(fail_next=[503] * 20)
            return out
        return real_send(transport, method, url, params, payload, *rest, **options)

    monkeypatch.setattr(http, "_send", send)
    (first,) = shop.writer.write([item(shipment(shop.order_id))])
    assert first.outcome == "retry"
    assert len(shop.fulfillments()) == 1  # the shop committed it
    monkeypatch.setattr(http, "_send", real_send)
    shop.store.faults()
    (second,) = shop.writer.write([item(shipment(shop.order_id))])
    assert second.outcome in ("delivered", "skipped")
    assert len(shop.fulfillments()) == 1
    assert second.remote_id == shop.fulfillments()[0]["id"]


def test_same_number_from_two_shipments_is_one_fulfillment_following_the_courier(
        shop: Shop) -> None:
    parcel = shipment(shop.order_id, status="in_transit", at=T1)
    courier = shipment(shop.order_id, status="delivered", at=T2, source="dhl",
                       ext="JJD0001")
    results = shop.writer.write([item(parcel, 1), item(courier, 2)])
    assert [r.outcome for r in results] == ["delivered", "delivered"]
    assert results[0].remote_id == results[1].remote_id
    (f,) = shop.fulfillments()
    assert [e["status"] for e in f["events"]] == ["IN_TRANSIT", "DELIVERED"]
    assert f["displayStatus"] == "DELIVERED"
    assert shop.rest()["fulfillments"][0]["shipment_status"] == "delivered"
    # the warehouse record comes again (say it was re-synced): its older status is ignored
    assert shop.writer.write([item(parcel)])[0].outcome == "skipped"
    assert len(f["events"]) == 2 and shop.fulfillments() == [f]


def test_an_order_the_shop_does_not_have_fails_with_a_clear_message(shop: Shop) -> None:
    (result,) = shop.writer.write([item(shipment(123456789))])
    assert result.outcome == "failed"
    assert result.error == f"order 123456789 is not in {shop.writer.sink}"


def test_push_run_through_the_engine(tmp_path: Path, db_url: str,
                                     sandbox: tuple[Sandbox, SandboxServer]) -> None:
    sb, srv = sandbox
    shop = Shop(sb, srv, "engine")
    path = write_hub(tmp_path, {
        "shop": {"connector": "shopify", "conn_id": "shop", "roles": ["channel"]},
        "erp": {"connector": "odoo", "conn_id": "erp", "roles": ["erp"]}})
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    doc["sinks"] = {"shop": {"tracking": {"from": ["erp"]}}}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    hub = load_hub(path)
    conn = ConnectionInfo(conn_id="shop", conn_type="http", host=srv.shopify_url("engine"),
                          password=shop.store.access_token)
    store = Store.from_url(db_url)
    store.migrate()
    client = lambda _s: ConnectorClient(hub.connection("shop").connector, conn,  # noqa: E731
                                        sleep=lambda _x: None)
    try:
        no_number = shipment(shop.order_id, ext="move:2").model_copy(
            update={"tracking_number": None})
        store.write_page(connection="erp", stream="shipments", records=[
            shipment(shop.order_id), Shipment.model_validate(no_number.model_dump())])
        summary = run_push(store, hub, "shop", run_id="r1", client_for=client)
        assert summary["delivered"] == 1
        assert len(shop.fulfillments()) == 1
        again = run_push(store, hub, "shop", run_id="r2", client_for=client)
        assert (again["routed"], again["delivered"]) == (0, 0)
    finally:
        store.dispose()


# --- an order marked fulfilled without tracking (sandbox) --------------------------------

class FulfilledShop:
    """A sandbox shop whose generated order was marked fulfilled without tracking."""

    def __init__(self, sb: Sandbox, srv: SandboxServer, name: str) -> None:
        self.store = sb.shopify(name, orders=30, customers=5, products=6)
        self.order_id = next(h.id for h in self.store.orders.headers()
                             if (self.store.orders.get(h.id) or {}).get("fulfillment_status")
                             == "fulfilled")
        self.writer = writer(srv.shopify_url(name), self.store.access_token)

    def fulfillments(self) -> list[dict[str, Any]]:
        return self.store.fulfillment_book.book(self.order_id).fulfillments

    def carrying(self, number: str) -> list[dict[str, Any]]:
        return [f for f in self.fulfillments()
                if any(t["number"] == number for t in f["trackingInfo"])]


@pytest.fixture
def fulfilled(sandbox: tuple[Sandbox, SandboxServer],
              request: pytest.FixtureRequest) -> FulfilledShop:
    sb, srv = sandbox
    return FulfilledShop(sb, srv, request.node.name[:40].replace("[", "_").replace("]", ""))


def test_an_order_marked_fulfilled_gets_the_tracking_and_the_status(
        fulfilled: FulfilledShop) -> None:
    (preset,) = fulfilled.fulfillments()
    assert preset["trackingInfo"] == []
    (result,) = fulfilled.writer.write([item(shipment(fulfilled.order_id, status="delivered",
                                                      at=T2))])
    assert (result.outcome, result.remote_id) == ("delivered", preset["id"])
    assert fulfilled.fulfillments() == [preset]  # nothing new was created
    (f,) = fulfilled.carrying("JJD0001")
    assert [e["status"] for e in f["events"]] == ["DELIVERED"]
    assert f["displayStatus"] == "DELIVERED"
    rest = fulfilled.store.order(fulfilled.order_id)
    assert (rest["fulfillment_status"], rest["fulfillments"][0]["tracking_number"]) == (
        "fulfilled", "JJD0001")
    assert rest["fulfillments"][0]["shipment_status"] == "delivered"
    # again: found by its number, nothing sent
    assert fulfilled.writer.write([item(shipment(fulfilled.order_id, status="delivered",
                                                 at=T2))])[0].outcome == "skipped"
    # a second parcel with another number has no fulfillment left to take it
    (other,) = fulfilled.writer.write([item(shipment(fulfilled.order_id, "JJD0002"))])
    assert other.outcome == "failed"
    assert other.error.endswith("every fulfillment of it carries another tracking number")
    assert fulfilled.carrying("JJD0002") == []


def test_lost_reply_on_the_tracking_update_is_found_and_done_once(
        fulfilled: FulfilledShop, monkeypatch: pytest.MonkeyPatch) -> None:
    http = fulfilled.writer.client.http
    real_send = http._send
    updates = []

    def send(transport: str, method: str, url: str, params: Any, payload: Any,
             *rest: Any, **options: Any) -> Any:
        if payload and "fulfillmentTrackingInfoUpdate" in payload["query"]:
            updates.append(1)
            fulfilled.store.fault_plan.configure(lost_reply_next=1)
        return real_send(transport, method, url, params, payload, *rest, **options)

    monkeypatch.setattr(http, "_send", send)
    (result,) = fulfilled.writer.write([item(shipment(fulfilled.order_id, status="delivered",
                                                      at=T2))])
    assert updates == [1]  # sent once, never resent
    assert fulfilled.store.stats()["requests_by_status"].get("504") == 1
    assert result.outcome == "delivered"
    (f,) = fulfilled.fulfillments()
    assert fulfilled.carrying("JJD0001") == [f] and result.remote_id == f["id"]
    assert [e["status"] for e in f["events"]] == ["DELIVERED"]


def test_partial_order_shipment_lands_on_its_lines_fulfillment_without_tracking(
        shop: Shop) -> None:
    book = shop.store.fulfillment_book
    fo = book.book(shop.order_id).fulfillment_orders[0]
    first_line = fo["lineItems"][0]
    # the merchant ships the first SKU by hand, without tracking
    made = book.create({"lineItemsByFulfillmentOrder": [{
        "fulfillmentOrderId": fo["id"],
        "fulfillmentOrderLineItems": [{"id": first_line["id"], "quantity": 2}]}]})
    assert made["userErrors"] == []
    by_hand = made["fulfillment"]
    s = shipment(shop.order_id, lines=[(shop.skus[0], 2)])
    (result,) = shop.writer.write([item(s)])
    assert (result.outcome, result.remote_id) == ("delivered", by_hand["id"])
    assert shop.fulfillments() == [by_hand]
    assert [t["number"] for t in by_hand["trackingInfo"]] == ["JJD0001"]
    assert by_hand["displayStatus"] == "IN_TRANSIT"
    assert shop.rest()["fulfillment_status"] == "partial"  # the second SKU is still open
