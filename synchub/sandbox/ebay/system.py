"""eBay's Sell APIs as the sandbox serves them, under ``/ebay/<store>``.

What docs/systems/ebay.md lists from eBay's pages:

- ``POST /identity/v1/oauth2/token``: ``Authorization: Basic base64(client_id:client_secret)``,
  form ``grant_type=refresh_token``, ``refresh_token``, ``scope`` -> ``{access_token,
  expires_in: 7200, token_type: "User Access Token"}``; errors ``{error,
  error_description}``: 401 ``invalid_client``, 400 ``invalid_grant``, ``invalid_scope``,
  ``unsupported_grant_type``.
- Every API call carries ``Authorization: Bearer <user token>``; a missing, unknown or expired
  one is 401 with errorId 1001. Errors are ``{"errors": [{errorId, domain, category,
  message, longMessage?}]}``; past the call limit, 429 with errorId 2001.
- ``GET /sell/fulfillment/v1/order``: ``filter=lastmodifieddate:[from..to]`` (or
  ``creationdate``; either end may be left open), ``limit`` 1-200 (default 50), ``offset``
  -> ``{href, total, limit, offset, next?, prev?, orders}``; ``GET .../order/{orderId}``;
  ``GET`` and ``POST .../order/{orderId}/shipping_fulfillment`` (201 and ``Location``).
- ``GET /sell/inventory/v1/inventory_item``: ``limit``, ``offset`` (a page number from 0)
  -> ``{href, total, size, limit, inventoryItems, next?}``.
- ``POST /sell/inventory/v1/bulk_update_price_quantity``: ``{requests: [...]}``, at most 25,
  -> 200 or 207 with ``{responses: [{statusCode, sku, offerId?, errors?}]}``; a listing
  takes 250 revisions a calendar day.
- ``GET /sell/finances/v1/payout`` (``filter=payoutDate:[..]``, limit 1-200) and
  ``/transaction`` (``filter=transactionDate:[..]``, limit 1-1000) on the apiz host, here
  under the same store.

The sandbox's choices where the docs are silent: lists are ordered by change time (then
id); the error ids of bad filters, limits, unknown SKUs and the revision cap are the
sandbox's own; the revision day is UTC; 5,000 calls a minute per account.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.requests import Request

from synchub.sandbox.ebay.store import CARRIERS, EbayStore, iso_ms
from synchub.sandbox.kit.auth import bearer_token, same_secret
from synchub.sandbox.kit.http import Reply, VendorAPI, relative_path
from synchub.sandbox.kit.paging import offset_page
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.table import public
from synchub.sandbox.kit.times import parse_time

TOKEN_PATH = "/identity/v1/oauth2/token"  # noqa: S105 - an endpoint
SCOPE_ROOT = "https://api.ebay.com/oauth/api_scope"
GRANTED = frozenset({SCOPE_ROOT, f"{SCOPE_ROOT}/sell.fulfillment",
                     f"{SCOPE_ROOT}/sell.inventory", f"{SCOPE_ROOT}/sell.finances",
                     f"{SCOPE_ROOT}/sell.account"})
MAX_BULK = 25
RANGE = re.compile(r"^(?P<name>[A-Za-z]+):\[(?P<low>.*?)\.\.(?P<high>[^\]]*)\]$")


def errors(status: int, error_id: int, message: str, *, domain: str = "API_FULFILLMENT",
           category: str = "REQUEST", long: str | None = None,
           headers: dict[str, str] | None = None) -> Reply:
    """eBay's error envelope."""
    entry: dict[str, Any] = {"errorId": error_id, "domain": domain, "category": category,
                             "message": message}
    if long:
        entry["longMessage"] = long
    return Reply(status, {"errors": [entry]}, dict(headers or {}))


def oauth_error(status: int, error: str, description: str) -> Reply:
    """The token endpoint's ``{error, error_description}``."""
    return Reply(status, {"error": error, "error_description": description})


