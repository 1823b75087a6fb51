"""Youzan's answers: the envelope opened, errors answered with HTTP 200 classified.

Every answer is HTTP 200 (doc.youzanyun.com; the official SDKs only parse the JSON). Its
shape follows the API's version:

- 4.x and 1.x: ``{"success": true, "code": 200, "message": ..., "data": {...}}``; a refusal
  is ``"success": false`` with the ``code`` and ``message``;
- 3.x: ``{"response": {...}}`` or ``{"error_response": {"code", "msg"}}``;
- the gateway itself (a token refused, a limit) answers ``{"gw_err_resp": {"err_code",
  "err_msg"}}`` whatever the version.

What the caller should do: a code of ``retriable_codes`` (the call rate) is retried; a code
of ``auth_codes`` is a :class:`YouzanTokenError` (the transport takes a new token once);
anything else is a :class:`YouzanError` naming the code and message: fatal, never retried.
"""

from __future__ import annotations

import json
from typing import Any

from synchub.errors import FatalAPIError
from synchub.runtime.refusals import VendorRefusal, classify_refusal
from synchub.systems.youzan.specs import YouzanErrorsSpec


class YouzanError(VendorRefusal):
    """A refusal answered by Youzan, with its code."""


class YouzanTokenError(YouzanError):
    """The access token is expired or invalid."""


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def refusal(body: Any) -> tuple[str | None, str | None] | None:
    """(code, message) when ``body`` is one of Youzan's error envelopes, else None."""
    if not isinstance(body, dict):
        return None
    for key, code, message in (("gw_err_resp", "err_code", "err_msg"),
                               ("error_response", "code", "msg")):
        err = body.get(key)
        if isinstance(err, dict):
            return _text(err.get(code)), _text(err.get(message) or err.get("message"))
    if body.get("success") is False:
        return _text(body.get("code")), _text(body.get("message"))
    return None


def open_envelope(body: Any, *, errors: YouzanErrorsSpec, url: str, method: str,
                  conn_id: str) -> Any:
    """The payload (``data`` or ``response``); raise the classified error for a refusal."""
    found = refusal(body)
    if found is not None:
        raise classify(found[0], found[1], errors=errors, url=url, method=method,
                       conn_id=conn_id)
    if isinstance(body, dict):
        for key in ("data", "response"):
            if key in body:
                return body[key]
    shown = sorted(body)[:5] if isinstance(body, dict) else type(body).__name__
    raise FatalAPIError(f"POST {url} {method}: the answer has neither data nor response "
                        f"(found {shown})", status=200, url=url)


def classify(code: str | None, message: str | None, *, errors: YouzanErrorsSpec, url: str,
             method: str, conn_id: str) -> Exception:
    """The engine's error for one refusal (returned, for the caller to raise)."""
    detail = f"code {code or '-'}: {message or 'no message'}"
    where = f"POST {url} {method}"
    kept = json.dumps({"code": code, "message": message}, ensure_ascii=False)
    return classify_refusal(
        code, message, where=where, detail=detail, kept=kept, url=url, conn_id=conn_id,
        retriable_codes=errors.retriable_codes, auth_codes=errors.auth_codes,
        token_error=YouzanTokenError, error=YouzanError,
        auth_hint="check the app's client_id, client_secret and the shop's kdt_id in the "
                  "Connection and that the app is still authorized for the shop")
