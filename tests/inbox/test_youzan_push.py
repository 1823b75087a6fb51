"""Youzan push messages: Event-Sign = md5(client_id + raw body + client_secret) checked in
constant time, a bad signature refused with nothing stored, msg_id the dedupe key, test
messages answered and not stored, the URL-encoded ``msg`` mapped as an order; and end to
end, the simulator pushing to the hub's API over loopback."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from synchub.api.app import create_app
from synchub.api.webhooks import webhooks_router
from synchub.errors import ConfigError
from synchub.inbox import WebhookReceiver, process_inbox
from synchub.inbox.receive import pending_count
from synchub.plan import Hub
from synchub.runtime import ConnectionInfo
from synchub.sandbox.youzan.store import YouzanStore
from synchub.store import Store
from synchub.store.delivery_tables import inbox

from .conftest import ROOT, AppServer, write_hub

CLIENT_ID, SECRET = "9a8b7c6d5e4f3a2b1c", "f0e1d2c3b4a5968778695a4b3c2d1e0f"
ORDER = json.loads((ROOT / "tests/mapping/fixtures/youzan/orders.json").read_text(
    encoding="utf-8"))["data"]["full_order_info_list"][0]


@pytest.fixture(autouse=True)
def _map_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # a handful of events: starting mapping workers would cost more than they save
    monkeypatch.setenv("SYNCHUB_MAP_WORKERS", "0")


def yz_hub(tmp_path: Path) -> Hub:
    return write_hub(tmp_path, yz={"connector": "youzan", "conn_id": "yz",
                                   "webhooks": {"secret_conn_id": "yz"}})


def resolver(client_id: str = CLIENT_ID, secret: str = SECRET) -> Any:
    def resolve(conn_id: str) -> ConnectionInfo:
        if conn_id != "yz":
            raise ConfigError(f"connection {conn_id!r} not found")
        return ConnectionInfo(conn_id="yz", conn_type="http", login=client_id,
                              password=secret, extra={"kdt_id": "160000001"})
    return resolve


def push(message: dict[str, Any], *, msg_id: str = "m-1", topic: str = "trade_TradeCreate",
         test: bool = False, msg: str | None = None) -> bytes:
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    return json.dumps({
        "client_id": CLIENT_ID, "id": "E20250618200005012300001", "kdt_id": 160000001,
        "kdt_name": "沙箱店", "mode": 1, "msg": quote_plus(text) if msg is None else msg,
        "msg_id": msg_id, "sendCount": 0, "status": "WAIT_BUYER_PAY", "test": test,
        "type": topic, "version": 1750248005}, ensure_ascii=False).encode()


def headers(body: bytes, *, client_id: str = CLIENT_ID, secret: str = SECRET,
            topic: str = "trade_TradeCreate") -> dict[str, str]:
    sign = hashlib.md5(client_id.encode() + body + secret.encode()).hexdigest()
    return {"Event-Sign": sign, "Event-Type": topic, "Client-Id": client_id,
            "Content-Type": "application/json"}


def rows(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(inbox).order_by(inbox.c.id))]


BODY = push(ORDER)


def test_known_answer_of_the_signature() -> None:
    # md5("abc" + "{}" + "xyz"), as `printf "abc{}xyz" | md5sum` gives it
    receiver_hex = hashlib.md5(b"abc{}xyz").hexdigest()
    from synchub.inbox.receive import concat_digest
    assert concat_digest("md5", [b"abc", b"{}", b"xyz"]) == receiver_hex == \
        "e17f92522e7346053e1ff3e17939828f"


def test_a_signed_push_is_stored_once_by_msg_id(tmp_path: Path, store: Store) -> None:
    receiver = WebhookReceiver(yz_hub(tmp_path), store, resolve=resolver())
    first = receiver.receive("yz", headers(BODY), BODY)
    again = receiver.receive("yz", headers(BODY), BODY)     # Youzan resends until it hears 200
    assert (first.status, first.outcome, again.outcome) == (200, "stored", "duplicate")
    (row,) = rows(store)
    assert (row["topic"], row["event_id"], row["body"]) == ("trade_TradeCreate", "m-1",
                                                             BODY.decode())
    assert "event-sign" not in row["headers"] and row["headers"]["client-id"] == CLIENT_ID


BAD = {  # what a forger or a corrupted delivery sends
    "wrong": lambda b: {**headers(b), "Event-Sign": "0" * 32},
    "other-secret": lambda b: headers(b, secret="another secret"),
    "other-client": lambda b: headers(b, client_id="another-client"),
    "missing": lambda b: {k: v for k, v in headers(b).items() if k != "Event-Sign"},
    "body-changed": lambda b: headers(b + b" "),
    "upper-case": lambda b: {**headers(b), "Event-Sign": headers(b)["Event-Sign"].upper()},
}


def test_a_bad_signature_is_refused_and_nothing_is_stored(tmp_path: Path,
                                                          store: Store) -> None:
    receiver = WebhookReceiver(yz_hub(tmp_path), store, resolve=resolver())
    answers = {name: receiver.receive("yz", make(BODY), BODY) for name, make in BAD.items()}
    assert {name: (r.status, r.outcome) for name, r in answers.items()} == {
        name: (401, "refused") for name in BAD}
    assert rows(store) == []


def test_a_test_message_is_answered_and_not_stored(tmp_path: Path, store: Store) -> None:
    receiver = WebhookReceiver(yz_hub(tmp_path), store, resolve=resolver())
    body = push({}, msg_id="", test=True)
    assert receiver.receive("yz", headers(body), body).outcome == "ping"
    # unsigned, it is refused like any other
    assert receiver.receive("yz", {**headers(body), "Event-Sign": "x"}, body).status == 401
    assert rows(store) == []


def test_a_push_without_its_msg_id_is_refused(tmp_path: Path, store: Store) -> None:
    receiver = WebhookReceiver(yz_hub(tmp_path), store, resolve=resolver())
    body = push(ORDER, msg_id="")
    receipt = receiver.receive("yz", headers(body), body)
    assert (receipt.status, receipt.detail) == (400, "missing the body's msg_id")
    assert rows(store) == []


def test_no_client_id_in_the_connection_is_503(tmp_path: Path, store: Store) -> None:
    receiver = WebhookReceiver(yz_hub(tmp_path), store, resolve=resolver(client_id=""))
    assert receiver.receive("yz", headers(BODY), BODY).status == 503
    assert rows(store) == []


def test_the_route_answers_youzans_acknowledgement(tmp_path: Path, store: Store) -> None:
    hub = yz_hub(tmp_path)
    receiver = WebhookReceiver(hub, store, resolve=resolver())
    app = create_app(store_factory=lambda: store, hub_factory=lambda: hub,
                     webhook_router=webhooks_router(lambda: receiver))
    with TestClient(app) as web:
        ok = web.post("/webhooks/yz", content=BODY, headers=headers(BODY))
        bad = web.post("/webhooks/yz", content=BODY,
                       headers={**headers(BODY), "Event-Sign": "0" * 32})
    assert ok.status_code == 200 and ok.json() == {"code": 0, "msg": "success",
                                                   "status": "stored", "detail": "stored"}
    assert bad.status_code == 401 and "code" not in bad.json()


def test_the_msg_becomes_a_canonical_order_and_a_broken_one_a_dead_letter(
        tmp_path: Path, store: Store) -> None:
    hub = yz_hub(tmp_path)
    receiver = WebhookReceiver(hub, store, resolve=resolver())
    message = {"full_order_info": ORDER["full_order_info"], "order_promotion": {},
               "refund_order": []}
    good = push(message, msg_id="m-good")
    broken = push({}, msg_id="m-broken", msg="%7B%22full_order_info%22%3A")   # cut short
    closed = push({"tid": "E1", "close_type": 2}, msg_id="m-close", topic="trade_TradeClose")
    for body, topic in ((good, "trade_TradeCreate"), (broken, "trade_TradeCreate"),
                        (closed, "trade_TradeClose")):
        assert receiver.receive("yz", headers(body, topic=topic), body).outcome == "stored"
    summary = process_inbox(store, hub, "yz")
    # the order and its buyer (the orders stream's second mapping); TradeClose not routed
    assert summary.changed == {"order": 1, "customer": 1} and summary.ignored == 1
    (doc,) = store.read_feed("order").records
    assert doc["external_id"] == "E20250618200005012300001" and doc["total"] == {
        "amount": "963.00", "currency": "CNY"}
    (letter,) = store.dead_letters("yz")
    assert "m-broken" in letter["reason"] and "urlencoded json" in letter["reason"]
    assert pending_count(store, "yz") == 0


def test_the_simulator_pushes_to_the_hub_over_loopback(tmp_path: Path, store: Store,
                                                       sandbox: Any) -> None:
    sb, _srv = sandbox
    shop: YouzanStore = sb.store("youzan", "push", orders=0, customers=1, products=7)
    c = shop.credentials()
    hub = yz_hub(tmp_path)
    receiver = WebhookReceiver(hub, store, resolve=resolver(c["client_id"],
                                                            c["client_secret"]))
    app = create_app(store_factory=lambda: store, hub_factory=lambda: hub,
                     webhook_router=webhooks_router(lambda: receiver))
    outer = FastAPI()
    outer.mount("/synchub", app)
    with AppServer(outer) as server:
        shop.webhooks.subscribe("trade_TradeCreate", f"{server.url}/synchub/webhooks/yz")
        placed = shop.place(shop.stamp())
        assert shop.webhooks.flush()
    # the test message first (answered, not stored), then the order
    assert [s["outcome"] for s in shop.webhooks.sent] == ["delivered", "delivered"]
    assert [r["topic"] for r in rows(store)] == ["trade_TradeCreate"]
    process_inbox(store, hub, "yz")
    (doc,) = store.read_feed("order").records
    assert doc["external_id"] == placed["order_info"]["tid"] and doc["status"] == "pending"
