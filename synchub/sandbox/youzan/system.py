"""Youzan Cloud's open API as the sandbox serves it, under ``/youzan/<shop>``.

As the official SDKs and the API pages describe it (docs/systems/youzan.md):

- ``POST /auth/token`` with JSON ``{client_id, client_secret, authorize_type: "silent",
  grant_id: <kdt_id>, refresh}`` answers ``{success, code: 200, data: {access_token,
  expires (epoch ms), scope, authority_id}}``;
- ``POST /api/<method>/<version>?access_token=...`` with a JSON body; a missing, unknown
  or lapsed token and the call rate are answered by the gateway, ``{"gw_err_resp":
  {"err_code", "err_msg"}}``; 4.x APIs answer ``{success, code, message, data}`` (refusals
  ``success: false``), 3.x APIs ``{"response": ...}`` or ``{"error_response": {code,
  msg}}``; every answer HTTP 200;
- ``youzan.trades.sold.get`` 4.0.0-4.0.4: ``start_update``/``end_update`` (or
  ``start_created``/``end_created``) ``yyyy-MM-dd HH:mm:ss``, a pair or ignored, at most 3
  months apart, end after start; ``page_no`` from 1, ``page_size`` at most 100; orders by
  update time, newest first (the list moves while it is read);
  ``data.{total_results, full_order_info_list[].full_order_info}``;
- ``youzan.trade.refund.search`` 3.0.0/3.0.1: ``update_time_start``/``update_time_end``
  unix seconds, ``page_no``, ``page_size``; ``response.{total, refunds[]}``;
- ``youzan.item.quantity.update`` 3.0.0: ``item_id``, ``sku_id`` (for an item with SKUs),
  ``quantity``, ``type`` 0 full / 1 added; ``response.is_success``;
- ``youzan.items.onsale.get`` 3.0.0: the items on sale, ``page_no`` (0 or absent: 1),
  ``page_size`` (0 or absent: 40; at most 300), ``q``, ``order_by`` ``column:asc|desc``,
  ``update_time_start``/``update_time_end`` in ms; ``response.{count, items[]}``, each item
  without its SKUs (``item_id, alias, title, price`` (fen), ``item_no, quantity,
  update_time``...);
- ``youzan.item.get`` 3.0.0: ``item_id`` or ``alias``; ``response.item`` with ``skus[]``
  (``sku_id, item_no`` (the SKU's merchant code), ``quantity, modified``...); what a stock
  write sets is what these read;
- ``youzan.logistics.online.confirm`` 3.0.0: ``tid``, ``is_no_express``, ``out_stype``,
  ``out_sid``; ``response.is_success``; ``youzan.logistics.express.get`` 3.0.0 lists the
  express companies.

The codes are the sandbox's choice where Youzan's are not public (docs/systems/youzan.md):
10003 token expired or invalid, 20001 call rate exceeded, 10001 bad client credentials,
40001 a parameter refused, 50001 an API unknown to the gateway, 101130009 order shipped.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from synchub.sandbox.kit.http import Reply, VendorAPI, json_value
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.times import beijing, parse_beijing
from synchub.sandbox.youzan.store import EXPRESS, YouzanStore

QUARTER = 92 * 86_400
TOKEN_INVALID, RATE, BAD_CLIENT, BAD_PARAM, NO_API, SHIPPED = (
    10003, 20001, 10001, 40001, 50001, 101130009)


class YouzanError(Exception):
    """A refusal; ``gateway`` ones are answered as ``gw_err_resp``."""

    def __init__(self, code: int, message: str, *, gateway: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.gateway = code, message, gateway

    def reply(self, version: str) -> Reply:
        """The envelope the API's version answers with, HTTP 200."""
        if self.gateway:
            return Reply(200, {"gw_err_resp": {"err_code": self.code, "err_msg": self.message,
                                               "trace_id": "sbx-trace"}})
        if version.startswith("3."):
            return Reply(200, {"error_response": {"code": self.code, "msg": self.message}})
        return Reply(200, {"success": False, "code": self.code, "message": self.message,
                           "trace_id": "sbx-trace"})


