"""Youzan contract: the real connector file takes the shop's token from ``/auth/token``
(JSON, ``authorize_type: silent``, ``grant_id`` the kdt_id), sends it as
``?access_token=`` to ``/api/<method>/<version>`` with the parameters as JSON, cuts the
window in Beijing time and reads it from its last page back, renews the token before it
lapses and once after Youzan refuses it, waits out the call rate and stops on a refused
parameter naming Youzan's code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from synchub.errors import FatalAPIError
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.youzan.auth import YouzanTokenAuth
from synchub.systems.youzan.errors import YouzanError, YouzanTokenError

from .conftest import ROOT, connector

HOST = "https://open.youzanyun.com"
TOKEN_URL = f"{HOST}/auth/token"
ORDERS_URL = f"{HOST}/api/youzan.trades.sold.get/4.0.4"
CLIENT_ID, SECRET, KDT_ID = "3f2a9c1b7e5d4a6b80", "0c1d2e3f4a5b6c7d8e9f", "160012345"
ORDERS = json.loads((ROOT / "tests/mapping/fixtures/youzan/orders.json").read_text(
    encoding="utf-8"))["data"]["full_order_info_list"]
STATE = {"cursor": "2025-06-18T12:05:00Z"}            # less the 5-minute lookback: 12:00
END = datetime(2025, 6, 18, 13, 2, tzinfo=UTC)        # less the 2-minute safety lag: 13:00
FAR = 4_102_444_800_000                               # 2100-01-01 in epoch milliseconds


def client(sleeps: list[float] | None = None) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="youzan_shop", conn_type="http", host=HOST,
                          login=CLIENT_ID, password=SECRET, extra={"kdt_id": KDT_ID})
    return ConnectorClient(connector("youzan"), conn,
                           sleep=sleeps.append if sleeps is not None else lambda s: None)


def token_answer(value: str, expires: int = FAR) -> dict[str, Any]:
    return {"success": True, "code": 200, "data": {
        "access_token": value, "expires": expires, "scope": "trade", "authority_id": KDT_ID}}


def page(orders: list[dict[str, Any]], total: int) -> dict[str, Any]:
    return {"success": True, "code": 200, "message": "successful",
            "data": {"total_results": total, "full_order_info_list": orders}}


def sent(request: requests.PreparedRequest) -> tuple[str | None, dict[str, Any]]:
    """The access_token in the query and the JSON body of one request."""
    query = parse_qs(urlsplit(request.url or "").query)
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    return (query.get("access_token") or [None])[0], json.loads(body)


def read(c: ConnectorClient) -> list[dict[str, Any]]:
    return [r for p in c.read("orders", state=STATE, window_end=END) for r in p.records]


def test_token_then_one_window_read_from_its_last_page_back(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("tok-1"))
    # 120 orders at 50 a page: page 1 tells the total, then 3, 2 and 1 again
    mock_http.post(ORDERS_URL, json=page(ORDERS[:1], 120))
    mock_http.post(ORDERS_URL, json=page(ORDERS[3:4], 120))
    mock_http.post(ORDERS_URL, json=page(ORDERS[2:3], 120))
    mock_http.post(ORDERS_URL, json=page(ORDERS[:2], 120))
    with client() as c:
        records = read(c)
    token_call, *api_calls = mock_http.calls
    assert json.loads(token_call.request.body) == {
        "client_id": CLIENT_ID, "client_secret": SECRET, "authorize_type": "silent",
        "grant_id": KDT_ID, "refresh": False}
    window = {"start_update": "2025-06-18 20:00:00", "end_update": "2025-06-18 21:00:00"}
    assert [sent(call.request) for call in api_calls] == [
        ("tok-1", {**window, "page_size": 50, "page_no": n}) for n in (1, 3, 2, 1)]
    assert all(c.request.headers["Content-Type"] == "application/json" for c in api_calls)
    # the probe's page is not kept, page 1 is read last; nothing twice
    assert [r["order_info"]["tid"] for r in records] == [
        ORDERS[3]["full_order_info"]["order_info"]["tid"],
        ORDERS[2]["full_order_info"]["order_info"]["tid"],
        ORDERS[0]["full_order_info"]["order_info"]["tid"],
        ORDERS[1]["full_order_info"]["order_info"]["tid"]]


def test_a_token_about_to_lapse_is_taken_anew_before_the_call(
        mock_http: responses.RequestsMock) -> None:
    soon = int((datetime.now(UTC).timestamp() + 60) * 1000)     # inside the 5-minute margin
    mock_http.post(TOKEN_URL, json=token_answer("tok-short", soon))
    mock_http.post(TOKEN_URL, json=token_answer("tok-long"))
    mock_http.post(ORDERS_URL, json=page(ORDERS[:1], 1))
    with client() as c:
        auth = c.http.auth
        assert isinstance(auth, YouzanTokenAuth)
        assert auth.token() == "tok-short"
        read(c)
    assert sent(mock_http.calls[2].request)[0] == "tok-long"


def test_a_refused_token_is_renewed_once_then_the_call_goes_again(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("tok-1"))
    mock_http.post(ORDERS_URL, json={"gw_err_resp": {"err_code": 10003,
                                                     "err_msg": "access_token 过期或无效"}})
    mock_http.post(TOKEN_URL, json=token_answer("tok-2"))
    mock_http.post(ORDERS_URL, json=page(ORDERS[:1], 1))
    with client() as c:
        assert len(read(c)) == 1
    assert [sent(c.request)[0] for c in mock_http.calls if "/api/" in c.request.url] == [
        "tok-1", "tok-2"]


def test_a_token_refused_twice_stops_naming_the_connection(
        mock_http: responses.RequestsMock) -> None:
    refused = {"gw_err_resp": {"err_code": 10003, "err_msg": "access_token 过期或无效"}}
    mock_http.post(TOKEN_URL, json=token_answer("tok-1"))
    mock_http.post(ORDERS_URL, json=refused)
    mock_http.post(TOKEN_URL, json=token_answer("tok-2"))
    mock_http.post(ORDERS_URL, json=refused)
    with client() as c, pytest.raises(YouzanTokenError) as caught:
        read(c)
    assert "connection 'youzan_shop'" in str(caught.value) and caught.value.code == "10003"
    assert "tok-2" not in str(caught.value)                  # the token is redacted


def test_the_call_rate_is_retried_after_a_backoff(mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("tok-1"))
    mock_http.post(ORDERS_URL, json={"gw_err_resp": {"err_code": 20001,
                                                     "err_msg": "调用频率超限"}})
    mock_http.post(ORDERS_URL, json=page(ORDERS[:1], 1))
    sleeps: list[float] = []
    with client(sleeps) as c:
        assert len(read(c)) == 1
    assert len(sleeps) == 1 and sleeps[0] > 0


@pytest.mark.parametrize("answer", [
    {"success": False, "code": 40001, "message": "end_update 必须大于 start_update"},
    {"gw_err_resp": {"err_code": 50001, "err_msg": "API 不存在"}},
], ids=["4.x refusal", "gateway refusal"])
def test_a_refusal_is_fatal_with_youzans_code(mock_http: responses.RequestsMock,
                                              answer: dict[str, Any]) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("tok-1"))
    mock_http.post(ORDERS_URL, json=answer)
    with client() as c, pytest.raises(YouzanError) as caught:
        read(c)
    assert not isinstance(caught.value, YouzanTokenError)
    code = str(answer.get("code") or answer["gw_err_resp"]["err_code"])
    assert caught.value.code == code and f"code {code}" in str(caught.value)
    assert len(mock_http.calls) == 2                          # never retried


def test_an_answer_without_data_is_refused(mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("tok-1"))
    mock_http.post(ORDERS_URL, json={"success": True, "code": 200})
    with client() as c, pytest.raises(FatalAPIError, match="neither data nor response"):
        read(c)


def test_a_token_answer_without_expiry_is_refused(mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json={"success": True, "code": 200,
                                    "data": {"access_token": "tok-1"}})
    with client() as c, pytest.raises(FatalAPIError, match="epoch milliseconds"):
        read(c)


def test_refunds_window_in_epoch_seconds_and_the_3x_envelope(
        mock_http: responses.RequestsMock) -> None:
    refunds = json.loads((ROOT / "tests/mapping/fixtures/youzan/refunds.json").read_text(
        encoding="utf-8"))
    mock_http.post(TOKEN_URL, json=token_answer("tok-1"))
    mock_http.post(f"{HOST}/api/youzan.trade.refund.search/3.0.0", json=refunds)
    with client() as c:
        records = [r for p in c.read("refunds", state=STATE, window_end=END)
                   for r in p.records]
    assert len(records) == 3
    _, body = sent(mock_http.calls[1].request)
    assert body == {"update_time_start": "1750248000", "update_time_end": "1750251600",
                    "page_size": 50, "page_no": 1}
