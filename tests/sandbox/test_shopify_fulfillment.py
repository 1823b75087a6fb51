"""Shopify fulfillment orders, fulfillmentCreate and fulfillment events through real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.conftest import shopify_get

ORDER = """query($id: ID!) { order(id: $id) { id name displayFulfillmentStatus
  fulfillmentOrders(first: 5) { nodes { id status
    lineItems(first: 20) { nodes { id sku totalQuantity remainingQuantity } } } }
  fulfillments(first: 20) { id name status displayStatus
    trackingInfo(first: 5) { number company url }
    events(first: 1, sortKey: HAPPENED_AT, reverse: true) { nodes { status happenedAt } } } } }"""
CREATE = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
  fulfillment { id status displayStatus trackingInfo(first: 5) { number company url } }
  userErrors { field message } } }"""
EVENT = """mutation($e: FulfillmentEventInput!) { fulfillmentEventCreate(fulfillmentEvent: $e) {
  fulfillmentEvent { id status happenedAt } userErrors { field message } } }"""


def gql(http: Any, server: Any, query: str, **variables: Any) -> dict[str, Any]:
    resp = http.post(server.shopify_url("fulfil") + "/admin/api/2026-04/graphql.json",
                     json={"query": query, "variables": variables},
                     headers={"X-Shopify-Access-Token": "shpat_sandbox_fulfil"}, timeout=10)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture(scope="module")
def shop(sandbox: Any) -> Any:
    return sandbox.shopify("fulfil", orders=30, customers=5, products=6)


def skus(shop: Any, n: int) -> list[str]:
    found = sorted(shop._by_sku)[:n]
    assert len(found) == n
    return found


def place(shop: Any, lines: list[tuple[str, int]]) -> str:
    placed = shop.place_order([{"sku": s, "quantity": q} for s, q in lines])
    return f"gid://shopify/Order/{placed['id']}"


def test_an_open_order_has_one_open_fulfillment_order(http, server, shop) -> None:
    a, b = skus(shop, 2)
    order = gql(http, server, ORDER, id=place(shop, [(a, 2), (b, 1)]))["order"]
    assert order["displayFulfillmentStatus"] == "UNFULFILLED"
    assert order["fulfillments"] == []
    (fo,) = order["fulfillmentOrders"]["nodes"]
    assert fo["status"] == "OPEN"
    assert [(li["sku"], li["totalQuantity"], li["remainingQuantity"])
            for li in fo["lineItems"]["nodes"]] == [(a, 2, 2), (b, 1, 1)]


def test_fulfill_everything_with_tracking_shows_in_graphql_and_rest(http, server, shop) -> None:
    (a,) = skus(shop, 1)
    gid = place(shop, [(a, 1)])
    oid = gid.rsplit("/", 1)[1]
    before = shopify_get(http, server, "fulfil", f"/orders/{oid}.json").json()["order"]
    fo = gql(http, server, ORDER, id=gid)["order"]["fulfillmentOrders"]["nodes"][0]
    made = gql(http, server, CREATE, f={
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
        "trackingInfo": {"number": "JJD000111", "company": "DHL Express",
                         "url": "https://track.example/JJD000111"},
        "notifyCustomer": True})["fulfillmentCreate"]
    assert made["userErrors"] == []
    assert made["fulfillment"]["trackingInfo"] == [{
        "number": "JJD000111", "company": "DHL Express",
        "url": "https://track.example/JJD000111"}]
    order = gql(http, server, ORDER, id=gid)["order"]
    assert order["displayFulfillmentStatus"] == "FULFILLED"
    assert order["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
    rest = shopify_get(http, server, "fulfil", f"/orders/{oid}.json").json()["order"]
    assert rest["fulfillment_status"] == "fulfilled"
    assert rest["updated_at"] > before["updated_at"]
    assert rest["line_items"][0]["fulfillable_quantity"] == 0
    (f,) = rest["fulfillments"]
    assert (f["tracking_number"], f["tracking_company"], f["status"]) == (
        "JJD000111", "DHL Express", "success")
    # the fulfillment order is closed now: a second create is refused, nothing changes
    again = gql(http, server, CREATE, f={
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]})["fulfillmentCreate"]
    assert again["fulfillment"] is None
    assert "unfulfillable status= closed" in again["userErrors"][0]["message"]
    assert len(gql(http, server, ORDER, id=gid)["order"]["fulfillments"]) == 1


