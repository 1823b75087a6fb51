"""Squarespace's Orders API 1.0 as the sandbox serves it, under ``/squarespace/<site>``.

``GET /1.0/commerce/orders`` and ``GET /1.0/commerce/orders/{id}`` as
developers.squarespace.com documents them ("Retrieve all orders", "Retrieve a specific
order", "Making requests", "Rate limits", "Responses and error handling"):

- every request needs a ``User-Agent`` header and ``Authorization: Bearer <API key>``;
- the list takes ``modifiedAfter`` and ``modifiedBefore`` (ISO 8601, each required with
  the other, both exclusive here) or a ``cursor``, never both: the cursor carries the
  range and ``fulfillmentStatus`` (PENDING, FULFILLED, CANCELED) of the first request and
  may not be sent with any other parameter;
- up to 50 orders a page, ordered by ``modifiedOn`` (then id), answered as
  ``{"result": [...], "pagination": {"hasNextPage", "nextPageCursor", "nextPageUrl"}}``;
  the cursor is a position, so an order modified while pages are read moves behind it;
- 300 requests a minute per site, then 429 for a one-minute cooldown (with
  ``Retry-After``, the seconds left: the docs do not name the header);
- every error is ``{"type", "subtype", "message", "details", "contextId"}``.

What the docs leave open is the sandbox's choice: the status of a request without a
User-Agent (400), and the error types other than ``INVALID_REQUEST_ERROR``.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from synchub.sandbox.kit.auth import bearer_token, same_secret
from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.paging import as_row, decode_token, encode_token, window
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.table import public
from synchub.sandbox.squarespace.store import STATUSES, SquarespaceStore

PAGE = 50
INVALID = "INVALID_REQUEST_ERROR"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_context_ids = itertools.count(1)


def error(status: int, type_: str, subtype: str | None, message: str,
          headers: dict[str, str] | None = None) -> Reply:
    """Squarespace's error object (``details`` is always null; ``contextId`` is unique)."""
    return Reply(status, {"type": type_, "subtype": subtype, "message": message,
                          "details": None, "contextId": f"SBX{next(_context_ids):07d}"},
                 dict(headers or {}))


def too_many(seconds: float) -> Reply:
    """The 429 of the cooldown, with the seconds left in ``Retry-After``."""
    return error(429, "RATE_LIMIT_ERROR", None, "Too many requests; the rate limit is 300 "
                 "requests per minute.", {"Retry-After": str(max(1, math.ceil(seconds)))})


class SquarespaceAPI(VendorAPI):
    """A User-Agent and a bearer API key on every request; 300 a minute, then a cooldown."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault as Squarespace words it."""
        if status == 429:
            return too_many(60)
        if status == 401:
            return error(401, "AUTHORIZATION_ERROR", None, "Invalid API key.")
        return error(status, "INTERNAL_ERROR", None, "Something went wrong.")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """A User-Agent header, then ``Authorization: Bearer <the site's API key>``."""
        if not request.headers.get("user-agent", "").strip():
            return error(400, INVALID, None, "A User-Agent header is required.")
        if same_secret(bearer_token(request), store.api_key):
            return None
        return error(401, "AUTHORIZATION_ERROR", None, "Invalid or missing API key.")

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """300 requests a minute; over it, every request is refused for a minute."""
        if not store.rate_limits:
            return None, {}
        wait = store.admit_request()
        return (None if wait is None else too_many(wait)), {}


def _ms(name: str, text: str) -> int:
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 date and time: {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - EPOCH) // timedelta(milliseconds=1)


def _query(call: Call) -> dict[str, Any] | Reply:
    """The filter of a list request (from its parameters or its cursor), or the refusal."""
    params = call.query
    if params.get("cursor"):
        others = sorted(k for k in params if k != "cursor")
        if others:
            return error(400, INVALID, "INVALID_ARGUMENT", "The cursor cannot be used with "
                         f"other parameters: {', '.join(others)}.")
        try:
            state = decode_token(params["cursor"])
            after_row = as_row(state["at"])
        except (KeyError, ValueError):
            return error(400, INVALID, "INVALID_ARGUMENT", "The cursor is not valid.")
        return {"after": state.get("after"), "before": state.get("before"),
                "status": state.get("status"), "at": after_row}
    after, before = params.get("modifiedAfter"), params.get("modifiedBefore")
    if (after is None) != (before is None):
        missing = "modifiedBefore" if before is None else "modifiedAfter"
        given = "modifiedAfter" if before is None else "modifiedBefore"
        return error(400, INVALID, "MISSING_ARGUMENT",
                     f"{missing} is required when {given} is present.")
    try:
        low = _ms("modifiedAfter", after) if after is not None else None
        high = _ms("modifiedBefore", before) if before is not None else None
    except ValueError as exc:
        return error(400, INVALID, "INVALID_ARGUMENT", str(exc))
    if low is not None and high is not None and low >= high:
        return error(400, INVALID, "INVALID_ARGUMENT",
                     "modifiedAfter must be before modifiedBefore.")
    status = params.get("fulfillmentStatus")
    if status is not None and status not in STATUSES:
        return error(400, INVALID, "INVALID_ARGUMENT",
                     f"fulfillmentStatus must be one of {', '.join(STATUSES)}.")
    return {"after": low, "before": high, "status": status, "at": None}


def list_orders(store: SquarespaceStore, call: Call) -> Reply:
    """``GET /1.0/commerce/orders``: a page of 50, oldest modification first."""
    query = _query(call)
    if isinstance(query, Reply):
        return query
    rows = store.modified(query["after"], query["before"], query["status"])
    page = window(rows, PAGE, after=query["at"])
    result = [public(store.by_index(index)) for _modified, index in page.rows]
    cursor = url = None
    if page.has_next:
        cursor = encode_token({"after": query["after"], "before": query["before"],
                               "status": query["status"], "at": list(page.rows[-1])})
        url = str(call.request.url.replace(query=urlencode({"cursor": cursor})))
    return Reply(200, {"result": result, "pagination": {
        "hasNextPage": page.has_next, "nextPageCursor": cursor, "nextPageUrl": url}})


def get_order(store: SquarespaceStore, call: Call) -> Reply:
    """``GET /1.0/commerce/orders/{id}``: one order."""
    order = store.records.get(call.path["oid"])
    if order is None:
        return error(404, "NOT_FOUND", None, "Order not found.")
    return Reply(200, public(order))


ROUTES = (
    Route("GET", "/squarespace/{store}/1.0/commerce/orders", list_orders),
    Route("GET", "/squarespace/{store}/1.0/commerce/orders/{oid}", get_order),
)
SYSTEM = System("squarespace", SquarespaceStore, SquarespaceAPI(), ROUTES)
