"""Weimob's answers: the envelope opened, refusals answered with HTTP 200 classified.

A WOS API answers ``{"code": {"errcode": "0", "errmsg": "success"}, "data": {...},
"globalTicket": ...}`` (the official SDK reads ``code.errcode`` and takes ``"0"`` for
success). Any other ``errcode`` is a refusal: a code of ``retriable_codes`` is retried, a
code of ``auth_codes`` is a :class:`WeimobTokenError` (the transport takes a new token
once), anything else a :class:`WeimobError` naming the code and message: fatal.
"""

from __future__ import annotations

import json
from typing import Any

from synchub.errors import FatalAPIError
from synchub.runtime.refusals import VendorRefusal, classify_refusal
from synchub.systems.weimob.specs import WeimobErrorsSpec


class WeimobError(VendorRefusal):
    """A refusal answered by Weimob, with its code."""


class WeimobTokenError(WeimobError):
    """The access token is expired or invalid."""


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def refusal(body: Any) -> tuple[str | None, str | None] | None:
    """(errcode, errmsg) when ``body`` is a refusal, else None."""
    if not isinstance(body, dict):
        return None
    code = body.get("code")
    if isinstance(code, dict):
        errcode = _text(code.get("errcode"))
        return None if errcode == "0" else (errcode, _text(code.get("errmsg")))
    if "errcode" in body:   # a flat gateway answer
        errcode = _text(body.get("errcode"))
        return None if errcode == "0" else (errcode, _text(body.get("errmsg")))
    return None


def open_envelope(body: Any, *, errors: WeimobErrorsSpec, url: str, conn_id: str) -> Any:
    """The answer's ``data``; raise the classified error for a refusal."""
    found = refusal(body)
    if found is not None:
        raise classify(found[0], found[1], errors=errors, url=url, conn_id=conn_id)
    if isinstance(body, dict) and isinstance(body.get("code"), dict):
        return body.get("data")
    shown = sorted(body)[:5] if isinstance(body, dict) else type(body).__name__
    raise FatalAPIError(f"POST {url}: the answer has no code.errcode (found {shown})",
                        status=200, url=url)


def classify(code: str | None, message: str | None, *, errors: WeimobErrorsSpec, url: str,
             conn_id: str) -> Exception:
    """The engine's error for one refusal (returned, for the caller to raise)."""
    detail = f"errcode {code or '-'}: {message or 'no message'}"
    kept = json.dumps({"errcode": code, "errmsg": message}, ensure_ascii=False)
    return classify_refusal(
        code, message, where=f"POST {url}", detail=detail, kept=kept, url=url,
        conn_id=conn_id, retriable_codes=errors.retriable_codes, auth_codes=errors.auth_codes,
        token_error=WeimobTokenError, error=WeimobError,
        auth_hint="check the app's client_id and client_secret in the Connection and that "
                  "the shop still authorizes the app")
