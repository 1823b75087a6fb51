"""WooCommerce REST v3: orders, products, variations, customers, settings; batch stock writes."""

from __future__ import annotations

import base64
import hmac
from datetime import UTC
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from synchub.sandbox.http_common import Reply, VendorAPI, serve
from synchub.sandbox.table import Query
from synchub.sandbox.util import dumps, parse_time
from synchub.sandbox.webhooks_api import woo_webhooks_router
from synchub.sandbox.woo_batch import batch_reply
from synchub.sandbox.woo_notes import add_order_write_routes
from synchub.sandbox.woo_orders import order_refunds
from synchub.sandbox.woo_store import WooStore, public

AUTH_ERROR = {"code": "woocommerce_rest_cannot_view",
              "message": "Sorry, you cannot list resources.", "data": {"status": 401}}
ORDERBY = {"date": "created", "modified": "updated", "id": "id", "include": "id",
           "title": "id", "slug": "id", "registered_date": "created", "name": "name"}
ORDER_STATUSES = {"pending", "processing", "on-hold", "completed", "cancelled", "refunded",
                  "failed", "trash", "checkout-draft"}


class InvalidParam(Exception):
    """A parameter error, answered with ``rest_invalid_param``."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.param, self.text = name, message


def invalid(exc: InvalidParam) -> Reply:
    """WordPress's 400 for a bad parameter."""
    return Reply(400, {"code": "rest_invalid_param",
                       "message": f"Invalid parameter(s): {exc.param}",
                       "data": {"status": 400, "params": {exc.param: exc.text}}})


