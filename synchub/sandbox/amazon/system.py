"""Amazon's Selling Partner API as the sandbox serves it, under ``/amazon/<store>``.

What docs/systems/amazon.md lists from Amazon's pages:

- ``POST /auth/o2/token`` (Login with Amazon): form ``grant_type=refresh_token``,
  ``refresh_token``, ``client_id``, ``client_secret`` -> ``{access_token, token_type,
  expires_in, refresh_token}``; a wrong refresh token is 400 ``invalid_grant``, a wrong
  client 401 ``invalid_client`` (``{error, error_description}``).
- Every API call carries the access token in ``x-amz-access-token``; a missing, unknown or
  expired one is 403 ``Unauthorized``. Errors are ``{"errors": [{code, message, details}]}``.
- Every answer carries ``x-amzn-RateLimit-Limit`` (the operation's rate, requests per
  second) and ``x-amzn-RequestId``; past the operation's burst, 429 ``QuotaExceeded``.
- ``GET /orders/2026-01-01/orders`` (searchOrders): exactly one of ``createdAfter`` and
  ``lastUpdatedAfter``; ``lastUpdatedBefore``/``createdBefore`` not before the start and
  at least two minutes before the request; ``marketplaceIds`` (at most 50),
  ``includedData``, ``maxResultsPerPage`` 1-100 (default 100), ``paginationToken`` from
  ``pagination.nextToken``, valid 24 hours. Items always come with the order; buyer,
  recipient, proceeds, fulfillment and packages only when ``includedData`` names them.
- ``GET /orders/2026-01-01/orders/{orderId}`` (getOrder) -> ``{"order": ...}``.
- ``GET /sellers/v1/marketplaceParticipations`` -> ``{"payload": [...]}``.
- ``PATCH /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=<one id>``
  (patchListingsItem, 5 requests a second, burst 5): ``{productType, patches: [{op: add |
  replace | merge | delete, path: "/attributes/<name>", value: [...]}]}`` ->
  ``{sku, status: ACCEPTED | INVALID, submissionId, issues: [{code, message, severity,
  attributeNames}]}``; an unknown SKU is 404 ``NotFound``, a malformed request 400
  ``InvalidInput``, another seller's id 403 ``Unauthorized``.
- ``GET /listings/2021-08-01/items/{sellerId}`` (searchListingsItems, 5 a second, burst
  5): the same listings, filtered, sorted and paged (:mod:`.listings`).
- ``GET /fba/inventory/v1/summaries`` (getInventorySummaries, 2 a second, burst 2):
  ``granularityType=Marketplace``, ``granularityId``, exactly one ``marketplaceIds``,
  ``details``, ``startDateTime``, ``sellerSkus`` (at most 50), ``nextToken`` ->
  ``{payload: {granularity, inventorySummaries}, pagination: {nextToken}}``.
- ``GET /finances/v0/financialEventGroups`` (listFinancialEventGroups, 0.5 a second, burst
  30): ``FinancialEventGroupStartedAfter/Before`` more than two minutes back,
  ``MaxResultsPerPage`` 1-100 (default 10), ``NextToken`` -> ``{payload:
  {FinancialEventGroupList, NextToken}}``; ``.../{eventGroupId}/financialEvents``
  (listFinancialEventsByGroupId) -> ``{payload: {FinancialEvents: {...EventList}, NextToken}}``
  (the groups and events: :mod:`.finances`).

The sandbox's choices where the docs are silent: the list is ordered by last update (then
order id); a pagination token carries its query, so the parameters sent beside it are not
checked again; the issue codes of an INVALID patch are the sandbox's own; only
``fulfillment_availability`` is kept (other attributes are accepted and dropped); without
the PII role (``store.pii = False``) the buyer is absent and the
address keeps only city, region, postal code and country.
"""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request

from synchub.sandbox.amazon import finances, listings
from synchub.sandbox.amazon.replies import errors, invalid, list_of
from synchub.sandbox.amazon.store import MARKETPLACES, AmazonStore
from synchub.sandbox.kit.auth import same_secret
from synchub.sandbox.kit.http import Reply, VendorAPI, relative_path
from synchub.sandbox.kit.paging import decode_token, encode_token, window
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.table import public
from synchub.sandbox.kit.times import iso_utc_z, parse_time

