"""WooCommerce REST v3 through real HTTP: auth, page paging, filters, totals, poisoned rows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tests.sandbox.conftest import WC, woo_get

AUTH_BODY = {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
             "data": {"status": 401}}


@pytest.mark.parametrize(("auth", "params"), [
    (None, {}), (("ck_sandbox_demo", "cs_wrong"), {}),
    (None, {"consumer_key": "ck_sandbox_demo", "consumer_secret": "nope"}),
])
def test_bad_credentials_are_401(http, server, auth, params) -> None:
    resp = http.get(server.woocommerce_url("demo") + WC + "/orders", auth=auth, params=params)
    assert resp.status_code == 401 and resp.json() == AUTH_BODY


def test_query_string_credentials_work(http, server) -> None:
    resp = http.get(server.woocommerce_url("demo") + WC + "/orders",
                    params={"consumer_key": "ck_sandbox_demo",
                            "consumer_secret": "cs_sandbox_demo"})
    assert resp.status_code == 200 and len(resp.json()) == 10


def walk(http, server, path, **params):
    out, page = [], 1
    while True:
        resp = woo_get(http, server, "demo", path, page=page, **params)
        assert resp.status_code == 200, resp.text
        out += resp.json()
        pages = int(resp.headers["X-WP-TotalPages"])
        if page < pages:
            assert re.search(rf'<http://127\.0\.0\.1:\d+/woocommerce/demo/wp-json/wc/v3{path}\?'
                             rf'[^>]*page={page + 1}[^>]*>; rel="next"', resp.headers["Link"])
        if page >= pages:
            assert int(resp.headers["X-WP-Total"]) == len(out)
            return out
        page += 1


@pytest.mark.parametrize(("path", "key", "params"), [
    ("/orders", "orders", {"per_page": 100, "orderby": "modified", "order": "asc"}),
    ("/orders", "orders", {"per_page": 9}),
    ("/products", "products", {"per_page": 4}),
    ("/customers", "customers", {"per_page": 5}),
])
def test_walk_returns_every_record_once(http, server, sandbox, path, key, params) -> None:
    ids = [r["id"] for r in walk(http, server, path, **params)]
    assert len(ids) == len(set(ids)) == sandbox.woocommerce("demo").counts()[key]


def test_variations_of_every_variable_product(http, server, sandbox) -> None:
    products = walk(http, server, "/products", per_page=100)
    variable = [p for p in products if p["type"] == "variable"]
    assert variable and any(p["type"] == "simple" for p in products)
    total = 0
    for p in variable:
        variations = walk(http, server, f"/products/{p['id']}/variations", per_page=2)
        assert sorted(v["id"] for v in variations) == sorted(p["variations"])
        total += len(variations)
    assert total == sandbox.woocommerce("demo").counts()["variations"]


def test_per_page_over_100_is_400(http, server) -> None:
    resp = woo_get(http, server, "demo", "/orders", per_page=101)
    assert resp.status_code == 400
    assert resp.json() == {"code": "rest_invalid_param",
                           "message": "Invalid parameter(s): per_page",
                           "data": {"status": 400, "params": {"per_page": "per_page must be "
                                    "between 1 (inclusive) and 100 (inclusive)"}}}


def test_modified_after_local_and_gmt(http, server) -> None:
    everything = walk(http, server, "/orders", per_page=100, orderby="modified", order="asc")
    mid = everything[len(everything) // 2]
    local = walk(http, server, "/orders", per_page=100, modified_after=mid["date_modified"])
    gmt = walk(http, server, "/orders", per_page=100, modified_after=mid["date_modified_gmt"],
               dates_are_gmt="true")
    expected = {o["id"] for o in everything if o["date_modified_gmt"] > mid["date_modified_gmt"]}
    assert {o["id"] for o in local} == {o["id"] for o in gmt} == expected
    shifted = (datetime.fromisoformat(mid["date_modified_gmt"]) - timedelta(hours=3)).isoformat()
    wrong_tz = walk(http, server, "/orders", per_page=100, modified_after=shifted)
    assert len(wrong_tz) != len(expected)  # naive times are site-local unless dates_are_gmt


def test_order_totals_follow_woo_rules(sandbox) -> None:
    store = sandbox.woocommerce("demo")
    seen = set()
    for h in store.orders.headers():
        o = store.order(h.id)
        lines = sum(Decimal(li["total"]) for li in o["line_items"])
        fees = sum(Decimal(f["total"]) for f in o["fee_lines"])
        assert Decimal(o["total"]) == lines + Decimal(o["shipping_total"]) + fees + Decimal(
            o["total_tax"])
        assert Decimal(o["discount_total"]) == sum(
            Decimal(li["subtotal"]) - Decimal(li["total"]) for li in o["line_items"])
        assert Decimal(o["total_tax"]) == Decimal(o["cart_tax"]) + Decimal(o["shipping_tax"])
        assert all(Decimal(r["total"]) < 0 for r in o["refunds"])
        seen.add((o["status"], o["prices_include_tax"], o["customer_id"] == 0))
    assert len(seen) >= 8


def test_currency_setting(http, server) -> None:
    resp = woo_get(http, server, "demo", "/settings/general/woocommerce_currency")
    assert resp.json()["id"] == "woocommerce_currency" and resp.json()["value"] == "EUR"


def test_poisoned_orders(http, server) -> None:
    resp = woo_get(http, server, "poison", "/orders", per_page=100)
    orders = resp.json()
    assert len(orders) == 40
    assert sum("id" not in o for o in orders) == 1
    assert sum(any(li["total"] == "N/A" for li in o["line_items"]) for o in orders) == 2
