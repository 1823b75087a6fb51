"""UPS: ``POST /security/v1/oauth/token`` and ``GET /api/track/v1/details/{inquiryNumber}``.

Served under ``/ups/<store>``. The token endpoint takes ``grant_type=client_credentials``
with the app's id and secret as HTTP Basic (``client_secret_basic``) and answers
``{token_type, issued_at, client_id, access_token, expires_in, status}`` with
``expires_in`` as text. The Tracking API wants ``Authorization: Bearer``, the headers
``transId`` (an id unique to the request, at most 32 characters here) and
``transactionSrc``, and an inquiry number of 7 to 34 characters. Errors, like every UPS
API: ``{"response": {"errors": [{"code", "message"}]}}``. The codes are the simulator's
choice where UPS's error table was not read (docs/systems/ups.md).
"""

from __future__ import annotations

import base64
import time
from typing import Any

from starlette.requests import Request

from synchub.sandbox.kit.auth import bearer_token, same_secret
from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.parcels import track_router
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.ups.store import UpsStore

TOKEN_PATH = "/security/v1/oauth/token"  # noqa: S105 - an endpoint
NOT_FOUND = ("TW0001", "Tracking Information Not Found")
BAD_TOKEN = ("250002", "Invalid Authentication Information.")


def ups_error(status: int, code: str, message: str,
              headers: dict[str, str] | None = None) -> Reply:
    """UPS's error envelope."""
    return Reply(status, {"response": {"errors": [{"code": code, "message": message}]}},
                 headers or {})


class UpsAPI(VendorAPI):
    """Bearer tokens from the store's token endpoint; UPS's error envelope."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected status in UPS's envelope."""
        if status == 401:
            return ups_error(401, *BAD_TOKEN)
        if status == 429:
            return ups_error(429, "10429", "Too Many Requests.", {"Retry-After": "1"})
        if status == 404:
            return ups_error(404, *NOT_FOUND)
        return ups_error(status, "10500", "The service is temporarily unavailable.")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """The token endpoint checks its own Basic credentials; the API a live token."""
        if request.url.path.endswith(TOKEN_PATH):
            return None
        if store.token_valid(bearer_token(request)):
            return None
        return ups_error(401, *BAD_TOKEN)

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """Five calls a second (a bucket of 10), off without rate limits."""
        if store.rate_limits and not store.bucket.take():
            return ups_error(429, "10429", "Too Many Requests.", {"Retry-After": "1"}), {}
        return None, {}


def _basic(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return "", ""
    try:
        user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return "", ""
    return user, secret


def token(store: UpsStore, call: Call) -> Reply:
    """``POST /security/v1/oauth/token``: client credentials as HTTP Basic."""
    form = dict(p.split("=", 1) for p in call.body.decode().split("&") if "=" in p)
    if form.get("grant_type") != "client_credentials":
        return ups_error(400, "10400", "Invalid/Missing grant_type")
    user, secret = _basic(call.request)
    if not (same_secret(user, store.client_id) and same_secret(secret, store.client_secret)):
        return ups_error(401, "10401", "ClientId is Invalid")
    store.token_requests += 1
    value, _ = store.mint_token()
    return Reply(200, {"token_type": "Bearer", "issued_at": str(int(time.time() * 1000)),
                       "client_id": store.client_id, "access_token": value,
                       "expires_in": str(store.token_seconds), "refresh_count": "0",
                       "status": "approved"})


def details(store: UpsStore, call: Call) -> Reply:
    """``GET /api/track/v1/details/{inquiryNumber}``."""
    trans_id = call.request.headers.get("transId", "")
    if not trans_id or len(trans_id) > 32:
        return ups_error(400, "TV0001", "Missing or invalid transId header")
    if not call.request.headers.get("transactionSrc"):
        return ups_error(400, "TV0002", "Missing or invalid transactionSrc header")
    store.trans_ids.append(trans_id)
    number = str(call.path.get("number", ""))
    if not 7 <= len(number) <= 34:
        return ups_error(400, "TV0003", "Invalid inquiry number")
    journey = store.journey(number)
    if journey is None:
        return ups_error(404, *NOT_FOUND)
    return Reply(200, {"trackResponse": {"shipment": [store.render(journey)]}})


ROUTES = (Route("POST", "/ups/{store}" + TOKEN_PATH, token),
          Route("GET", "/ups/{store}/api/track/v1/details/{number}", details))
SYSTEM = System("ups", UpsStore, UpsAPI(), ROUTES,
                controls=lambda get_store: track_router("ups", get_store))
