"""``classify`` as a table: status, headers, body -> error class, retry_after, message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from synchub.errors import FatalAPIError, RetriableAPIError, register_secret
from synchub.runtime.classify import classify, graphql_errors, parse_retry_after

from .helpers import response

SHOPIFY_401 = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong "
                         "password)"}
SHOPIFY_429 = {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to "
                         "resume uninterrupted service."}
WOO_401 = {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
           "data": {"status": 401}}
WOO_400 = {"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
           "data": {"status": 400, "params": {"per_page": "per_page must be between 1 "
                                                           "(inclusive) and 100 (inclusive)"}}}

# id, status, headers, body (bytes = raw), error class, retry_after, message fragment
CASES: list[tuple[str, int, dict[str, str], Any, type[Exception] | None, float | None, str]] = [
    ("200 ok", 200, {}, {"orders": []}, None, None, ""),
    ("204 empty", 204, {}, b"", None, None, ""),
    ("200 truncated json", 200, {}, b'{"orders": [{"id": 1', RetriableAPIError, None,
     "invalid or truncated JSON"),
    ("shopify 401", 401, {}, SHOPIFY_401, FatalAPIError, None, "HTTP 401: [API] Invalid API key"),
    ("shopify 429", 429, {"Retry-After": "2.0"}, SHOPIFY_429, RetriableAPIError, 2.0,
     "Exceeded 2 calls per second"),
    ("shopify 400 field errors", 400, {}, {"errors": {"limit": ["must be less than or equal to "
                                                                "250"]}},
     FatalAPIError, None, "limit must be less than or equal to 250"),
    ("shopify 500", 500, {}, {"errors": "Internal Server Error"}, RetriableAPIError, None,
     "HTTP 500: Internal Server Error"),
    ("503 retry-after", 503, {"Retry-After": "7"}, b"", RetriableAPIError, 7.0,
     "Service Unavailable"),
    ("woo 401", 401, {}, WOO_401, FatalAPIError, None,
     "Sorry, you cannot list resources. (woocommerce_rest_cannot_view)"),
    ("woo 400", 400, {}, WOO_400, FatalAPIError, None, "Invalid parameter(s): per_page"),
    ("woo 500", 500, {}, {"code": "internal_server_error", "message": "Boom",
                          "data": {"status": 500}}, RetriableAPIError, None, "Boom"),
    ("404 html", 404, {}, b"<html>nope</html>", FatalAPIError, None, "HTTP 404: Not Found"),
    ("429 no header", 429, {}, b"", RetriableAPIError, None, "HTTP 429"),
]


@pytest.mark.parametrize(("status", "headers", "body", "cls", "retry_after", "fragment"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_classify(status: int, headers: dict[str, str], body: Any, cls: type[Exception] | None,
                  retry_after: float | None, fragment: str) -> None:
    raw = body if isinstance(body, bytes) else None
    resp = response(status, None if raw is not None else body, headers, raw=raw)
    if cls is None:
        assert classify(resp) == (body if raw is None else None)
        return
    with pytest.raises(cls) as info:
        classify(resp)
    err = info.value
    assert fragment in str(err)
    assert err.status == status  # type: ignore[attr-defined]
    if cls is RetriableAPIError:
        assert err.retry_after == retry_after  # type: ignore[attr-defined]


def test_error_message_drops_query_and_masks_secrets() -> None:
    register_secret("cs_supersecret_123")
    resp = response(401, {"message": "bad key cs_supersecret_123", "code": "x"},
                    url="https://w.example.com/wp-json/wc/v3/orders?consumer_secret=cs_supersecret_123")
    with pytest.raises(FatalAPIError) as info:
        classify(resp)
    text = str(info.value) + (info.value.body or "")
    assert "cs_supersecret_123" not in text
    assert "consumer_secret" not in str(info.value)
    assert "/wp-json/wc/v3/orders" in str(info.value)


@pytest.mark.parametrize(("value", "expected"), [
    ("2.0", 2.0), ("7", 7.0), ("-3", 0.0), ("junk", None), (None, None), ("99999", 600.0),
])
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(30.0)


def test_graphql_errors_throttled_is_retriable_with_wait() -> None:
    body = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
    with pytest.raises(RetriableAPIError) as info:
        graphql_errors(body, "/graphql.json", 3.5)
    assert info.value.retry_after == 3.5


def test_graphql_other_errors_are_fatal() -> None:
    body = {"errors": [{"message": "Field 'nope' doesn't exist on type 'Product'"}], "data": None}
    with pytest.raises(FatalAPIError, match="Field 'nope' doesn't exist"):
        graphql_errors(body, "/graphql.json", None)
    graphql_errors({"data": {"shop": {}}}, "/graphql.json", None)  # no errors: no raise
