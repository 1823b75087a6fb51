"""Refusals a vendor answers inside an HTTP 200 envelope, classified by their code.

Several APIs (Youzan, Weidian, Weimob...) answer every call with HTTP 200 and put a refusal
in the body: the code says what the caller should do. A code the connector lists as
retriable is a :class:`~synchub.errors.RetriableAPIError` (waited out); one it lists as an
auth code is the vendor's token error (the transport takes a new token once); anything
else is the vendor's fatal error naming the code and message, never retried.
"""

from __future__ import annotations

from collections.abc import Collection

from synchub.errors import FatalAPIError, RetriableAPIError


class VendorRefusal(FatalAPIError):
    """A refusal answered with HTTP 200, with the vendor's code and message."""

    def __init__(self, message: str, *, code: str | None, vendor_message: str | None,
                 url: str | None = None, body: str | None = None) -> None:
        self.code, self.vendor_message = code, vendor_message
        super().__init__(message, status=200, url=url, body=body)


def classify_refusal(code: str | None, message: str | None, *, where: str, detail: str,
                     kept: str, url: str, conn_id: str, retriable_codes: Collection[str],
                     auth_codes: Collection[str], token_error: type[VendorRefusal],
                     error: type[VendorRefusal], auth_hint: str) -> Exception:
    """The engine's error for one refusal (returned, for the caller to raise): ``detail``
    words the code and message for the log, ``kept`` is the body kept with the error,
    ``auth_hint`` tells what to check when the token was refused."""
    if code in retriable_codes:
        return RetriableAPIError(f"{where}: throttled, {detail}", status=200, url=url,
                                 body=kept)
    if code in auth_codes:
        return token_error(f"{where}: connection {conn_id!r}: the access token was refused "
                           f"({detail}); {auth_hint}", code=code, vendor_message=message,
                           url=url, body=kept)
    return error(f"{where}: {detail}", code=code, vendor_message=message, url=url, body=kept)
