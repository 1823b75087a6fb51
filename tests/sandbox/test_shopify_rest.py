"""Shopify REST through real HTTP: auth, Link paging, filters, limits, call limit, mutations."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from tests.sandbox.conftest import API, shopify_get

AUTH_BODY = {"errors": "[API] Invalid API key or access token "
                       "(unrecognized login or wrong password)"}
LINK = re.compile(r'<(http://127\.0\.0\.1:\d+/shopify/\w+/admin/api/2025-07/\w+\.json\?'
                  r'limit=\d+&page_info=[\w-]+)>; rel="(next|previous)"')


def walk(http: requests.Session, server: SandboxServer, path: str, envelope: str,
         store: str = "demo", first: requests.Response | None = None,
         **params: object) -> list[dict]:
    """Every record of a listing, following rel="next" links."""
    resp = first or shopify_get(http, server, store, path, **params)
    out = []
    while True:
        assert resp.status_code == 200, resp.text
        out.extend(resp.json()[envelope])
        nxt = [m[0] for m in LINK.findall(resp.headers.get("Link", "")) if m[1] == "next"]
        if not nxt:
            return out
        resp = http.get(nxt[0], headers={"X-Shopify-Access-Token": f"shpat_sandbox_{store}"})


@pytest.mark.parametrize("headers", [{}, {"X-Shopify-Access-Token": "shpat_wrong"}])
def test_bad_token_is_401_with_shopify_body(http, server, headers) -> None:
    resp = http.get(server.shopify_url("demo") + API + "/orders.json", headers=headers)
    assert resp.status_code == 401
    assert resp.json() == AUTH_BODY


@pytest.mark.parametrize(("path", "envelope", "params", "count_key"), [
    ("/orders.json", "orders", {"status": "any", "limit": 50, "order": "updated_at asc"}, "orders"),
    ("/orders.json", "orders", {"status": "any", "limit": 37}, "orders"),
    ("/customers.json", "customers", {"limit": 7, "order": "updated_at asc"}, "customers"),
])
def test_walk_returns_every_record_once(http, server, sandbox, path, envelope, params,
                                        count_key) -> None:
    records = walk(http, server, path, envelope, **params)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == sandbox.shopify("demo").counts()[count_key]


def test_default_status_is_open_only(http, server) -> None:
    open_orders = walk(http, server, "/orders.json", "orders", limit=250)
    assert open_orders and all(o["closed_at"] is None and o["cancelled_at"] is None
                               for o in open_orders)
    cancelled = walk(http, server, "/orders.json", "orders", status="cancelled", limit=250)
    assert cancelled and all(o["cancelled_at"] for o in cancelled)


def test_updated_at_asc_is_sorted_and_filtered(http, server) -> None:
    everything = walk(http, server, "/orders.json", "orders", status="any", limit=250,
                      order="updated_at asc")
    stamps = [o["updated_at"] for o in everything]
    middle = everything[len(everything) // 2]["updated_at"]
    some = walk(http, server, "/orders.json", "orders", status="any", limit=20,
                order="updated_at asc", updated_at_min=middle)
    from datetime import datetime
    parsed = [datetime.fromisoformat(s) for s in stamps]
    assert parsed == sorted(parsed)
    expected = [o["id"] for o in everything
                if datetime.fromisoformat(o["updated_at"]) >= datetime.fromisoformat(middle)]
    assert [o["id"] for o in some] == expected


def test_link_header_previous_returns_the_first_page(http, server) -> None:
    first = shopify_get(http, server, "demo", "/orders.json", status="any", limit=10)
    links = dict((rel, url) for url, rel in LINK.findall(first.headers["Link"]))
    assert set(links) == {"next"}
    second = http.get(links["next"], headers={"X-Shopify-Access-Token": "shpat_sandbox_demo"})
    links2 = dict((rel, url) for url, rel in LINK.findall(second.headers["Link"]))
    assert set(links2) == {"next", "previous"}
    back = http.get(links2["previous"], headers={"X-Shopify-Access-Token": "shpat_sandbox_demo"})
    assert back.json() == first.json()


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 251}, "limit"),
    ({"limit": 0}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"updated_at_min": "yesterday"}, "updated_at_min"),
    ({"order": "price asc"}, "order"),
])
def test_bad_parameters_are_400(http, server, params, field) -> None:
    resp = shopify_get(http, server, "demo", "/orders.json", **params)
    assert resp.status_code == 400
    assert field in resp.json()["errors"]


def test_page_info_with_other_filters_is_400(http, server) -> None:
    first = shopify_get(http, server, "demo", "/orders.json", status="any", limit=5)
    url = LINK.findall(first.headers["Link"])[0][0]
    resp = http.get(url + "&status=any", headers={"X-Shopify-Access-Token": "shpat_sandbox_demo"})
    assert resp.status_code == 400
    assert "page_info" in resp.json()["errors"]
    ok = http.get(url + "&fields=id,updated_at",
                  headers={"X-Shopify-Access-Token": "shpat_sandbox_demo"})
    assert ok.status_code == 200
    assert all(set(o) == {"id", "updated_at"} for o in ok.json()["orders"])


def test_call_limit_header_and_429_when_bucket_is_full(http, server) -> None:
    used = []
    for _ in range(45):
        resp = shopify_get(http, server, "throttled", "/shop.json")
        if resp.status_code == 429:
            break
        used.append(int(resp.headers["X-Shopify-Shop-Api-Call-Limit"].split("/")[0]))
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "2.0"
    assert resp.json()["errors"].startswith("Exceeded 2 calls per second")
    assert used[:3] == [1, 2, 3] and max(used) >= 38


def test_no_rate_limits_in_bench_mode() -> None:
    sb = Sandbox(seed=1, rate_limits=False)
    sb.shopify("demo", orders=5, customers=2, products=2)
    with SandboxServer(sb) as srv, requests.Session() as http:
        statuses = {shopify_get(http, srv, "demo", "/shop.json").status_code for _ in range(60)}
    assert statuses == {200}


def test_mutated_orders_appear_after_the_cursor(http, server, sandbox) -> None:
    store = sandbox.shopify("mutating", orders=40, customers=5, products=4)
    first = shopify_get(http, server, "mutating", "/orders.json", status="any", limit=10,
                        order="updated_at asc")
    seen = [o["id"] for o in first.json()["orders"]]
    changed = store.mutate(orders_created=2, orders_updated=3)
    url = LINK.findall(first.headers["Link"])[0][0]
    nxt = http.get(url, headers={"X-Shopify-Access-Token": "shpat_sandbox_mutating"})
    rest = [o["id"] for o in walk(http, server, "", "orders", store="mutating", first=nxt)]
    affected = changed["orders_created"] + changed["orders_updated"]
    assert len(affected) == 5 and len(set(affected)) == 5
    assert set(rest[-5:]) == set(affected)  # stamped now: after every seeded order
    assert len(set(seen) | set(rest)) == 42


def test_order_totals_follow_shopify_rules(sandbox) -> None:
    store = sandbox.shopify("demo")
    kinds = set()
    for h in store.orders.headers():
        o = store.order(h.id)
        d = {k: Decimal(o[k]) for k in ("total_line_items_price", "total_discounts",
                                         "subtotal_price", "total_tax", "total_price")}
        shipping = Decimal(o["total_shipping_price_set"]["shop_money"]["amount"])
        assert d["subtotal_price"] == d["total_line_items_price"] - d["total_discounts"]
        tax = Decimal(0) if o["taxes_included"] else d["total_tax"]
        assert d["total_price"] == d["subtotal_price"] + shipping + tax
        lines = sum(Decimal(li["price"]) * li["quantity"] for li in o["line_items"])
        assert lines == d["total_line_items_price"]
        assert sum(Decimal(t["price"]) for t in o["tax_lines"]) == d["total_tax"]
        for refund in o["refunds"]:
            assert all(Decimal(t["amount"]) > 0 for t in refund["transactions"])
        kinds.add((o["taxes_included"], bool(o["refunds"]), o["cancelled_at"] is not None,
                   o["customer"] is None))
    assert len(kinds) >= 6  # tax modes, refunds, cancellations, guests all occur


def test_ids_above_2_53_survive_json(http, server) -> None:
    orders = walk(http, server, "/orders.json", "orders", status="any", limit=250)
    big = [o["id"] for o in orders if o["id"] > 2**53]
    assert big and all(isinstance(i, int) for i in big)
    single = shopify_get(http, server, "demo", f"/orders/{big[0]}.json")
    assert single.json()["order"]["id"] == big[0]
    assert shopify_get(http, server, "demo", "/orders/1.json").status_code == 404


def test_poisoned_orders_are_broken_and_neighbours_fine(http, server, sandbox) -> None:
    resp = shopify_get(http, server, "poison", "/orders.json", status="any", limit=250)
    orders = resp.json()["orders"]
    missing = [o for o in orders if "id" not in o]
    bad_money = [o for o in orders
                 if "id" in o and not re.fullmatch(r"\d+\.\d\d", o["total_price"])]
    assert len(missing) == 1 and len(bad_money) == 2
    assert re.fullmatch(r"\d+,\d\d [A-Z]{3}", bad_money[0]["total_price"])
    assert len(orders) == 60