class EbayAPI(VendorAPI):
    """User access tokens, eBay's errors[] envelope, a call limit per account."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault as eBay words it."""
        if status == 429:
            return errors(429, 2001, "Too many requests", domain="ACCESS",
                          long="The request limit has been reached for the resource.")
        if status in (401, 403):
            return errors(401, 1001, "Invalid access token", domain="OAuth",
                          long="Invalid access token. Check the value of the Authorization "
                               "HTTP request header.")
        return errors(status, 10001, "System error. Please try again later.",
                      domain="API_FULFILLMENT", category="APPLICATION")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """``Authorization: Bearer`` with a user token the store issued, not expired."""
        if relative_path(request, store) == TOKEN_PATH:
            return None           # the token endpoint checks its own credentials
        token = bearer_token(request)
        if token and store.token_state(token) == "valid":
            return None
        return errors(401, 1001, "Invalid access token", domain="OAuth",
                      long="Invalid access token. Check the value of the Authorization HTTP "
                           "request header.")

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """The account's call limit; eBay sends no Retry-After."""
        if relative_path(request, store) == TOKEN_PATH or store.admit_call():
            return None, {}
        return errors(429, 2001, "Too many requests", domain="ACCESS",
                      long="The request limit has been reached for the resource."), {}


# --- OAuth -----------------------------------------------------------------------------------

def token(store: EbayStore, call: Call) -> Reply:
    """``POST /identity/v1/oauth2/token``: the refresh-token grant."""
    basic = call.request.headers.get("authorization", "")
    try:
        client_id, _, secret = base64.b64decode(basic.removeprefix("Basic ").strip()
                                                ).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        client_id, secret = "", ""
    if not basic.startswith("Basic ") or not (same_secret(client_id, store.client_id)
                                              and same_secret(secret, store.client_secret)):
        return oauth_error(401, "invalid_client", "client authentication failed")
    form = {k: v[0] for k, v in parse_qs(call.body.decode("utf-8", "replace")).items()}
    if form.get("grant_type") != "refresh_token":
        return oauth_error(400, "unsupported_grant_type",
                           "grant type in request is not supported by the authorization "
                           "server")
    if not same_secret(form.get("refresh_token", ""), store.refresh_token):
        return oauth_error(400, "invalid_grant", "the provided authorization refresh token "
                           "is invalid or was issued to another client")
    scopes = set(form.get("scope", SCOPE_ROOT).split())
    if not scopes or not scopes <= GRANTED:
        return oauth_error(400, "invalid_scope", "The requested scope is invalid, unknown, "
                           "malformed, or exceeds the scope granted to the client")
    access, ttl = store.issue_token()
    return Reply(200, {"access_token": access, "expires_in": ttl,
                       "token_type": "User Access Token"})


# --- paging and filters ---------------------------------------------------------------------

def _int(query: Any, name: str, default: int) -> int | None:
    try:
        return int(query.get(name, default))
    except ValueError:
        return None


def _range(text: str, allowed: tuple[str, ...]) -> tuple[str, float | None, float | None]:
    """``name:[low..high]`` of a filter, either end open; ValueError when malformed."""
    for part in text.split(","):
        m = RANGE.match(part.strip())
        if m is None:
            continue
        name = m["name"]
        if name not in allowed:
            raise ValueError(f"unsupported filter {name}")
        low = parse_time(m["low"]) if m["low"] else None
        high = parse_time(m["high"]) if m["high"] else None
        if low is not None and high is not None and high < low:
            raise ValueError("the range ends before it starts")
        return name, low, high
    raise ValueError("no date range")


def _paged(store: EbayStore, call: Call, key: str, rows: list[Any], limit: int, offset: int
           ) -> Reply:
    page, nxt = offset_page(rows, offset, limit)
    base = relative_path(call.request, store)
    keep = {k: v for k, v in call.query.items() if k not in ("limit", "offset")}
    query = "&".join(f"{k}={quote(v, safe=':[].,')}" for k, v in keep.items())
    href = f"{base}?{query + '&' if query else ''}limit={limit}&offset="
    body: dict[str, Any] = {"href": f"{href}{offset}", "total": len(rows), "limit": limit,
                            "offset": offset, key: [public(r) for r in page]}
    if nxt is not None:
        body["next"] = f"{href}{nxt}"
    if offset > 0:
        body["prev"] = f"{href}{max(0, offset - limit)}"
    return Reply(200, body)


