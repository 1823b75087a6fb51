"""SF's answers: ``{apiResultCode, apiErrorMsg, apiResponseID, apiResultData}``.

``apiResultCode`` ``A1000`` means the platform accepted the call; ``apiResultData`` is then a
JSON *text* holding ``{success, errorCode, errorMsg, msgData}``, the service's own answer.
Both levels are checked:

- a platform code other than A1000 is classified by :data:`PLATFORM_CODES` (throttled or
  unavailable: retried; credentials or permissions: :class:`SfAuthError`; the rest fatal);
- ``success`` false is a :class:`SfServiceError` with the service's ``errorCode`` and
  ``errorMsg`` (a waybill request refused, a duplicate order ``8016``).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from synchub.errors import FatalAPIError, RetriableAPIError

SUCCESS = "A1000"
Kind = Literal["retry", "auth", "fatal"]
# apiResultCode -> what the caller should do (docs/systems/sf_express.md lists the sources)
PLATFORM_CODES: dict[str, tuple[Kind, str]] = {
    "A1001": ("fatal", "a required parameter is missing"),
    "A1002": ("retry", "the request's timestamp has expired"),
    "A1003": ("auth", "the caller's IP address is not allowed"),
    "A1004": ("auth", "no permission for this service"),
    "A1005": ("retry", "traffic is throttled"),
    "A1006": ("auth", "the digest is invalid (check the check word)"),
    "A1007": ("fatal", "duplicate requestID"),
    "A1008": ("fatal", "the message could not be decrypted"),
    "A1009": ("retry", "the target service is unavailable"),
    "A1099": ("retry", "system error"),
}


class SfServiceError(FatalAPIError):
    """A refusal by SF, with its platform code or the service's error code."""

    def __init__(self, message: str, *, code: str | None, url: str | None = None,
                 body: str | None = None) -> None:
        self.code = code
        super().__init__(message, status=200, url=url, body=body)


class SfAuthError(SfServiceError):
    """SF refused the credentials (customer code, check word, IP or service permission)."""


def open_answer(body: Any, *, url: str, service: str, conn_id: str) -> Any:
    """The decoded ``apiResultData`` of a successful call; raise the classified error."""
    where = f"POST {url} {service}"
    if not isinstance(body, dict) or "apiResultCode" not in body:
        shown = sorted(body)[:5] if isinstance(body, dict) else type(body).__name__
        raise FatalAPIError(f"{where}: the answer has no apiResultCode (found {shown})",
                            status=200, url=url)
    code = str(body.get("apiResultCode") or "")
    msg = str(body.get("apiErrorMsg") or "")
    kept = json.dumps({k: body.get(k) for k in ("apiResultCode", "apiErrorMsg",
                                                 "apiResponseID")}, ensure_ascii=False)
    if code != SUCCESS:
        kind, meaning = PLATFORM_CODES.get(code, ("fatal", "refused"))
        detail = f"{where}: {code} {meaning}: {msg or 'no message'}"
        if kind == "retry":
            raise RetriableAPIError(detail, status=200, url=url, body=kept)
        if kind == "auth":
            raise SfAuthError(f"{detail}; connection {conn_id!r}: check the customer code, "
                              "the check word and the services granted on 丰桥",
                              code=code, url=url, body=kept)
        raise SfServiceError(detail, code=code, url=url, body=kept)
    data = body.get("apiResultData")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise FatalAPIError(f"{where}: apiResultData is not JSON text", status=200,
                                url=url) from None
    if not isinstance(data, dict):
        raise FatalAPIError(f"{where}: apiResultData is not an object", status=200, url=url)
    if data.get("success") is not True:
        err = str(data.get("errorCode") or "")
        raise SfServiceError(f"{where}: service error {err or '-'}: "
                             f"{data.get('errorMsg') or 'no message'}", code=err or None,
                             url=url, body=json.dumps({"errorCode": err, "errorMsg":
                                                       data.get("errorMsg")},
                                                      ensure_ascii=False))
    return data
