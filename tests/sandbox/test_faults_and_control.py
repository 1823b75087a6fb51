"""Fault injection, control endpoints, determinism and poisoned records."""

from __future__ import annotations

import json

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from tests.sandbox.conftest import shopify_get, woo_get


def test_fail_next_answers_in_order_then_recovers(http, server, sandbox) -> None:
    store = sandbox.shopify("faulty", orders=5, customers=2, products=2)
    store.faults(fail_next=[429, 503, 500])
    got = [shopify_get(http, server, "faulty", "/orders.json") for _ in range(4)]
    assert [r.status_code for r in got] == [429, 503, 500, 200]
    assert got[0].headers["Retry-After"] == "1"
    assert got[0].json()["errors"].startswith("Exceeded 2 calls per second")
    assert got[2].json() == {"errors": "Internal Server Error"}
    assert [r.status for r in store.requests[-4:]] == [429, 503, 500, 200]


def test_woo_fault_bodies_are_wordpress_shaped(http, server, sandbox) -> None:
    sandbox.woocommerce("faulty", orders=5, customers=2, products=2).faults(fail_next=[500, 429])
    first, second = (woo_get(http, server, "faulty", "/orders") for _ in range(2))
    assert first.json()["code"] == "internal_server_error" and first.json()["data"]["status"] == 500
    assert second.status_code == 429 and second.headers["Retry-After"] == "1"


def test_truncated_body_is_200_and_invalid_json(http, server, sandbox) -> None:
    sandbox.shopify("cut", orders=5, customers=2, products=2).faults(truncate_rate=1.0)
    resp = shopify_get(http, server, "cut", "/orders.json", status="any")
    assert resp.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.text)


def test_hang_makes_the_client_time_out(http, server, sandbox) -> None:
    sandbox.shopify("slow", orders=5, customers=2, products=2).faults(
        timeout_rate=1.0, hang_seconds=0.6)
    with pytest.raises(requests.ReadTimeout):
        http.get(server.shopify_url("slow") + "/admin/api/2025-07/orders.json",
                 headers={"X-Shopify-Access-Token": "shpat_sandbox_slow"}, timeout=0.2)


def test_control_endpoints_are_never_faulted(http, server) -> None:
    base = server.base_url + "/_sandbox/shopify/ctl"
    assert http.post(base + "/reset", json={"orders": 8, "customers": 3, "products": 2}).json()[
        "counts"]["orders"] == 8
    assert http.post(base + "/faults", json={"fail_next": [503, 503]}).status_code == 200
    assert http.get(server.base_url + "/_sandbox/health").json()["status"] == "ok"
    changed = http.post(base + "/mutate", json={"orders_created": 2}).json()
    assert len(changed["orders_created"]) == 2
    statuses = [shopify_get(http, server, "ctl", "/orders.json", status="any").status_code
                for _ in range(3)]
    assert statuses == [503, 503, 200]
    stats = http.get(base + "/stats").json()
    assert stats["counts"]["orders"] == 10
    assert stats["requests_by_status"] == {"503": 2, "200": 1}
    assert http.post(base + "/mutate", json={"bogus": 1}).status_code == 400


def test_every_fault_key_is_accepted_by_the_control_endpoint(http, server) -> None:
    base = server.base_url + "/_sandbox/shopify/ctl2"
    http.post(base + "/reset", json={"orders": 2, "customers": 1, "products": 1})
    got = http.post(base + "/faults", json={"lost_reply_rate": 0.5, "lost_reply_next": 2})
    assert got.status_code == 200, got.text
    assert got.json()["lost_reply_rate"] == 0.5 and got.json()["lost_reply_next"] == 2
    assert http.post(base + "/faults", json={"lost_reply_rate": 2}).status_code == 400


def test_same_seed_same_bytes_and_other_seed_differs() -> None:
    def page(seed: int) -> tuple[bytes, bytes, bytes]:
        sb = Sandbox(seed=seed)
        with SandboxServer(sb) as srv, requests.Session() as http:
            a = shopify_get(http, srv, "demo", "/orders.json", status="any", limit=50).content
            b = woo_get(http, srv, "demo", "/orders", per_page=50).content
            c = woo_get(http, srv, "demo", "/products", per_page=50).content
        return a, b, c

    first, again, other = page(11), page(11), page(12)
    assert first == again
    assert all(x != y for x, y in zip(first, other, strict=True))


def test_seeded_data_lies_in_2025_and_has_unicode(sandbox) -> None:
    store = sandbox.shopify("demo")
    orders = [store.order(h.id) for h in store.orders.headers()][:130]
    assert all(o["created_at"].startswith("2025-") for o in orders)
    names = " ".join(f"{o['billing_address']['name']}" for o in orders if o["billing_address"])
    assert any(ch in names for ch in "äöüß") and any("\u4e00" <= ch <= "\u9fff" for ch in names)
    assert any(li["sku"] in (None, "") for o in orders for li in o["line_items"])
    assert any(o["presentment_currency"] != o["currency"] for o in orders)
