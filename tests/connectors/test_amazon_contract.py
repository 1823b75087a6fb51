"""Amazon SP-API contract: the real connector file gets an LWA access token and sends it as
``x-amz-access-token`` (refreshed before it expires and once when refused), asks searchOrders
for its window (the end at least two minutes back) with the marketplaces the seller sells
in, follows ``pagination.nextToken`` as ``paginationToken``, waits out a 429 at the rate the
header states, and fails on a 400 with Amazon's message."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
from responses import matchers

from synchub.errors import FatalAPIError
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.amazon.auth import LwaAuth
from tests.runtime.helpers import FakeClock

from .conftest import ROOT, connector

HOST = "https://sellingpartnerapi-eu.amazon.com"
TOKEN_URL = "https://api.amazon.com/auth/o2/token"
SEARCH = f"{HOST}/orders/2026-01-01/orders"
MARKETS = f"{HOST}/sellers/v1/marketplaceParticipations"
CLIENT_ID, SECRET, REFRESH = "amzn1.application-oa2-client.abc", "lwa-secret-1", "Atzr|refresh-1"
ORDERS = json.loads((ROOT / "tests/mapping/fixtures/amazon/orders.json")
                    .read_text(encoding="utf-8"))["orders"]
END = datetime(2026, 3, 5, tzinfo=UTC)
STATE = {"cursor": "2026-03-01T00:00:00Z"}
WINDOW = {"lastUpdatedAfter": "2026-02-28T23:55:00Z",       # the cursor less the 5 min lookback
          "lastUpdatedBefore": "2026-03-04T23:57:00Z",      # the run's end less the 3 min lag
          "marketplaceIds": "A1PA6795UKMFR9,A1F83G8C2ARO7P",
          "includedData": "BUYER,RECIPIENT,PROCEEDS,FULFILLMENT,PACKAGES",
          "maxResultsPerPage": "100"}


def client(clock: FakeClock | None = None) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="amazon_eu", conn_type="http", host=HOST, login=CLIENT_ID,
                          password=SECRET, extra={"refresh_token": REFRESH})
    clock = clock or FakeClock()
    return ConnectorClient(connector("amazon"), conn, clock=clock, sleep=clock.sleep)


def grant(mock: responses.RequestsMock, token: str, expires_in: int = 3600) -> None:
    mock.post(TOKEN_URL, json={"access_token": token, "token_type": "bearer",
                               "expires_in": expires_in, "refresh_token": REFRESH},
              match=[matchers.urlencoded_params_matcher({
                  "grant_type": "refresh_token", "refresh_token": REFRESH,
                  "client_id": CLIENT_ID, "client_secret": SECRET})])


def participations(mock: responses.RequestsMock, token: str) -> None:
    mock.get(MARKETS, headers={"x-amzn-RateLimit-Limit": "0.016"},
             match=[matchers.header_matcher({"x-amz-access-token": token})],
             json={"payload": [
                 {"marketplace": {"id": "A1PA6795UKMFR9", "countryCode": "DE"},
                  "participation": {"isParticipating": True, "hasSuspendedListings": False}},
                 {"marketplace": {"id": "A13V1IB3VIYZZH", "countryCode": "FR"},
                  "participation": {"isParticipating": False, "hasSuspendedListings": False}},
                 {"marketplace": {"id": "A1F83G8C2ARO7P", "countryCode": "GB"},
                  "participation": {"isParticipating": True, "hasSuspendedListings": False}}]})


def search(mock: responses.RequestsMock, query: dict[str, str], body: Any, token: str,
           status: int = 200, rate: str = "0.0056") -> None:
    mock.get(SEARCH, status=status, json=body, headers={"x-amzn-RateLimit-Limit": rate},
             match=[matchers.query_param_matcher(query),
                    matchers.header_matcher({"x-amz-access-token": token})])


def errors(code: str, message: str, details: str = "") -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message, "details": details}]}


def test_the_window_is_asked_then_the_next_page_with_its_token(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http, "Atza|one")
    participations(mock_http, "Atza|one")
    search(mock_http, WINDOW, {"orders": ORDERS[:2], "pagination": {"nextToken": "tok-2"},
                               "lastUpdatedBefore": WINDOW["lastUpdatedBefore"]}, "Atza|one")
    search(mock_http, {**WINDOW, "paginationToken": "tok-2"},
           {"orders": ORDERS[2:], "lastUpdatedBefore": WINDOW["lastUpdatedBefore"]},
           "Atza|one")
    with client() as c:
        pages = list(c.read("orders", state=STATE, window_end=END))
    assert [[o["orderId"] for o in p.records] for p in pages] == [
        ["302-3159896-1390916", "026-1520163-6049104"], ["171-9004512-3317125"]]
    # the list's order is not documented: the cursor moves only once the window is read
    assert pages[-1].state == {"cursor": "2026-03-04T11:00:00Z"}


def test_a_refused_token_is_refreshed_once_and_the_call_repeated(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http, "Atza|one")
    participations(mock_http, "Atza|one")
    search(mock_http, WINDOW, errors("Unauthorized", "Access to requested resource is denied.",
                                     "The access token you provided has expired."), "Atza|one",
           status=403)
    grant(mock_http, "Atza|two")
    search(mock_http, WINDOW, {"orders": ORDERS[:1]}, "Atza|two")
    with client() as c:
        pages = list(c.read("orders", state=STATE, window_end=END))
    assert [len(p.records) for p in pages] == [1]
    assert [r.request.url for r in mock_http.calls].count(TOKEN_URL) == 2


def test_a_403_that_is_no_token_refusal_is_not_retried_with_a_new_token(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http, "Atza|one")
    participations(mock_http, "Atza|one")
    search(mock_http, WINDOW, errors("AccessDenied", "The app lacks the Orders role."),
           "Atza|one", status=403)
    with client() as c, pytest.raises(FatalAPIError, match="lacks the Orders role"):
        list(c.read("orders", state=STATE, window_end=END))
    assert [r.request.url for r in mock_http.calls].count(TOKEN_URL) == 1


def test_the_token_is_refreshed_before_it_expires() -> None:
    clock = FakeClock(0.0)
    session = requests.Session()
    auth = LwaAuth(TOKEN_URL, CLIENT_ID, SECRET, REFRESH, session, 5, expiry_margin=120,
                   clock=clock)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        grant(mock, "Atza|one", expires_in=3600)
        grant(mock, "Atza|two", expires_in=3600)
        assert auth.token() == "Atza|one"
        clock.now = 3600 - 121                    # still inside the margin: the same token
        assert auth.token() == "Atza|one"
        clock.now = 3600 - 119                    # within 120 s of expiry: a new one
        assert auth.token() == "Atza|two"
    assert auth.refreshes == 2


def test_a_bad_refresh_token_fails_with_the_lwa_message(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(TOKEN_URL, status=400, json={
        "error": "invalid_grant",
        "error_description": "The request has an invalid grant parameter : refresh_token"})
    with client() as c, pytest.raises(FatalAPIError, match="invalid_grant"):
        list(c.read("orders", state=STATE, window_end=END))


def test_the_window_ends_two_minutes_back_and_a_400_names_amazons_message(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http, "Atza|one")
    participations(mock_http, "Atza|one")
    refusal = errors("InvalidInput", "lastUpdatedBefore must be at least 2 minutes before "
                     "the time of the request.")
    mock_http.get(SEARCH, status=400, json=refusal)
    before = datetime.now(UTC)
    with client() as c, pytest.raises(FatalAPIError, match="at least 2 minutes"):
        list(c.read("orders", state=STATE))     # no end given: the run ends now, less the lag
    asked = parse_qs(mock_http.calls[-1].request.url.split("?", 1)[1])
    end = datetime.fromisoformat(asked["lastUpdatedBefore"][0].replace("Z", "+00:00"))
    assert (before - end).total_seconds() >= 120


def test_a_429_is_waited_out_at_the_rate_the_header_states(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http, "Atza|one")
    participations(mock_http, "Atza|one")
    search(mock_http, WINDOW, errors("QuotaExceeded", "You exceeded your quota for the "
                                     "requested resource."), "Atza|one", status=429,
           rate="0.1")
    search(mock_http, WINDOW, {"orders": ORDERS}, "Atza|one", rate="0.1")
    clock = FakeClock()
    with client(clock) as c:
        pages = list(c.read("orders", state=STATE, window_end=END))
    assert [len(p.records) for p in pages] == [3]
    # the 429 emptied the bucket: the retry waited for one token at 0.1/s, 10 s in all
    # (the jittered backoff slept first, the limiter the rest)
    assert sum(clock.slept) == pytest.approx(10.0)
