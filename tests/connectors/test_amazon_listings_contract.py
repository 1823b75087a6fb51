"""Amazon SP-API contract of the FBM listings stream: the real connector file asks
searchListingsItems for the seller and marketplace its Connection names (``{sellerId}`` in
the path), summaries and fulfillmentAvailability, 20 a page, oldest change first from the
stored cursor less its lookback to the window's end; follows ``pagination.nextToken`` as
``pageToken`` with the same filters; saves the cursor page by page (the list is sorted);
waits out a 429 at the rate the header states; refuses a secret or a missing value where a
request names the Connection."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from responses import matchers

from synchub.errors import ConfigError
from synchub.runtime import ConnectionInfo, ConnectorClient
from tests.runtime.helpers import FakeClock

from .conftest import ROOT, connector

HOST = "https://sellingpartnerapi-eu.amazon.com"
TOKEN_URL = "https://api.amazon.com/auth/o2/token"
SELLER, DE = "A2SELLER01", "A1PA6795UKMFR9"
ITEMS = f"{HOST}/listings/2021-08-01/items/{SELLER}"
FIXTURE = ROOT / "tests/mapping/fixtures/amazon/listings.json"
STATE = {"cursor": "2026-03-01T10:00:00Z"}
END = datetime(2026, 3, 5, tzinfo=UTC)
QUERY = {"marketplaceIds": DE, "includedData": "summaries,fulfillmentAvailability",
         "sortBy": "lastUpdatedDate", "sortOrder": "ASC", "pageSize": "20",
         "lastUpdatedAfter": "2026-03-01T09:55:00Z",      # the cursor less five minutes
         "lastUpdatedBefore": "2026-03-05T00:00:00Z"}


def client(clock: FakeClock | None = None, **extra: str) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="amazon_eu", conn_type="http", host=HOST,
                          login="amzn1.application-oa2-client.abc", password="lwa-secret-1",
                          extra={"refresh_token": "Atzr|refresh-1", "seller_id": SELLER,
                                 "marketplace_id": DE, **extra})
    clock = clock or FakeClock()
    return ConnectorClient(connector("amazon"), conn, clock=clock, sleep=clock.sleep)


def grant(mock: responses.RequestsMock) -> None:
    mock.post(TOKEN_URL, json={"access_token": "Atza|one", "token_type": "bearer",
                               "expires_in": 3600})


def search(mock: responses.RequestsMock, body: Any, *, token: str | None = None,
           status: int = 200, rate: str = "5.0") -> None:
    query = {**QUERY, "pageToken": token} if token else QUERY
    mock.get(ITEMS, status=status, json=body, headers={"x-amzn-RateLimit-Limit": rate},
             match=[matchers.query_param_matcher(query),
                    matchers.header_matcher({"x-amz-access-token": "Atza|one"})])


def items() -> list[dict[str, Any]]:
    return list(json.loads(FIXTURE.read_text(encoding="utf-8"))["items"])


def test_the_window_is_asked_oldest_first_then_the_next_page_with_its_token(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http)
    first, fba, used = items()
    search(mock_http, {"numberOfResults": 3, "items": [first, fba],
                       "pagination": {"nextToken": "tok-2"}})
    search(mock_http, {"numberOfResults": 3, "items": [used],
                       "pagination": {"previousToken": "tok-1"}}, token="tok-2")
    with client() as c:
        pages = list(c.read("listings", state=STATE, window_end=END))
    assert [[r["sku"] for r in p.records] for p in pages] == [
        ["GM-ZDPI-9B4E", "FBA-LUGGAGE-02"], ["GM-ZDPI-9B4F"]]
    # the summary's change time is lifted to the record (the cursor field); older than
    # the stored cursor, it leaves the cursor where it was
    assert [p.state for p in pages] == [STATE, STATE]
    assert pages[0].records[0]["lastUpdatedDate"] == "2021-03-01T00:00:00Z"


def test_the_cursor_moves_with_each_page_of_the_sorted_list(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http)
    first, fba, used = items()
    for n, item in enumerate((first, fba)):
        item["summaries"][0]["lastUpdatedDate"] = f"2026-03-02T0{n}:00:00Z"
    used["summaries"][0]["lastUpdatedDate"] = "2026-03-03T12:00:00Z"
    search(mock_http, {"numberOfResults": 3, "items": [first, fba],
                       "pagination": {"nextToken": "tok-2"}})
    search(mock_http, {"numberOfResults": 3, "items": [used]}, token="tok-2")
    with client() as c:
        states = [p.state for p in c.read("listings", state=STATE, window_end=END)]
    assert states == [{"cursor": "2026-03-02T01:00:00Z"}, {"cursor": "2026-03-03T12:00:00Z"}]


def test_a_429_is_waited_out_at_the_rate_the_header_states(
        mock_http: responses.RequestsMock) -> None:
    grant(mock_http)
    search(mock_http, {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your "
                                   "quota for the requested resource."}]},
           status=429, rate="0.5")
    search(mock_http, {"numberOfResults": 1, "items": items()[:1]}, rate="0.5")
    clock = FakeClock()
    with client(clock) as c:
        pages = list(c.read("listings", state=STATE, window_end=END))
    assert [len(p.records) for p in pages] == [1]
    # the 429 emptied the bucket: the retry waited one token at 0.5/s, 2 s in all
    assert sum(clock.slept) == pytest.approx(2.0)


@pytest.mark.parametrize(("extra", "message"), [
    ({"seller_id": ""}, "extra.seller_id is empty"),
    ({"marketplace_id": ""}, "extra.marketplace_id is empty"),
])
def test_a_missing_seller_or_marketplace_is_a_config_error_naming_the_field(
        mock_http: responses.RequestsMock, extra: dict[str, str], message: str) -> None:
    with client(**extra) as c, pytest.raises(ConfigError, match=message):
        list(c.read("listings", state=STATE, window_end=END))


def test_a_secret_of_the_connection_is_never_filled_into_a_request() -> None:
    with client() as c, pytest.raises(ConfigError, match="non-secret"):
        c.conn_value("extra.refresh_token")
    with client() as c, pytest.raises(ConfigError, match="non-secret"):
        c.conn_value("password")