# --- Fulfillment API ---------------------------------------------------------------------------

def get_orders(store: EbayStore, call: Call) -> Reply:
    """``GET /sell/fulfillment/v1/order``: by last change (or creation), offset paging."""
    q = call.query
    limit, offset = _int(q, "limit", 50), _int(q, "offset", 0)
    if limit is None or not 1 <= limit <= 200:
        return errors(400, 30700, "Invalid limit. Supported ranges 1 - 200.")
    if offset is None or offset < 0:
        return errors(400, 30700, "Invalid offset.")
    ids = [i for raw in q.getlist("orderIds") for i in raw.split(",") if i]
    if ids:
        if len(ids) > 50:
            return errors(400, 30700, "Too many order ids. Supported maximum 50.")
        rows = [store.records[i] for i in ids if i in store.records]
    else:
        try:
            name, low, high = (_range(q["filter"], ("lastmodifieddate", "creationdate"))
                               if "filter" in q else ("creationdate", None, None))
        except ValueError as exc:
            return errors(400, 30800, "Invalid filter value.", long=f"filter: {exc}")
        if name == "creationdate" and low is None:
            low = store.clock() - 90 * 86_400      # eBay's default: the last 90 days
        field = "_changed" if name == "lastmodifieddate" else "_created"
        rows = sorted((o for o in store.records.values()
                       if (low is None or o[field] >= low) and (high is None or o[field] <= high)),
                      key=lambda o: (o[field], o["orderId"]))
    return _paged(store, call, "orders", rows, limit, offset)


def get_order(store: EbayStore, call: Call) -> Reply:
    """``GET /sell/fulfillment/v1/order/{orderId}``."""
    order = store.records.get(call.path["order_id"])
    if order is None:
        return errors(404, 32100, "Invalid order ID", long=f"Order {call.path['order_id']} "
                      "was not found.")
    return Reply(200, public(order))


def get_fulfillments(store: EbayStore, call: Call) -> Reply:
    """``GET .../order/{orderId}/shipping_fulfillment``."""
    oid = call.path["order_id"]
    if oid not in store.records:
        return errors(404, 32100, "Invalid order ID")
    found = store.fulfillments.get(oid, [])
    return Reply(200, {"total": len(found), "fulfillments": [dict(f) for f in found]})


def create_fulfillment(store: EbayStore, call: Call) -> Reply:
    """``POST .../order/{orderId}/shipping_fulfillment``: 201 and the new one's URI."""
    oid = call.path["order_id"]
    order = store.records.get(oid)
    if order is None:
        return errors(404, 32100, "Invalid order ID")
    try:
        body = json.loads(call.body or b"null")
    except ValueError:
        return errors(400, 34000, "Invalid request: the body is not JSON.")
    if not isinstance(body, dict):
        return errors(400, 34000, "Invalid request.")
    number = str(body.get("trackingNumber") or "").strip()
    carrier = str(body.get("shippingCarrierCode") or "").strip()
    lines = body.get("lineItems")
    if not number or not carrier:
        return errors(400, 34100, "Missing field trackingNumber or shippingCarrierCode.")
    if not isinstance(lines, list) or not lines:
        return errors(400, 34200, "Missing field lineItems.")
    known = {li["lineItemId"]: li for li in order["lineItems"]}
    for line in lines:
        if not isinstance(line, dict) or line.get("lineItemId") not in known:
            given = line.get("lineItemId") if isinstance(line, dict) else line
            return errors(400, 34300, "Invalid lineItemId.",
                          long=f"lineItemId {given} is not part of order {oid}.")
        if not isinstance(line.get("quantity"), int) or line["quantity"] < 1:
            return errors(400, 34400, "Invalid quantity.")
    if order["cancelStatus"]["cancelState"] == "CANCELED":
        return errors(409, 34500, "The order was cancelled and cannot be fulfilled.")
    try:
        shipped = parse_time(str(body.get("shippedDate"))) if body.get("shippedDate") \
            else store.clock()
    except ValueError:
        return errors(400, 34600, "Invalid shippedDate.")
    made = store.ship(oid, number, carrier, shipped,
                      [{"lineItemId": li["lineItemId"], "quantity": li["quantity"]}
                       for li in lines])
    now = store.stamp()
    order["lastModifiedDate"], order["_changed"] = iso_ms(now), now
    location = (f"{relative_path(call.request, store)}/{made['fulfillmentId']}")
    return Reply(201, {}, {"Location": location})


