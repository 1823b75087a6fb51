"""Udesk's answers: ``{"code": 1000, ...}`` on success, ``{"code", "message"}`` otherwise.

The Open API puts its verdict in ``code`` (1000 is success); the HTTP status is classified
first by the runtime (429 and 5xx retried). A code other than 1000 is classified here:

- 20622 (timestamp more than 5 minutes off) and 20623 (nonce used before): retried, the
  retry carries a fresh timestamp and nonce;
- 2059 (signature refused), 2015 (not a super administrator), 2058 (the plan has no Open
  API): :class:`UdeskAuthError` naming the Connection;
- anything else: :class:`UdeskError` with Udesk's code and message, fatal.
"""

from __future__ import annotations

import json
from typing import Any

from synchub.errors import FatalAPIError, RetriableAPIError

SUCCESS = 1000
RETRY_CODES = frozenset({20622, 20623})
AUTH_CODES = frozenset({2015, 2058, 2059, 20621, 20624})
NOT_FOUND_CODES = frozenset({2004})   # "customer not found" on lookups (see docs/systems/udesk.md)


class UdeskError(FatalAPIError):
    """A refusal by Udesk with its code."""

    def __init__(self, message: str, *, code: int | None, status: int | None = 200,
                 url: str | None = None, body: str | None = None) -> None:
        self.code = code
        super().__init__(message, status=status, url=url, body=body)


class UdeskAuthError(UdeskError):
    """Udesk refused the email, token or signature."""


def code_of(body: Any) -> int | None:
    """The envelope's ``code`` as an int (None when there is none)."""
    raw = body.get("code") if isinstance(body, dict) else None
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def open_answer(body: Any, url: str, *, conn_id: str = "", allow: frozenset[int] = frozenset()
                ) -> Any:
    """``body`` when its code is 1000 (or in ``allow``); raise the classified error."""
    code = code_of(body)
    if code == SUCCESS or code in allow:
        return body
    message = str(body.get("message") or "") if isinstance(body, dict) else ""
    kept = json.dumps({"code": code, "message": message}, ensure_ascii=False)
    detail = f"{url}: Udesk code {code}: {message or 'no message'}"
    if code is None:
        raise FatalAPIError(f"{url}: the answer has no code", status=200, url=url)
    if code in RETRY_CODES:
        raise RetriableAPIError(detail, status=200, url=url, body=kept)
    if code in AUTH_CODES:
        raise UdeskAuthError(f"{detail}; connection {conn_id!r}: check the super "
                             "administrator's email and open_api_token", code=code, url=url,
                             body=kept)
    raise UdeskError(detail, code=code, url=url, body=kept)
