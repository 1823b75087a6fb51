"""Vendor error envelopes: how kit helpers hand a refusal to the vendor that words it.

Every vendor wraps errors its own way (``{"errors": ...}``, ``{"code", "message", "data"}``,
``{"meta": {...}}``, problem+json...). Kit helpers that refuse a request raise
:class:`ApiError` with a status, a vendor-neutral code and a message; the vendor turns it into
its body with an :data:`Envelope`, a function ``(status, code, message) -> Reply``.
"""

from __future__ import annotations

from collections.abc import Callable

from synchub.sandbox.kit.http import Reply

Envelope = Callable[[int, str, str], Reply]
PROBLEM_JSON = "application/problem+json"


class ApiError(Exception):
    """A refusal: HTTP status, a short code (``window_too_long``...) and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def reply(self, envelope: Envelope) -> Reply:
        """The refusal in the vendor's envelope."""
        return envelope(self.status, self.code, self.message)


def problem_json(status: int, title: str, detail: str,
                 headers: dict[str, str] | None = None) -> Reply:
    """An RFC 7807 ``application/problem+json`` reply (``status``, ``title``, ``detail``)."""
    return Reply(status, {"status": status, "title": title, "detail": detail},
                 {"content-type": PROBLEM_JSON, **(headers or {})})