def test_partial_fulfillment_by_line_and_refused_quantities(http, server, shop) -> None:
    a, b = skus(shop, 2)
    gid = place(shop, [(a, 3), (b, 1)])
    fo = gql(http, server, ORDER, id=gid)["order"]["fulfillmentOrders"]["nodes"][0]
    line_a = fo["lineItems"]["nodes"][0]
    too_many = gql(http, server, CREATE, f={"lineItemsByFulfillmentOrder": [{
        "fulfillmentOrderId": fo["id"],
        "fulfillmentOrderLineItems": [{"id": line_a["id"], "quantity": 4}]}]})
    assert too_many["fulfillmentCreate"]["userErrors"][0]["message"] == (
        "Invalid fulfillment order line item quantity requested.")
    ok = gql(http, server, CREATE, f={"lineItemsByFulfillmentOrder": [{
        "fulfillmentOrderId": fo["id"],
        "fulfillmentOrderLineItems": [{"id": line_a["id"], "quantity": 2}]}],
        "trackingInfo": {"number": "P-1"}})["fulfillmentCreate"]
    assert ok["userErrors"] == []
    order = gql(http, server, ORDER, id=gid)["order"]
    fo = order["fulfillmentOrders"]["nodes"][0]
    assert fo["status"] == "IN_PROGRESS"
    assert [li["remainingQuantity"] for li in fo["lineItems"]["nodes"]] == [1, 1]
    assert order["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    rest = shopify_get(http, server, "fulfil",
                       f"/orders/{gid.rsplit('/', 1)[1]}.json").json()["order"]
    assert rest["fulfillment_status"] == "partial"


def test_events_set_the_display_status_from_the_latest_in_time(http, server, shop) -> None:
    (a,) = skus(shop, 1)
    gid = place(shop, [(a, 1)])
    fo = gql(http, server, ORDER, id=gid)["order"]["fulfillmentOrders"]["nodes"][0]
    fid = gql(http, server, CREATE, f={
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
        "trackingInfo": {"number": "E-1"}})["fulfillmentCreate"]["fulfillment"]["id"]
    for status, at in (("IN_TRANSIT", "2026-03-01T10:00:00Z"),
                       ("DELIVERED", "2026-03-02T10:00:00Z"),
                       ("OUT_FOR_DELIVERY", "2026-03-02T08:00:00Z")):  # late, but older
        made = gql(http, server, EVENT, e={"fulfillmentId": fid, "status": status,
                                           "happenedAt": at})["fulfillmentEventCreate"]
        assert made["userErrors"] == [] and made["fulfillmentEvent"]["status"] == status
    (f,) = gql(http, server, ORDER, id=gid)["order"]["fulfillments"]
    assert f["displayStatus"] == "DELIVERED"
    assert f["events"]["nodes"] == [{"status": "DELIVERED", "happenedAt": "2026-03-02T10:00:00Z"}]
    rest = shopify_get(http, server, "fulfil",
                       f"/orders/{gid.rsplit('/', 1)[1]}.json").json()["order"]
    assert rest["fulfillments"][0]["shipment_status"] == "delivered"


def test_unknown_ids(http, server, shop) -> None:
    assert gql(http, server, ORDER, id="gid://shopify/Order/1")["order"] is None
    refused = gql(http, server, CREATE, f={"lineItemsByFulfillmentOrder": [
        {"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1"}]})["fulfillmentCreate"]
    assert refused["userErrors"][0]["message"] == "Fulfillment order does not exist."
    no_event = gql(http, server, EVENT, e={"fulfillmentId": "gid://shopify/Fulfillment/1",
                                           "status": "DELIVERED"})["fulfillmentEventCreate"]
    assert no_event["userErrors"] == [{"field": ["fulfillmentEvent", "fulfillmentId"],
                                       "message": "Fulfillment does not exist."}]


