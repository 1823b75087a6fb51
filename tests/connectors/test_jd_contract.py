"""JD (JOS) contract: the real connector file sends the business parameters as one JSON
text in ``360buy_param_json`` and signs it with the rest (MD5, secret on both sides), asks
by modified time newest first, reads each window from its last page back, opens JD's
``..._responce`` envelope, and trusts an answer only when ``apiResult.success`` is true: a
false success is a vendor error like the gateway's own (code 2 retried, 19 an auth error
naming the Connection, the others fatal with the vendor's code)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import responses

from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.cn_gateway.errors import GatewayAuthError, GatewayError

from .conftest import ROOT, connector

URL = "https://api.jd.com/routerjson"
APP_KEY, SECRET, TOKEN = "E1A2B3C4D5", "0f1e2d3c4b5a69788796", "b7c8d9e0f1"
KEY = "jingdong_pop_order_search_responce"
ORDERS = json.loads((ROOT / "tests/mapping/fixtures/jd/orders.json").read_text(
    encoding="utf-8"))[KEY]["searchorderinfo_result"]["orderInfoList"]
STATE = {"cursor": "2025-06-18T12:05:00Z"}            # less the 5-minute lookback: 12:00
END = datetime(2025, 6, 18, 12, 33, tzinfo=UTC)       # less the 3-minute safety lag: 12:30


def client(sleeps: list[float] | None = None) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="jd_shop", conn_type="http", host="https://api.jd.com",
                          login=APP_KEY, password=SECRET, extra={"session": TOKEN})
    return ConnectorClient(connector("jd"), conn,
                           sleep=sleeps.append if sleeps is not None else lambda s: None)


def answer(orders: list[dict[str, Any]], total: int, success: bool = True,
           code: str = "", msg: str = "") -> dict[str, Any]:
    return {KEY: {"code": "0", "searchorderinfo_result": {
        "apiResult": {"success": success, "englishErrCode": code, "chineseErr": msg},
        "orderTotal": total, "orderInfoList": orders}}}


def error(code: str, zh: str, en: str) -> dict[str, Any]:
    return {"error_response": {"code": code, "zh_desc": zh, "en_desc": en}}


def form(request: requests.PreparedRequest) -> dict[str, str]:
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    return dict(parse_qsl(body, keep_blank_values=True))


def read(c: ConnectorClient) -> list[dict[str, Any]]:
    return [r for page in c.read("orders", state=STATE, window_end=END) for r in page.records]


def test_the_business_parameters_travel_as_one_signed_json_text() -> None:
    pages = {1: ORDERS[:1], 2: [ORDERS[1], ORDERS[0]], 3: ORDERS[2:]}   # one moved forward
    sent: list[dict[str, str]] = []

    def reply(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        fields = form(request)
        sent.append(fields)
        page = json.loads(fields["360buy_param_json"])["page"]
        return 200, {}, json.dumps(answer(pages[int(page)], 250))

    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, URL, callback=reply, content_type="application/json")
        with client() as c:
            records = read(c)
    business = [json.loads(f["360buy_param_json"]) for f in sent]
    assert [b["page"] for b in business] == [1, 3, 2, 1]         # the total, then back
    assert [r["orderId"] for r in records] == [o["orderId"] for o in
                                               [*ORDERS[2:], ORDERS[1], ORDERS[0]]]
    first = sent[0]
    assert set(first) == {"method", "app_key", "access_token", "timestamp", "v", "format",
                          "sign_method", "360buy_param_json", "sign"}
    assert (first["method"], first["app_key"], first["access_token"]) == (
        "jingdong.pop.order.search", APP_KEY, TOKEN)
    assert (business[0]["start_date"], business[0]["end_date"]) == ("2025-06-18 20:00:00",
                                                                     "2025-06-18 20:30:00")
    assert (business[0]["dateType"], business[0]["sortType"], business[0]["page_size"]) == (
        0, 1, 100)
    assert "TRADE_CANCELED" in business[0]["order_state"]
    for fields in sent:
        text = "".join(f"{k}{v}" for k, v in sorted(fields.items()) if k != "sign")
        assert fields["sign"] == hashlib.md5((SECRET + text + SECRET).encode()).hexdigest(
            ).upper()


def test_a_false_success_is_a_vendor_error_naming_the_reason() -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, json=answer([], 0, success=False,
                                                  code="date.range.error",
                                                  msg="查询时间跨度不能超过一个月"))
        with client() as c, pytest.raises(GatewayError) as caught:
            read(c)
        assert len(mock.calls) == 1                       # fatal: never retried
    assert caught.value.code == "date.range.error" and "一个月" in str(caught.value)


def test_a_missing_result_is_not_trusted() -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, json={KEY: {"code": "0"}})
        with client() as c, pytest.raises(GatewayError, match=r"apiResult\.success"):
            read(c)


def test_the_call_limit_is_retried() -> None:
    sleeps: list[float] = []
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, json=error("2", "限制时间内调用失败次数",
                                                 "App Call Limited"))
        mock.add(responses.POST, URL, json=answer(ORDERS[:2], 2))
        with client(sleeps) as c:
            records = read(c)
    assert len(records) == 2 and len(sleeps) == 1


def test_an_expired_token_is_an_auth_error_naming_the_connection() -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, json=error("19", "token已过期", "Invalid access_token"))
        with client() as c, pytest.raises(GatewayAuthError) as caught:
            read(c)
        assert len(mock.calls) == 1
    assert "connection 'jd_shop'" in str(caught.value) and caught.value.code == "19"


def test_a_refused_signature_is_fatal_with_the_vendors_code() -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, json=error("12", "无效签名", "Invalid Signature"))
        with client() as c, pytest.raises(GatewayError) as caught:
            read(c)
        assert len(mock.calls) == 1
    assert caught.value.code == "12" and "无效签名" in str(caught.value)
