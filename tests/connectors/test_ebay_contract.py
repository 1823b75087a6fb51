"""eBay contract: the real connector file gets a user token with the app's credentials as HTTP
Basic (refreshed before it expires and once on a 401), asks getOrders for its window as one
``lastmodifieddate:[from..to]`` filter in eBay's millisecond format, pages by ``offset`` up
to ``total``, reads the Finances API on its own host, waits out a 429 and fails on a
refusal with eBay's message."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from synchub.errors import FatalAPIError
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.ebay.auth import SCOPES, EbayAuth
from tests.runtime.helpers import FakeClock

from .conftest import ROOT, connector

HOST = "https://api.ebay.com"
APIZ = "https://apiz.ebay.com"
TOKEN_URL = "https://api.ebay.com/identity/v1/oauth2/token"
ORDERS_URL = f"{HOST}/sell/fulfillment/v1/order"
CLIENT_ID, SECRET, REFRESH = "Shop-Hub-PRD-1a2b3c4d5-6e7f8a9b", "PRD-1a2b3c4d5e6f-7a8b", "v^1.1#r"
ORDERS = json.loads((ROOT / "tests/mapping/fixtures/ebay/orders.json")
                    .read_text(encoding="utf-8"))["orders"]
END = datetime(2026, 3, 5, tzinfo=UTC)
STATE = {"cursor": "2026-03-01T00:00:00.250Z"}
# the cursor less the 5 min lookback .. the run's end less the 2 min lag, milliseconds kept
FILTER = "lastmodifieddate:[2026-02-28T23:55:00.250Z..2026-03-04T23:58:00.000Z]"


def client(clock: FakeClock | None = None) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="ebay_us", conn_type="http", host=HOST, login=CLIENT_ID,
                          password=SECRET, extra={"refresh_token": REFRESH,
                                                  "finances_host": APIZ})
    clock = clock or FakeClock()
    return ConnectorClient(connector("ebay"), conn, clock=clock, sleep=clock.sleep)


def grant(mock: responses.RequestsMock, token: str, expires_in: int = 7200) -> None:
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    mock.post(TOKEN_URL, json={"access_token": token, "expires_in": expires_in,
                               "token_type": "User Access Token"},
              match=[matchers.urlencoded_params_matcher({
                  "grant_type": "refresh_token", "refresh_token": REFRESH, "scope": SCOPES}),
                  matchers.header_matcher({"Authorization": f"Basic {basic}"})])


def orders(mock: responses.RequestsMock, query: dict[str, str], body: Any, token: str,
           status: int = 200) -> None:
    mock.get(ORDERS_URL, status=status, json=body,
             match=[matchers.query_param_matcher(query),
                    matchers.header_matcher({"Authorization": f"Bearer {token}"})])


def page(records: list[Any], total: int, offset: int) -> dict[str, Any]:
    return {"href": ORDERS_URL, "total": total, "limit": 200, "offset": offset,
            "orders": records}


def errors(error_id: int, message: str, domain: str = "API_FULFILLMENT") -> dict[str, Any]:
    return {"errors": [{"errorId": error_id, "domain": domain, "category": "REQUEST",
                        "message": message}]}


def test_the_window_is_one_filter_and_pages_follow_the_offset_to_the_total(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http, "tok-1")
    big = [{**ORDERS[0], "orderId": f"01-00000-{n:05d}",
            "lastModifiedDate": f"2026-03-02T10:{n // 60:02d}:{n % 60:02d}.000Z"}
           for n in range(200)]
    orders(mock_http, {"filter": FILTER, "limit": "200"},
           page(big, 203, 0), "tok-1")
    orders(mock_http, {"filter": FILTER, "limit": "200", "offset": "200"},
           page(ORDERS, 203, 200), "tok-1")
    with client() as c:
        pages = list(c.read("orders", state=STATE, window_end=END))
    assert [len(p.records) for p in pages] == [200, 3]
    # the list's order is not documented: the cursor moves once the window is read
    assert pages[-1].state == {"cursor": "2026-03-02T10:03:19Z"}


def test_a_401_refreshes_the_token_once_and_repeats_the_call(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http, "tok-1")
    query = {"filter": FILTER, "limit": "200"}
    orders(mock_http, query, errors(1001, "Invalid access token"), "tok-1", status=401)
    grant(mock_http, "tok-2")
    orders(mock_http, query, page(ORDERS, 3, 0), "tok-2")
    with client() as c:
        pages = list(c.read("orders", state=STATE, window_end=END))
    assert [len(p.records) for p in pages] == [3]
    assert [r.request.url for r in mock_http.calls].count(TOKEN_URL) == 2


def test_the_token_is_refreshed_before_it_expires() -> None:
    clock = FakeClock(0.0)
    auth = EbayAuth(TOKEN_URL, CLIENT_ID, SECRET, REFRESH, requests.Session(), 5,
                    scope=SCOPES, expiry_margin=300, clock=clock)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        grant(mock, "tok-1")
        grant(mock, "tok-2")
        assert auth.token() == "tok-1"
        clock.now = 7200 - 301                    # outside the margin: the same token
        assert auth.token() == "tok-1"
        clock.now = 7200 - 299                    # within 300 s of expiry: a new one
        assert auth.token() == "tok-2"
    assert auth.refreshes == 2


def test_a_bad_refresh_token_fails_with_ebays_oauth_message(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, status=400, json={
        "error": "invalid_grant", "error_description": "the provided authorization refresh "
        "token is invalid or was issued to another client"})
    with client() as c, pytest.raises(FatalAPIError, match="invalid_grant: the provided"):
        list(c.read("orders", state=STATE, window_end=END))


def test_a_429_is_waited_out_and_a_400_names_ebays_message(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http, "tok-1")
    query = {"filter": FILTER, "limit": "200"}
    orders(mock_http, query, errors(2001, "Too many requests", "ACCESS"), "tok-1", status=429)
    orders(mock_http, query, page(ORDERS, 3, 0), "tok-1")
    clock = FakeClock()
    with client(clock) as c:
        assert [len(p.records) for p in c.read("orders", state=STATE, window_end=END)] == [3]
    assert clock.slept                            # the retry waited
    mock_http.get(ORDERS_URL, status=400, json=errors(30800, "Invalid filter value."))
    with client() as c, pytest.raises(FatalAPIError, match="Invalid filter value"):
        list(c.read("orders", state=STATE, window_end=END))


def test_finances_streams_read_the_apiz_host_with_their_own_filter(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http, "tok-1")
    payouts = json.loads((ROOT / "tests/mapping/fixtures/ebay/payouts.json")
                         .read_text(encoding="utf-8"))
    mock_http.get(f"{APIZ}/sell/finances/v1/payout", json=payouts, match=[
        matchers.query_param_matcher({
            "filter": "payoutDate:[2026-02-26T00:00:00.250Z..2026-03-04T23:58:00.000Z]",
            "limit": "200"}),
        matchers.header_matcher({"Authorization": "Bearer tok-1"})])
    with client() as c:
        pages = list(c.read("payouts", state=STATE, window_end=END))
    assert [p["payoutId"] for p in pages[0].records] == ["6000012345", "6000012399"]


def test_inventory_items_page_by_page_number() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        grant(mock, "tok-1")
        url = f"{HOST}/sell/inventory/v1/inventory_item"
        items = [{"sku": f"S-{n}", "availability": {}} for n in range(200)]
        mock.get(url, json={"total": 201, "size": 2, "limit": 200, "inventoryItems": items},
                 match=[matchers.query_param_matcher({"limit": "200"})])
        mock.get(url, json={"total": 201, "size": 2, "limit": 200,
                            "inventoryItems": [{"sku": "S-200"}]},
                 match=[matchers.query_param_matcher({"limit": "200", "offset": "1"})])
        with client() as c:
            pages = list(c.read("inventory_items"))
    assert [len(p.records) for p in pages] == [200, 1]
