"""Magento 2's REST API as the sandbox serves it, under ``/magento/<store>/rest``.

From developer.adobe.com/commerce/webapi (REST "Search using REST endpoints", "Token-based
authentication", "OAuth-based authentication", inventory "Manage source items"):

- auth: ``Authorization: Bearer <integration access token>`` (refused when the store does
  not allow integration tokens as standalone Bearer tokens: ``bearer_allowed``), OAuth 1.0a
  (``OAuth oauth_consumer_key=...`` signed with HMAC-SHA256 or HMAC-SHA1 over the method,
  URL and query; a nonce once only), or an admin token from ``POST
  /V1/integration/admin/token`` (4 hours);
- lists take ``searchCriteria[filter_groups][g][filters][f][field|value|condition_type]``
  (filters of a group OR-ed, groups AND-ed), ``sortOrders``, ``pageSize`` and
  ``currentPage``, and answer ``{items, search_criteria, total_count}``; a page past the end
  is empty, or, with ``repeat_last_page`` (Magento before 2.4, magento/magento2#26986), the
  last page again;
- errors are ``{"message", "parameters"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from starlette.requests import Request

from synchub.sandbox.kit.auth import bearer_token, same_secret
from synchub.sandbox.kit.http import Reply, VendorAPI, json_value
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.magento.store import SOURCES, MagentoStore, amount, when

ADMIN_TOKEN_S = 4 * 3600
MAX_PAGE = 300
CONDITIONS = {"eq": lambda a, b: a == b, "neq": lambda a, b: a != b,
              "gteq": lambda a, b: a >= b, "lteq": lambda a, b: a <= b,
              "gt": lambda a, b: a > b, "lt": lambda a, b: a < b}


def error(status: int, message: str, parameters: Any = None) -> Reply:
    """Magento's error body."""
    body: dict[str, Any] = {"message": message}
    if parameters is not None:
        body["parameters"] = parameters
    return Reply(status, body)


def unauthorized() -> Reply:
    """The 401 of a request without valid credentials."""
    return error(401, "The consumer isn't authorized to access %resources.",
                 {"resources": "Magento_Sales::actions_view"})


def _pct(text: str) -> str:
    return quote(text, safe="-._~")


def oauth_signature(method: str, url: str, params: dict[str, str], consumer_secret: str,
                    token_secret: str, algorithm: str) -> str:
    """RFC 5849 3.4: what a request with these oauth params should be signed with."""
    parts = urlsplit(url)
    base_uri = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    pairs += [(k, v) for k, v in params.items() if k not in ("oauth_signature", "realm")]
    norm = "&".join(f"{k}={v}" for k, v in sorted((_pct(k), _pct(v)) for k, v in pairs))
    base = "&".join((_pct(method.upper()), _pct(base_uri), _pct(norm)))
    key = f"{_pct(consumer_secret)}&{_pct(token_secret)}".encode()
    digest = hashlib.sha256 if algorithm == "HMAC-SHA256" else hashlib.sha1
    return base64.b64encode(hmac.new(key, base.encode(), digest).digest()).decode()


def _oauth_params(header: str) -> dict[str, str]:
    out = {}
    for part in header[len("OAuth "):].split(","):
        key, _, value = part.strip().partition("=")
        out[key] = unquote(value.strip('"'))
    return out


class MagentoAPI(VendorAPI):
    """Bearer, OAuth 1.0a or admin token; no request limit of its own."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault as Magento words it."""
        if status == 401:
            return unauthorized()
        return error(status, "Internal Error. Details are available in Magento log file.")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """The token endpoint is open; everything else needs one of the three schemes."""
        if request.url.path.endswith("/V1/integration/admin/token"):
            return None
        header = request.headers.get("authorization", "")
        if header.startswith("OAuth "):
            return self._oauth(store, request, _oauth_params(header))
        token = bearer_token(request)
        if same_secret(token, store.access_token) and store.bearer_allowed:
            return None
        if store.admin_tokens.get(token, 0) > time.time():
            return None
        return unauthorized()

    def _oauth(self, store: MagentoStore, request: Request, p: dict[str, str]
               ) -> Reply | None:
        algorithm = p.get("oauth_signature_method", "")
        if algorithm not in ("HMAC-SHA256", "HMAC-SHA1"):
            return error(401, "Signature method %1 is not supported", [algorithm])
        if p.get("oauth_consumer_key") != store.consumer_key or \
                p.get("oauth_token") != store.access_token:
            return unauthorized()
        nonce = p.get("oauth_nonce", "")
        if not nonce or nonce in store.nonces:
            return error(401, "The nonce is already being used by the consumer with ID %1",
                         [store.consumer_key])
        try:
            if abs(time.time() - int(p.get("oauth_timestamp", "0"))) > 600:
                return error(401, "The timestamp is too old or too far in the future.")
        except ValueError:
            return unauthorized()
        expected = oauth_signature(request.method, str(request.url), p, store.consumer_secret,
                                   store.token_secret, algorithm)
        if not same_secret(p.get("oauth_signature", ""), expected):
            return error(401, "The signature is invalid. Verify and try again.")
        store.nonces.add(nonce)
        return None