PAGE_DEFAULT, PAGE_MAX = 100, 100
MIN_LAG = 120                 # seconds a window's end must stay behind the request
INCLUDED_DATA = frozenset({"BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION",
                           "CANCELLATION", "FULFILLMENT", "PACKAGES", "TAX", "PAYMENT",
                           "FULFILLMENT_ORDERS"})
DATASETS = {"BUYER": "buyer", "RECIPIENT": "recipient", "PROCEEDS": "proceeds",
            "FULFILLMENT": "fulfillment", "PACKAGES": "packages"}
TOKEN_PATH = "/auth/o2/token"  # noqa: S105 - an endpoint
_request_ids = itertools.count(1)


def operation_of(path: str) -> str | None:
    """The usage plan a request path falls under (None: the token endpoint)."""
    if path.startswith("/orders/2026-01-01/orders/"):
        return "getOrder"
    if path == "/orders/2026-01-01/orders":
        return "searchOrders"
    if path == "/sellers/v1/marketplaceParticipations":
        return "getMarketplaceParticipations"
    if path.startswith("/listings/2021-08-01/items/"):
        # /items/{sellerId} searches, /items/{sellerId}/{sku} is one listing
        return ("searchListingsItems" if path.count("/") == 4 else "patchListingsItem")
    if path == "/fba/inventory/v1/summaries":
        return "getInventorySummaries"
    if path == "/finances/v0/financialEventGroups":
        return "listFinancialEventGroups"
    if path.startswith("/finances/v0/financialEventGroups/"):
        return "listFinancialEventsByGroupId"
    return None


class AmazonAPI(VendorAPI):
    """LWA access tokens, the errors[] envelope, usage plans per operation."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault as the SP-API words it."""
        if status == 429:
            return errors(429, "QuotaExceeded", "You exceeded your quota for the requested "
                          "resource.")
        if status in (401, 403):
            return errors(403, "Unauthorized", "Access to requested resource is denied.")
        return errors(status, "InternalFailure", "We encountered an internal error. Please "
                      "try again.")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """``x-amz-access-token`` of a token the store issued and that has not expired."""
        if relative_path(request, store) == TOKEN_PATH:
            return None           # the token endpoint checks its own form
        token = request.headers.get("x-amz-access-token", "")
        state = store.token_state(token) if token else "missing"
        if state == "valid":
            return None
        details = {"expired": "The access token you provided has expired.",
                   "missing": "The request has no access token."}.get(
                       state, "The access token you provided is not valid.")
        return errors(403, "Unauthorized", "Access to requested resource is denied.", details)

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """The operation's usage plan; its rate in every answer's header."""
        operation = operation_of(relative_path(request, store))
        if operation is None:
            return None, {}
        headers = {"x-amzn-RateLimit-Limit": f"{store.stated_rate(operation):g}",
                   "x-amzn-RequestId": f"sbx-{next(_request_ids):08d}"}
        if store.admit_operation(operation):
            return None, headers
        return errors(429, "QuotaExceeded", "You exceeded your quota for the requested "
                      "resource."), headers


def token(store: AmazonStore, call: Call) -> Reply:
    """``POST /auth/o2/token``: the refresh-token grant of Login with Amazon."""
    form = {k: v[0] for k, v in parse_qs(call.body.decode("utf-8", "replace")).items()}
    if form.get("grant_type") != "refresh_token":
        return Reply(400, {"error": "unsupported_grant_type",
                           "error_description": "The authorization grant type is not "
                                                "supported by the authorization server"})
    if not (same_secret(form.get("client_id", ""), store.client_id)
            and same_secret(form.get("client_secret", ""), store.client_secret)):
        return Reply(401, {"error": "invalid_client",
                           "error_description": "Client authentication failed"})
    if not same_secret(form.get("refresh_token", ""), store.refresh_token):
        return Reply(400, {"error": "invalid_grant",
                           "error_description": "The request has an invalid grant parameter "
                                                ": refresh_token"})
    access, ttl = store.issue_token()
    return Reply(200, {"access_token": access, "refresh_token": store.refresh_token,
                       "token_type": "bearer", "expires_in": ttl})