# --- Inventory API ----------------------------------------------------------------------------

def get_inventory_items(store: EbayStore, call: Call) -> Reply:
    """``GET /sell/inventory/v1/inventory_item``: ``offset`` is a page number from 0."""
    q = call.query
    limit, page = _int(q, "limit", 25), _int(q, "offset", 0)
    if limit is None or not 1 <= limit <= 200:
        return errors(400, 25709, "Invalid value for limit. Supported range 1 - 200.",
                      domain="API_INVENTORY")
    if page is None or page < 0:
        return errors(400, 25709, "Invalid value for offset.", domain="API_INVENTORY")
    skus = sorted(store.items)
    rows = [{"sku": s, "locale": "en_US", "condition": "NEW",
             "product": {"title": store.items[s]["title"]},
             "availability": {"shipToLocationAvailability": {
                 "quantity": store.items[s]["quantity"]}}}
            for s in skus[page * limit:(page + 1) * limit]]
    base = relative_path(call.request, store)
    body: dict[str, Any] = {"href": f"{base}?limit={limit}&offset={page}", "total": len(skus),
                            "size": -(-len(skus) // limit), "limit": limit,
                            "inventoryItems": rows}
    if (page + 1) * limit < len(skus):
        body["next"] = f"{base}?limit={limit}&offset={page + 1}"
    return Reply(200, body)


def _inv_error(error_id: int, message: str) -> dict[str, Any]:
    return {"errorId": error_id, "domain": "API_INVENTORY", "category": "REQUEST",
            "message": message}


def bulk_update(store: EbayStore, call: Call) -> Reply:
    """``POST /sell/inventory/v1/bulk_update_price_quantity``: one entry per SKU and offer."""
    try:
        body = json.loads(call.body or b"null")
    except ValueError:
        return errors(400, 25709, "Invalid request: the body is not JSON.",
                      domain="API_INVENTORY")
    requests_ = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests_, list) or not requests_:
        return errors(400, 25709, "Invalid request: requests is missing or empty.",
                      domain="API_INVENTORY")
    if len(requests_) > MAX_BULK:
        return errors(400, 25709, f"Invalid request: at most {MAX_BULK} requests per call.",
                      domain="API_INVENTORY")
    out: list[dict[str, Any]] = []
    for req in requests_:
        if not isinstance(req, dict):
            return errors(400, 25709, "Invalid request: each request is an object.",
                          domain="API_INVENTORY")
        out.extend(_update_one(store, req))
    status = 200 if all(r["statusCode"] == 200 for r in out) else 207
    return Reply(status, {"responses": out})