class YouzanAPI(VendorAPI):
    """The token travels in the query: checked per call by :func:`api`."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault: the rate refusal for 429, an HTTP error otherwise."""
        if status == 429:
            return YouzanError(RATE, "调用频率超限", gateway=True).reply("4.0.0")
        return Reply(status, {"gw_err_resp": {"err_code": status, "err_msg": "系统繁忙"}})

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Nothing in headers."""
        return None


def _body(call: Call) -> dict[str, Any]:
    found = json_value(call.body, empty={}, invalid=None)
    if not isinstance(found, dict):
        raise YouzanError(BAD_PARAM, "请求体必须是 JSON 对象")
    return found


def _int(p: dict[str, Any], name: str, default: int | None, low: int, high: int) -> int:
    raw = p.get(name)
    if raw in (None, ""):
        if default is None:
            raise YouzanError(BAD_PARAM, f"参数 {name} 不能为空")
        return default
    if isinstance(raw, bool) or not str(raw).lstrip("-").isdigit() \
            or not low <= int(raw) <= high:
        raise YouzanError(BAD_PARAM, f"参数 {name} 必须在 {low} 到 {high} 之间")
    return int(raw)


def token(store: YouzanStore, call: Call) -> Reply:
    """``POST /auth/token``."""
    p = json_value(call.body, empty={}, invalid={})
    p = p if isinstance(p, dict) else {}
    if p.get("client_id") != store.client_id or p.get("client_secret") != store.client_secret:
        return Reply(200, {"success": False, "code": BAD_CLIENT,
                           "message": "client_id 或 client_secret 错误"})
    if p.get("authorize_type") != "silent" or str(p.get("grant_id")) != str(store.kdt_id):
        return Reply(200, {"success": False, "code": BAD_PARAM,
                           "message": "authorize_type 或 grant_id 错误"})
    value, expires = store.issue_token()
    return Reply(200, {"success": True, "code": 200, "message": None, "data": {
        "access_token": value, "expires": expires, "scope": "trade item logistics",
        "authority_id": str(store.kdt_id)}})


def _window(p: dict[str, Any], start: str, end: str) -> tuple[int, int] | None:
    if p.get(start) in (None, "") or p.get(end) in (None, ""):
        return None   # not a pair: the condition is ignored
    try:
        low, high = parse_beijing(str(p[start])), parse_beijing(str(p[end]))
    except ValueError:
        raise YouzanError(BAD_PARAM, f"{start}/{end} 格式应为 yyyy-MM-dd HH:mm:ss") from None
    if high <= low or high - low > QUARTER:
        raise YouzanError(BAD_PARAM, f"{end} 必须大于 {start}, 且跨度不能大于3个月")
    return low, high


def trades_sold_get(store: YouzanStore, p: dict[str, Any]) -> dict[str, Any]:
    """``youzan.trades.sold.get`` 4.0.x."""
    size = _int(p, "page_size", 20, 1, 100)
    page = _int(p, "page_no", 1, 1, 10**6)
    updated = _window(p, "start_update", "end_update")
    created = _window(p, "start_created", "end_created")
    rows = store.updated_between(*(updated or (0, 2**62)))
    if created is not None:
        rows = [t for t in rows if created[0] <= parse_beijing(
            t["order_info"]["created"]) <= created[1]]
    if p.get("status"):
        rows = [t for t in rows if t["order_info"]["status"] == p["status"]]
    shown = [{"full_order_info": store.render(t)} for t in rows[(page - 1) * size:page * size]]
    if store.during_read is not None:
        store.during_read(store, page)
    return {"total_results": len(rows), "full_order_info_list": shown}


def refund_search(store: YouzanStore, p: dict[str, Any]) -> dict[str, Any]:
    """``youzan.trade.refund.search`` 3.0.x."""
    size = _int(p, "page_size", 20, 1, 100)
    page = _int(p, "page_no", 1, 1, 10**6)
    low = _int(p, "update_time_start", 0, 0, 2**40)
    high = _int(p, "update_time_end", 2**40, 0, 2**40)
    rows = sorted((r for r in store.refunds.values() if low <= r["_updated"] <= high),
                  key=lambda r: (r["_updated"], r["refund_id"]), reverse=True)
    if p.get("tid"):
        rows = [r for r in rows if r["tid"] == p["tid"]]
    return {"total": len(rows), "refunds": [
        {k: v for k, v in r.items() if not k.startswith("_")}
        for r in rows[(page - 1) * size:page * size]]}


def quantity_update(store: YouzanStore, p: dict[str, Any]) -> dict[str, Any]:
    """``youzan.item.quantity.update`` 3.0.0."""
    item_id = _int(p, "item_id", None, 1, 2**62)
    quantity = _int(p, "quantity", None, -10**9, 10**9)
    kind = _int(p, "type", 0, 0, 1)
    item = store.items.get(item_id)
    if item is None:
        raise YouzanError(BAD_PARAM, f"商品 {item_id} 不存在")
    if item_id in store.item_refusals:
        raise YouzanError(*store.item_refusals[item_id])
    if kind == 0 and quantity < 0:
        raise YouzanError(BAD_PARAM, "库存不能小于 0")
    sku_id: int | None = None
    current = item["quantity"]
    if p.get("sku_id") not in (None, "", 0):
        sku_id = _int(p, "sku_id", None, 1, 2**62)
        sku = item["skus"].get(sku_id)
        if sku is None:
            raise YouzanError(BAD_PARAM, f"规格 {p['sku_id']} 不存在")
        current = sku["quantity"]
    elif item["skus"]:
        raise YouzanError(BAD_PARAM, "该商品有规格, 请指定 sku_id")
    store.set_quantity(item_id, sku_id, quantity if kind == 0 else max(current + quantity, 0))
    return {"is_success": True}


def _listed(store: YouzanStore, item_id: int, item: dict[str, Any]) -> dict[str, Any]:
    """An item as the lists show it (``ItemListOpenModel``): no SKUs, price in fen."""
    return {"item_id": item_id, "alias": f"sbx{item_id:x}", "title": item["title"],
            "price": item["price"], "item_type": 0, "item_no": item["outer_item_id"],
            "quantity": item["quantity"], "post_type": 1, "post_fee": 0,
            "created_time": beijing(store.created_at),
            "update_time": beijing(item["_updated"]),
            "detail_url": f"https://h5.youzan.com/v2/goods/sbx{item_id:x}"}


def items_onsale_get(store: YouzanStore, p: dict[str, Any]) -> dict[str, Any]:
    """``youzan.items.onsale.get`` 3.0.0: page_no and page_size 0 or absent take their
    defaults (1, 40), page_size at most 300; by update time, newest first, unless
    ``order_by`` names another column."""
    size = _int(p, "page_size", 0, 0, 300) or 40
    page = _int(p, "page_no", 0, 0, 10**6) or 1
    low = _int(p, "update_time_start", 0, 0, 2**53)        # milliseconds
    high = _int(p, "update_time_end", 2**53, 0, 2**53)
    with store.lock:
        rows = [(iid, i) for iid, i in store.items.items()
                if i["is_listing"] and low <= i["_updated"] * 1000 <= high]
        if p.get("q"):
            rows = [(iid, i) for iid, i in rows if str(p["q"]) in i["title"]]
        column, _, direction = str(p.get("order_by") or "update_time:desc").partition(":")
        if column not in ("created_time", "update_time", "price", "sold_num"):
            raise YouzanError(BAD_PARAM, "参数 order_by 格式错误")
        key = {"update_time": "_updated", "price": "price"}.get(column)
        rows.sort(key=lambda r: (r[1][key] if key else 0, r[0]),
                  reverse=direction != "asc")
        shown = [_listed(store, iid, i) for iid, i in rows[(page - 1) * size:page * size]]
    return {"count": len(rows), "items": shown}


def item_get(store: YouzanStore, p: dict[str, Any]) -> dict[str, Any]:
    """``youzan.item.get`` 3.0.0: one item by ``item_id`` (or ``alias``) with its SKUs."""
    with store.lock:
        if p.get("item_id") not in (None, "", 0):
            item_id = _int(p, "item_id", None, 1, 2**62)
        elif p.get("alias"):
            item_id = next((iid for iid in store.items if f"sbx{iid:x}" == p["alias"]), 0)
        else:
            raise YouzanError(BAD_PARAM, "参数 item_id 和 alias 不能同时为空")
        item = store.items.get(item_id)
        if item is None:
            raise YouzanError(BAD_PARAM, f"商品 {item_id} 不存在")
        detail = _listed(store, item_id, item)
        detail.pop("update_time")
        detail.update({"kdt_id": store.kdt_id, "created": detail.pop("created_time"),
                       "is_listing": item["is_listing"], "is_lock": False,
                       "skus": [{"item_id": item_id, "sku_id": sid,
                                 "sku_unique_code": f"{item_id}{sid}",
                                 "item_no": s["outer_sku_id"], "quantity": s["quantity"],
                                 "price": item["price"], "with_hold_quantity": 0,
                                 "created": beijing(store.created_at),
                                 "modified": beijing(s["_modified"])}
                                for sid, s in sorted(item["skus"].items())]})
    return {"item": detail}


def logistics_confirm(store: YouzanStore, p: dict[str, Any]) -> dict[str, Any]:
    """``youzan.logistics.online.confirm`` 3.0.0."""
    tid = str(p.get("tid") or "")
    info = store.trades.get(tid)
    if info is None:
        raise YouzanError(BAD_PARAM, f"订单 {tid or '(空)'} 不存在")
    no_express = _int(p, "is_no_express", 0, 0, 1)
    stype, sid = 0, ""
    if no_express == 0:
        stype = _int(p, "out_stype", None, 1, 10**6)
        sid = str(p.get("out_sid") or "").strip()
        if not sid:
            raise YouzanError(BAD_PARAM, "参数 out_sid 不能为空")
        if stype not in EXPRESS:
            raise YouzanError(BAD_PARAM, f"物流公司 {stype} 不存在")
    status = info["order_info"]["status"]
    if status in ("WAIT_BUYER_CONFIRM_GOODS", "TRADE_SUCCESS"):
        raise YouzanError(SHIPPED, "订单已发货, 不能重复发货")
    if status != "WAIT_SELLER_SEND_GOODS":
        raise YouzanError(BAD_PARAM, f"订单状态 {status} 不能发货")
    store.ship(tid, stype, sid)
    return {"is_success": True}


def express_get(store: YouzanStore, p: dict[str, Any]) -> dict[str, Any]:
    """``youzan.logistics.express.get`` 3.0.0."""
    return {"allExpress": [{"id": k, "name": v, "display": 1} for k, v in EXPRESS.items()]}


METHODS = {
    "youzan.trades.sold.get": ({"4.0.0", "4.0.1", "4.0.2", "4.0.3", "4.0.4"},
                               trades_sold_get),
    "youzan.trade.refund.search": ({"3.0.0", "3.0.1"}, refund_search),
    "youzan.item.quantity.update": ({"3.0.0"}, quantity_update),
    "youzan.items.onsale.get": ({"3.0.0"}, items_onsale_get),
    "youzan.item.get": ({"3.0.0"}, item_get),
    "youzan.logistics.online.confirm": ({"3.0.0"}, logistics_confirm),
    "youzan.logistics.express.get": ({"3.0.0"}, express_get),
}


def api(store: YouzanStore, call: Call) -> Reply:
    """``/api/<method>/<version>``: the token and the rate checked, then the handler."""
    method, version = call.path["method"], call.path["version"]
    try:
        if store.over_quota():
            raise YouzanError(RATE, "调用频率超限", gateway=True)
        value = call.query.get("access_token", "")
        if not value or not store.token_valid(value):
            raise YouzanError(TOKEN_INVALID, "access_token 过期或无效", gateway=True)
        versions, handler = METHODS.get(method, (set(), None))
        if handler is None or version not in versions:
            raise YouzanError(NO_API, f"API {method} {version} 不存在", gateway=True)
        p = _body(call)
        store.calls.append((method, version, p))
        payload = handler(store, p)
    except YouzanError as exc:
        return exc.reply(version)
    if version.startswith("3."):
        return Reply(200, {"response": payload})
    return Reply(200, {"success": True, "code": 200, "message": "successful",
                       "data": payload, "trace_id": f"sbx-{int(time.time())}"})


ROUTES = (Route("POST", "/youzan/{store}/auth/token", token),
          Route("POST", "/youzan/{store}/api/{method}/{version}", api))
SYSTEM = System("youzan", YouzanStore, YouzanAPI(), ROUTES)