def admin_token(store: MagentoStore, call: Call) -> Reply:
    """``POST /V1/integration/admin/token``: a bare JSON string, valid 4 hours."""
    body = json_value(call.body, empty={}, invalid={})
    if not isinstance(body, dict) or body.get("username") != store.admin_user or \
            not same_secret(str(body.get("password", "")), store.admin_password):
        return error(401, "The account sign-in was incorrect or your account is disabled "
                          "temporarily. Please wait and try again later.")
    token = f"admin_{store.name}_{len(store.admin_tokens) + 1}"
    store.admin_tokens[token] = time.time() + ADMIN_TOKEN_S
    return Reply(200, token)


def _criteria(call: Call) -> dict[str, Any] | Reply:
    """``searchCriteria`` of a list request: filter groups, sort orders, page."""
    groups: dict[int, dict[int, dict[str, str]]] = {}
    sorts: dict[int, dict[str, str]] = {}
    page: dict[str, str] = {}
    for key, value in call.query.multi_items():
        if not key.startswith("searchCriteria["):
            continue
        parts = [p.rstrip("]") for p in key[len("searchCriteria["):].split("[")]
        try:
            if parts[0] == "filter_groups" and parts[2] == "filters":
                groups.setdefault(int(parts[1]), {}).setdefault(int(parts[3]), {})[
                    parts[4]] = value
            elif parts[0] == "sortOrders":
                sorts.setdefault(int(parts[1]), {})[parts[2]] = value
            elif parts[0] in ("pageSize", "currentPage"):
                page[parts[0]] = value
        except (IndexError, ValueError):
            return error(400, f'"{key}" is not a valid searchCriteria parameter.')
    filters: list[list[tuple[str, str, str]]] = []
    for g in sorted(groups):
        ors = []
        for f in sorted(groups[g]):
            spec = groups[g][f]
            if "field" not in spec or "value" not in spec:
                missing = "field" if "field" not in spec else "value"
                return error(400, '"%fieldName" is required. Enter and try again.',
                             {"fieldName": missing})
            cond = spec.get("condition_type", "eq")
            if cond not in CONDITIONS:
                return error(400, f'Invalid condition type "{cond}".')
            ors.append((spec["field"], spec["value"], cond))
        filters.append(ors)
    try:
        size = int(page.get("pageSize", "0")) or None
        current = int(page.get("currentPage", "1"))
    except ValueError:
        return error(400, "pageSize and currentPage must be numbers.")
    if size is not None and size > MAX_PAGE:
        return error(400, f"Maximum page size is {MAX_PAGE}.")
    return {"filters": filters, "sorts": [sorts[k] for k in sorted(sorts)], "size": size,
            "page": max(current, 1)}


