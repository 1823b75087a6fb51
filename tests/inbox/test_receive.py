"""Receiving webhooks: signature, dedupe, ping, limits, and the HTTP route around them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from synchub.api.webhooks import webhooks_router
from synchub.inbox import WebhookReceiver, sign_body
from synchub.inbox.receive import pending_count
from synchub.plan import Hub
from synchub.runtime import ConnectionInfo
from synchub.store import Store
from synchub.store.delivery_tables import inbox

from .conftest import body_of, secrets, shopify_headers, woo_headers, write_hub

ORDER = body_of({"id": 5600000000000, "name": "#1001", "updated_at": "2025-03-01T10:00:00Z"})


def rows(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(inbox).order_by(inbox.c.id))]


def test_signed_event_is_stored_pending_with_topic_and_safe_headers(
        receiver: WebhookReceiver, store: Store) -> None:
    receipt = receiver.receive("shop", shopify_headers(ORDER), ORDER)
    assert (receipt.status, receipt.outcome) == (200, "stored")
    [row] = rows(store)
    assert (row["connection"], row["topic"], row["event_id"], row["status"]) == (
        "shop", "orders/create", "ev-1", "pending")
    assert row["body"] == ORDER.decode()  # the exact text that was signed
    assert row["headers"]["x-shopify-webhook-id"] == "wh-ev-1"
    assert not any("hmac" in k for k in row["headers"])  # the signature is not kept
    assert row["id"] == receipt.inbox_id


@pytest.mark.parametrize("headers", [
    pytest.param(lambda b: {**shopify_headers(b), "X-Shopify-Hmac-Sha256": "AAAA"}, id="wrong"),
    pytest.param(lambda b: shopify_headers(b, secret="another secret"), id="other-secret"),
    pytest.param(lambda b: {k: v for k, v in shopify_headers(b).items()
                            if k != "X-Shopify-Hmac-Sha256"}, id="missing"),
    pytest.param(lambda b: shopify_headers(b + b" "), id="body-changed"),
])
def test_bad_or_missing_signature_is_401_and_stores_nothing(
        receiver: WebhookReceiver, store: Store, headers: Any) -> None:
    receipt = receiver.receive("shop", headers(ORDER), ORDER)
    assert (receipt.status, receipt.outcome) == (401, "refused")
    assert rows(store) == []


def test_duplicate_event_id_answers_200_and_keeps_one_row(
        receiver: WebhookReceiver, store: Store) -> None:
    first = receiver.receive("shop", shopify_headers(ORDER), ORDER)
    # a redelivery: same event id, even with a fresh webhook id and a changed body
    again = {**shopify_headers(ORDER), "X-Shopify-Webhook-Id": "wh-other"}
    second = receiver.receive("shop", again, ORDER)
    assert (first.outcome, second.status, second.outcome) == ("stored", 200, "duplicate")
    assert len(rows(store)) == 1
    # the same event id on another connection is another event
    body = body_of({"id": 9})
    assert receiver.receive("woo", woo_headers(body, delivery="ev-1"), body).outcome == "stored"
    assert len(rows(store)) == 2


def test_woocommerce_ping_is_answered_and_not_stored(
        receiver: WebhookReceiver, store: Store) -> None:
    ping = b"webhook_id=42"
    receipt = receiver.receive("woo", {"Content-Type": "application/x-www-form-urlencoded"},
                               ping)
    assert (receipt.status, receipt.outcome) == (200, "ping")
    # only the exact ping shape skips the signature check
    other = receiver.receive("woo", {}, b"webhook_id=42&x=1")
    assert other.status == 401
    assert rows(store) == []


def test_body_over_the_limit_is_413(tmp_path: Any, store: Store) -> None:
    hub = write_hub(tmp_path, shop={"connector": "shopify", "conn_id": "shop",
                                    "webhooks": {"max_body_bytes": 2048}})
    rcv = WebhookReceiver(hub, store, resolve=secrets)
    big = body_of({"id": 1, "note": "x" * 3000})
    assert rcv.receive("shop", shopify_headers(big), big).status == 413
    assert rows(store) == []


@pytest.mark.parametrize(("connection", "status"), [("quiet", 404), ("nope", 404)])
def test_connection_without_webhooks_is_404(receiver: WebhookReceiver, connection: str,
                                            status: int) -> None:
    assert receiver.receive(connection, shopify_headers(ORDER), ORDER).status == status


def test_missing_topic_or_event_id_is_400(receiver: WebhookReceiver, store: Store) -> None:
    no_id = {k: v for k, v in shopify_headers(ORDER).items() if k != "X-Shopify-Event-Id"}
    no_topic = {k: v for k, v in shopify_headers(ORDER).items() if k != "X-Shopify-Topic"}
    assert receiver.receive("shop", no_id, ORDER).status == 400
    assert receiver.receive("shop", no_topic, ORDER).status == 400
    assert rows(store) == []


def test_secret_from_a_named_connection_password(tmp_path: Any, store: Store) -> None:
    hub = write_hub(tmp_path, shop={"connector": "shopify", "conn_id": "shop",
                                    "webhooks": {"secret_conn_id": "shop_webhooks"}})
    asked: list[str] = []

    def resolve(conn_id: str) -> ConnectionInfo:
        asked.append(conn_id)
        return ConnectionInfo(conn_id=conn_id, password="rotated-secret")

    rcv = WebhookReceiver(hub, store, resolve=resolve)
    assert rcv.receive("shop", shopify_headers(ORDER), ORDER).status == 401
    assert rcv.receive("shop", shopify_headers(ORDER, secret="rotated-secret"),
                       ORDER).status == 200
    assert asked[-1] == "shop_webhooks"


def test_unconfigured_secret_is_503_and_stores_nothing(hub: Hub, store: Store) -> None:
    rcv = WebhookReceiver(hub, store, resolve=lambda c: ConnectionInfo(conn_id=c))
    assert rcv.receive("shop", shopify_headers(ORDER), ORDER).status == 503
    assert rows(store) == []


def test_on_stored_runs_once_per_new_event_and_its_failure_loses_nothing(
        hub: Hub, store: Store) -> None:
    calls: list[str] = []

    def announce(connection: str) -> None:
        calls.append(connection)
        raise RuntimeError("asset manager down")

    rcv = WebhookReceiver(hub, store, resolve=secrets, on_stored=announce)
    assert rcv.receive("shop", shopify_headers(ORDER), ORDER).outcome == "stored"
    assert rcv.receive("shop", shopify_headers(ORDER), ORDER).outcome == "duplicate"
    assert calls == ["shop"]
    assert pending_count(store, "shop") == 1


def test_http_route_reads_raw_body_and_limits_it(tmp_path: Any, store: Store) -> None:
    hub = write_hub(tmp_path, shop={"connector": "shopify", "conn_id": "shop",
                                    "webhooks": {"max_body_bytes": 2048}})
    app = FastAPI()
    app.include_router(webhooks_router(lambda: WebhookReceiver(hub, store, resolve=secrets)))
    client = TestClient(app)
    ok = client.post("/webhooks/shop", content=ORDER, headers=shopify_headers(ORDER))
    assert (ok.status_code, ok.json()["status"]) == (200, "stored")
    big = b"{" + b" " * 4096 + b"}"
    assert client.post("/webhooks/shop", content=big,
                       headers=shopify_headers(big)).status_code == 413
    assert client.post("/webhooks/quiet", content=ORDER,
                       headers=shopify_headers(ORDER)).status_code == 404
    bad = client.post("/webhooks/shop", content=ORDER,
                      headers={**shopify_headers(ORDER), "X-Shopify-Hmac-Sha256": "x"})
    assert bad.status_code == 401
    assert len(rows(store)) == 1


def test_sign_body_is_base64_hmac_sha256() -> None:
    # the value Shopify's and WooCommerce's documentation compute for this key and body
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(b"k", b"{}", hashlib.sha256).digest()).decode()
    assert sign_body("k", b"{}") == expected


def test_default_app_reads_the_hub_file_and_airflow_connection_env(
        hub: Hub, store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from synchub.api.app import create_app

    monkeypatch.setenv("SYNCHUB_HUB", str(hub.path))
    monkeypatch.setenv(hub.file.store.url_env, db_url)
    monkeypatch.setenv("AIRFLOW_CONN_SHOP", json.dumps(
        {"conn_type": "http", "host": "shop.example", "extra": {"webhook_secret": "env-secret"}}))
    client = TestClient(create_app())
    assert client.post("/webhooks/shop", content=ORDER,
                       headers=shopify_headers(ORDER)).status_code == 401
    ok = client.post("/webhooks/shop", content=ORDER,
                     headers=shopify_headers(ORDER, secret="env-secret"))
    assert (ok.status_code, ok.json()["status"]) == (200, "stored")
    assert [r["event_id"] for r in rows(store)] == ["ev-1"]


def test_the_route_reads_secrets_through_the_resolver_it_is_given(
        hub: Hub, store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin builds the route with its resolver; nothing global is set or read."""
    from synchub.api.app import create_app

    monkeypatch.setenv("SYNCHUB_HUB", str(hub.path))
    monkeypatch.setenv(hub.file.store.url_env, db_url)
    monkeypatch.delenv("AIRFLOW_CONN_SHOP", raising=False)
    asked: list[str] = []

    def stub(conn_id: str) -> ConnectionInfo:
        asked.append(conn_id)
        return ConnectionInfo(conn_id=conn_id, extra={"webhook_secret": "stub-secret"})

    client = TestClient(create_app(webhook_router=webhooks_router(resolve=stub)))
    ok = client.post("/webhooks/shop", content=ORDER,
                     headers=shopify_headers(ORDER, secret="stub-secret"))
    assert (ok.status_code, ok.json()["status"]) == (200, "stored")
    assert asked == ["shop"]
    assert [r["event_id"] for r in rows(store)] == ["ev-1"]

    # a second app with another resolver does not see the first one's
    other = TestClient(create_app(webhook_router=webhooks_router(resolve=secrets)))
    again = other.post("/webhooks/shop", content=ORDER,
                       headers=shopify_headers(ORDER, secret="stub-secret", event_id="ev-2"))
    assert again.status_code == 401 and asked == ["shop"]


def test_the_route_without_a_receiver_needs_a_resolver() -> None:
    with pytest.raises(TypeError, match="resolve"):
        webhooks_router()
