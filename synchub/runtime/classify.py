"""Turn an HTTP response into a parsed body or the error class the caller should act on.

One table decides: 2xx is fine, 429 and 5xx are retriable, other statuses are fatal. The
vendor's own message is pulled from its error body (Shopify ``errors``, WooCommerce
``message``/``code``, GraphQL ``errors[].message``) and redacted. Faults answered at HTTP
200 (GraphQL ``errors``, JSON-RPC ``error``) are classified from the body.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from synchub.errors import APIError, FatalAPIError, RetriableAPIError, safe_url

# (first status, last status, error class or None for success); the first match wins
STATUS_TABLE: tuple[tuple[int, int, type[APIError] | None], ...] = (
    (200, 299, None),
    (408, 408, RetriableAPIError),
    (429, 429, RetriableAPIError),
    (500, 599, RetriableAPIError),
    (100, 599, FatalAPIError),
)
MAX_RETRY_AFTER = 600.0


def error_class(status: int) -> type[APIError] | None:
    """The error class for a status, from :data:`STATUS_TABLE` (None when it is a success)."""
    for low, high, cls in STATUS_TABLE:
        if low <= status <= high:
            return cls
    return FatalAPIError


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def vendor_message(body: Any) -> str | None:
    """The human message in a vendor error body, or None."""
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, str):
        return errors
    if isinstance(errors, dict):  # Shopify field errors: {"limit": ["must be ..."]}
        return "; ".join(f"{k} {', '.join(map(str, v)) if isinstance(v, list) else v}"
                         for k, v in errors.items())
    if isinstance(errors, list) and errors:  # GraphQL
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e)
                         for e in errors[:5])
    message, code = body.get("message"), body.get("code")
    if message:
        return f"{message} ({code})" if code else str(message)
    if isinstance(body.get("error"), str):  # OAuth2 token endpoints
        desc = body.get("error_description")
        return f"{body['error']}: {desc}" if desc else body["error"]
    return None


def classify(response: requests.Response) -> Any:
    """Return the parsed JSON body of a successful response; raise the classified error."""
    status = response.status_code
    cls = error_class(status)
    request = response.request
    method = request.method if request is not None else "GET"
    url = safe_url(response.url or (request.url if request is not None else "") or "")
    if cls is None:
        try:
            return json.loads(response.content) if response.content else None
        except ValueError:
            raise RetriableAPIError(
                f"{method} {url}: HTTP {status} with an invalid or truncated JSON body "
                f"({len(response.content)} bytes)", status=status, url=url) from None
    text = response.text
    try:
        detail = vendor_message(json.loads(text)) if text else None
    except ValueError:
        detail = None
    detail = detail or response.reason or "no details"
    message = f"{method} {url}: HTTP {status}: {detail}"
    if cls is RetriableAPIError:
        raise RetriableAPIError(message, status=status, url=url, body=text,
                                retry_after=parse_retry_after(response.headers.get("Retry-After")))
    raise cls(message, status=status, url=url, body=text)


def graphql_errors(body: Any, url: str, throttle_wait: float | None) -> None:
    """Raise for GraphQL ``errors`` answered at HTTP 200: THROTTLED is retriable, others fatal."""
    if not isinstance(body, dict) or not body.get("errors"):
        return
    errors = body["errors"]
    codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
    message = f"POST {url}: GraphQL: {vendor_message(body)}"
    if "THROTTLED" in codes:
        raise RetriableAPIError(message, status=200, url=url, retry_after=throttle_wait)
    raise FatalAPIError(message, status=200, url=url, body=json.dumps(errors)[:2000])
