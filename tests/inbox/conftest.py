"""Inbox fixtures: a hub whose shop and WooCommerce site take webhooks, a store, a receiver."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml
from fastapi import FastAPI

from synchub.inbox import WebhookReceiver, sign_body
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.store import Store

ROOT = Path(__file__).resolve().parents[2]
SHOP_SECRET = "shpss_sandbox_demo"   # the sandbox shop's app client secret
WOO_SECRET = "woo-webhook-secret"


def write_hub(tmp_path: Path, *, stock: bool = False, **connections: Any) -> Hub:
    """A hub with ``shop`` (Shopify) and ``woo`` (WooCommerce) taking webhooks."""
    conns: dict[str, Any] = {
        "shop": {"connector": "shopify", "conn_id": "shop", "webhooks": {},
                 "incremental": {"safety_lag": "0s"}},
        "woo": {"connector": "woocommerce", "conn_id": "woo", "webhooks": {},
                "incremental": {"safety_lag": "0s"}},
        "quiet": {"connector": "shopify", "conn_id": "quiet"},   # no webhooks
    }
    conns.update(connections)
    doc: dict[str, Any] = {"version": 1, "connectors_dir": str(ROOT / "connectors"),
                           "mappings_dir": str(ROOT / "mappings"),
                           "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
                           "connections": conns}
    if stock:
        conns["odoo"] = {"connector": "odoo", "conn_id": "odoo", "roles": ["erp"]}
        doc["stock"] = {"masters": {"odoo": {}},
                        "channels": {"shop": {"publish_location": "61000000000"}},
                        "reservations": {"max_age": "3650d"}}
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_hub(path)


def secrets(conn_id: str) -> ConnectionInfo:
    """The test's Airflow Connections: each one's extra holds its webhook secret."""
    secret = {"shop": SHOP_SECRET, "quiet": SHOP_SECRET, "woo": WOO_SECRET}.get(conn_id)
    if secret is None:
        from synchub.errors import ConfigError
        raise ConfigError(f"connection {conn_id!r} not found")
    return ConnectionInfo(conn_id=conn_id, extra={"webhook_secret": secret})


def shopify_headers(body: bytes, topic: str = "orders/create", event_id: str = "ev-1",
                    secret: str = SHOP_SECRET) -> dict[str, str]:
    return {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": sign_body(secret, body),
            "X-Shopify-Event-Id": event_id, "X-Shopify-Webhook-Id": f"wh-{event_id}",
            "X-Shopify-Shop-Domain": "demo.myshopify.com", "Content-Type": "application/json"}


def woo_headers(body: bytes, topic: str = "order.created", delivery: str = "d-1",
                secret: str = WOO_SECRET) -> dict[str, str]:
    return {"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Signature": sign_body(secret, body),
            "X-WC-Webhook-Delivery-ID": delivery, "X-WC-Webhook-ID": "7",
            "Content-Type": "application/json"}


def body_of(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":")).encode()


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return write_hub(tmp_path)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def receiver(hub: Hub, store: Store) -> WebhookReceiver:
    return WebhookReceiver(hub, store, resolve=secrets)


class AppServer:
    """A FastAPI app on a free loopback port, served by uvicorn in a daemon thread."""

    def __init__(self, app: FastAPI) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning",
                                                    access_log=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> AppServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)
        self.sock.close()
