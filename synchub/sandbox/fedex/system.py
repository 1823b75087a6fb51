"""FedEx: ``POST /oauth/token`` and ``POST /track/v1/trackingnumbers``.

Served under ``/fedex/<store>``. The token endpoint takes a form with ``grant_type=
client_credentials``, ``client_id`` and ``client_secret`` and answers ``{access_token,
token_type, expires_in, scope}``; an error is ``{"transactionId", "errors": [{"code",
"message"}]}`` like every FedEx API. The Track API wants ``Authorization: Bearer``, a JSON
body with ``trackingInfo`` of 1 to 30 numbers (more: 400), and answers one
``completeTrackResults`` entry per number in the order asked; a number FedEx does not know
is an ``error`` inside its entry, not an HTTP status.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request

from synchub.sandbox.fedex.store import FedexStore
from synchub.sandbox.kit.auth import bearer_token, same_secret
from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.parcels import track_router
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route

TOKEN_PATH = "/oauth/token"  # noqa: S105 - an endpoint
MAX_NUMBERS = 30
EXPIRED = ("NOT.AUTHORIZED.ERROR",
           "Access token expired. Please modify your request and try again.")


def fedex_error(status: int, code: str, message: str,
                headers: dict[str, str] | None = None) -> Reply:
    """FedEx's error envelope."""
    return Reply(status, {"transactionId": str(uuid.uuid4()),
                          "errors": [{"code": code, "message": message}]}, headers or {})


class FedexAPI(VendorAPI):
    """Bearer tokens from the store's token endpoint; FedEx's error envelope."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected status in FedEx's envelope."""
        if status == 401:
            return fedex_error(401, *EXPIRED)
        if status == 429:
            return fedex_error(429, "TOO.MANY.REQUESTS",
                               "We have received too many requests in a short duration. "
                               "Please wait a while to try again.", {"Retry-After": "1"})
        return fedex_error(status, "SERVICE.UNAVAILABLE.ERROR",
                           "The service is currently unavailable and we are working to "
                           "resolve the issue. We apologize for any inconvenience.")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """The token endpoint checks the form; the API a live token."""
        if request.url.path.endswith(TOKEN_PATH):
            return None
        if store.token_valid(bearer_token(request)):
            return None
        return fedex_error(401, *EXPIRED)

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """Two calls a second (a bucket of 4), off without rate limits."""
        if store.rate_limits and not store.bucket.take():
            return self.error_reply(store, 429), {}
        return None, {}


def token(store: FedexStore, call: Call) -> Reply:
    """``POST /oauth/token``: client credentials in the form."""
    form = {k: v[0] for k, v in parse_qs(call.body.decode()).items()}
    if form.get("grant_type") != "client_credentials":
        return fedex_error(400, "BAD.REQUEST.ERROR", "Missing or invalid grant_type.")
    if not (same_secret(form.get("client_id", ""), store.client_id)
            and same_secret(form.get("client_secret", ""), store.client_secret)):
        return fedex_error(401, "NOT.AUTHORIZED.ERROR",
                           "The given client credentials were not valid. Please modify "
                           "your request and try again.")
    store.token_requests += 1
    value, _ = store.mint_token()
    return Reply(200, {"access_token": value, "token_type": "bearer",
                       "expires_in": store.token_seconds, "scope": "CXS"})


def _numbers(body: Any) -> list[str] | None:
    info = body.get("trackingInfo") if isinstance(body, dict) else None
    if not isinstance(info, list):
        return None
    out = []
    for item in info:
        number = (item.get("trackingNumberInfo") or {}).get("trackingNumber") \
            if isinstance(item, dict) else None
        if not isinstance(number, str) or not number.strip():
            return None
        out.append(number.strip())
    return out


def track(store: FedexStore, call: Call) -> Reply:
    """``POST /track/v1/trackingnumbers``."""
    try:
        body = json.loads(call.body or b"null")
    except ValueError:
        body = None
    numbers = _numbers(body)
    if not numbers:
        return fedex_error(400, "TRACKING.TRACKINGNUMBER.EMPTY",
                           "Please provide tracking number.")
    if len(numbers) > MAX_NUMBERS:
        return fedex_error(400, "TRACKING.TRACKINGNUMBERS.LIMIT.EXCEEDED",
                           f"At most {MAX_NUMBERS} tracking numbers are allowed per request.")
    store.batches.append(len(numbers))
    return Reply(200, {"transactionId": str(uuid.uuid4()),
                       "output": {"completeTrackResults": [store.result(n) for n in numbers]}})


ROUTES = (Route("POST", "/fedex/{store}" + TOKEN_PATH, token),
          Route("POST", "/fedex/{store}/track/v1/trackingnumbers", track))
SYSTEM = System("fedex", FedexStore, FedexAPI(), ROUTES,
                controls=lambda get_store: track_router("fedex", get_store))