def participations(store: AmazonStore, call: Call) -> Reply:
    """``GET /sellers/v1/marketplaceParticipations``."""
    payload = []
    for mid in store.marketplace_ids:
        country, name, currency, _vat = MARKETPLACES[mid]
        payload.append({
            "marketplace": {"id": mid, "countryCode": country, "name": name,
                            "defaultCurrencyCode": currency, "defaultLanguageCode": "en_GB",
                            "domainName": name.lower().replace("amazon", "www.amazon")},
            "participation": {"isParticipating": True, "hasSuspendedListings": False},
            "storeName": f"Sandbox {store.name}"})
    return Reply(200, {"payload": payload})


def render(store: AmazonStore, order: dict[str, Any], included: set[str]) -> dict[str, Any]:
    """The order as the caller may see it: the datasets asked for, PII by role."""
    out = public(order)
    for dataset, key in DATASETS.items():
        if dataset not in included:
            out.pop(key, None)
    if not store.pii:
        out.pop("buyer", None)
        if "recipient" in out:
            address = out["recipient"]["deliveryAddress"]
            out["recipient"] = {"deliveryAddress": {
                k: address[k] for k in ("city", "stateOrRegion", "postalCode", "countryCode")
                if k in address}}
    return out


def search_orders(store: AmazonStore, call: Call) -> Reply:
    """``GET /orders/2026-01-01/orders``: searchOrders, paged by ``paginationToken``."""
    query = call.query
    now = store.clock()
    if "paginationToken" in query:
        try:
            state = decode_token(query["paginationToken"])
            after = (int(state["after"][0]), str(state["after"][1]))
            issued = float(state["issued"])
        except (KeyError, ValueError, TypeError, IndexError):
            return invalid("Invalid paginationToken.", "The pagination token is not valid.")
        if now - issued > store.pagination_ttl:
            return invalid("The paginationToken has expired.", "Pagination tokens are valid "
                           "for 24 hours; search again from the start of the window.")
        q = state["q"]
    else:
        q, refusal = _search_query(query, now)
        if refusal is not None:
            return refusal
        after, issued = None, now
    rows = (store.created_between(q["low"], q["high"]) if q["by"] == "created"
            else store.changed_between(q["low"], q["high"]))
    markets = set(q["markets"])
    rows = [row for row in rows if not markets
            or store.records[row[1]]["salesChannel"]["marketplaceId"] in markets]
    page = window(rows, q["limit"], after=after)  # type: ignore[arg-type]
    included = set(q["included"])
    body: dict[str, Any] = {"orders": [render(store, store.records[str(oid)], included)
                                       for _key, oid in page.rows]}
    if page.has_next:
        body["pagination"] = {"nextToken": encode_token(
            {"q": q, "after": list(page.rows[-1]), "issued": issued})}
    body["createdBefore" if q["by"] == "created" else "lastUpdatedBefore"] = iso_utc_z(
        q["high"] if q["high"] is not None else int(now) - MIN_LAG)
    return Reply(200, body)


