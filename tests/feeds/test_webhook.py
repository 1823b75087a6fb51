"""Signed webhooks: the exact request, the signature a receiver checks, outcomes per status."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import responses

from synchub.config.connector_writes import WriterSpec
from synchub.delivery.base import DeliveryItem
from synchub.delivery.writers import writer_class
from synchub.delivery.writers.webhook import (
    SignedWebhookWriter,
    delivery_id,
    sign,
    verify_signature,
)
from synchub.errors import ConfigError

SECRET = "whsec-test-0123456789"
URL = "https://erp.example.com/hooks/synchub"


def make_writer(monkeypatch: pytest.MonkeyPatch, conn: dict[str, Any] | None = None
                ) -> SignedWebhookWriter:
    conn = conn or {"conn_type": "http", "host": "https://erp.example.com/hooks/synchub",
                    "password": SECRET}
    monkeypatch.setenv("AIRFLOW_CONN_ERP_HOOK", json.dumps(conn))
    spec = WriterSpec(type="signed_webhook", entity="order", batch_size=50,
                      options={"conn_id": "erp_hook", "consumer": "erp"})
    cls = writer_class("signed_webhook")
    writer = cls(spec, None, sink="erp", run_id="run-1")
    assert isinstance(writer, SignedWebhookWriter)
    return writer


def item(n: int, version: str = "h1") -> DeliveryItem:
    doc = {"id": f"id-{n}", "external_id": str(n), "total": {"amount": "1.10", "currency": "EUR"}}
    return DeliveryItem(delivery_id=n, route="order", entity="order", record_id=f"id-{n}",
                        source_connection="shop", document=doc, payload=None,
                        idempotency_key=f"erp:order:id-{n}:{version}")


@responses.activate(assert_all_requests_are_fired=True)
def test_the_request_is_signed_and_carries_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    responses.post(URL, status=204)
    writer = make_writer(monkeypatch)
    before = int(time.time())
    results = writer.write([item(1), item(2)])
    assert [(r.delivery_id, r.outcome) for r in results] == [(1, "delivered"), (2, "delivered")]

    (call,) = responses.calls
    req = call.request
    assert req.headers["Content-Type"] == "application/json"
    stamp = req.headers["X-Synchub-Timestamp"]
    assert before <= int(stamp) <= int(time.time())
    body = req.body if isinstance(req.body, bytes) else str(req.body).encode()
    assert req.headers["X-Synchub-Signature"] == sign(SECRET, stamp, body)
    assert verify_signature(SECRET, stamp, body, req.headers["X-Synchub-Signature"])
    assert req.headers["X-Synchub-Delivery"] == delivery_id([item(1), item(2)])
    payload = json.loads(body)
    assert set(payload) == {"consumer", "entity", "records", "sent_at"}
    assert (payload["consumer"], payload["entity"]) == ("erp", "order")
    assert [r["id"] for r in payload["records"]] == ["id-1", "id-2"]
    assert payload["records"][0]["total"] == {"amount": "1.10", "currency": "EUR"}
    assert SECRET not in json.dumps(dict(req.headers)) and SECRET.encode() not in body


@pytest.mark.parametrize("status, headers, outcome, retry_after", [
    (200, {}, "delivered", None),
    (202, {}, "delivered", None),
    (408, {}, "retry", None),
    (429, {"Retry-After": "7"}, "retry", 7.0),
    (500, {}, "retry", None),
    (503, {"Retry-After": "2"}, "retry", 2.0),
    (400, {}, "failed", None),
    (401, {}, "failed", None),
    (404, {}, "failed", None),
    (410, {}, "failed", None),
])
def test_outcome_per_status(monkeypatch: pytest.MonkeyPatch, status: int,
                            headers: dict[str, str], outcome: str,
                            retry_after: float | None) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(URL, status=status, headers=headers, body='{"error": "x@example.com"}')
        (result,) = make_writer(monkeypatch).write([item(1)])
    assert (result.outcome, result.retry_after) == (outcome, retry_after)
    if outcome != "delivered":
        assert result.error == f"webhook to consumer 'erp' answered HTTP {status}"


def test_a_timeout_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(URL, body=requests.Timeout("read timed out"))
        (result,) = make_writer(monkeypatch).write([item(1)])
    assert result.outcome == "retry" and "Timeout" in (result.error or "")


def test_delivery_id_is_stable_per_record_versions() -> None:
    assert delivery_id([item(1), item(2)]) == delivery_id([item(2), item(1)])
    assert delivery_id([item(1)]) != delivery_id([item(1, version="h2")])
    assert len(delivery_id([item(1)])) == 32


def test_a_connection_without_secret_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    writer = make_writer(monkeypatch, {"conn_type": "http", "host": "erp.example.com"})
    with pytest.raises(ConfigError, match="'erp_hook': password"):
        writer.write([item(1)])


def test_options_are_checked() -> None:
    spec = WriterSpec(type="signed_webhook", entity="order", options={"conn_id": "x"})
    with pytest.raises(ValueError, match="consumer"):
        SignedWebhookWriter(spec, None, sink="erp", run_id="r")


@pytest.mark.parametrize("case, ok", [
    ("valid", True), ("tampered body", False), ("other secret", False), ("too old", False),
    ("from the future", False), ("rotated secret listed second", True), ("bad stamp", False),
])
def test_verify_signature(case: str, ok: bool) -> None:
    body, now = b'{"records":[]}', 1_700_000_000
    stamp: str | int = now - 10
    header = sign(SECRET, stamp, body)
    if case == "tampered body":
        body = b'{"records":[1]}'
    elif case == "other secret":
        header = sign("another-secret", stamp, body)
    elif case == "too old":
        stamp = now - 301
        header = sign(SECRET, stamp, body)
    elif case == "from the future":
        stamp = now + 301
        header = sign(SECRET, stamp, body)
    elif case == "rotated secret listed second":
        header = sign("old-secret", stamp, body) + ", " + header
    elif case == "bad stamp":
        stamp = "soon"
    assert verify_signature(SECRET, stamp, body, header, 300, now=now) is ok


class Receiver:
    """A tiny webhook receiver on loopback: verifies, dedupes by delivery id, can fail once."""

    def __init__(self) -> None:
        self.processed: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.fail_next = 0
        self.lose_reply_next = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not verify_signature(SECRET, self.headers["X-Synchub-Timestamp"], body,
                                        self.headers["X-Synchub-Signature"]):
                    self.send_response(401)
                    self.end_headers()
                    return
                if outer.fail_next:
                    outer.fail_next -= 1
                    self.send_response(503)
                    self.send_header("Retry-After", "1")
                    self.end_headers()
                    return
                delivery = self.headers["X-Synchub-Delivery"]
                if delivery not in outer.seen:
                    outer.seen.add(delivery)
                    outer.processed.append(json.loads(body))
                # processed, but the caller never hears so (it retries the same delivery)
                self.send_response(500 if outer.lose_reply_next else 200)
                outer.lose_reply_next = max(0, outer.lose_reply_next - 1)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def test_loopback_receiver_processes_each_delivery_once(
        receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = make_writer(monkeypatch, {"conn_type": "http", "host": "127.0.0.1",
                                       "schema": "http", "port": receiver.port,
                                       "password": SECRET})
    receiver.fail_next = 1
    first = writer.write([item(1), item(2)])
    assert {r.outcome for r in first} == {"retry"} and first[0].retry_after == 1.0
    receiver.lose_reply_next = 1
    assert {r.outcome for r in writer.write([item(1), item(2)])} == {"retry"}
    assert {r.outcome for r in writer.write([item(2), item(1)])} == {"delivered"}
    assert len(receiver.processed) == 1  # the retry after a lost reply was recognised
    assert [r["id"] for r in receiver.processed[0]["records"]] == ["id-1", "id-2"]
    writer.close()

    # a wrong secret on our side is refused by the receiver: failed, not retried forever
    bad = make_writer(monkeypatch, {"conn_type": "http", "host": "127.0.0.1", "schema": "http",
                                    "port": receiver.port, "password": "not-the-secret"})
    assert bad.write([item(3)])[0].outcome == "failed"


@responses.activate(assert_all_requests_are_fired=True)
def test_the_connection_comes_from_the_resolver_the_runner_passes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from synchub.runtime import ConnectionInfo

    responses.post("https://hooks.example.net:8443/in", status=200)
    monkeypatch.delenv("AIRFLOW_CONN_ERP_HOOK", raising=False)
    asked: list[str] = []

    def airflow_like(conn_id: str) -> ConnectionInfo:
        asked.append(conn_id)
        return ConnectionInfo(conn_id=conn_id, host="hooks.example.net/in", port=8443,
                              password=SECRET)

    spec = WriterSpec(type="signed_webhook", entity="order",
                      options={"conn_id": "erp_hook", "consumer": "erp"})
    writer = SignedWebhookWriter(spec, None, sink="erp", run_id="r", resolve=airflow_like)
    assert writer.write([item(1)])[0].outcome == "delivered"
    assert asked == ["erp_hook"]
    # no module-level resolver is left behind: another writer reads the environment again
    other = SignedWebhookWriter(spec, None, sink="erp", run_id="r2")
    with pytest.raises(ConfigError, match="AIRFLOW_CONN_ERP_HOOK"):
        other.target()
