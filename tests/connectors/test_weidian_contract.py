"""Weidian contract: the real connector file takes the app's token from ``GET /token``
(``grant_type=client_credential``, appkey, secret), writes it into ``public`` beside the
method and version, sends the window in Beijing time in ``param`` and reads it from its
last page back, renews a refused token once, retries the call rate, stops on a refusal
naming Weidian's code, writes stock and deliveries as form POSTs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from synchub.delivery.base import DeliveryItem
from synchub.errors import FatalAPIError
from synchub.registry import REGISTRY
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.runtime.tokens import MemoryTokenCache
from synchub.stock.publish import create_publisher
from synchub.stock.publish.base import ListingChange

from .conftest import ROOT, connector

HOST = "https://api.vdian.com"
TOKEN_URL = f"{HOST}/token"
API_URL = f"{HOST}/api"
APPKEY, SECRET = "600123", "sandbox-app-secret"
ORDERS = json.loads((ROOT / "tests/mapping/fixtures/weidian/orders.json").read_text(
    encoding="utf-8"))["result"]["orders"]
STATE = {"cursor": "2025-06-18T12:05:00Z"}            # less the 5-minute lookback: 12:00
END = datetime(2025, 6, 18, 13, 2, tzinfo=UTC)        # less the 2-minute safety lag: 13:00


def client(sleeps: list[float] | None = None) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="weidian_shop", conn_type="http", host=HOST,
                          login=APPKEY, password=SECRET)
    return ConnectorClient(connector("weidian"), conn, tokens=MemoryTokenCache(),
                           sleep=sleeps.append if sleeps is not None else lambda s: None)


def ok(result: Any) -> dict[str, Any]:
    return {"result": result, "status": {"status_code": 0, "status_reason": "success"}}


def refused(code: int, reason: str) -> dict[str, Any]:
    return {"result": None, "status": {"status_code": code, "status_reason": reason}}


def token_answer(value: str) -> dict[str, Any]:
    return ok({"access_token": value, "expire_in": 90000})


def sent(request: requests.PreparedRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """``public`` and ``param`` of one request (query of a GET, form of a POST)."""
    if request.method == "POST":
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        pairs = parse_qs(body)
    else:
        pairs = parse_qs(urlsplit(request.url or "").query)
    return json.loads(pairs["public"][0]), json.loads(pairs["param"][0])


def read(c: ConnectorClient) -> list[dict[str, Any]]:
    return [r for p in c.read("orders", state=STATE, window_end=END) for r in p.records]


def test_token_then_one_window_read_from_its_last_page_back(
        mock_http: responses.RequestsMock) -> None:
    token = mock_http.get(TOKEN_URL, json=token_answer("tok-1"))
    first = ok({"total_num": 35, "order_num": 30, "orders": ORDERS[:4]})
    last = ok({"total_num": 35, "order_num": 5, "orders": ORDERS[4:]})
    mock_http.get(API_URL, json=first)
    mock_http.get(API_URL, json=last)
    mock_http.get(API_URL, json=first)
    records = read(client())
    assert sorted(r["order_id"] for r in records) == sorted(o["order_id"] for o in ORDERS)
    asked = parse_qs(urlsplit(token.calls[0].request.url).query)
    assert asked == {"grant_type": ["client_credential"], "appkey": [APPKEY],
                     "secret": [SECRET]}
    calls = [sent(c.request) for c in mock_http.calls[1:]]
    assert [p["page_num"] for _pub, p in calls] == [1, 2, 1]       # last page, then back
    public, param = calls[0]
    assert public == {"method": "vdian.order.list.get", "version": "1.5", "format": "json",
                      "access_token": "tok-1"}
    assert param == {"order_type": "all", "page_size": 30, "page_num": 1,
                     "update_start": "2025-06-18 20:00:00",     # 12:00 UTC in Beijing
                     "update_end": "2025-06-18 21:00:00"}


def test_a_refused_token_is_renewed_once_then_the_call_goes_again(
        mock_http: responses.RequestsMock) -> None:
    mock_http.get(TOKEN_URL, json=token_answer("tok-1"))
    mock_http.get(API_URL, json=refused(10016, "access_token 不合法"))
    mock_http.get(TOKEN_URL, json=token_answer("tok-2"))
    mock_http.get(API_URL, json=ok({"total_num": 1, "orders": ORDERS[:1]}))
    c = client()
    assert len(read(c)) == 1
    assert sent(mock_http.calls[3].request)[0]["access_token"] == "tok-2"


def test_a_token_refused_twice_stops_naming_the_connection(
        mock_http: responses.RequestsMock) -> None:
    mock_http.get(TOKEN_URL, json=token_answer("tok-1"))
    mock_http.get(API_URL, json=refused(10013, "access_token 已过期"))
    mock_http.get(TOKEN_URL, json=token_answer("tok-2"))
    mock_http.get(API_URL, json=refused(10013, "access_token 已过期"))
    with pytest.raises(FatalAPIError, match=r"connection .weidian_shop.*status_code 10013"):
        read(client())


def test_the_call_rate_is_retried_after_a_backoff(mock_http: responses.RequestsMock) -> None:
    mock_http.get(TOKEN_URL, json=token_answer("tok-1"))
    mock_http.get(API_URL, json=refused(10029, "api调用频率过快"))
    mock_http.get(API_URL, json=ok({"total_num": 0, "orders": []}))
    sleeps: list[float] = []
    assert read(client(sleeps)) == []
    assert len(sleeps) == 1


def test_a_refusal_is_fatal_with_weidians_code(mock_http: responses.RequestsMock) -> None:
    mock_http.get(TOKEN_URL, json=token_answer("tok-1"))
    mock_http.get(API_URL, json=refused(10002, "参数 page_size 必须在 1 到 50 之间"))
    with pytest.raises(FatalAPIError, match="status_code 10002: 参数 page_size"):
        read(client())


def test_a_token_answer_without_expiry_is_refused(mock_http: responses.RequestsMock) -> None:
    mock_http.get(TOKEN_URL, json=ok({"access_token": "tok-1"}))
    with pytest.raises(FatalAPIError, match="without a lifetime in seconds"):
        read(client())


def test_stock_goes_as_a_form_post_with_the_token_in_public(
        mock_http: responses.RequestsMock) -> None:
    mock_http.get(TOKEN_URL, json=token_answer("tok-1"))
    write = mock_http.post(API_URL, json=ok({}))
    c = client()
    spec = c.spec.stock_publisher
    assert spec is not None
    publisher = create_publisher(spec, c, run_id="r1")
    out = publisher.push([ListingChange("2000000001:90000000", 5, 3),
                          ListingChange("2000000006", 0, 4)])
    assert [o.status for o in out] == ["pushed", "pushed"]
    public, param = sent(write.calls[0].request)
    assert public["method"] == "vdian.item.stock.update" and public["access_token"] == "tok-1"
    assert param == {"type": "set", "items": [
        {"item_id": "2000000001", "item_sku_id": "90000000", "stock": 5},
        {"item_id": "2000000006", "item_sku_id": "", "stock": 0}]}


def test_a_delivery_sends_order_company_and_waybill_once(
        mock_http: responses.RequestsMock) -> None:
    mock_http.get(TOKEN_URL, json=token_answer("tok-1"))
    write = mock_http.post(API_URL, json=ok({}))
    mock_http.post(API_URL, json=refused(10060, "订单已发货, 不能重复发货"))
    c = client()
    spec = c.spec.writers["tracking"]
    writer = REGISTRY.get("writer", spec.type)(spec, c, sink="weidian_shop", run_id="r1")

    def item(n: int) -> DeliveryItem:
        return DeliveryItem(delivery_id=n, route="tracking", entity="shipment",
                            record_id=f"picking:{n}", source_connection="odoo_main",
                            document={"carrier": "SF Express"},
                            payload={"order_id": "793408601984", "express_type": "1",
                                     "express_no": f"SF{n}"}, idempotency_key=f"k{n}")

    results = writer.write([item(1), item(2)])
    assert [r.outcome for r in results] == ["delivered", "delivered"]   # 2: shipped already
    public, param = sent(write.calls[0].request)
    assert public["method"] == "vdian.order.deliver"
    assert param == {"order_id": "793408601984", "express_type": "1", "express_no": "SF1"}
