"""Taobao TOP contract: the real connector file signs every call (HMAC-SHA256 over the
sorted parameters) and sends it as a form POST with the system parameters and the
window in Beijing time, reads each window from its last page back, opens the answer's
envelope, and sorts the errors TOP answers with HTTP 200: a ban is waited out to the
second it names, a service hiccup retried, an invalid session is an auth error naming the
Connection, a parameter error fatal with the vendor's codes."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import responses

from synchub.errors import FatalAPIError
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.cn_gateway.errors import GatewayAuthError, GatewayError

from .conftest import ROOT, connector

URL = "https://eco.taobao.com/router/rest"
APP_KEY, SECRET, SESSION = "23456789", "0c9d1f6e5a4b3c2d1e0f9a8b7c6d5e4f", "6100a1b2c3d4e5f6"
TRADES = json.loads((ROOT / "tests/mapping/fixtures/taobao/orders.json").read_text(
    encoding="utf-8"))["trades_sold_increment_get_response"]["trades"]["trade"]
STATE = {"cursor": "2025-06-18T12:05:00Z"}            # less the 5-minute lookback: 12:00
END = datetime(2025, 6, 18, 12, 33, tzinfo=UTC)       # less the 3-minute safety lag: 12:30


def client(sleeps: list[float] | None = None) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="taobao_shop", conn_type="http",
                          host="https://eco.taobao.com", login=APP_KEY, password=SECRET,
                          extra={"session": SESSION})
    return ConnectorClient(connector("taobao"), conn,
                           sleep=sleeps.append if sleeps is not None else lambda s: None)


def answer(trades: list[dict[str, Any]], total: int) -> dict[str, Any]:
    body: dict[str, Any] = {"total_results": total, "request_id": "abc"}
    if trades:
        body["trades"] = {"trade": trades}
    return {"trades_sold_increment_get_response": body}


def error(code: int, msg: str, sub_code: str | None = None,
          sub_msg: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "msg": msg, "request_id": "xyz"}
    if sub_code:
        body.update(sub_code=sub_code, sub_msg=sub_msg)
    return {"error_response": body}


def form(request: requests.PreparedRequest) -> dict[str, str]:
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    return dict(parse_qsl(body, keep_blank_values=True))


def read(c: ConnectorClient) -> list[dict[str, Any]]:
    return [r for page in c.read("orders", state=STATE, window_end=END) for r in page.records]


def test_a_window_is_signed_and_read_from_its_last_page_back() -> None:
    pages = {1: TRADES[:1], 2: [TRADES[1], TRADES[0]], 3: TRADES[2:]}   # one moved forward
    sent: list[dict[str, str]] = []

    def reply(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        fields = form(request)
        sent.append(fields)
        number = int(fields["page_no"])
        return 200, {}, json.dumps(answer(pages[number], 250))

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add_callback(responses.POST, URL, callback=reply,
                          content_type="application/json")
        with client() as c:
            records = read(c)
        assert {call.request.headers["Content-Type"] for call in mock.calls} == {
            "application/x-www-form-urlencoded"}
    assert [f["page_no"] for f in sent] == ["1", "3", "2", "1"]   # learn the total, then back
    assert [str(r["tid"]) for r in records] == [str(t["tid"]) for t in TRADES[2:]] + [
        str(TRADES[1]["tid"]), str(TRADES[0]["tid"])]     # the probe dropped, repeats too
    for fields in sent:
        assert {k: fields[k] for k in ("method", "app_key", "session", "v", "format",
                                       "sign_method", "page_size", "use_has_next",
                                       "start_modified", "end_modified")} == {
            "method": "taobao.trades.sold.increment.get", "app_key": APP_KEY,
            "session": SESSION, "v": "2.0", "format": "json", "sign_method": "hmac-sha256",
            "page_size": "100", "use_has_next": "false",
            "start_modified": "2025-06-18 20:00:00", "end_modified": "2025-06-18 20:30:00"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", fields["timestamp"])
        assert "tmall_i18n" in fields["type"].split(",") and "orders.outer_sku_id" in \
            fields["fields"].split(",")
        text = "".join(k + fields[k] for k in sorted(fields) if k != "sign").encode()
        assert fields["sign"] == hmac.new(SECRET.encode(), text,
                                          hashlib.sha256).hexdigest().upper()
        assert SECRET not in json.dumps(fields)


def test_a_single_page_window_is_read_once() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(URL, json=answer(TRADES, 4))
        with client() as c:
            records = read(c)
        assert len(mock.calls) == 1 and len(records) == 4


def test_an_empty_window_answers_no_trades_key() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(URL, json=answer([], 0))
        with client() as c:
            pages = list(c.read("orders", state=STATE, window_end=END))
    assert [p.records for p in pages] == [[]]
    assert pages[-1].state == {"cursor": "2025-06-18T12:30:00Z"}   # the window's end


@pytest.mark.parametrize(("refusal", "wait"), [
    (error(7, "App Call Limited", "accesscontrol.limited-by-app-access-count",
           "This ban will last for 12 more seconds"), 13.0),
    (error(7, "App Call Limited", "accesscontrol.limited-by-api-access-count",
           "This ban will last for 1 more seconds"), 2.0),
])
def test_a_ban_is_waited_out_to_the_second_it_names(refusal: dict[str, Any],
                                                    wait: float) -> None:
    sleeps: list[float] = []
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(URL, json=refusal)
        mock.post(URL, json=answer(TRADES, 4))
        with client(sleeps) as c:
            records = read(c)
    assert sleeps == [wait] and len(records) == 4


def test_a_service_hiccup_is_retried() -> None:
    sleeps: list[float] = []
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(URL, json=error(15, "Remote service error",
                                  "isv.trade-service-unavailable", "服务暂不可用"))
        mock.post(URL, json=answer(TRADES, 4))
        with client(sleeps) as c:
            assert len(read(c)) == 4
    assert len(sleeps) == 1


@pytest.mark.parametrize("refusal", [
    error(27, "Invalid session", "invalid-sessionkey", "SessionKey非法"),
    error(26, "Missing session"),
])
def test_an_invalid_session_is_an_auth_error_naming_the_connection(
        refusal: dict[str, Any]) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(URL, json=refusal)
        with client() as c, pytest.raises(GatewayAuthError) as caught:
            read(c)
        assert len(mock.calls) == 1
    assert "connection 'taobao_shop'" in str(caught.value)
    assert caught.value.code == str(refusal["error_response"]["code"])
    assert SESSION not in str(caught.value)


@pytest.mark.parametrize(("refusal", "code", "sub_code"), [
    (error(41, "Invalid arguments:end_modified", "isv.invalid-parameter",
           "时间跨度不能大于一天"), "41", "isv.invalid-parameter"),
    (error(25, "Invalid signature"), "25", None),
    (error(40, "Missing required arguments:fields"), "40", None),
])
def test_parameter_errors_are_fatal_with_the_vendors_codes(refusal: dict[str, Any],
                                                          code: str, sub_code: str | None) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(URL, json=refusal)
        with client() as c, pytest.raises(GatewayError) as caught:
            read(c)
        assert len(mock.calls) == 1
    assert not isinstance(caught.value, GatewayAuthError)
    err = caught.value
    assert (err.code, err.sub_code, err.status) == (code, sub_code, 200)
    assert err.sub_msg == refusal["error_response"].get("sub_msg")
    assert refusal["error_response"]["msg"] in str(err)


def test_an_answer_without_its_envelope_is_not_trusted() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(URL, json={"trades": {"trade": TRADES}})
        with client() as c, pytest.raises(FatalAPIError, match="trades_sold_increment_get"):
            read(c)
