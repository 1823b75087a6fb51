"""Squarespace Orders API contract: the real connector file sends the key as a bearer token
and its own User-Agent, asks for its window with modifiedAfter and modifiedBefore (both, or
neither on a first run), asks for the next page with the cursor alone, waits out a 429, and
fails on a refusal with Squarespace's message; the orders map to valid canonical Orders."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
import responses
from responses import matchers

from synchub.errors import FatalAPIError
from synchub.mapping import MappingContext, load_mapping
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.runtime.incremental import parse_cursor
from synchub.schemas import entity_schema

from .conftest import ROOT, connector

HOST = "https://api.squarespace.com"
URL = f"{HOST}/1.0/commerce/orders"
KEY = "sqsp-api-key-5f0c1e"
AGENT = "synchub/0.1 (Squarespace orders sync)"
ORDERS = json.loads((ROOT / "tests/mapping/fixtures/squarespace/orders.json")
                    .read_text(encoding="utf-8"))["result"]
END = datetime(2025, 3, 8, tzinfo=UTC)


def client(sleeps: list[float] | None = None) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="squarespace_main", conn_type="http", host=HOST,
                          password=KEY)
    return ConnectorClient(connector("squarespace"), conn,
                           sleep=sleeps.append if sleeps is not None else lambda s: None)


def page(orders: list[dict[str, Any]], cursor: str | None = None) -> dict[str, Any]:
    return {"result": orders, "pagination": {
        "hasNextPage": cursor is not None, "nextPageCursor": cursor,
        "nextPageUrl": f"{URL}?cursor={cursor}" if cursor else None}}


def expect(mock: responses.RequestsMock, query: dict[str, str], body: Any,
           status: int = 200, headers: dict[str, str] | None = None) -> None:
    mock.get(URL, status=status, json=body, headers=headers,
             match=[matchers.query_param_matcher(query),
                    matchers.header_matcher({"Authorization": f"Bearer {KEY}",
                                             "User-Agent": AGENT})])


def problem(status: int, type_: str, subtype: str | None, message: str) -> dict[str, Any]:
    return {"type": type_, "subtype": subtype, "message": message, "details": None,
            "contextId": "KQXJZPQW"}


def test_a_later_run_asks_for_its_window_then_for_the_next_page_with_the_cursor_alone(
        mock_http: responses.RequestsMock) -> None:
    window = {"modifiedAfter": "2025-03-04T23:50:00Z",          # the cursor less 10 minutes
              "modifiedBefore": "2025-03-07T23:59:00Z"}         # the run's end less 1 minute
    expect(mock_http, window, page(ORDERS[:3], cursor="b64cursor-2"))
    expect(mock_http, {"cursor": "b64cursor-2"}, page(ORDERS[3:]))
    with client() as c:
        pages = list(c.read("orders", state={"cursor": "2025-03-05T00:00:00Z"},
                            window_end=END))
    assert [[o["orderNumber"] for o in p.records] for p in pages] == [
        ["1041", "1042", "1043"], ["1044", "1045", "1046"]]
    # sorted by modifiedOn: each page carries the cursor of what it read
    assert [p.state for p in pages] == [{"cursor": "2025-03-07T10:00:00Z"},
                                        {"cursor": "2025-03-07T10:00:00Z"}]


def test_a_first_run_sends_no_range_and_drops_what_is_past_the_end(
        mock_http: responses.RequestsMock) -> None:
    expect(mock_http, {}, page(ORDERS))           # neither bound: every order is listed
    with client() as c:
        (only,) = list(c.read("orders", state=None,
                              window_end=datetime(2025, 3, 7, tzinfo=UTC)))
    assert [o["orderNumber"] for o in only.records] == ["1041", "1042", "1044"]
    assert only.state == {"cursor": "2025-03-06T17:45:02.551000Z"}


def test_a_run_without_an_end_still_sends_both_bounds(mock_http: responses.RequestsMock
                                                      ) -> None:
    sent: list[dict[str, str]] = []

    def record(request: Any) -> tuple[bool, str]:
        sent.append(dict(request.params))
        return True, ""

    mock_http.get(URL, json=page([]), match=[record])
    before = datetime.now(UTC)
    with client() as c:
        list(c.read("orders", state={"cursor": "2025-03-05T00:00:00Z"}, window_end=None))
    (params,) = sent
    assert params["modifiedAfter"] == "2025-03-04T23:50:00Z"
    end = parse_cursor(params["modifiedBefore"])
    assert before - timedelta(minutes=1) <= end <= datetime.now(UTC) - timedelta(minutes=1)


def test_a_429_is_waited_out_then_the_page_is_asked_again(mock_http: responses.RequestsMock
                                                          ) -> None:
    window = {"modifiedAfter": "2025-03-04T23:50:00Z", "modifiedBefore": "2025-03-07T23:59:00Z"}
    expect(mock_http, window, problem(429, "RATE_LIMIT_ERROR", None, "Too many requests."),
           status=429, headers={"Retry-After": "60"})
    expect(mock_http, window, page(ORDERS[:2]))
    sleeps: list[float] = []
    with client(sleeps) as c:
        (got,) = list(c.read("orders", state={"cursor": "2025-03-05T00:00:00Z"},
                             window_end=END))
    assert len(got.records) == 2 and 60 in [round(s) for s in sleeps]


def test_a_refusal_fails_the_run_with_squarespaces_message(mock_http: responses.RequestsMock
                                                           ) -> None:
    message = "The cursor cannot be used with other parameters."
    expect(mock_http, {}, problem(400, "INVALID_REQUEST_ERROR", "INVALID_ARGUMENT", message),
           status=400)
    with client() as c, pytest.raises(FatalAPIError) as err:
        list(c.read("orders", state=None, window_end=END))
    assert err.value.status == 400 and message in str(err.value)
    assert len(mock_http.calls) == 1                      # a 400 is not retried


def test_a_wrong_key_fails_and_stays_secret(mock_http: responses.RequestsMock) -> None:
    expect(mock_http, {}, problem(401, "AUTHORIZATION_ERROR", None, "Invalid API key."),
           status=401)
    with client() as c, pytest.raises(FatalAPIError) as err:
        list(c.read("orders", state=None, window_end=END))
    assert err.value.status == 401 and KEY not in str(err.value)


def test_orders_map_to_valid_canonical_orders_and_test_orders_are_skipped() -> None:
    mapping = load_mapping(ROOT / "mappings" / "squarespace" / "orders.yaml")
    ctx = MappingContext(connection="squarespace_main", system="squarespace")
    docs = [r.to_json_dict() for o in ORDERS for r in mapping.apply(o, ctx)]
    assert [d["number"] for d in docs] == ["1041", "1042", "1043", "1044", "1046"]  # 1045: test
    validator = jsonschema.Draft202012Validator(entity_schema("order"))
    for doc in docs:
        validator.validate(doc)
    by_number = {d["number"]: d for d in docs}
    assert by_number["1042"]["taxes_included"] is True
    assert by_number["1042"]["financial_status"] == "partially_refunded"
    assert by_number["1043"]["status"] == "cancelled"
    assert by_number["1043"]["financial_status"] == "refunded"

    # a fulfillment status Squarespace does not document fails the record, naming it
    odd = copy.deepcopy(ORDERS[0])
    odd["fulfillmentStatus"] = "ON_HOLD"
    with pytest.raises(Exception, match="ON_HOLD"):
        mapping.apply(odd, ctx)
