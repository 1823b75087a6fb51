"""Frankfurter as the sandbox serves it: ``GET /frankfurter/<store>/v1/<spec>`` and
``/frankfurter/v1/<spec>`` (the store ``demo``); no key, no limits."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from synchub.sandbox.frankfurter.store import FrankfurterStore, message
from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route


class FrankfurterAPI(VendorAPI):
    """No key, no limits; injected errors in Frankfurter's ``{"message"}`` shape."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected error."""
        return message(status, "too many requests" if status == 429 else "server error")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Anyone may ask."""
        return None


def answer(s: FrankfurterStore, call: Call) -> Reply:
    """``GET /v1/<spec>``."""
    return s.answer(call.path["spec"], call.query)


ROUTES = (
    Route("GET", "/frankfurter/v1/{spec}", answer, store="demo"),
    Route("GET", "/frankfurter/{store}/v1/{spec}", answer),
)
SYSTEM = System("frankfurter", FrankfurterStore, FrankfurterAPI(), ROUTES)
