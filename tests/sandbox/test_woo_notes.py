"""WooCommerce order updates (status, meta_data) and order notes through real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.conftest import WC, woo_get


@pytest.fixture(scope="module")
def site(sandbox: Any) -> Any:
    return sandbox.woocommerce("notes", orders=20, customers=5, products=6)


def send(http: Any, server: Any, method: str, path: str, body: Any) -> Any:
    return http.request(method, server.woocommerce_url("notes") + WC + path, json=body,
                        auth=("ck_sandbox_notes", "cs_sandbox_notes"), timeout=10)


def placed(site: Any, status: str = "processing") -> int:
    sku = sorted(site._by_sku)[0]
    return int(site.place_order([{"sku": sku, "quantity": 1}], status=status)["id"])


def test_put_sets_status_and_meta_and_moves_modified(http, server, site) -> None:
    oid = placed(site)
    before = woo_get(http, server, "notes", f"/orders/{oid}").json()
    resp = send(http, server, "PUT", f"/orders/{oid}", {
        "status": "completed", "meta_data": [{"key": "_tracking_number", "value": "T-1"},
                                             {"key": "_synchub_tracking", "value": "[]"}]})
    assert resp.status_code == 200, resp.text
    order = resp.json()
    assert order["status"] == "completed" and order["date_completed_gmt"]
    assert order["date_modified_gmt"] > before["date_modified_gmt"]
    meta = {m["key"]: m for m in order["meta_data"]}
    assert meta["_tracking_number"]["value"] == "T-1" and isinstance(
        meta["_tracking_number"]["id"], int)
    # a key that exists is updated in place (same id), not added twice
    again = send(http, server, "POST", f"/orders/{oid}", {
        "meta_data": [{"key": "_tracking_number", "value": "T-2"}]}).json()
    numbers = [m for m in again["meta_data"] if m["key"] == "_tracking_number"]
    assert numbers == [dict(meta["_tracking_number"], value="T-2")]
    listed = woo_get(http, server, "notes", "/orders", status="completed",
                     per_page=100).json()
    assert oid in [o["id"] for o in listed]


def test_paying_a_pending_order_takes_its_stock(http, server, site) -> None:
    sku, obj = next((s, site.objects[c.variation_id or c.product_id][1])
                    for s, c in sorted(site._by_sku.items())
                    if site.objects[c.variation_id or c.product_id][1]["manage_stock"] is True)
    oid = int(site.place_order([{"sku": sku, "quantity": 2}], status="pending")["id"])
    stock = obj["stock_quantity"]
    assert obj["stock_quantity"] == stock  # a pending order has not taken it yet
    assert send(http, server, "PUT", f"/orders/{oid}", {"status": "processing"}).ok
    assert obj["stock_quantity"] == stock - 2


@pytest.mark.parametrize(("body", "code"), [
    ({"status": "shipped"}, "rest_invalid_param"),
    ({"meta_data": {"key": "x"}}, "rest_invalid_param"),
    ([1, 2], "rest_invalid_json"),
])
def test_bad_updates_are_refused(http, server, site, body, code) -> None:
    resp = send(http, server, "PUT", f"/orders/{placed(site)}", body)
    assert resp.status_code == 400 and resp.json()["code"] == code


def test_notes_are_added_and_listed_newest_first(http, server, site) -> None:
    oid = placed(site)
    assert woo_get(http, server, "notes", f"/orders/{oid}/notes").json() == []
    first = send(http, server, "POST", f"/orders/{oid}/notes",
                 {"note": "Shipped with DHL, tracking T-1: https://t/1", "customer_note": True})
    assert first.status_code == 201
    assert first.json()["customer_note"] is True and first.json()["author"] == "system"
    send(http, server, "POST", f"/orders/{oid}/notes", {"note": "internal"})
    notes = woo_get(http, server, "notes", f"/orders/{oid}/notes").json()
    assert [n["note"] for n in notes] == ["internal", "Shipped with DHL, tracking T-1: https://t/1"]
    assert [n["customer_note"] for n in notes] == [False, True]


def test_notes_errors(http, server, site) -> None:
    missing = send(http, server, "POST", f"/orders/{placed(site)}/notes", {"customer_note": True})
    assert missing.status_code == 400 and missing.json()["code"] == "rest_missing_callback_param"
    unknown = woo_get(http, server, "notes", "/orders/1/notes")
    assert unknown.status_code == 404
    assert send(http, server, "PUT", "/orders/1", {"status": "completed"}).status_code == 404
