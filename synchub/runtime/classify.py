"""Turn an HTTP response into a parsed body or the error class the caller should act on.

One table decides: 2xx is fine, 429 and 5xx are retriable, other statuses are fatal. The
vendor's own message is pulled from its error body (Shopify ``errors``, WooCommerce
``message``/``code``, GraphQL ``errors[].message``) and redacted. Faults answered at HTTP
200 (GraphQL ``errors``, JSON-RPC ``error``) are classified from the body. A 2xx body that
does not parse is retriable when it was cut short, and fatal when a retry would get the same
bytes (not UTF-8, or nested deeper than the JSON parser follows).
"""

from __future__ import annotations

import json
import re
import sys
import time
from email.utils import parsedate_to_datetime
from itertools import accumulate
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
# how a decoder says the bytes stopped inside a character (a body cut short)
_CUT_SHORT = ("unexpected end of data", "truncated data")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


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


def parse_body(content: bytes, where: str, status: int | None = None,
               url: str | None = None) -> Any:
    """The JSON of a response body; raise by what a new attempt could change.

    A body cut short (incomplete JSON, or a UTF-8 sequence cut at its very end) may come
    whole next time: retriable. Bytes that are not UTF-8 inside the body, or nesting deeper
    than the parser follows, come back the same every time: fatal, naming the byte offset
    or the depth. Only a body that failed to parse is examined.
    """
    if not content:
        return None
    try:
        return json.loads(content)
    except UnicodeDecodeError as exc:
        if exc.end < len(content) or exc.reason not in _CUT_SHORT:
            raise FatalAPIError(
                f"{where}: the body is not valid {exc.encoding.upper()} at byte "
                f"{exc.start:,} of {len(content):,} ({exc.reason}: "
                f"{exc.object[exc.start:exc.end]!r}); a retry would get the same bytes",
                status=status, url=url) from None
        problem = "a truncated body (a character cut at its end)"
    except RecursionError:
        raise FatalAPIError(f"{where}: response {too_deep(content)}; a retry would get the "
                            "same body", status=status, url=url) from None
    except ValueError:
        problem = "an invalid or truncated JSON body"
    raise RetriableAPIError(f"{where} with {problem} ({len(content):,} bytes)",
                            status=status, url=url)


def too_deep(content: bytes) -> str:
    """Why JSON text the parser gave up on (RecursionError) cannot be read, with its depth."""
    return (f"nested {nesting_depth(content):,} levels deep, deeper than the JSON parser "
            f"follows (at most {sys.getrecursionlimit():,})")


def nesting_depth(content: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text (brackets in strings ignored)."""
    brackets = _JSON_STRING.sub(b"", content).translate(None, _NOT_BRACKETS)
    return max(accumulate(1 if b in b"[{" else -1 for b in brackets), default=0)


def classify(response: requests.Response) -> Any:
    """Return the parsed JSON body of a successful response; raise the classified error."""
    status = response.status_code
    cls = error_class(status)
    request = response.request
    method = request.method if request is not None else "GET"
    url = safe_url(response.url or (request.url if request is not None else "") or "")
    if cls is None:
        return parse_body(response.content, f"{method} {url}: HTTP {status}", status, url)
    text = response.text
    try:
        detail = vendor_message(json.loads(text)) if text else None
    except (ValueError, RecursionError):
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
