"""The gateways' answers: the envelope opened, errors answered with HTTP 200 classified.

A gateway answers HTTP 200 both ways: ``{"<method>_response": {...}}`` or
``{"error_response": {"code", "msg", "sub_code", "sub_msg", "request_id"}}`` (TOP; the keys
are configurable for JD and PDD). What the caller should do:

- a throttle or a service that is briefly down (codes and sub codes of
  :class:`~.specs.GatewayErrorsSpec`) is retried, after the ban the message states
  ("This ban will last for 12 more seconds": 13 s) when it states one;
- a missing, invalid or expired session is a :class:`GatewayAuthError` naming the
  Connection whose session to renew;
- a success envelope whose result says it failed (``errors.success_path`` not true, JD's
  ``apiResult.success``) is classified the same way, with the result's code and message;
- anything else (a parameter error, a signature refused) is a :class:`GatewayError` with
  the vendor's ``code``, ``sub_code`` and ``sub_msg``: fatal, never retried.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from typing import Any

import jmespath

from synchub.errors import FatalAPIError, RetriableAPIError
from synchub.systems.cn_gateway.specs import GatewayErrorsSpec

MAX_BAN_SECONDS = 600.0


class GatewayError(FatalAPIError):
    """A refusal answered by the gateway, with the vendor's codes."""

    def __init__(self, message: str, *, code: str | None, sub_code: str | None,
                 sub_msg: str | None, url: str | None = None, body: str | None = None,
                 msg: str | None = None) -> None:
        self.code, self.sub_code, self.sub_msg, self.msg = code, sub_code, sub_msg, msg
        super().__init__(message, status=200, url=url, body=body)

    @property
    def refusal(self) -> str:
        """The vendor's own words: ``sub_code: sub_msg`` (the code and message without)."""
        return f"{self.sub_code or self.code}: {self.sub_msg or self.msg or self}"


class GatewayAuthError(GatewayError):
    """The session (the seller's token) is missing, invalid or expired: renew it."""


def response_key(template: str, method: str, drop_prefix: str | None = None) -> str:
    """The success envelope's key: ``{method}`` as the method with dots as underscores
    (``drop_prefix`` left off first)."""
    if drop_prefix and method.startswith(drop_prefix):
        method = method[len(drop_prefix):]
    return template.replace("{method}", method.replace(".", "_"))


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def ban_seconds(spec: GatewayErrorsSpec, *texts: str | None) -> float | None:
    """The wait a ban message states, plus one second (the ban counts whole seconds)."""
    pattern = re.compile(spec.ban_pattern, re.IGNORECASE)
    for text in texts:
        if text and (m := pattern.search(text)):
            return min(float(m[1]) + 1, MAX_BAN_SECONDS)
    return None


def open_envelope(body: Any, *, key: str, errors: GatewayErrorsSpec, url: str, method: str,
                  conn_id: str) -> Any:
    """The payload inside ``key``; raise the classified error for an error envelope."""
    if isinstance(body, dict) and isinstance(body.get(errors.envelope), dict):
        raise classify_error(body[errors.envelope], errors=errors, url=url, method=method,
                             conn_id=conn_id)
    if not isinstance(body, dict) or key not in body:
        shown = sorted(body)[:5] if isinstance(body, dict) else type(body).__name__
        raise FatalAPIError(f"POST {url} {method}: the answer has neither {key!r} nor "
                            f"{errors.envelope!r} (found {shown})", status=200, url=url)
    payload = body[key]
    if errors.success_path and jmespath.search(errors.success_path, payload) is not True:
        raise classify_error(_result_error(payload, errors), errors=errors, url=url,
                             method=method, conn_id=conn_id)
    return payload


def _result_error(payload: Any, errors: GatewayErrorsSpec) -> dict[str, Any]:
    """A result that says it failed (success false or missing) as an error envelope."""
    code = (jmespath.search(errors.result_code_path, payload)
            if errors.result_code_path else None)
    msg = (jmespath.search(errors.result_message_path, payload)
           if errors.result_message_path else None)
    return {errors.code: code, errors.message: msg or
            f"the answer's {errors.success_path} is not true"}


def classify_error(err: dict[str, Any], *, errors: GatewayErrorsSpec, url: str, method: str,
                   conn_id: str) -> Exception:
    """The engine's error for one error envelope (returned, for the caller to raise)."""
    code, msg = _text(err.get(errors.code)), _text(err.get(errors.message))
    sub_code, sub_msg = _text(err.get(errors.sub_code)), _text(err.get(errors.sub_message))
    detail = f"code {code}: {msg or 'no message'}"
    if sub_code or sub_msg:
        detail += f" ({sub_code or '-'}: {sub_msg or '-'})"
    where = f"POST {url} {method}"
    kept = json.dumps({k: err.get(k) for k in (errors.code, errors.message, errors.sub_code,
                                                errors.sub_message, "request_id")},
                      ensure_ascii=False)

    def matches(value: str | None, patterns: list[str]) -> bool:
        return value is not None and any(fnmatchcase(value, p) for p in patterns)

    wait = ban_seconds(errors, msg, sub_msg)
    if code in errors.retriable_codes or matches(sub_code, errors.retriable_sub_codes) \
            or wait is not None:
        return RetriableAPIError(f"{where}: throttled or unavailable, {detail}", status=200,
                                 url=url, body=kept, retry_after=wait)
    if code in errors.auth_codes or matches(sub_code, errors.auth_sub_codes):
        return GatewayAuthError(
            f"{where}: connection {conn_id!r}: the session was refused ({detail}); "
            "renew the seller's authorization and store the new session in the Connection",
            code=code, sub_code=sub_code, sub_msg=sub_msg, url=url, body=kept, msg=msg)
    return GatewayError(f"{where}: {detail}", code=code, sub_code=sub_code, sub_msg=sub_msg,
                        url=url, body=kept, msg=msg)