def _update_one(store: EbayStore, req: dict[str, Any]) -> list[dict[str, Any]]:
    sku = str(req.get("sku") or "")
    item = store.items.get(sku)
    offers = req.get("offers") or []
    ship = req.get("shipToLocationAvailability")
    quantity = ship.get("quantity") if isinstance(ship, dict) else None

    def refused(code: int, problem: dict[str, Any], offer: str | None = None
                ) -> dict[str, Any]:
        entry: dict[str, Any] = {"statusCode": code, "sku": sku, "errors": [problem]}
        if offer:
            entry["offerId"] = offer
        return entry

    if item is None:
        return [refused(404, _inv_error(25702, f"SKU {sku} is not available in the system"))]
    if sku in store.refusals:
        return [refused(400, dict(store.refusals[sku]))]
    if ship is not None and (not isinstance(quantity, int) or isinstance(quantity, bool)
                             or quantity < 0):
        return [refused(400, _inv_error(25017, "shipToLocationAvailability.quantity must be "
                                               "a whole number of 0 or more"))]
    listing = [str(o.get("offerId")) for o in offers if isinstance(o, dict)] or [sku]
    for key in listing:
        if key != sku and store.offers.get(key) != sku:
            return [refused(400, _inv_error(25713, f"Offer {key} is not an offer of SKU "
                                                   f"{sku}"), key)]
    # a revision of the live listing: the cap is per listing and calendar day
    for key in listing:
        if store.revisions_today(key) >= store.revision_cap:
            return [refused(400, _inv_error(
                25746, f"This listing has been revised {store.revision_cap} times today "
                       "and cannot be revised again until the next calendar day."),
                key if key != sku else None)]
    for key in listing:
        store.revise(key)
    if quantity is not None:
        item["quantity"] = quantity
    entries: list[dict[str, Any]] = [{"statusCode": 200, "sku": sku}]
    for o in offers:
        if isinstance(o, dict):
            item["offerQuantity"] = o.get("availableQuantity", item["offerQuantity"])
            entries.append({"statusCode": 200, "sku": sku, "offerId": str(o["offerId"])})
    return entries


# --- Finances API -----------------------------------------------------------------------------

def _money_list(store: EbayStore, call: Call, table: dict[str, dict[str, Any]], key: str,
                field: str, max_limit: int) -> Reply:
    q = call.query
    limit, offset = _int(q, "limit", 20), _int(q, "offset", 0)
    if limit is None or not 1 <= limit <= max_limit:
        return errors(400, 135002, f"Invalid limit. Supported range 1 - {max_limit}.",
                      domain="API_FINANCES")
    if offset is None or offset < 0:
        return errors(400, 135002, "Invalid offset.", domain="API_FINANCES")
    low = high = None
    if "filter" in q:
        try:
            _, low, high = _range(q["filter"], (field,))
        except ValueError as exc:
            return errors(400, 135001, "Invalid filter.", domain="API_FINANCES",
                          long=f"filter: {exc}")
    rows = sorted((r for r in table.values() if (low is None or r["_at"] >= low)
                   and (high is None or r["_at"] <= high)),
                  key=lambda r: (r["_at"], r[f"{key[:-1]}Id"]))
    return _paged(store, call, key, rows, limit, offset)


def get_payouts(store: EbayStore, call: Call) -> Reply:
    """``GET /sell/finances/v1/payout``."""
    return _money_list(store, call, store.payouts, "payouts", "payoutDate", 200)


def get_transactions(store: EbayStore, call: Call) -> Reply:
    """``GET /sell/finances/v1/transaction``."""
    return _money_list(store, call, store.transactions, "transactions", "transactionDate",
                       1000)


BASE = "/ebay/{store}"
ROUTES = (
    Route("POST", f"{BASE}{TOKEN_PATH}", token),
    Route("GET", f"{BASE}/sell/fulfillment/v1/order", get_orders),
    Route("GET", BASE + "/sell/fulfillment/v1/order/{order_id}", get_order),
    Route("GET", BASE + "/sell/fulfillment/v1/order/{order_id}/shipping_fulfillment",
          get_fulfillments),
    Route("POST", BASE + "/sell/fulfillment/v1/order/{order_id}/shipping_fulfillment",
          create_fulfillment),
    Route("GET", f"{BASE}/sell/inventory/v1/inventory_item", get_inventory_items),
    Route("POST", f"{BASE}/sell/inventory/v1/bulk_update_price_quantity", bulk_update),
    Route("GET", f"{BASE}/sell/finances/v1/payout", get_payouts),
    Route("GET", f"{BASE}/sell/finances/v1/transaction", get_transactions),
)
SYSTEM = System("ebay", EbayStore, EbayAPI(), ROUTES)
__all__ = ["CARRIERS", "SYSTEM"]
