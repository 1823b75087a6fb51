"""End to end over loopback: the sandbox shop sends signed webhooks to the hub's API.

The hub's app runs under uvicorn, mounted at ``/synchub`` as the Airflow plugin mounts it;
the sandbox registers webhooks through the vendors' REST endpoints and delivers them from
its sender thread. What arrives is stored once and processed into canonical orders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from fastapi import FastAPI

from synchub.api.app import create_app
from synchub.api.webhooks import webhooks_router
from synchub.inbox import WebhookReceiver, process_inbox
from synchub.inbox.receive import pending_count
from synchub.pipeline import sync_stream
from synchub.runtime import ConnectionInfo
from synchub.store import Store
from synchub.store.delivery_tables import inbox

from .conftest import WOO_SECRET, AppServer, secrets, write_hub

API = "/admin/api/2025-07"


@pytest.fixture
def hub_server(tmp_path: Path, store: Store) -> Any:
    hub = write_hub(tmp_path)
    announced: list[str] = []
    receiver = WebhookReceiver(hub, store, resolve=secrets, on_stored=announced.append)
    app = create_app(store_factory=lambda: store, hub_factory=lambda: hub,
                     webhook_router=webhooks_router(lambda: receiver))
    outer = FastAPI()
    outer.mount("/synchub", app)
    with AppServer(outer) as server:
        yield hub, server, announced


def subscribe_shopify(srv: Any, sb: Any, topic: str, address: str) -> dict[str, Any]:
    reply = requests.post(f"{srv.shopify_url('demo')}{API}/webhooks.json", timeout=10,
                          headers={"X-Shopify-Access-Token": sb.shopify("demo").access_token},
                          json={"webhook": {"topic": topic, "address": address,
                                            "format": "json"}})
    assert reply.status_code == 201, reply.text
    return dict(reply.json()["webhook"])


def events(store: Store) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        return [(r.topic, r.event_id) for r in conn.execute(
            sa.select(inbox.c.topic, inbox.c.event_id).order_by(inbox.c.id))]


def test_shopify_order_webhook_reaches_the_store(sandbox: Any, store: Store,
                                                 hub_server: Any) -> None:
    sb, srv = sandbox
    hub, server, announced = hub_server
    shop = sb.shopify("demo", orders=0, customers=1, products=6)
    subscribe_shopify(srv, sb, "orders/create", f"{server.url}/synchub/webhooks/shop")
    sku = sorted(shop._by_sku)[0]
    oid = shop.place_order([{"sku": sku, "quantity": 1}])["id"]
    assert shop.webhooks.flush()
    assert [s["outcome"] for s in shop.webhooks.sent] == ["delivered"]
    assert [t for t, _ in events(store)] == ["orders/create"]
    assert announced == ["shop"]

    summary = process_inbox(store, hub, "shop")
    assert summary.changed == {"order": 1}
    assert store.count("order", connection="shop") == 1
    assert pending_count(store, "shop") == 0
    assert [d["external_id"] for d in store.read_feed("order").records] == [str(oid)]


def test_duplicate_delivery_is_stored_once_and_dropped_one_comes_from_the_poll(
        sandbox: Any, store: Store, hub_server: Any) -> None:
    sb, srv = sandbox
    hub, server, _announced = hub_server
    shop = sb.shopify("demo", orders=0, customers=1, products=6)
    subscribe_shopify(srv, sb, "orders/create", f"{server.url}/synchub/webhooks/shop")
    sku = sorted(shop._by_sku)[0]
    # the control endpoint: the next delivery twice, the one after it lost
    knobs = requests.post(f"{srv.base_url}/_sandbox/shopify/demo/webhooks", timeout=10,
                          json={"duplicate_next": 1})
    assert knobs.json()["duplicate_next"] == 1
    first = shop.place_order([{"sku": sku, "quantity": 1}])["id"]
    assert shop.webhooks.flush()
    requests.post(f"{srv.base_url}/_sandbox/shopify/demo/webhooks", timeout=10,
                  json={"drop_next": 1})
    second = shop.place_order([{"sku": sku, "quantity": 2}])["id"]
    assert shop.webhooks.flush()
    assert [s["outcome"] for s in shop.webhooks.sent] == ["delivered", "delivered", "dropped"]
    assert len(events(store)) == 1        # the duplicate was answered 200 and not stored

    process_inbox(store, hub, "shop")
    ids = {r["external_id"] for r in store.read_feed("order").records}
    assert ids == {str(first)}
    # the poll is the net: the lost webhook's order arrives with it
    info = ConnectionInfo(conn_id="shop", conn_type="http", host=srv.shopify_url("demo"),
                          password=shop.access_token)
    sync_stream(hub, "shop", "orders", store=store, conn_info=info)
    assert {r["external_id"] for r in store.read_feed("order").records} == \
        {str(first), str(second)}


def test_woocommerce_ping_then_order_webhook(sandbox: Any, store: Store,
                                             hub_server: Any) -> None:
    sb, srv = sandbox
    hub, server, _announced = hub_server
    woo = sb.woocommerce("demo", orders=0, customers=1, products=6)
    reply = requests.post(f"{srv.woocommerce_url('demo')}/wp-json/wc/v3/webhooks", timeout=10,
                          auth=(woo.consumer_key, woo.consumer_secret),
                          json={"name": "hub", "topic": "order.created", "secret": WOO_SECRET,
                                "delivery_url": f"{server.url}/synchub/webhooks/woo"})
    assert reply.status_code == 201, reply.text
    assert "secret" not in reply.json()
    sku = sorted(woo._by_sku)[0]
    oid = woo.place_order([{"sku": sku, "quantity": 2}])["id"]
    assert woo.webhooks.flush()
    assert [(s["topic"], s["outcome"]) for s in woo.webhooks.sent] == [
        ("ping", "delivered"), ("order.created", "delivered")]
    assert [t for t, _ in events(store)] == ["order.created"]   # the ping is not kept
    summary = process_inbox(store, hub, "woo")
    assert summary.changed == {"order": 1}
    [doc] = store.read_feed("order").records
    assert doc["external_id"] == str(oid) and doc["lines"][0]["quantity"] == 2
