"""WooCommerce REST v3: orders, products, variations, customers, settings; batch stock writes,
order updates and notes."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from starlette.requests import Request

from synchub.sandbox.kit.http import Reply, dumps
from synchub.sandbox.kit.paging import numbered_page, page_links
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.table import Query, public
from synchub.sandbox.kit.times import parse_time
from synchub.sandbox.woocommerce.batch import batch_reply
from synchub.sandbox.woocommerce.errors import invalid_id, invalid_param, wp_error
from synchub.sandbox.woocommerce.orders import order_refunds
from synchub.sandbox.woocommerce.store import WooStore

BASE = "/woocommerce/{store}/wp-json/wc/v3"
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
    return invalid_param(exc.param, exc.text)


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
    chunk, pages = numbered_page(ids, page, per_page)
    body = b"[" + b",".join(fetch(i) for i in chunk) + b"]"
    headers = {"X-WP-Total": str(len(ids)), "X-WP-TotalPages": str(pages)}
    link = page_links(request, page, pages)
    if link:
        headers["Link"] = link
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
        return wp_error(404, "rest_setting_setting_invalid", "Invalid setting.")
    return Reply(200, found)


def _one(obj: dict[str, Any] | None, kind: str) -> Reply:
    return invalid_id(kind) if obj is None else Reply(200, public(obj))


PRODUCT_SORTS = ("date", "modified", "id", "include", "title", "slug")


def _product(s: WooStore, pid: str) -> dict[str, Any] | None:
    return next((p for p in s.products if str(p["id"]) == pid), None)


def _digits(call: Call, name: str) -> int | None:
    raw = call.path[name]
    return int(raw) if raw.isdigit() else None


def order(s: WooStore, call: Call) -> Reply:
    """``GET orders/<id>``."""
    oid = _digits(call, "oid")
    return _one(s.order(oid) if oid is not None else None, "shop_order")


def refunds(s: WooStore, call: Call) -> Reply:
    """``GET orders/<id>/refunds``."""
    oid = _digits(call, "oid")
    found = s.order(oid) if oid is not None else None
    if found is None:
        return _one(None, "shop_order")
    items = order_refunds(found)
    return Reply(200, dumps(items), {"X-WP-Total": str(len(items)), "X-WP-TotalPages": "1"})


def variations(s: WooStore, call: Call) -> Reply:
    """``GET products/<id>/variations``."""
    parent = _product(s, call.path["pid"])
    if parent is None:
        return _one(None, "product")
    return _object_list(call.request, parent["_variations"], s, PRODUCT_SORTS)


def customer(s: WooStore, call: Call) -> Reply:
    """``GET customers/<id>``."""
    cid = _digits(call, "cid")
    return _one(s.customers.get(cid) if cid is not None else None, "customer")


ROUTES = (
    Route("GET", BASE + "/orders", lambda s, call: list_orders(s, call.request)),
    Route("GET", BASE + "/orders/{oid}", order),
    Route(("PUT", "POST", "PATCH"), BASE + "/orders/{oid}",
          lambda s, call: s.order_writes.update_order(call.path["oid"], call.body)),
    Route("GET", BASE + "/orders/{oid}/notes",
          lambda s, call: s.order_writes.list_notes(call.path["oid"])),
    Route("POST", BASE + "/orders/{oid}/notes",
          lambda s, call: s.order_writes.add_note(call.path["oid"], call.body)),
    Route("GET", BASE + "/orders/{oid}/refunds", refunds),
    Route("GET", BASE + "/products",
          lambda s, call: _object_list(call.request, s.products, s, PRODUCT_SORTS)),
    Route("GET", BASE + "/products/{pid}",
          lambda s, call: _one(_product(s, call.path["pid"]), "product")),
    Route("GET", BASE + "/products/{pid}/variations", variations),
    Route("POST", BASE + "/products/batch", lambda s, call: batch_reply(s, call.body, None)),
    Route("POST", BASE + "/products/{pid}/variations/batch",
          lambda s, call: batch_reply(s, call.body, call.path["pid"])),
    Route("GET", BASE + "/customers", lambda s, call: list_customers(s, call.request)),
    Route("GET", BASE + "/customers/{cid}", customer),
    Route("GET", BASE + "/settings/general", lambda s, call: settings_reply(s, None)),
    Route("GET", BASE + "/settings/general/{setting}",
          lambda s, call: settings_reply(s, call.path["setting"])),
)