class WooAPI(VendorAPI):
    """WooCommerce's key-pair auth and error shapes (no built-in rate limit)."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """A WordPress-shaped error for an injected status."""
        if status == 401:
            return Reply(401, AUTH_ERROR)
        code, message = {
            429: ("rest_too_many_requests", "Too many requests. Please slow down."),
            404: ("rest_no_route", "No route was found matching the URL and request method."),
        }.get(status, ("internal_server_error",
                       "There has been a critical error on this website."))
        headers = {"Retry-After": "1"} if status in (429, 503) else {}
        return Reply(status, {"code": code, "message": message, "data": {"status": status}},
                     headers)

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """HTTP Basic (key as user, secret as password) or ``consumer_key``/``consumer_secret``."""
        key = request.query_params.get("consumer_key", "")
        secret = request.query_params.get("consumer_secret", "")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                key = secret = ""
        ok = hmac.compare_digest(key.encode(), store.consumer_key.encode()) and \
            hmac.compare_digest(secret.encode(), store.consumer_secret.encode())
        return None if ok else Reply(401, AUTH_ERROR)


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParam(name, f"{name} is not of type integer.") from None
    if not low <= value <= high:
        raise InvalidParam(name, f"{name} must be between {low} (inclusive) and {high} "
                                 "(inclusive)")
    return value


def _dates(params: dict[str, str], store: WooStore) -> dict[str, int | None]:
    """Inclusive epoch bounds from modified_after/before and after/before (exclusive in Woo)."""
    naive_tz = UTC if params.get("dates_are_gmt", "").lower() in ("1", "true") else store.tz
    out: dict[str, int | None] = {}
    for param, bound, shift in (("modified_after", "umin", 1), ("modified_before", "umax", -1),
                                ("after", "cmin", 1), ("before", "cmax", -1)):
        raw = params.get(param)
        try:
            out[bound] = None if not raw else parse_time(raw, naive_tz) + shift
        except ValueError:
            raise InvalidParam(param, f"Invalid date: {raw}") from None
    return out


def _sort(params: dict[str, str], default: str, allowed: tuple[str, ...]) -> tuple[str, bool]:
    orderby, order = params.get("orderby", default), params.get("order", "desc")
    if orderby not in allowed:
        raise InvalidParam("orderby", f"orderby is not one of {', '.join(allowed)}.")
    if order not in ("asc", "desc"):
        raise InvalidParam("order", "order is not one of asc and desc.")
    return ORDERBY[orderby], order == "desc"


def _paged(request: Request, ids: list[int], fetch: Any, page: int, per_page: int) -> Reply:
    total = len(ids)
    pages = (total + per_page - 1) // per_page
    chunk = ids[(page - 1) * per_page: page * per_page]
    body = b"[" + b",".join(fetch(i) for i in chunk) + b"]"
    params = dict(request.query_params)
    links = []
    for rel, target in (("prev", page - 1), ("next", page + 1)):
        if 1 <= target <= pages:
            params["page"] = str(target)
            links.append(f'<{request.url.replace(query=urlencode(params))}>; rel="{rel}"')
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    if links:
        headers["Link"] = ", ".join(links)
    return Reply(200, body, headers)


def _paging(params: dict[str, str]) -> tuple[int, int]:
    return (_int_param(params, "page", 1, 1, 10**9),
            _int_param(params, "per_page", 10, 1, 100))


def list_orders(store: WooStore, request: Request) -> Reply:
    """``GET /orders`` with status, date filters, sorting and paging."""
    params = dict(request.query_params)
    try:
        page, per_page = _paging(params)
        dates = _dates(params, store)
        field, desc = _sort(params, "date", ("date", "modified", "id", "include", "title", "slug"))
        raw_status = params.get("status", "any")
        statuses = None if raw_status == "any" else frozenset(raw_status.split(","))
        if statuses is not None and not statuses <= ORDER_STATUSES:
            raise InvalidParam("status", "status is not one of any, " + ", ".join(
                sorted(ORDER_STATUSES)) + ".")
    except InvalidParam as exc:
        return invalid(exc)
    rows = store.orders.query(Query(sort=field, statuses=statuses, updated_min=dates["umin"],
                                    updated_max=dates["umax"], created_min=dates["cmin"],
                                    created_max=dates["cmax"]))
    ids = [rid for _k, rid in (reversed(rows) if desc else rows)]
    return _paged(request, ids, lambda rid: store.orders.encoded(
        rid, lambda row: dumps(store.render_order(row))) or b"null", page, per_page)


def _object_list(request: Request, objects: list[dict[str, Any]], store: WooStore,
                 allowed: tuple[str, ...], default: str = "date") -> Reply:
    """Products or variations: filters on status/type/sku/modified, sorting and paging."""
    params = dict(request.query_params)
    try:
        page, per_page = _paging(params)
        dates = _dates(params, store)
        field, desc = _sort(params, default, allowed)
    except InvalidParam as exc:
        return invalid(exc)
    key = {"created": "_created", "updated": "_updated", "id": "id", "name": "name"}[field]
    chosen = [o for o in objects
              if (dates["umin"] is None or o["_updated"] >= dates["umin"])
              and (dates["umax"] is None or o["_updated"] <= dates["umax"])
              and (dates["cmin"] is None or o["_created"] >= dates["cmin"])
              and (dates["cmax"] is None or o["_created"] <= dates["cmax"])
              and params.get("status", "any") in ("any", o.get("status"))
              and params.get("type", o.get("type")) == o.get("type")
              and params.get("sku", o.get("sku")) == o.get("sku")]
    chosen.sort(key=lambda o: (o[key], o["id"]), reverse=desc)
    by_id = {o["id"]: o for o in chosen}
    return _paged(request, [o["id"] for o in chosen], lambda i: dumps(public(by_id[i])),
                  page, per_page)


def list_customers(store: WooStore, request: Request) -> Reply:
    """``GET /customers``: no modified filter (a full-refresh stream), default order by name."""
    params = dict(request.query_params)
    try:
        page, per_page = _paging(params)
        params.setdefault("order", "asc")
        field, desc = _sort(params, "name", ("id", "include", "name", "registered_date"))
    except InvalidParam as exc:
        return invalid(exc)
    rows = store.customers.query(Query(sort=field))
    ids = [rid for _k, rid in (reversed(rows) if desc else rows)]
    return _paged(request, ids, lambda rid: dumps(public(store.customers.get(rid) or {})),
                  page, per_page)


def settings_reply(store: WooStore, setting: str | None) -> Reply:
    """``/settings/general`` (a list) or one item of it."""
    items: list[dict[str, Any]] = [
        {"id": "woocommerce_currency", "label": "Currency", "description": "",
         "type": "select", "default": "USD", "tip": "", "value": store.currency,
         "options": {c: c for c in ("EUR", "USD", "GBP", "CAD", "CHF")}, "group_id": "general"},
        {"id": "woocommerce_default_country", "label": "Country / State", "description": "",
         "type": "select", "default": "US:CA", "tip": "", "value": "DE:BE",
         "group_id": "general"},
        {"id": "woocommerce_prices_include_tax", "label": "Prices entered with tax",
         "description": "", "type": "radio", "default": "no", "tip": "", "value": "yes",
         "group_id": "tax"},
    ]
    if setting is None:
        return Reply(200, items)
    found = next((i for i in items if i["id"] == setting), None)
    if found is None:
        return Reply(404, {"code": "rest_setting_setting_invalid", "message": "Invalid setting.",
                           "data": {"status": 404}})
    return Reply(200, found)


def _one(obj: dict[str, Any] | None, kind: str) -> Reply:
    if obj is None:
        return Reply(404, {"code": f"woocommerce_rest_{kind}_invalid_id", "message": "Invalid ID.",
                           "data": {"status": 404}})
    return Reply(200, public(obj))


def woo_router(get_store: Any) -> APIRouter:
    """Routes under ``/woocommerce/{store}/wp-json/wc/v3/``."""
    router = APIRouter()
    api = WooAPI()
    router.include_router(woo_webhooks_router(get_store, api))
    base = "/woocommerce/{store}/wp-json/wc/v3"
    product_sorts = ("date", "modified", "id", "include", "title", "slug")

    def product_of(s: WooStore, pid: str) -> dict[str, Any] | None:
        return next((p for p in s.products if str(p["id"]) == pid), None)

    @router.get(base + "/orders")
    async def orders(store: str, request: Request) -> Response:
        s = get_store(store)
        return await serve(api, s, request, lambda: list_orders(s, request))

    @router.get(base + "/orders/{oid}")
    async def order(store: str, oid: str, request: Request) -> Response:
        s = get_store(store)
        return await serve(api, s, request, lambda: _one(
            s.order(int(oid)) if oid.isdigit() else None, "shop_order"))

    add_order_write_routes(router, api, get_store, base)

    @router.get(base + "/orders/{oid}/refunds")
    async def refunds(store: str, oid: str, request: Request) -> Response:
        s = get_store(store)

        def handler() -> Reply:
            found = s.order(int(oid)) if oid.isdigit() else None
            if found is None:
                return _one(None, "shop_order")
            items = order_refunds(found)
            return Reply(200, dumps(items), {"X-WP-Total": str(len(items)),
                                             "X-WP-TotalPages": "1"})

        return await serve(api, s, request, handler)

    @router.get(base + "/products")
    async def products(store: str, request: Request) -> Response:
        s = get_store(store)
        return await serve(api, s, request,
                           lambda: _object_list(request, s.products, s, product_sorts))

    @router.get(base + "/products/{pid}")
    async def product(store: str, pid: str, request: Request) -> Response:
        s = get_store(store)
        return await serve(api, s, request, lambda: _one(product_of(s, pid), "product"))

    @router.get(base + "/products/{pid}/variations")
    async def variations(store: str, pid: str, request: Request) -> Response:
        s = get_store(store)

        def handler() -> Reply:
            parent = product_of(s, pid)
            if parent is None:
                return _one(None, "product")
            return _object_list(request, parent["_variations"], s, product_sorts)
        return await serve(api, s, request, handler)

    @router.post(base + "/products/batch")
    async def products_batch(store: str, request: Request) -> Response:
        s = get_store(store)
        body = await request.body()
        return await serve(api, s, request, lambda: batch_reply(s, body, None))

    @router.post(base + "/products/{pid}/variations/batch")
    async def variations_batch(store: str, pid: str, request: Request) -> Response:
        s = get_store(store)
        body = await request.body()
        return await serve(api, s, request, lambda: batch_reply(s, body, pid))

    @router.get(base + "/customers")
    async def customers(store: str, request: Request) -> Response:
        s = get_store(store)
        return await serve(api, s, request, lambda: list_customers(s, request))

    @router.get(base + "/customers/{cid}")
    async def customer(store: str, cid: str, request: Request) -> Response:
        s = get_store(store)
        return await serve(api, s, request, lambda: _one(
            s.customers.get(int(cid)) if cid.isdigit() else None, "customer"))

    @router.get(base + "/settings/general")
    async def settings(store: str, request: Request) -> Response:
        s = get_store(store)
        return await serve(api, s, request, lambda: settings_reply(s, None))

    @router.get(base + "/settings/general/{setting}")
    async def setting(store: str, setting: str, request: Request) -> Response:
        s = get_store(store)
        return await serve(api, s, request, lambda: settings_reply(s, setting))

    return router