def _search_query(query: Any, now: float) -> tuple[dict[str, Any], Reply | None]:
    """The filters of a first searchOrders request, or its 400."""
    created = "createdAfter" in query or "createdBefore" in query
    updated = "lastUpdatedAfter" in query or "lastUpdatedBefore" in query
    if created and updated:
        return {}, invalid("createdAfter/createdBefore cannot be used with lastUpdatedAfter/"
                           "lastUpdatedBefore.")
    start_name, end_name = (("createdAfter", "createdBefore") if created
                            else ("lastUpdatedAfter", "lastUpdatedBefore"))
    if start_name not in query:
        return {}, invalid("Exactly one of createdAfter and lastUpdatedAfter is required.")
    try:
        low = parse_time(query[start_name])
        high = parse_time(query[end_name]) if end_name in query else None
        limit = int(query.get("maxResultsPerPage", PAGE_DEFAULT))
    except ValueError:
        return {}, invalid("Invalid input.", "A date is not in ISO 8601 format or "
                           "maxResultsPerPage is not a number.")
    if high is not None and high < low:
        return {}, invalid(f"{end_name} must be equal to or after {start_name}.")
    if high is not None and high > now - MIN_LAG:
        return {}, invalid(f"{end_name} must be at least 2 minutes before the time of the "
                           "request.", f"{end_name}: {query[end_name]}")
    if not 1 <= limit <= PAGE_MAX:
        return {}, invalid(f"maxResultsPerPage must be between 1 and {PAGE_MAX}.")
    markets = list_of(query, "marketplaceIds")
    if len(markets) > 50:
        return {}, invalid("marketplaceIds accepts at most 50 values.")
    unknown = [m for m in markets if m not in MARKETPLACES]
    if unknown:
        return {}, invalid("Invalid marketplaceIds.", f"Unknown marketplace id: {unknown[0]}")
    included = list_of(query, "includedData")
    bad = [d for d in included if d not in INCLUDED_DATA]
    if bad:
        return {}, invalid("Invalid includedData.", f"Unknown value: {bad[0]}")
    return {"by": "created" if created else "updated", "low": low, "high": high,
            "limit": limit, "markets": markets, "included": included}, None


def get_order(store: AmazonStore, call: Call) -> Reply:
    """``GET /orders/2026-01-01/orders/{orderId}``: getOrder, items always included."""
    order = store.records.get(call.path["order_id"])
    if order is None:
        return errors(404, "NotFound", "The requested order was not found.",
                      f"orderId: {call.path['order_id']}")
    included = set(list_of(call.query, "includedData"))
    return Reply(200, {"order": render(store, order, included)})


PATCH_OPS = frozenset({"add", "replace", "merge", "delete"})
QUANTITY_ATTRIBUTE = "/attributes/fulfillment_availability"


def _issue(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "severity": "ERROR",
            "attributeNames": ["fulfillment_availability"]}


def patch_listing(store: AmazonStore, call: Call) -> Reply:
    """``PATCH /listings/2021-08-01/items/{sellerId}/{sku}``: patchListingsItem."""
    seller, sku = call.path["seller_id"], call.path["sku"]
    if seller != store.seller_id:
        return errors(403, "Unauthorized", "Access to requested resource is denied.",
                      "The seller id does not match the authorized selling partner.")
    markets = list_of(call.query, "marketplaceIds")
    if len(markets) != 1:
        return invalid("marketplaceIds must name exactly one marketplace.")
    if markets[0] not in store.marketplace_ids:
        return invalid("Invalid marketplaceIds.", f"Unknown marketplace id: {markets[0]}")
    try:
        body = json.loads(call.body or b"null")
    except ValueError:
        return invalid("The request body is not valid JSON.")
    if not isinstance(body, dict) or not isinstance(body.get("productType"), str) \
            or not isinstance(body.get("patches"), list) or not body["patches"]:
        return invalid("Request body must have productType and a non-empty patches list.")
    for patch in body["patches"]:
        if not isinstance(patch, dict) or patch.get("op") not in PATCH_OPS \
                or not str(patch.get("path", "")).startswith("/attributes/"):
            return invalid("Each patch needs op (add, replace, merge, delete) and a path "
                           "under /attributes/.")
    listing = store.listings.get(sku)
    if listing is None:
        return errors(404, "NotFound", "The requested listings item was not found.",
                      f"sku: {sku}")
    issues: list[dict[str, Any]] = []
    refusal = store.refusals.get(sku)
    if refusal is not None:
        issues.append(dict(refusal))
    kind = body["productType"]
    if kind not in ("PRODUCT", listing["productType"]):
        issues.append(_issue("4000003", f"The product type {kind} does not match the "
                             f"listing's product type {listing['productType']}."))
    quantity = None
    for patch in body["patches"]:
        if patch["path"] != QUANTITY_ATTRIBUTE or patch["op"] == "delete":
            continue
        value = patch.get("value")
        entry = value[0] if isinstance(value, list) and value else None
        q = entry.get("quantity") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not entry.get("fulfillment_channel_code"):
            issues.append(_issue("90220", "'fulfillment_channel_code' is required but not "
                                 "supplied."))
        elif not isinstance(q, int) or isinstance(q, bool) or q < 0:
            issues.append(_issue("90244", "'quantity' must be a whole number of 0 or more."))
        else:
            quantity = q
    submission = f"sbx{next(_request_ids):012d}"
    if issues:
        return Reply(200, {"sku": sku, "status": "INVALID", "submissionId": submission,
                           "issues": issues})
    if quantity is not None:
        listing["quantity"] = quantity
    listing["_changed"] = store.stamp()       # the listing's lastUpdatedDate
    return Reply(200, {"sku": sku, "status": "ACCEPTED", "submissionId": submission,
                       "issues": []})


