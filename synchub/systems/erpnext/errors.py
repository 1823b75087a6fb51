"""Frappe's error envelope: what the server says went wrong, in one line.

Frappe answers a refused request with an HTTP status from the exception's class (417
``ValidationError`` and its kin, 403 ``PermissionError``, 401 ``AuthenticationError``, 404
``DoesNotExistError``, 409 ``DuplicateEntryError``, 429 ``TooManyRequestsError``) and a body
``{"exc_type", "exception", "_server_messages"}`` where ``_server_messages`` is a JSON text
of a list of JSON texts, each ``{"message", "title", "indicator"}``. The engine's error
classes know nothing of that shape; this module turns it into the message a person reads.
"""

from __future__ import annotations

import json
import re
from typing import Any

from synchub.errors import APIError, FatalAPIError, RetriableAPIError

_TAGS = re.compile(r"<[^>]+>")


def server_messages(body: Any) -> list[str]:
    """The texts of ``_server_messages`` (markup removed), in order; [] when there are none."""
    raw = body.get("_server_messages") if isinstance(body, dict) else None
    if not isinstance(raw, str):
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        return [raw]
    out = []
    for item in items if isinstance(items, list) else [items]:
        try:
            msg = json.loads(item) if isinstance(item, str) else item
        except ValueError:
            msg = item
        text = msg.get("message") if isinstance(msg, dict) else msg
        if text:
            out.append(_TAGS.sub("", str(text)).strip())
    return out


def describe(body: Any) -> str | None:
    """``"<exc_type>: <messages>"`` from a Frappe error body (parsed or text), or None."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if not isinstance(body, dict):
        return None
    messages = server_messages(body)
    exc_type = body.get("exc_type")
    text = "; ".join(messages) or str(body.get("exception") or body.get("message") or "")
    if not exc_type and not text:
        return None
    return f"{exc_type}: {text}" if exc_type else text


def with_frappe_message(exc: APIError) -> APIError:
    """The same error with Frappe's own words in the message (when the body has them)."""
    detail = describe(exc.body)
    if not detail or detail in str(exc):
        return exc
    message = f"{exc}: {detail}"
    if isinstance(exc, RetriableAPIError):
        return RetriableAPIError(message, status=exc.status, url=exc.url, body=exc.body,
                                 retry_after=exc.retry_after)
    return FatalAPIError(message, status=exc.status, url=exc.url, body=exc.body)
