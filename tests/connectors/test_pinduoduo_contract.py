"""Pinduoduo contract: the real connector file signs every call (MD5 over the sorted
non-empty parameters, client_secret on both sides), names the API in ``type``, sends the
window as epoch seconds no wider than 30 minutes, reads each window from its last page
back, opens ``order_sn_increment_get_response``, and sorts PDD's ``error_response``: a
rate limit retried, an expired access_token an auth error naming the Connection, a
parameter error fatal with the vendor's codes."""

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

URL = "https://gw-api.pinduoduo.com/api/router"
CLIENT_ID, SECRET, TOKEN = "4b6b5d1c0f2e4a", "9f8e7d6c5b4a39281706", "a1b2c3d4e5f6"
ORDERS = json.loads((ROOT / "tests/mapping/fixtures/pinduoduo/orders.json").read_text(
    encoding="utf-8"))["order_sn_increment_get_response"]["order_sn_list"]
STATE = {"cursor": "2025-06-18T12:05:00Z"}            # less the 5-minute lookback: 12:00
END = datetime(2025, 6, 18, 12, 33, tzinfo=UTC)       # less the 3-minute safety lag: 12:30


def client(sleeps: list[float] | None = None) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="pdd_shop", conn_type="http",
                          host="https://gw-api.pinduoduo.com", login=CLIENT_ID,
                          password=SECRET, extra={"session": TOKEN})
    return ConnectorClient(connector("pinduoduo"), conn,
                           sleep=sleeps.append if sleeps is not None else lambda s: None)


def answer(orders: list[dict[str, Any]], total: int) -> dict[str, Any]:
    return {"order_sn_increment_get_response": {"total_count": total, "order_sn_list": orders}}


def error(code: int, msg: str, sub_code: str | None = None,
          sub_msg: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error_code": code, "error_msg": msg, "request_id": "1733"}
    if sub_code:
        body.update(sub_code=sub_code, sub_msg=sub_msg)
    return {"error_response": body}


def form(request: requests.PreparedRequest) -> dict[str, str]:
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    return dict(parse_qsl(body, keep_blank_values=True))


def read(c: ConnectorClient) -> list[dict[str, Any]]:
    return [r for page in c.read("orders", state=STATE, window_end=END) for r in page.records]


def test_a_window_is_signed_and_read_from_its_last_page_back() -> None:
    pages = {1: ORDERS[:1], 2: [ORDERS[1], ORDERS[0]], 3: ORDERS[2:]}   # one moved forward
    sent: list[dict[str, str]] = []

    def reply(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        fields = form(request)
        sent.append(fields)
        return 200, {}, json.dumps(answer(pages[int(fields["page"])], 250))

    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, URL, callback=reply, content_type="application/json")
        with client() as c:
            records = read(c)
    assert [f["page"] for f in sent] == ["1", "3", "2", "1"]       # the total, then back
    assert [r["order_sn"] for r in records] == [o["order_sn"] for o in
                                                [*ORDERS[2:], ORDERS[1], ORDERS[0]]]
    first = sent[0]
    assert first["type"] == "pdd.order.number.list.increment.get"
    assert (first["client_id"], first["access_token"]) == (CLIENT_ID, TOKEN)
    assert (first["data_type"], first["version"]) == ("JSON", "V1")
    assert "sign_method" not in first and "method" not in first
    assert first["timestamp"].isdigit()
    start, end = int(first["start_updated_at"]), int(first["end_updated_at"])
    assert (start, end) == (int(datetime(2025, 6, 18, 12, 0, tzinfo=UTC).timestamp()),
                            int(datetime(2025, 6, 18, 12, 30, tzinfo=UTC).timestamp()))
    assert (first["page_size"], first["use_has_next"]) == ("100", "false")
    for fields in sent:
        text = "".join(f"{k}{v}" for k, v in sorted(fields.items()) if k != "sign" and v != "")
        assert fields["sign"] == hashlib.md5(
            (SECRET + text + SECRET).encode()).hexdigest().upper()


def test_the_rate_limit_error_is_retried() -> None:
    sleeps: list[float] = []
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, json=error(70031, "调用过于频繁, 请调整调用频率"))
        mock.add(responses.POST, URL, json=answer(ORDERS[:2], 2))
        with client(sleeps) as c:
            records = read(c)
    assert len(records) == 2 and len(sleeps) == 1


def test_an_expired_access_token_is_an_auth_error_naming_the_connection() -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, json=error(10019, "access_token已过期"))
        with client() as c, pytest.raises(GatewayAuthError) as caught:
            read(c)
        assert len(mock.calls) == 1
    assert "connection 'pdd_shop'" in str(caught.value) and caught.value.code == "10019"


@pytest.mark.parametrize(("body", "code", "sub_code"), [
    (error(10000, "参数错误", "invalid_time_range", "开始时间结束时间间距不能超过30分钟"),
     "10000", "invalid_time_range"),
    (error(20004, "签名校验失败"), "20004", None),
])
def test_refusals_are_fatal_with_the_vendors_codes(body: dict[str, Any], code: str,
                                                   sub_code: str | None) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, json=body)
        with client() as c, pytest.raises(GatewayError) as caught:
            read(c)
        assert len(mock.calls) == 1
    assert (caught.value.code, caught.value.sub_code) == (code, sub_code)
    assert body["error_response"]["error_msg"] in str(caught.value)