def _search(store: MagentoStore, call: Call, rows: list[dict[str, Any]]) -> Reply:
    crit = _criteria(call)
    if isinstance(crit, Reply):
        return crit
    kept = [r for r in rows if all(any(CONDITIONS[c](str(r.get(f, "")), v)
                                       for f, v, c in group) for group in crit["filters"])]
    for sort in reversed(crit["sorts"]):   # the last key first: a stable multi-key sort
        field = str(sort.get("field", ""))
        kept.sort(key=lambda r: str(r.get(field, "")),
                  reverse=sort.get("direction", "ASC").upper() == "DESC")
    total, size, current = len(kept), crit["size"], crit["page"]
    if size:
        last = max(1, -(-total // size))
        if current > last and store.repeat_last_page:
            current = last     # "standard collection behaviour" before 2.4
        kept = kept[(current - 1) * size: current * size]
    return Reply(200, {"items": kept, "search_criteria": {
        "filter_groups": [{"filters": [{"field": f, "value": v, "condition_type": c}
                                       for f, v, c in g]} for g in crit["filters"]],
        "page_size": size, "current_page": current}, "total_count": total})


def list_orders(store: MagentoStore, call: Call) -> Reply:
    """``GET /V1/orders``."""
    with store.lock:
        return _search(store, call, list(store.orders_by_id.values()))


def list_memos(store: MagentoStore, call: Call) -> Reply:
    """``GET /V1/creditmemos``."""
    with store.lock:
        return _search(store, call, list(store.memos.values()))


def list_source_items(store: MagentoStore, call: Call) -> Reply:
    """``GET /V1/inventory/source-items``."""
    with store.lock:
        rows = [{"sku": sku, "source_code": src, "quantity": float(q),
                 "status": 1 if q > 0 else 0}
                for (sku, src), q in sorted(store.source_items.items())]
        return _search(store, call, rows)


def save_source_items(store: MagentoStore, call: Call) -> Reply:
    """``POST /V1/inventory/source-items``: all items saved, or none (400)."""
    body = json_value(call.body, empty={}, invalid=None)
    items = body.get("sourceItems") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        return error(400, '"sourceItems" is required. Enter and try again.')
    with store.lock:
        for item in items:
            if not isinstance(item, dict) or item.get("sku") not in store.skus:
                return error(400, "Could not save Source Item", [{"message":
                             f"Product with SKU \"{(item or {}).get('sku')}\" does not exist."}])
            if item.get("source_code") not in SOURCES:
                return error(400, "Could not save Source Item", [{"message":
                             f"Source \"{item.get('source_code')}\" does not exist."}])
            if not isinstance(item.get("quantity"), (int, float)) or \
                    item.get("status") not in (0, 1):
                return error(400, "Could not save Source Item",
                             [{"message": "quantity and status (0 or 1) are required."}])
        for item in items:
            store.source_items[(item["sku"], item["source_code"])] = int(item["quantity"])
    return Reply(200, [])


def ship_order(store: MagentoStore, call: Call) -> Reply:
    """``POST /V1/order/{orderId}/ship``: a shipment of every remaining item, with tracks."""
    body = json_value(call.body, empty={}, invalid=None)
    if not isinstance(body, dict):
        return error(400, "Request body is not valid JSON.")
    with store.lock:
        try:
            order = store.orders_by_id.get(int(call.path["oid"]))
        except ValueError:
            order = None
        if order is None:
            return error(404, "The entity that was requested doesn't exist. Verify the "
                              "entity and try again.")
        shipped = any(s["order_id"] == order["entity_id"] for s in store.shipments.values())
        if shipped or order["state"] in ("canceled", "closed", "complete"):
            return error(400, "Shipment Document Validation Error(s):\nThe order does not "
                              "allow a shipment to be created.")
        sid = 1000 + len(store.shipments)
        tracks = [dict(t, parent_id=sid, order_id=order["entity_id"])
                  for t in body.get("tracks") or [] if isinstance(t, dict)]
        now = store.stamp()
        store.shipments[sid] = {"entity_id": sid, "order_id": order["entity_id"],
                                "created_at": when(now), "tracks": tracks}
        order["state"] = order["status"] = "complete"
        order["updated_at"] = when(now)
        return Reply(200, sid)


def list_shipments(store: MagentoStore, call: Call) -> Reply:
    """``GET /V1/shipments``."""
    with store.lock:
        return _search(store, call, list(store.shipments.values()))


def add_track(store: MagentoStore, call: Call) -> Reply:
    """``POST /V1/shipment/track``: one more track on a shipment."""
    body = json_value(call.body, empty={}, invalid=None)
    entity = body.get("entity") if isinstance(body, dict) else None
    with store.lock:
        shipment = store.shipments.get(int((entity or {}).get("parent_id") or 0))
        if shipment is None:
            return error(400, "Could not save the shipment tracking.")
        shipment["tracks"].append(dict(entity))  # type: ignore[arg-type]
        return Reply(200, dict(entity, entity_id=len(shipment["tracks"])))  # type: ignore[arg-type]


def refund(store: MagentoStore, order_id: int, cents: int) -> dict[str, Any]:
    """A credit memo on an order (a test helper: the API has no list-side create here)."""
    with store.lock:
        order = store.orders_by_id[order_id]
        mid = len(store.memos) + 1
        now = when(store.stamp())
        memo = {"entity_id": mid, "order_id": order_id, "increment_id": f"{mid:09d}",
                "order_currency_code": "USD", "created_at": now, "updated_at": now,
                "grand_total": amount(cents), "adjustment_positive": amount(cents),
                "items": []}
        store.memos[mid] = memo
        order["total_refunded"] = amount(cents)
        order["updated_at"] = now
        return memo


R = "/magento/{store}/rest/V1"
ROUTES = (
    Route("POST", f"{R}/integration/admin/token", admin_token),
    Route("GET", f"{R}/orders", list_orders),
    Route("GET", f"{R}/creditmemos", list_memos),
    Route("GET", f"{R}/inventory/source-items", list_source_items),
    Route("POST", f"{R}/inventory/source-items", save_source_items),
    Route("POST", f"{R}/order/{{oid}}/ship", ship_order),
    Route("GET", f"{R}/shipments", list_shipments),
    Route("POST", f"{R}/shipment/track", add_track),
)
SYSTEM = System("magento", MagentoStore, MagentoAPI(), ROUTES)
