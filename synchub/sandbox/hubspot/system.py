"""HubSpot CRM v3 contacts: list, get, search, batch read/create/upsert; private-app auth.

Every request passes the shared pipeline (:func:`synchub.sandbox.kit.http.serve`):
injected faults, ``Authorization: Bearer pat-sandbox-<store>``, the ten-second rolling
rate limit with HubSpot's ``X-HubSpot-RateLimit-*`` headers, then the handler.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request

from synchub.sandbox.hubspot.store import RATE_INTERVAL_MS, BatchRefused, HubSpotStore, error
from synchub.sandbox.kit.auth import bearer_token, same_secret
from synchub.sandbox.kit.http import Reply, VendorAPI, json_value
from synchub.sandbox.kit.paging import offset_page
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route

AUTH_MESSAGE = ("Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview")
BASE = "/hubspot/{store}/crm/v3/objects/contacts"
MAX_LIST, MAX_SEARCH = 100, 200


def rate_limited(store: HubSpotStore) -> dict[str, Any]:
    """HubSpot's 429 body for the ten-second rolling limit."""
    return {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "correlationId": error("", "")["correlationId"],
            "policyName": "TEN_SECONDLY_ROLLING",
            "groupName": f"publicapi:private-app-api-calls-ten-secondly:{store.portal_id}"}


class HubSpotAPI(VendorAPI):
    """Private-app bearer tokens, HubSpot error bodies, the TEN_SECONDLY_ROLLING limit."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """A HubSpot-shaped error for an injected status."""
        if status == 429:
            return Reply(429, rate_limited(store), {"Retry-After": "1"})
        if status == 401:
            return Reply(401, error(AUTH_MESSAGE, "INVALID_AUTHENTICATION"))
        category = {404: "OBJECT_NOT_FOUND", 403: "MISSING_SCOPES"}.get(
            status, "VALIDATION_ERROR" if status < 500 else "INTERNAL_ERROR")
        return Reply(status, error("internal error" if status >= 500 else "refused",
                                   category))

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """``Authorization: Bearer <private app token>``."""
        token = bearer_token(request)
        if token and same_secret(token, store.access_token):
            return None
        return Reply(401, error(AUTH_MESSAGE, "INVALID_AUTHENTICATION"))

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """Count the request in the rolling window; 429 when the window is full."""
        window = store.window
        admitted = window.take() or not store.rate_limits
        headers = {"X-HubSpot-RateLimit-Max": str(window.maximum),
                   "X-HubSpot-RateLimit-Remaining": str(window.remaining),
                   "X-HubSpot-RateLimit-Interval-Milliseconds": str(RATE_INTERVAL_MS)}
        if admitted:
            return None, headers
        wait = max(1, math.ceil(window.retry_after()))
        return Reply(429, rate_limited(store), {"Retry-After": str(wait)}), headers


def _props(raw: str | None) -> list[str] | None:
    names = [p.strip() for p in (raw or "").split(",") if p.strip()]
    return names or None


def _int(params: Any, name: str, default: int, high: int) -> int:
    raw = params.get(name, str(default))
    if not str(raw).isdigit() or not 1 <= int(raw) <= high:
        raise BatchRefused(400, error(f"{name} must be an integer between 1 and {high}",
                                      "VALIDATION_ERROR"))
    return int(raw)


def list_contacts(store: HubSpotStore, call: Call) -> Reply:
    """``GET /contacts?limit&after&properties``: id order, ``paging.next.after``."""
    params = call.query
    try:
        limit = _int(params, "limit", 10, MAX_LIST)
    except BatchRefused as exc:
        return Reply(exc.status, exc.body)
    after_raw = params.get("after") or "0"
    if not after_raw.isdigit():
        return Reply(400, error(f"Invalid after value: {after_raw}", "VALIDATION_ERROR"))
    rows, nxt = store.page(limit, int(after_raw))
    props = _props(params.get("properties"))
    body: dict[str, Any] = {"results": [store.view(c, props) for c in rows]}
    if nxt is not None:
        link = call.request.url.include_query_params(after=str(nxt))
        body["paging"] = {"next": {"after": str(nxt), "link": str(link)}}
    return Reply(200, body)


def get_contact(store: HubSpotStore, call: Call) -> Reply:
    """``GET /contacts/{id}?idProperty&properties``."""
    prop = call.query.get("idProperty") or "hs_object_id"
    found = store.find(prop, call.path["contact_id"])
    if found is None:
        return Reply(404, error("resource not found", "OBJECT_NOT_FOUND"))
    return Reply(200, store.view(found, _props(call.query.get("properties"))))


def search_contacts(store: HubSpotStore, call: Call) -> Reply:
    """``POST /contacts/search`` with filter groups (EQ, NEQ, IN, HAS_PROPERTY...)."""
    try:
        body = _json(call.body)
        limit = _int(body, "limit", 10, MAX_SEARCH)
        after = int(body.get("after") or 0)
    except (BatchRefused, ValueError) as exc:
        if isinstance(exc, BatchRefused):
            return Reply(exc.status, exc.body)
        return Reply(400, error("Invalid input JSON: after must be a number",
                                "VALIDATION_ERROR"))
    found = store.search(body.get("filterGroups") or [])
    chosen, nxt = offset_page(found, after, limit)
    out: dict[str, Any] = {"total": len(found),
                           "results": [store.view(c, body.get("properties")) for c in chosen]}
    if nxt is not None:
        out["paging"] = {"next": {"after": str(nxt)}}
    return Reply(200, out)


def _json(raw: bytes) -> dict[str, Any]:
    body = json_value(raw)
    if not isinstance(body, dict):
        raise BatchRefused(400, error("Invalid input JSON on line 1", "VALIDATION_ERROR"))
    return body


def batch(store: HubSpotStore, call: Call) -> Reply:
    """``batch/upsert``, ``batch/create`` or ``batch/read``."""
    action = call.path["action"]
    if action not in ("upsert", "create", "read"):
        return Reply(404, error(f"Unable to infer object type from: batch/{action}",
                                "OBJECT_NOT_FOUND"))
    try:
        body = _json(call.body)
        status, out = {"upsert": store.upsert, "create": store.create,
                       "read": store.read}[action](body)
    except BatchRefused as exc:
        return Reply(exc.status, exc.body)
    return Reply(status, out)


ROUTES = (
    Route("GET", BASE, list_contacts),
    Route("POST", BASE + "/search", search_contacts),
    Route("POST", BASE + "/batch/{action}", batch),
    Route("GET", BASE + "/{contact_id}", get_contact),
)
SYSTEM = System("hubspot", HubSpotStore, HubSpotAPI(), ROUTES)
