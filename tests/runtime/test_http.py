"""Retries through ConnectorClient with ``responses``: what is retried, how often, how long."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests
import responses

from synchub.errors import FatalAPIError, RetriableAPIError
from synchub.runtime import ConnectorClient

from .helpers import BASE, FakeClock, make_conn, make_spec

URL = f"{BASE}/items"
OK = {"items": [{"id": 1}]}


def client(clock: FakeClock, **http: Any) -> ConnectorClient:
    spec_http = {"timeout_seconds": 5, "max_retries": 3,
                 "backoff": {"initial_seconds": 0.001, "max_seconds": 0.01}, **http}
    return ConnectorClient(make_spec(http=spec_http), make_conn(), clock=clock, sleep=clock.sleep)


def read_all(c: ConnectorClient) -> list[Any]:
    return [r for page in c.read("items") for r in page.records]


@responses.activate(assert_all_requests_are_fired=True)
def test_429_retry_after_then_200(caplog: pytest.LogCaptureFixture) -> None:
    responses.get(URL, status=429, headers={"Retry-After": "2.0"},
                  json={"errors": "Exceeded 2 calls per second for api client."})
    responses.get(URL, json=OK)
    clock = FakeClock()
    c = client(clock)
    with caplog.at_level(logging.WARNING, logger="synchub.runtime"):
        assert read_all(c) == [{"id": 1}]
    assert clock.slept == [2.0]
    assert (c.stats.requests, c.stats.retries, c.stats.throttled_seconds) == (2, 1, 2.0)
    assert any("retry 1/3" in r.getMessage() and "HTTP 429" in r.getMessage()
               for r in caplog.records)


@responses.activate(assert_all_requests_are_fired=True)
def test_5xx_burst_then_200_with_bounded_backoff() -> None:
    for status in (500, 502, 503):
        responses.get(URL, status=status, json={"errors": "Internal Server Error"})
    responses.get(URL, json=OK)
    clock = FakeClock()
    c = client(clock)
    assert read_all(c) == [{"id": 1}]
    assert len(clock.slept) == 3
    assert all(0 <= s <= 0.01 for s in clock.slept)
    assert c.stats.retries == 3


@responses.activate(assert_all_requests_are_fired=True)
def test_5xx_beyond_max_retries_raises_retriable() -> None:
    api = responses.get(URL, status=503, json={"errors": "Service Unavailable"})
    clock = FakeClock()
    with pytest.raises(RetriableAPIError, match="HTTP 503"):
        read_all(client(clock, max_retries=2))
    assert api.call_count == 3


@pytest.mark.parametrize("exc", [requests.Timeout("read timed out"),
                                 requests.ConnectionError("connection reset")])
@responses.activate(assert_all_requests_are_fired=True)
def test_timeout_or_connection_error_then_200(exc: Exception) -> None:
    responses.get(URL, body=exc)
    responses.get(URL, json=OK)
    clock = FakeClock()
    c = client(clock)
    assert read_all(c) == [{"id": 1}]
    assert c.stats.retries == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_truncated_json_is_retried() -> None:
    responses.get(URL, body='{"items": [{"id"', content_type="application/json")
    responses.get(URL, json=OK)
    assert read_all(client(FakeClock())) == [{"id": 1}]


@responses.activate(assert_all_requests_are_fired=True)
def test_fatal_401_is_not_retried() -> None:
    api = responses.get(URL, status=401, json={
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
    clock = FakeClock()
    c = client(clock)
    with pytest.raises(FatalAPIError, match="HTTP 401: \\[API\\] Invalid API key") as info:
        read_all(c)
    assert api.call_count == 1
    assert clock.slept == []
    assert "tok-secret-1" not in str(info.value)


@responses.activate(assert_all_requests_are_fired=True)
def test_every_request_has_a_timeout_and_logs_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Any] = []
    c = client(FakeClock())
    original = c.http.session.request

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("timeout"))
        return original(*args, **kwargs)

    c.http.session.request = spy  # type: ignore[method-assign]
    responses.get(URL, json=OK)
    with caplog.at_level(logging.DEBUG, logger="synchub.runtime"):
        read_all(c)
    assert seen == [5.0]
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(lines) == 1
    assert lines[0].startswith(f"GET {URL} -> 200 (")
    assert "tok-secret-1" not in caplog.text


@responses.activate(assert_all_requests_are_fired=True)
def test_leaky_bucket_fed_by_header_delays_requests() -> None:
    spec_limit = {"type": "leaky_bucket", "capacity": 40, "leak_per_second": 2,
                  "usage_header": "X-Shopify-Shop-Api-Call-Limit"}
    responses.get(URL, json=OK, headers={"X-Shopify-Shop-Api-Call-Limit": "40/40"})
    responses.get(URL, json=OK, headers={"X-Shopify-Shop-Api-Call-Limit": "40/40"})
    clock = FakeClock()
    c = client(clock, rate_limit=spec_limit)
    read_all(c)
    read_all(c)
    assert clock.slept == [pytest.approx(0.5)]
    assert c.stats.throttled_seconds == pytest.approx(0.5)


@responses.activate(assert_all_requests_are_fired=True)
def test_a_form_body_is_sent_and_sent_again_on_a_retry() -> None:
    form = responses.matchers.urlencoded_params_matcher({"method": "a.b", "page": "2"})
    responses.post(URL, status=503, match=[form])
    responses.post(URL, json=OK, match=[form])
    clock = FakeClock()
    _, body = client(clock).http.request("form", "POST", URL, data={"method": "a.b", "page": 2})
    assert body == OK
    assert [c.request.headers["Content-Type"] for c in responses.calls] == [
        "application/x-www-form-urlencoded"] * 2
