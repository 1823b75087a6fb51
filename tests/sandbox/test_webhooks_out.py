"""The sandbox's webhooks: subscription endpoints, and deliveries signed as the vendors sign.

A plain loopback HTTP server records what the sandbox sends, and answers with the statuses
a test queues (to see the retries).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer

API = "/admin/api/2025-07"
WC = "/wp-json/wc/v3"


class Catcher:
    """Records every POST (headers, body); answers the queued statuses, then 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                catcher.received.append(({k.lower(): v for k, v in self.headers.items()},
                                         body))
                status = catcher.statuses.pop(0) if catcher.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def catcher() -> Iterator[Catcher]:
    c = Catcher()
    yield c
    c.close()


@pytest.fixture
def world() -> Iterator[tuple[Sandbox, SandboxServer]]:
    sb = Sandbox(seed=11)
    sb.shopify("demo", orders=0, customers=2, products=5)
    sb.woocommerce("demo", orders=0, customers=2, products=5)
    with SandboxServer(sb) as srv:
        yield sb, srv


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify(srv: SandboxServer, sb: Sandbox, method: str, path: str,
            **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{srv.shopify_url('demo')}{API}{path}", timeout=10,
                            headers={"X-Shopify-Access-Token": sb.shopify("demo").access_token},
                            **kwargs)


def woo(srv: SandboxServer, sb: Sandbox, method: str, path: str,
        **kwargs: Any) -> requests.Response:
    w = sb.woocommerce("demo")
    return requests.request(method, f"{srv.woocommerce_url('demo')}{WC}{path}", timeout=10,
                            auth=(w.consumer_key, w.consumer_secret), **kwargs)


def test_shopify_subscriptions_create_list_delete_and_validate(
        world: tuple[Sandbox, SandboxServer]) -> None:
    sb, srv = world
    made = shopify(srv, sb, "POST", "/webhooks.json", json={"webhook": {
        "topic": "orders/create", "address": "https://hub.example/synchub/webhooks/shop",
        "format": "json"}})
    assert made.status_code == 201
    hook = made.json()["webhook"]
    assert (hook["topic"], hook["format"], hook["api_version"]) == (
        "orders/create", "json", "2025-07")
    again = shopify(srv, sb, "POST", "/webhooks.json", json={"webhook": {
        "topic": "orders/create", "address": "https://hub.example/synchub/webhooks/shop"}})
    assert again.status_code == 422
    assert again.json()["errors"]["address"] == ["for this topic has already been taken"]
    bad = shopify(srv, sb, "POST", "/webhooks.json",
                  json={"webhook": {"topic": "orders/nope", "address": ""}})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"topic", "address"}
    assert [h["id"] for h in shopify(srv, sb, "GET", "/webhooks.json").json()["webhooks"]] \
        == [hook["id"]]
    assert shopify(srv, sb, "DELETE", f"/webhooks/{hook['id']}.json").status_code == 200
    assert shopify(srv, sb, "DELETE", f"/webhooks/{hook['id']}.json").status_code == 404
    assert shopify(srv, sb, "GET", "/webhooks.json").json() == {"webhooks": []}
    assert requests.get(f"{srv.shopify_url('demo')}{API}/webhooks.json",
                        timeout=10).status_code == 401


def test_shopify_delivery_is_signed_with_the_client_secret_and_carries_the_headers(
        world: tuple[Sandbox, SandboxServer], catcher: Catcher) -> None:
    sb, srv = world
    shop = sb.shopify("demo")
    shopify(srv, sb, "POST", "/webhooks.json",
            json={"webhook": {"topic": "orders/create", "address": catcher.url}})
    shopify(srv, sb, "POST", "/webhooks.json",
            json={"webhook": {"topic": "orders/updated", "address": catcher.url}})
    sku = sorted(shop._by_sku)[0]
    oid = shop.place_order([{"sku": sku, "quantity": 1}])["id"]
    shop.mutate(orders_updated=1)
    assert shop.webhooks.flush()
    assert [h["x-shopify-topic"] for h, _ in catcher.received] == [
        "orders/create", "orders/updated"]
    headers, body = catcher.received[0]
    assert headers["x-shopify-hmac-sha256"] == sign("shpss_sandbox_demo", body)
    assert json.loads(body)["id"] == oid
    assert headers["x-shopify-shop-domain"] == "demo.myshopify.com"
    assert headers["x-shopify-api-version"] == "2025-07"
    assert headers["x-shopify-triggered-at"].endswith("Z")
    for name in ("x-shopify-webhook-id", "x-shopify-event-id"):
        assert headers[name] != catcher.received[1][0][name]


