"""WooCommerce batch stock writes, the shared SKU scheme and order stock, through real HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.sandbox.conftest import WC, woo_get


def post(http, server, store: str, path: str, body: Any, auth: tuple[str, str] | None = None):
    return http.post(server.woocommerce_url(store) + WC + path, json=body,
                     auth=auth or (f"ck_sandbox_{store}", f"cs_sandbox_{store}"), timeout=10)


def simple_managed(store: Any) -> list[dict[str, Any]]:
    return [p for p in store.products if p["type"] == "simple" and p["manage_stock"]]


def variable(store: Any) -> list[dict[str, Any]]:
    return [p for p in store.products if p["type"] == "variable"]


def test_skus_follow_the_shared_scheme(sandbox) -> None:
    store = sandbox.woocommerce("sku", orders=2, customers=1, products=200)
    for i, p in enumerate(store.products):
        if not p["sku"]:
            assert all(v["sku"] == "" for v in p["_variations"])
            continue
        if p["type"] == "variable":
            assert p["sku"] == f"SKU-{i + 1:05d}"
            assert [v["sku"] for v in p["_variations"]] == [
                f"SKU-{i + 1:05d}-{v + 1}" for v in range(len(p["_variations"]))]
        else:
            assert p["sku"] == f"SKU-{i + 1:05d}-1"
    without = sum(not p["sku"] for p in store.products)
    assert 0 < without < 25  # about 6 %
    assert {p["type"] for p in store.products if p["sku"]} >= {"simple", "variable"}


def test_products_batch_updates_stock_and_bumps_modified(http, server, sandbox) -> None:
    store = sandbox.woocommerce("batch", orders=2, customers=1, products=20)
    a, b = simple_managed(store)[:2]
    stamp = max(p["date_modified_gmt"] for p in store.products)
    resp = post(http, server, "batch", "/products/batch", {"update": [
        {"id": a["id"], "stock_quantity": 17, "manage_stock": True},
        {"id": b["id"], "stock_quantity": 0, "manage_stock": True}]})
    assert resp.status_code == 200, resp.text
    echoed = resp.json()["update"]
    assert list(resp.json()) == ["update"]
    assert [(o["id"], o["stock_quantity"], o["stock_status"]) for o in echoed] == [
        (a["id"], 17, "instock"), (b["id"], 0, "outofstock")]
    assert all(o["date_modified_gmt"] > stamp for o in echoed)
    assert not any(k.startswith("_") for o in echoed for k in o)
    later = woo_get(http, server, "batch", "/products", per_page=100,
                    modified_after=stamp, dates_are_gmt="true").json()
    assert {(p["id"], p["stock_quantity"]) for p in later} == {(a["id"], 17), (b["id"], 0)}


def test_per_item_errors_leave_the_others_applied(http, server, sandbox) -> None:
    store = sandbox.woocommerce("batch-err", orders=2, customers=1, products=20)
    (a,) = simple_managed(store)[:1]
    variation = variable(store)[0]["_variations"][0]
    resp = post(http, server, "batch-err", "/products/batch", {"update": [
        {"id": 999_999, "stock_quantity": 1, "manage_stock": True},
        {"id": a["id"], "stock_quantity": 5, "manage_stock": True},
        {"id": variation["id"], "stock_quantity": 2, "manage_stock": True},
        {"id": a["id"], "stock_quantity": "many"}]})
    assert resp.status_code == 200
    first, ok, wrong_route, bad_type = resp.json()["update"]
    assert first == {"id": 999_999, "error": {"code": "woocommerce_rest_product_invalid_id",
                                              "message": "Invalid ID.", "data": {"status": 400}}}
    assert ok["id"] == a["id"] and ok["stock_quantity"] == 5
    assert wrong_route["error"]["code"] == "woocommerce_rest_product_invalid_id"
    assert bad_type["error"]["code"] == "rest_invalid_param"
    assert a["stock_quantity"] == 5 and variation["stock_quantity"] != 2


def test_variations_batch(http, server, sandbox) -> None:
    store = sandbox.woocommerce("batch-var", orders=2, customers=1, products=20)
    parent, other = variable(store)[:2]
    first = parent["_variations"][0]
    stamp = parent["date_modified_gmt"]
    resp = post(http, server, "batch-var", f"/products/{parent['id']}/variations/batch",
                {"update": [{"id": first["id"], "stock_quantity": 33, "manage_stock": True},
                            {"id": other["_variations"][0]["id"], "stock_quantity": 1}]})
    assert resp.status_code == 200
    done, foreign = resp.json()["update"]
    assert done["id"] == first["id"] and done["stock_quantity"] == 33
    assert foreign["error"]["code"] == "woocommerce_rest_product_variation_invalid_id"
    listed = woo_get(http, server, "batch-var", f"/products/{parent['id']}/variations",
                     per_page=100).json()
    assert {v["id"]: v["stock_quantity"] for v in listed}[first["id"]] == 33
    # the parent is stamped too, so an incremental sweep over products finds the variation
    assert parent["date_modified_gmt"] > stamp
    missing = post(http, server, "batch-var", "/products/999999/variations/batch",
                   {"update": [{"id": first["id"], "stock_quantity": 1}]})
    assert missing.status_code == 404


def test_more_than_100_items_is_a_413(http, server, sandbox) -> None:
    store = sandbox.woocommerce("batch-big", orders=2, customers=1, products=20)
    (a,) = simple_managed(store)[:1]
    before = a["stock_quantity"]
    resp = post(http, server, "batch-big", "/products/batch", {
        "update": [{"id": a["id"], "stock_quantity": 1}] * 60,
        "delete": [a["id"]] * 41})
    assert resp.status_code == 413
    assert resp.json() == {"code": "woocommerce_rest_request_entity_too_large",
                           "message": "Unable to accept more than 100 items for this request.",
                           "data": {"status": 413}}
    assert a["stock_quantity"] == before
    ok = post(http, server, "batch-big", "/products/batch",
              {"update": [{"id": a["id"], "stock_quantity": 9}] * 100})
    assert ok.status_code == 200 and len(ok.json()["update"]) == 100


def test_batch_goes_through_auth_and_faults(http, server, sandbox) -> None:
    store = sandbox.woocommerce("batch-fault", orders=2, customers=1, products=10)
    (a,) = simple_managed(store)[:1]
    denied = post(http, server, "batch-fault", "/products/batch",
                  {"update": [{"id": a["id"], "stock_quantity": 1}]}, auth=("ck", "wrong"))
    assert denied.status_code == 401
    store.faults(fail_next=[503])
    failed = post(http, server, "batch-fault", "/products/batch",
                  {"update": [{"id": a["id"], "stock_quantity": 1}]})
    assert failed.status_code == 503 and a["stock_quantity"] != 1
    assert [(r.method, r.path, r.status) for r in store.requests[-2:]] == [
        ("POST", "/wp-json/wc/v3/products/batch", 401),
        ("POST", "/wp-json/wc/v3/products/batch", 503)]


def test_placed_order_takes_managed_stock(http, server, sandbox) -> None:
    store = sandbox.woocommerce("stock-order", orders=2, customers=1, products=20)
    simple = next(p for p in simple_managed(store) if p["sku"])
    variation = next(v for p in variable(store) for v in p["_variations"] if v["sku"])
    before = simple["stock_quantity"], variation["stock_quantity"]
    resp = http.post(server.base_url + "/_sandbox/woocommerce/stock-order/order", json={
        "lines": [{"sku": simple["sku"], "quantity": 2}, {"sku": variation["sku"], "quantity": 1}]})
    assert resp.status_code == 200, resp.text
    order = store.order(resp.json()["id"])
    assert order["status"] == "processing" and resp.json()["number"] == order["number"]
    assert [(li["sku"], li["quantity"]) for li in order["line_items"]] == [
        (simple["sku"], 2), (variation["sku"], 1)]
    assert (simple["stock_quantity"], variation["stock_quantity"]) == (before[0] - 2,
                                                                       before[1] - 1)
    # a pending order takes its units only once it moves on to processing
    pending = store.place_order([{"sku": simple["sku"], "quantity": 4}], status="pending")
    assert simple["stock_quantity"] == before[0] - 2
    store.mutate(orders_updated=len(store.orders))
    assert store.order(pending["id"])["status"] == "processing"
    assert simple["stock_quantity"] == before[0] - 6
    store.mutate(orders_updated=len(store.orders))   # processing -> completed: no second take
    assert simple["stock_quantity"] == before[0] - 6
    unknown = http.post(server.base_url + "/_sandbox/woocommerce/stock-order/order",
                        json={"lines": [{"sku": "SKU-99999-9", "quantity": 1}]})
    assert unknown.status_code == 400 and "SKU-99999-9" in unknown.json()["error"]
    with pytest.raises(ValueError, match="status"):
        store.place_order([{"sku": simple["sku"], "quantity": 1}], status="refunded")


def test_generated_new_orders_take_stock_too(sandbox) -> None:
    store = sandbox.woocommerce("stock-mutate", orders=2, customers=1, products=30)

    def stock() -> dict[int, int]:
        return {oid: obj["stock_quantity"] for oid, (_p, obj) in store.objects.items()
                if obj["manage_stock"] is True}

    start = stock()
    created = store.mutate(orders_created=6)["orders_created"]
    taken: dict[int, int] = {}
    for oid in created:
        for li in store.order(oid)["line_items"]:
            key = li["variation_id"] or li["product_id"]
            if key in start:
                taken[key] = taken.get(key, 0) + li["quantity"]
    assert taken
    assert stock() == {k: v - taken.get(k, 0) for k, v in start.items()}


def test_shopify_and_woocommerce_share_skus(sandbox) -> None:
    shop = sandbox.shopify("shared", orders=2, customers=1, products=20)
    woo = sandbox.woocommerce("shared", orders=2, customers=1, products=20)
    shop_skus = {v["sku"] for p in shop.products for v in p["_variants"] if v["sku"]}
    woo_skus = {o["sku"] for _p, o in woo.objects.values() if o["sku"]}
    assert len(shop_skus & woo_skus) >= 10
    assert all(re.fullmatch(r"SKU-\d{5}(-\d)?", s) for s in woo_skus)