FBA_PAGE = 50                 # summaries a page (the sandbox's choice; the docs are silent)


def inventory_summaries(store: AmazonStore, call: Call) -> Reply:
    """``GET /fba/inventory/v1/summaries``: getInventorySummaries, granularity Marketplace."""
    query = call.query
    if "nextToken" in query:
        try:
            state = decode_token(query["nextToken"])
            q, offset = state["q"], int(state["offset"])
        except (KeyError, ValueError, TypeError):
            return invalid("Invalid nextToken.")
    else:
        if query.get("granularityType") != "Marketplace":
            return invalid("granularityType must be Marketplace.")
        market = query.get("granularityId", "")
        markets = list_of(query, "marketplaceIds")
        if len(markets) != 1:
            return invalid("marketplaceIds must name exactly one marketplace.")
        if market not in store.marketplace_ids or markets[0] != market:
            return invalid("Invalid granularityId.", f"Unknown marketplace id: {market}")
        start = None
        if "startDateTime" in query:
            try:
                start = parse_time(query["startDateTime"])
            except ValueError:
                return invalid("startDateTime is not in ISO 8601 format.")
        skus = list_of(query, "sellerSkus")
        if len(skus) > 50:
            return invalid("sellerSkus accepts at most 50 values.")
        q = {"market": market, "start": start, "skus": skus,
             "details": query.get("details", "false").lower() == "true"}
        offset = 0
    with store.lock:
        units = [u for _sku, u in sorted(store.fba[q["market"]].items())
                 if (q["start"] is None or u["_changed"] >= q["start"])
                 and (q["start"] is not None or not q["skus"] or u["sellerSku"] in q["skus"])]
        page = [_summary(u, q["details"]) for u in units[offset:offset + FBA_PAGE]]
    body: dict[str, Any] = {"payload": {
        "granularity": {"granularityType": "Marketplace", "granularityId": q["market"]},
        "inventorySummaries": page}}
    if offset + FBA_PAGE < len(units):
        body["pagination"] = {"nextToken": encode_token({"q": q, "offset": offset + FBA_PAGE})}
    return Reply(200, body)


def _summary(unit: dict[str, Any], details: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "asin": unit["asin"], "fnSku": unit["fnSku"], "sellerSku": unit["sellerSku"],
        "condition": "NewItem", "lastUpdatedTime": iso_utc_z(unit["_changed"]),
        "productName": f"Item {unit['sellerSku']}",
        "totalQuantity": unit["fulfillable"] + unit["reserved"] + unit["inbound"]}
    if details:
        out["inventoryDetails"] = {
            "fulfillableQuantity": unit["fulfillable"],
            "inboundWorkingQuantity": unit["inbound"], "inboundShippedQuantity": 0,
            "inboundReceivingQuantity": 0,
            "reservedQuantity": {"totalReservedQuantity": unit["reserved"],
                                 "pendingCustomerOrderQuantity": unit["reserved"],
                                 "pendingTransshipmentQuantity": 0, "fcProcessingQuantity": 0},
            "researchingQuantity": {"totalResearchingQuantity": 0,
                                    "researchingQuantityBreakdown": []},
            "unfulfillableQuantity": {"totalUnfulfillableQuantity": 0}}
    return out


