"""Weimob contract: the real connector file takes a token from ``/fuwu/b/oauth2/token``
(the grant and credentials in the query, an empty JSON body), sends it as
``?accesstoken=`` to ``/apigw/weimob_shop/v2.0/...`` with a nested JSON body, cuts the
window in epoch milliseconds (JSON numbers) and reads it from its last page back, completes
an order listed without lines from the detail API, renews the token once after Weimob
refuses it, waits out the call rate and stops on a refused parameter naming the errcode;
the listings read sends the store's vid; the authorization-code grant trades its code once
and then refreshes, keeping the rotated refresh token."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from pydantic import ValidationError

from synchub.errors import FatalAPIError
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.runtime.tokens import MemoryTokenCache
from synchub.systems.weimob.auth import WeimobAuth
from synchub.systems.weimob.errors import WeimobError, WeimobTokenError
from synchub.systems.weimob.specs import WeimobAuthSpec
from synchub.tokens import CachedToken

from .conftest import ROOT, connector

HOST = "https://dopen.weimob.com"
TOKEN_URL = f"{HOST}/fuwu/b/oauth2/token"
API = f"{HOST}/apigw/weimob_shop/v2.0"
ORDERS_URL, DETAIL_URL = f"{API}/order/list/search", f"{API}/order/detail/get"
CLIENT_ID, SECRET = "4FF19749D0F5F4A1", "9D0C75C6DCDB0503"
SHOP, VID = "4020112345678", "6000321521837"
ORDERS = json.loads((ROOT / "tests/mapping/fixtures/weimob/orders.json").read_text(
    encoding="utf-8"))["data"]["pageList"]
STATE = {"cursor": "2025-06-18T12:05:00Z"}            # less the 5-minute lookback: 12:00
END = datetime(2025, 6, 18, 13, 2, tzinfo=UTC)        # less the 2-minute safety lag: 13:00
START_MS, END_MS = 1_750_248_000_000, 1_750_251_600_000
OK = {"errcode": "0", "errmsg": "success"}


def client(**extra: str) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="weimob_shop", conn_type="http", host=HOST, login=CLIENT_ID,
                          password=SECRET, extra={"shop_id": SHOP, "shop_type":
                                                  "business_operation_system_id", "vid": VID,
                                                  **extra})
    # the connector keeps its tokens in the store (auth.cache): here a cache of its own
    return ConnectorClient(connector("weimob"), conn, sleep=lambda s: None,
                           tokens=MemoryTokenCache())


def token_answer(value: str, **more: Any) -> dict[str, Any]:
    return {"access_token": value, "expires_in": 7200, "token_type": "bearer",
            "scope": "default", "business_id": SHOP, **more}


def page(orders: list[dict[str, Any]], total: int) -> dict[str, Any]:
    return {"code": OK, "data": {"pageList": orders, "pageNum": 1, "pageSize": 100,
                                 "totalCount": total}, "globalTicket": "t"}


def refused(code: str, message: str) -> dict[str, Any]:
    return {"code": {"errcode": code, "errmsg": message}, "data": None}


def sent(request: requests.PreparedRequest) -> tuple[str | None, dict[str, Any]]:
    """The accesstoken in the query and the JSON body of one request."""
    query = parse_qs(urlsplit(request.url or "").query)
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    return (query.get("accesstoken") or [None])[0], json.loads(body)


def query(request: requests.PreparedRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url or "").query).items()}


def read(c: ConnectorClient, stream: str = "orders") -> list[dict[str, Any]]:
    return [r for p in c.read(stream, state=STATE, window_end=END) for r in p.records]


def body_for(page_num: int) -> dict[str, Any]:
    return {"queryParameter": {"queryTime": {"type": 2, "startTime": START_MS,
                                             "endTime": END_MS}},
            "pageSize": 100, "pageNum": page_num}


def test_token_then_one_window_read_from_its_last_page_back(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("tok-1"))
    # 250 orders at 100 a page: page 1 tells the total, then 3, 2 and 1 again
    mock_http.post(ORDERS_URL, json=page(ORDERS[:1], 250))
    mock_http.post(ORDERS_URL, json=page(ORDERS[3:4], 250))
    mock_http.post(ORDERS_URL, json=page(ORDERS[2:3], 250))
    mock_http.post(ORDERS_URL, json=page(ORDERS[:2], 250))
    with client() as c:
        records = read(c)
    token_call, *api_calls = mock_http.calls
    assert query(token_call.request) == {
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "shop_id": SHOP, "shop_type": "business_operation_system_id"}
    assert json.loads(token_call.request.body) == {}
    assert [sent(call.request) for call in api_calls] == [
        ("tok-1", body_for(n)) for n in (1, 3, 2, 1)]
    assert all(c.request.headers["Content-Type"] == "application/json" for c in api_calls)
    assert [r["orderInfo"]["orderBaseInfo"]["orderNo"] for r in records] == [
        ORDERS[i]["orderInfo"]["orderBaseInfo"]["orderNo"] for i in (3, 2, 0, 1)]


def test_an_order_listed_without_lines_is_read_from_the_detail_api(
        mock_http: responses.RequestsMock) -> None:
    bare = {**ORDERS[1], "orderInfo": {k: v for k, v in ORDERS[1]["orderInfo"].items()
                                       if k != "items"}}
    number = ORDERS[1]["orderInfo"]["orderBaseInfo"]["orderNo"]
    mock_http.post(TOKEN_URL, json=token_answer("tok"))
    mock_http.post(ORDERS_URL, json=page([ORDERS[0], bare], 2))
    mock_http.post(DETAIL_URL, json={"code": OK, "data": {
        "orderInfo": ORDERS[1]["orderInfo"], "rightsInfos": [], "fulfillInfoList": []}})
    with client() as c:
        records = read(c)
    assert sent(mock_http.calls[2].request) == ("tok", {"orderNo": number})
    assert [len(r["orderInfo"]["items"]) for r in records] == [
        len(ORDERS[0]["orderInfo"]["items"]), len(ORDERS[1]["orderInfo"]["items"])]


def test_a_refused_token_is_renewed_once_then_the_call_goes_again(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("old"))
    mock_http.post(ORDERS_URL, json=refused("80001001000119", "accesstoken 无效"))
    mock_http.post(TOKEN_URL, json=token_answer("new"))
    mock_http.post(ORDERS_URL, json=page(ORDERS[:1], 1))
    with client() as c:
        assert len(read(c)) == 1
    assert [sent(c.request)[0] for c in mock_http.calls if "/apigw/" in c.request.url] == [
        "old", "new"]


def test_a_token_refused_twice_stops_naming_the_connection(
        mock_http: responses.RequestsMock) -> None:
    for _ in range(2):
        mock_http.post(TOKEN_URL, json=token_answer("tok"))
        mock_http.post(ORDERS_URL, json=refused("80001001000119", "accesstoken 无效"))
    with client() as c, pytest.raises(WeimobTokenError, match="connection 'weimob_shop'"):
        read(c)


def test_the_call_rate_refusal_is_retried(mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("tok"))
    mock_http.post(ORDERS_URL, json=refused("80001001000128", "调用频率超限"))
    mock_http.post(ORDERS_URL, json=page(ORDERS[:1], 1))
    with client() as c:
        assert len(read(c)) == 1


def test_a_refused_parameter_stops_naming_the_errcode(mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("tok"))
    mock_http.post(ORDERS_URL, json=refused("80001001000101", "参数 pageSize 必须在 1 到 100"))
    with client() as c, pytest.raises(WeimobError, match="errcode 80001001000101: 参数"):
        read(c)


def test_bad_client_credentials_name_the_connection_and_hide_the_secret(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, status=401, json={"error": "invalid_client",
                                                "error_description": "client 错误"})
    with client() as c, pytest.raises(FatalAPIError) as caught:
        read(c)
    text = str(caught.value)
    assert "connection 'weimob_shop'" in text and "invalid_client" in text
    assert "shop_id" in text and SECRET not in text


def test_a_token_refusal_answered_with_http_200_names_the_errcode(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json={"code": {"errcode": "80001001000102",
                                             "errmsg": "shop_id 无效"}, "data": None})
    with client() as c, pytest.raises(FatalAPIError) as caught:
        read(c)
    assert "80001001000102: shop_id 无效" in str(caught.value)
    assert "connection 'weimob_shop'" in str(caught.value)


def test_listings_send_the_stores_vid_and_page_by_number(
        mock_http: responses.RequestsMock) -> None:
    rows = [{"itemId": 1, "itemSkuId": n, "productCode": f"LJ-{n}",
             "storeWarehouse": {"usableStockNum": "5"}} for n in range(21)]
    mock_http.post(TOKEN_URL, json=token_answer("tok"))
    mock_http.post(f"{API}/stock/item/sku/getList",
                   json={"code": OK, "data": {"pageList": rows[:20], "tatalCount": 21}})
    mock_http.post(f"{API}/stock/item/sku/getList",
                   json={"code": OK, "data": {"pageList": rows[20:], "tatalCount": 21}})
    with client() as c:
        records = [r for p in c.read("listings") for r in p.records]
    assert len(records) == 21
    assert [sent(c.request)[1] for c in mock_http.calls[1:]] == [
        {"basicInfo": {"vid": int(VID)}, "pageSize": 20, "pageNum": n} for n in (1, 2)]


def test_refunds_window_on_the_rights_update_time(mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("tok"))
    mock_http.post(f"{API}/rights/list/search", json={"code": OK, "data": {
        "pageList": [], "totalCount": 0}})
    with client() as c:
        assert read(c, "refunds") == []
    assert sent(mock_http.calls[1].request)[1] == body_for(1)


# --- the authorization-code grant and the token cache ------------------------------------

def auth_for(cache: MemoryTokenCache, *, code: str | None = "c0de",
             refresh: str | None = None, clock: list[float] | None = None) -> WeimobAuth:
    spec = WeimobAuthSpec(type="weimob_oauth2", grant="authorization_code", cache="store")
    now = clock if clock is not None else [1_000_000.0]
    return WeimobAuth(spec, TOKEN_URL, CLIENT_ID, SECRET, requests.Session(), 10, "listed",
                      cache, code=code, redirect_uri="https://hub/cb", refresh_token=refresh,
                      clock=lambda: now[0])


def _never(previous: CachedToken | None) -> CachedToken:
    raise AssertionError("fetched")


def held(cache: MemoryTokenCache, auth: WeimobAuth) -> CachedToken:
    """What the cache holds for ``auth`` (however near its end)."""
    return cache.obtain(auth.key, _never, valid_after=0.0)


def seed(cache: MemoryTokenCache, token: CachedToken) -> None:
    cache.obtain(auth_for(cache).key, lambda _: token, valid_after=0.0)


def test_the_code_is_traded_once_then_the_rotated_refresh_token_is_used(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("a1", refresh_token="r1",
                                                refresh_token_expires_in=604800))
    mock_http.post(TOKEN_URL, json=token_answer("a2", refresh_token="r2",
                                                refresh_token_expires_in=604800))
    cache, clock = MemoryTokenCache(), [1_000_000.0]
    auth = auth_for(cache, clock=clock)
    assert auth.token() == "a1"
    clock[0] += 7200                                  # lapsed: renewed by refresh
    assert auth.token() == "a2"
    first, second = (query(c.request) for c in mock_http.calls)
    assert first == {"grant_type": "authorization_code", "client_id": CLIENT_ID,
                     "client_secret": SECRET, "code": "c0de", "redirect_uri": "https://hub/cb"}
    assert second == {"grant_type": "refresh_token", "client_id": CLIENT_ID,
                      "client_secret": SECRET, "refresh_token": "r1"}
    kept = held(cache, auth)
    assert kept.refresh == "r2" and kept.refresh_expires_at == clock[0] + 604800
    # another client on the same cache (a later task) refreshes with r2, not the code
    mock_http.post(TOKEN_URL, json=token_answer("a3", refresh_token="r3"))
    clock[0] += 7200
    assert auth_for(cache, clock=clock).token() == "a3"
    assert query(mock_http.calls[2].request)["refresh_token"] == "r2"


def test_without_code_or_refresh_token_it_asks_to_authorize_again() -> None:
    auth = auth_for(MemoryTokenCache(), code=None)
    with pytest.raises(FatalAPIError, match="authorize the app again"):
        auth.token()


def test_a_refused_refresh_token_says_to_authorize_again(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, status=400, json={"error": "invalid_grant",
                                                "error_description": "refresh_token 已过期"})
    cache = MemoryTokenCache()
    seed(cache, CachedToken("stale", 0.0, "r-old"))
    with pytest.raises(FatalAPIError, match=r"invalid_grant.*authorize again.*extra\.code"):
        auth_for(cache, code=None).token()


def test_the_connections_refresh_token_only_seeds_an_empty_cache(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("a1", refresh_token="r1"))
    mock_http.post(TOKEN_URL, json=token_answer("a2"))           # no new refresh token
    cache, clock = MemoryTokenCache(), [1_000_000.0]
    assert auth_for(cache, code=None, refresh="r-seed", clock=clock).token() == "a1"
    clock[0] += 7200
    # a later client still has r-seed in its Connection: retired, it is not presented
    assert auth_for(cache, code=None, refresh="r-seed", clock=clock).token() == "a2"
    assert [query(c.request)["refresh_token"] for c in mock_http.calls] == ["r-seed", "r1"]
    assert held(cache, auth_for(cache)).refresh == "r1"          # still in force


def test_a_lapsed_refresh_token_is_not_presented_the_code_is(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, json=token_answer("a1", refresh_token="r1"))
    cache = MemoryTokenCache()
    seed(cache, CachedToken("old", 0.0, "r-lapsed", 999_999.0))  # before the clock's now
    assert auth_for(cache, refresh="r-seed").token() == "a1"
    assert query(mock_http.calls[0].request)["grant_type"] == "authorization_code"


def test_a_refused_refresh_token_gives_way_to_a_new_code(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    mock_http.post(TOKEN_URL, json=token_answer("a1", refresh_token="r1"))
    cache = MemoryTokenCache()
    seed(cache, CachedToken("old", 0.0, "r-retired"))
    # the merchant authorized the app again (retiring r-retired); the new code is traded
    assert auth_for(cache, code="new-code").token() == "a1"
    assert [query(c.request)["grant_type"] for c in mock_http.calls] == [
        "refresh_token", "authorization_code"]
    assert held(cache, auth_for(cache)).refresh == "r1"


def test_a_listed_app_must_keep_its_tokens_in_the_store() -> None:
    with pytest.raises(ValidationError, match="authorization_code' needs cache: store"):
        WeimobAuthSpec(type="weimob_oauth2", grant="authorization_code")
    assert WeimobAuthSpec(type="weimob_oauth2").cache == "memory"   # a self-built app may
