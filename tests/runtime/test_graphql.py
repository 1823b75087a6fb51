"""GraphQL transport: THROTTLED at HTTP 200 is retried after the cost restores; cost feeds
the limiter; other GraphQL errors are fatal."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses

from synchub.errors import FatalAPIError
from synchub.runtime import ConnectorClient

from .helpers import BASE, FakeClock, make_conn, make_spec

GQL = f"{BASE}/graphql.json"
QUERY = "query Q($first: Int!, $after: String) { items(first: $first, after: $after) { " \
        "edges { node { id } } pageInfo { hasNextPage endCursor } } }"


def cost(available: float, requested: float = 300) -> dict[str, Any]:
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": 20,
                     "throttleStatus": {"maximumAvailable": 2000.0,
                                        "currentlyAvailable": available, "restoreRate": 100.0}}}


def page(ids: list[int], has_next: bool, cursor: str, available: float) -> dict[str, Any]:
    return {"data": {"items": {"edges": [{"node": {"id": i}} for i in ids],
                               "pageInfo": {"hasNextPage": has_next, "endCursor": cursor}}},
            "extensions": cost(available)}


def gql_client(clock: FakeClock) -> ConnectorClient:
    spec = make_spec(
        streams={"items": {"transport": "graphql", "path": "/graphql.json", "query": QUERY,
                           "record_selector": "data.items.edges[].node", "page_size": 2,
                           "page_size_param": "first",
                           "paginator": {"type": "graphql_cursor",
                                         "page_info": "data.items.pageInfo"}}},
        http={"timeout_seconds": 5, "max_retries": 3,
              "backoff": {"initial_seconds": 0.001, "max_seconds": 0.01},
              "rate_limit": {"type": "graphql_cost", "maximum_available": 2000,
                             "restore_rate": 100, "default_cost": 100}})
    return ConnectorClient(spec, make_conn(), clock=clock, sleep=clock.sleep)


@responses.activate(assert_all_requests_are_fired=True)
def test_throttled_at_200_is_retried_after_cost_restores() -> None:
    first = responses.post(GQL, json=page([1, 2], True, "c1", available=1700))
    throttled = responses.post(GQL, json={
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
                                                           "documentation": "https://x"}}],
        "extensions": cost(available=100)})
    last = responses.post(GQL, json=page([3], False, "c2", available=1500))
    clock = FakeClock()
    c = gql_client(clock)
    pages = list(c.read("items"))
    assert [[r["id"] for r in p.records] for p in pages] == [[1, 2], [3]]
    # (300 requested - 100 available) / 100 per second restored = 2 s
    assert clock.slept == [pytest.approx(2.0)]
    assert c.stats.retries == 1
    assert c.stats.throttled_seconds == pytest.approx(2.0)
    sent = [json.loads(call.request.body) for call in (first.calls[0], throttled.calls[0],
                                                        last.calls[0])]
    assert sent[0] == {"query": QUERY, "variables": {"first": 2}}
    assert sent[1]["variables"] == sent[2]["variables"] == {"first": 2, "after": "c1"}


@responses.activate(assert_all_requests_are_fired=True)
def test_limiter_waits_proactively_from_reported_cost() -> None:
    responses.post(GQL, json=page([1, 2], True, "c1", available=50))
    responses.post(GQL, json=page([3], False, "c2", available=1500))
    clock = FakeClock()
    list(gql_client(clock).read("items"))
    # the server said 50 left and the query costs 300: wait 2.5 s instead of being throttled
    assert clock.slept == [pytest.approx(2.5)]


@responses.activate(assert_all_requests_are_fired=True)
def test_query_errors_are_fatal() -> None:
    api = responses.post(GQL, json={"errors": [{"message": "Field 'nope' doesn't exist on type "
                                                           "'QueryRoot'"}]})
    with pytest.raises(FatalAPIError, match="GraphQL: Field 'nope' doesn't exist"):
        list(gql_client(FakeClock()).read("items"))
    assert api.call_count == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_failed_attempts_are_not_charged_the_default_cost() -> None:
    # a default cost of 1,000 points against 2,000 restoring 100/s: were each 503 charged,
    # the third attempt would wait 10 s for points, and ten of them over a minute
    for _ in range(10):
        responses.post(GQL, status=503, body="<html>Service Unavailable</html>")
    responses.post(GQL, json={"data": {"items": {"edges": [{"node": {"id": 1}}],
                                                 "pageInfo": {"hasNextPage": False,
                                                              "endCursor": "c1"}}},
                              "extensions": {"cost": {"requestedQueryCost": 12,
                                                      "actualQueryCost": 10}}})
    clock = FakeClock()
    spec = make_spec(
        streams={"items": {"transport": "graphql", "path": "/graphql.json", "query": QUERY,
                           "record_selector": "data.items.edges[].node",
                           "paginator": {"type": "graphql_cursor",
                                         "page_info": "data.items.pageInfo"}}},
        http={"timeout_seconds": 5, "max_retries": 10,
              "backoff": {"initial_seconds": 0.001, "max_seconds": 0.01},
              "rate_limit": {"type": "graphql_cost", "maximum_available": 2000,
                             "restore_rate": 100, "default_cost": 1000}})
    c = ConnectorClient(spec, make_conn(), clock=clock, sleep=clock.sleep)
    limiter = c.http.cost_limiter
    assert limiter is not None
    charges: list[float] = []
    acquire = limiter.acquire

    def counting_acquire(cost: float = 1.0) -> float:
        charges.append(cost)
        return acquire(cost)

    limiter.acquire = counting_acquire  # type: ignore[method-assign]
    assert [r["id"] for p in c.read("items") for r in p.records] == [1]
    assert len(charges) == 11 and c.stats.retries == 10
    assert c.stats.throttled_seconds == 0            # no wait for cost points at all
    assert all(s <= 0.01 for s in clock.slept)       # only the backoff between retries
    # the ten failures were refunded; the answer's own cost (10 points) is what stays charged
    assert limiter.available == pytest.approx(2000 - 10)
