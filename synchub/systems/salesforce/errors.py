"""Salesforce's error bodies: ``[{"message", "errorCode", "fields"}]`` on a refused call,
``{"success": false, "errors": [{"statusCode", "message", "fields"}]}`` per record of a
collection answered with HTTP 200."""

from __future__ import annotations

import json
from typing import Any

from synchub.errors import FatalAPIError

# the session (access token) expired or was revoked: fetch a new token, send again once
SESSION_CODES = frozenset({"INVALID_SESSION_ID"})


def error_entries(body: Any) -> list[dict[str, Any]]:
    """The error objects of a REST error body (a list, or one object)."""
    if isinstance(body, dict):
        body = [body]
    return [e for e in body if isinstance(e, dict)] if isinstance(body, list) else []


def describe(errors: list[dict[str, Any]]) -> str:
    """``CODE: message [fields]; ...`` for a list of Salesforce errors."""
    parts = []
    for e in errors[:5]:
        code = e.get("errorCode") or e.get("statusCode") or "ERROR"
        fields = e.get("fields") or []
        where = f" [{', '.join(map(str, fields))}]" if fields else ""
        parts.append(f"{code}: {e.get('message') or ''}{where}".strip())
    return "; ".join(parts) or "no details"


def error_codes(text: str | None) -> set[str]:
    """The ``errorCode`` values of a raw error body."""
    try:
        body = json.loads(text or "")
    except ValueError:
        return set()
    return {str(e.get("errorCode")) for e in error_entries(body) if e.get("errorCode")}


def vendor_error(exc: FatalAPIError) -> FatalAPIError:
    """``exc`` with Salesforce's own message: the engine reads messages from object bodies,
    Salesforce answers a list."""
    try:
        body = json.loads(exc.body or "")
    except ValueError:
        return exc
    entries = error_entries(body)
    if not entries or "errorCode" not in entries[0]:
        return exc
    prefix = exc.message.split(": HTTP ")[0]
    return FatalAPIError(f"{prefix}: HTTP {exc.status}: {describe(entries)}",
                         status=exc.status, url=exc.url, body=exc.body)
