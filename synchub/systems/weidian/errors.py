"""Weidian's answers: ``{"result": ..., "status": {"status_code", "status_reason"}}``.

Every answer is HTTP 200 with that envelope; ``status_code`` 0 (``status_reason``
``success``) is success and ``result`` the payload; any other code is a refusal. What the
caller should do: a code of ``retriable_codes`` is retried; a code of ``auth_codes`` is a
:class:`WeidianTokenError` (the caller takes a new token once); anything else is a
:class:`WeidianError` naming code and reason: fatal, never retried.
"""

from __future__ import annotations

import json
from typing import Any

from synchub.errors import FatalAPIError
from synchub.runtime.refusals import VendorRefusal, classify_refusal
from synchub.systems.weidian.specs import WeidianErrorsSpec


class WeidianError(VendorRefusal):
    """A refusal answered by Weidian, with its status_code and status_reason."""

    @property
    def reason(self) -> str | None:
        """The ``status_reason``."""
        return self.vendor_message


class WeidianTokenError(WeidianError):
    """The access token is expired or invalid."""


def refusal(body: Any) -> tuple[str, str | None] | None:
    """(status_code, status_reason) when ``body`` is a refusal; None for a success."""
    status = body.get("status") if isinstance(body, dict) else None
    if not isinstance(status, dict):
        return None
    code = status.get("status_code")
    if code in (0, "0", None):
        return None
    reason = status.get("status_reason")
    return str(code), None if reason in (None, "") else str(reason)


def open_envelope(body: Any, *, errors: WeidianErrorsSpec, where: str, url: str,
                  conn_id: str) -> Any:
    """The answer's ``result``; raise the classified error for a refusal."""
    found = refusal(body)
    if found is not None:
        raise classify(found[0], found[1], errors=errors, where=where, url=url,
                       conn_id=conn_id)
    if not isinstance(body, dict) or "status" not in body:
        shown = sorted(body)[:5] if isinstance(body, dict) else type(body).__name__
        raise FatalAPIError(f"{where}: the answer is not Weidian's envelope (found {shown})",
                            status=200, url=url)
    return body.get("result")


def classify(code: str, reason: str | None, *, errors: WeidianErrorsSpec, where: str,
             url: str, conn_id: str) -> Exception:
    """The engine's error for one refusal (returned, for the caller to raise)."""
    detail = f"status_code {code}: {reason or 'no reason'}"
    kept = json.dumps({"status_code": code, "status_reason": reason}, ensure_ascii=False)
    return classify_refusal(
        code, reason, where=where, detail=detail, kept=kept, url=url, conn_id=conn_id,
        retriable_codes=errors.retriable_codes, auth_codes=errors.auth_codes,
        token_error=WeidianTokenError, error=WeidianError,
        auth_hint="check the appkey (login) and secret (password) of the Connection")