def _page_size(query: Any, default: int) -> int | Reply:
    try:
        size = int(query.get("MaxResultsPerPage", default))
    except ValueError:
        return invalid("MaxResultsPerPage is not a number.")
    if not 1 <= size <= 100:
        return invalid("MaxResultsPerPage must be between 1 and 100.")
    return size


def event_groups(store: AmazonStore, call: Call) -> Reply:
    """``GET /finances/v0/financialEventGroups``: listFinancialEventGroups."""
    query, now = call.query, store.clock()
    if "NextToken" in query:
        try:
            state = decode_token(query["NextToken"])
            low, high, size, offset = state["low"], state["high"], state["size"], state["offset"]
        except (KeyError, ValueError, TypeError):
            return invalid("Invalid NextToken.")
    else:
        size_or = _page_size(query, 10)
        if isinstance(size_or, Reply):
            return size_or
        size, offset = size_or, 0
        try:
            low = (parse_time(query["FinancialEventGroupStartedAfter"])
                   if "FinancialEventGroupStartedAfter" in query else None)
            high = (parse_time(query["FinancialEventGroupStartedBefore"])
                    if "FinancialEventGroupStartedBefore" in query else None)
        except ValueError:
            return invalid("A date is not in ISO 8601 format.")
        for name, value in (("FinancialEventGroupStartedAfter", low),
                            ("FinancialEventGroupStartedBefore", high)):
            if value is not None and value > now - MIN_LAG:
                return invalid(f"{name} must be more than two minutes before the time of "
                               "the request.")
        if low is not None and high is not None and high <= low:
            return invalid("FinancialEventGroupStartedBefore must be after "
                           "FinancialEventGroupStartedAfter.")
    with store.lock:
        found = sorted((g for g in finances.groups(store, now).values()
                        if (low is None or g.start >= low) and (high is None or g.start < high)),
                       key=lambda g: (g.start, g.group_id))
        listed = [g.render(now) for g in found[offset:offset + size]]
    payload: dict[str, Any] = {"FinancialEventGroupList": listed}
    if offset + size < len(found):
        payload["NextToken"] = encode_token({"low": low, "high": high, "size": size,
                                             "offset": offset + size})
    return Reply(200, {"payload": payload})


def group_events(store: AmazonStore, call: Call) -> Reply:
    """``GET /finances/v0/financialEventGroups/{eventGroupId}/financialEvents``."""
    query = call.query
    if "NextToken" in query:
        try:
            state = decode_token(query["NextToken"])
            size, offset = int(state["size"]), int(state["offset"])
        except (KeyError, ValueError, TypeError):
            return invalid("Invalid NextToken.")
    else:
        size_or = _page_size(query, 100)
        if isinstance(size_or, Reply):
            return size_or
        size, offset = size_or, 0
    with store.lock:
        grp = finances.groups(store, store.clock()).get(call.path["group_id"])
        if grp is None:
            return invalid("Invalid eventGroupId.",
                           f"No financial event group {call.path['group_id']}")
        lists, more = finances.events_page(grp, offset, size)
    payload: dict[str, Any] = {"FinancialEvents": lists}
    if more:
        payload["NextToken"] = encode_token({"size": size, "offset": offset + size})
    return Reply(200, {"payload": payload})


BASE = "/amazon/{store}"
ROUTES = (
    Route("POST", f"{BASE}{TOKEN_PATH}", token),
    Route("GET", f"{BASE}/sellers/v1/marketplaceParticipations", participations),
    Route("GET", f"{BASE}/orders/2026-01-01/orders", search_orders),
    Route("GET", BASE + "/orders/2026-01-01/orders/{order_id}", get_order),
    Route("GET", BASE + "/listings/2021-08-01/items/{seller_id}", listings.search),
    Route("PATCH", BASE + "/listings/2021-08-01/items/{seller_id}/{sku}", patch_listing),
    Route("GET", f"{BASE}/fba/inventory/v1/summaries", inventory_summaries),
    Route("GET", f"{BASE}/finances/v0/financialEventGroups", event_groups),
    Route("GET", BASE + "/finances/v0/financialEventGroups/{group_id}/financialEvents",
          group_events),
)
SYSTEM = System("amazon", AmazonStore, AmazonAPI(), ROUTES)