def test_failed_delivery_is_retried_with_the_same_ids(
        world: tuple[Sandbox, SandboxServer], catcher: Catcher) -> None:
    sb, srv = world
    shop = sb.shopify("demo")
    shopify(srv, sb, "POST", "/webhooks.json",
            json={"webhook": {"topic": "customers/update", "address": catcher.url}})
    catcher.statuses = [500, 503]
    shop.mutate(customers_updated=1)
    assert shop.webhooks.flush()
    assert len(catcher.received) == 3
    ids = {h["x-shopify-event-id"] for h, _ in catcher.received}
    bodies = {b for _, b in catcher.received}
    assert len(ids) == 1 and len(bodies) == 1
    assert shop.webhooks.sent[-1] == {"subscription": shop.webhooks.sent[-1]["subscription"],
                                      "topic": "customers/update", "outcome": "delivered",
                                      "attempts": 3, "statuses": [500, 503, 200]}


def test_knobs_drop_and_duplicate_deliveries(world: tuple[Sandbox, SandboxServer],
                                             catcher: Catcher) -> None:
    sb, srv = world
    shop = sb.shopify("demo")
    shopify(srv, sb, "POST", "/webhooks.json",
            json={"webhook": {"topic": "customers/create", "address": catcher.url}})
    answer = requests.post(f"{srv.base_url}/_sandbox/shopify/demo/webhooks", timeout=10,
                           json={"drop_next": 1, "duplicate_next": 1})
    assert answer.json()["drop_next"] == 1
    shop.mutate(customers_created=2)   # the first is dropped, the second sent twice
    assert shop.webhooks.flush()
    assert [s["outcome"] for s in shop.webhooks.sent] == ["dropped", "delivered", "delivered"]
    assert len(catcher.received) == 2
    assert catcher.received[0] == catcher.received[1]   # same ids, same body
    refused = requests.post(f"{srv.base_url}/_sandbox/shopify/demo/webhooks", timeout=10,
                            json={"nope": 1})
    assert refused.status_code == 400


def test_woocommerce_webhook_pings_then_delivers_signed_with_its_secret(
        world: tuple[Sandbox, SandboxServer], catcher: Catcher) -> None:
    sb, srv = world
    w = sb.woocommerce("demo")
    made = woo(srv, sb, "POST", "/webhooks", json={
        "name": "hub", "topic": "order.updated", "delivery_url": catcher.url,
        "secret": "s3cret-value"})
    assert made.status_code == 201
    hook = made.json()
    assert (hook["resource"], hook["event"], hook["status"]) == ("order", "updated", "active")
    assert "secret" not in hook
    w.place_order([{"sku": sorted(w._by_sku)[0], "quantity": 1}])
    w.mutate(orders_updated=1)
    assert w.webhooks.flush()
    (ping_headers, ping), (headers, body) = catcher.received
    assert ping == f"webhook_id={hook['id']}".encode()
    assert "x-wc-webhook-signature" not in ping_headers
    assert headers["x-wc-webhook-signature"] == sign("s3cret-value", body)
    assert (headers["x-wc-webhook-topic"], headers["x-wc-webhook-resource"],
            headers["x-wc-webhook-event"], headers["x-wc-webhook-id"]) == (
        "order.updated", "order", "updated", str(hook["id"]))
    assert headers["x-wc-webhook-source"].endswith("/woocommerce/demo/")
    assert len(headers["x-wc-webhook-delivery-id"]) == 32
    assert json.loads(body)["status"] == "completed"


def test_woocommerce_webhook_endpoints_validate_and_delete_with_force(
        world: tuple[Sandbox, SandboxServer]) -> None:
    sb, srv = world
    bad = woo(srv, sb, "POST", "/webhooks", json={"topic": "order.exploded",
                                                  "delivery_url": "https://x.example/h"})
    assert bad.status_code == 400 and bad.json()["code"] == "rest_invalid_param"
    made = woo(srv, sb, "POST", "/webhooks", json={
        "topic": "customer.created", "delivery_url": "https://x.example/h",
        "status": "paused"}).json()
    assert woo(srv, sb, "GET", f"/webhooks/{made['id']}").json()["status"] == "paused"
    assert [h["id"] for h in woo(srv, sb, "GET", "/webhooks").json()] == [made["id"]]
    assert woo(srv, sb, "DELETE", f"/webhooks/{made['id']}").status_code == 501
    assert woo(srv, sb, "DELETE", f"/webhooks/{made['id']}",
               params={"force": "true"}).status_code == 200
    assert woo(srv, sb, "GET", f"/webhooks/{made['id']}").status_code == 404