def test_a_generated_fulfilled_order_has_its_fulfillment(http, server, shop) -> None:
    row = next(shop.orders.get(h.id) for h in shop.orders.headers()
               if (shop.orders.get(h.id) or {}).get("fulfillment_status") == "fulfilled")
    order = gql(http, server, ORDER, id=row["admin_graphql_api_id"])["order"]
    assert order["displayFulfillmentStatus"] == "FULFILLED"
    (f,) = order["fulfillments"]
    assert (f["status"], f["trackingInfo"]) == ("SUCCESS", [])
    assert order["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"


TRACK = """mutation($id: ID!, $t: FulfillmentTrackingInput!, $n: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $t, notifyCustomer: $n) {
    fulfillment { id status trackingInfo(first: 5) { number company url } }
    userErrors { field message } } }"""


def test_tracking_added_to_a_fulfilled_order_shows_in_graphql_and_rest(
        http, server, shop) -> None:
    # the last generated fulfilled order (the test above reads the first one untouched)
    row = [shop.orders.get(h.id) for h in shop.orders.headers()
           if (shop.orders.get(h.id) or {}).get("fulfillment_status") == "fulfilled"][-1]
    (f,) = gql(http, server, ORDER, id=row["admin_graphql_api_id"])["order"]["fulfillments"]
    before = shopify_get(http, server, "fulfil", f"/orders/{row['id']}.json").json()["order"]
    made = gql(http, server, TRACK, id=f["id"], n=True, t={
        "number": "JJD000222", "company": "DHL Express",
        "url": "https://track.example/JJD000222"})["fulfillmentTrackingInfoUpdate"]
    assert made["userErrors"] == []
    assert made["fulfillment"] == {"id": f["id"], "status": "SUCCESS", "trackingInfo": [{
        "number": "JJD000222", "company": "DHL Express",
        "url": "https://track.example/JJD000222"}]}
    order = gql(http, server, ORDER, id=row["admin_graphql_api_id"])["order"]
    assert [t["number"] for g in order["fulfillments"] for t in g["trackingInfo"]] == [
        "JJD000222"]
    assert order["displayFulfillmentStatus"] == "FULFILLED"
    rest = shopify_get(http, server, "fulfil", f"/orders/{row['id']}.json").json()["order"]
    (rf,) = rest["fulfillments"]
    assert (rf["tracking_number"], rf["tracking_numbers"], rf["tracking_company"]) == (
        "JJD000222", ["JJD000222"], "DHL Express")
    assert rest["fulfillment_status"] == "fulfilled"
    assert rest["updated_at"] > before["updated_at"]


def test_tracking_update_user_errors(http, server, shop) -> None:
    unknown = gql(http, server, TRACK, id="gid://shopify/Fulfillment/1",
                  t={"number": "X-1"})["fulfillmentTrackingInfoUpdate"]
    assert unknown == {"fulfillment": None, "userErrors": [
        {"field": ["fulfillmentId"], "message": "Fulfillment does not exist."}]}
    (a,) = skus(shop, 1)
    gid = place(shop, [(a, 1)])
    fo = gql(http, server, ORDER, id=gid)["order"]["fulfillmentOrders"]["nodes"][0]
    fid = gql(http, server, CREATE, f={"lineItemsByFulfillmentOrder": [
        {"fulfillmentOrderId": fo["id"]}]})["fulfillmentCreate"]["fulfillment"]["id"]
    blank = gql(http, server, TRACK, id=fid, t={"company": "DHL Express"})
    assert blank["fulfillmentTrackingInfoUpdate"]["userErrors"][0]["field"] == [
        "trackingInfoInput", "number"]
    _, made = shop.fulfillment_book.fulfillment(fid)
    made["status"] = "CANCELLED"  # as fulfillmentCancel would leave it
    cancelled = gql(http, server, TRACK, id=fid, t={"number": "X-2"})
    assert cancelled["fulfillmentTrackingInfoUpdate"] == {"fulfillment": None, "userErrors": [
        {"field": ["fulfillmentId"],
         "message": "Cannot update tracking information for a cancelled fulfillment."}]}
    assert made["trackingInfo"] == []
