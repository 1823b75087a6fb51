"""Shopify Admin REST: orders, customers, shop; Link-header cursor paging."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from synchub.sandbox.kit.http import Reply, dumps
from synchub.sandbox.kit.paging import as_row, decode_token, encode_token, link_header, window
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.table import LazyTable, Query
from synchub.sandbox.kit.times import parse_time
from synchub.sandbox.shopify.store import ShopifyStore

BASE = "/shopify/{store}/admin/api/{version}"
ORDER_STATUSES = {"open": frozenset({"open"}), "closed": frozenset({"closed", "cancelled"}),
                  "cancelled": frozenset({"cancelled"}), "any": None}
SORT_FIELDS = {"created_at": "created", "updated_at": "updated", "processed_at": "created",
               "id": "id"}
PAGE_INFO_COMPANIONS = {"limit", "fields", "page_info"}


class BadRequest(Exception):
    """A parameter error, answered with a Shopify-shaped 400."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.text = field, message


def _limit(params: dict[str, str]) -> int:
    raw = params.get("limit", "50")
    try:
        limit = int(raw)
    except ValueError:
        raise BadRequest("limit", "is not a number") from None
    if limit > 250:
        raise BadRequest("limit", "must be less than or equal to 250")
    if limit < 1:
        raise BadRequest("limit", "must be greater than or equal to 1")
    return limit


def _time(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_time(raw)
    except ValueError:
        raise BadRequest(name, "is invalid") from None


def _filters(params: dict[str, str], with_status: bool) -> dict[str, Any]:
    """The listing filters of a first-page request, as a JSON-able dict for the cursor."""
    order = params.get("order", "created_at desc").replace("+", " ").split()
    if not order or order[0] not in SORT_FIELDS or (len(order) > 1 and order[1] not in
                                                     ("asc", "desc")):
        raise BadRequest("order", "is invalid")
    status = params.get("status", "open") if with_status else "any"
    if status not in ORDER_STATUSES:
        raise BadRequest("status", "is invalid")
    return {"sort": SORT_FIELDS[order[0]], "desc": (order[1:] or ["desc"])[0] == "desc",
            "status": status, "umin": _time(params, "updated_at_min"),
            "umax": _time(params, "updated_at_max"), "cmin": _time(params, "created_at_min"),
            "cmax": _time(params, "created_at_max")}


def _query(f: dict[str, Any]) -> Query:
    return Query(sort=f["sort"], statuses=ORDER_STATUSES[f["status"]], updated_min=f["umin"],
                 updated_max=f["umax"], created_min=f["cmin"], created_max=f["cmax"])


def list_records(
    request: Request, table: LazyTable, envelope: str, *, render: Any = None,
    with_status: bool = False,
) -> Reply:
    """A cursor-paged listing with a ``Link`` header (orders.json, customers.json)."""
    params = dict(request.query_params)
    try:
        limit = _limit(params)
        token = params.get("page_info")
        if token is not None:
            extra = sorted(set(params) - PAGE_INFO_COMPANIONS)
            if extra:
                raise BadRequest("page_info", f"cannot be combined with {', '.join(extra)}; "
                                              "only limit and fields may accompany it")
            try:
                cursor = decode_token(token)
                filters, position = cursor["f"], as_row(cursor["k"])
                query = _query(filters)
            except (ValueError, KeyError, TypeError):
                raise BadRequest("page_info", "is invalid") from None
        else:
            filters, cursor, position = _filters(params, with_status), {}, None
            query = _query(filters)
    except BadRequest as exc:
        return Reply(400, {"errors": {exc.field: [exc.text]}})
    rows = table.query(query)
    backwards = cursor.get("d") == "prev"
    win = window(rows, limit, descending=filters["desc"],
                 after=None if backwards else position, before=position if backwards else None)
    fields = [f for f in params.get("fields", "").split(",") if f]
    render = render or (lambda row: row)
    if fields:
        picked = [render(table.get(rid)) for _key, rid in win.rows]
        body = dumps({envelope: [{k: row[k] for k in fields if k in row} for row in picked]})
    else:
        parts = [table.encoded(rid, lambda row: dumps(render(row))) for _key, rid in win.rows]
        body = b'{"' + envelope.encode() + b'":[' + b",".join(p for p in parts if p) + b"]}"
    links = []
    for rel, has, row, direction in (("previous", win.has_previous, win.rows[:1], "prev"),
                                     ("next", win.has_next, win.rows[-1:], "next")):
        if has and row:
            page_info = encode_token({"f": filters, "k": list(row[0]), "d": direction})
            link_params = {"limit": str(limit), "page_info": page_info}
            if fields:
                link_params["fields"] = ",".join(fields)
            links.append((rel, link_params))
    link = link_header(request, links)
    return Reply(200, body, {"Link": link} if link else {})


def count_records(request: Request, table: LazyTable, with_status: bool) -> Reply:
    """``{"count": n}`` for the same filters as the listing."""
    try:
        query = _query(_filters(dict(request.query_params), with_status))
    except BadRequest as exc:
        return Reply(400, {"errors": {exc.field: [exc.text]}})
    return Reply(200, {"count": len(table.query(query))})


def one_record(table: LazyTable, record_id: str, envelope: str, render: Any = None) -> Reply:
    """``{"order": {...}}`` or Shopify's 404."""
    row = table.get(int(record_id)) if record_id.isdigit() else None
    if row is None:
        return Reply(404, {"errors": "Not Found"})
    return Reply(200, {envelope: render(row) if render else row})


def shop_reply(store: ShopifyStore) -> Reply:
    """The ``shop.json`` object (currency and timezone matter to consumers)."""
    return Reply(200, {"shop": {
        "id": 1000 + len(store.name), "name": f"{store.name.title()} Shop",
        "myshopify_domain": f"{store.name}.myshopify.com", "currency": store.currency,
        "enabled_presentment_currencies": [store.currency, "USD", "GBP", "CHF"],
        "iana_timezone": str(store.tz), "taxes_included": None, "country_code": "DE",
        "plan_name": "sandbox"}})


def orders(s: ShopifyStore, call: Call) -> Reply:
    """``GET orders.json``."""
    return list_records(call.request, s.orders, "orders", render=s.render_order,
                        with_status=True)


def order(s: ShopifyStore, call: Call) -> Reply:
    """``GET orders/<id>.json``."""
    return one_record(s.orders, call.path["record_id"], "order", s.render_order)


def customers(s: ShopifyStore, call: Call) -> Reply:
    """``GET customers.json``."""
    return list_records(call.request, s.customers, "customers")


ROUTES = (
    Route("GET", BASE + "/orders.json", orders),
    Route("GET", BASE + "/orders/count.json",
          lambda s, call: count_records(call.request, s.orders, True)),
    Route("GET", BASE + "/orders/{record_id}.json", order),
    Route("GET", BASE + "/customers.json", customers),
    Route("GET", BASE + "/customers/count.json",
          lambda s, call: count_records(call.request, s.customers, False)),
    Route("GET", BASE + "/customers/{record_id}.json",
          lambda s, call: one_record(s.customers, call.path["record_id"], "customer")),
    Route("GET", BASE + "/shop.json", lambda s, call: shop_reply(s)),
)
