"""Weidian's open API as the sandbox serves it, under ``/weidian/<shop>``.

As the API pages describe it (docs/systems/weidian.md):

- ``GET /token?grant_type=client_credential&appkey=...&secret=...`` answers
  ``{"result": {"access_token", "expire_in": 90000}, "status": {"status_code": 0,
  "status_reason": "success"}}``; an app fetches a limited number of tokens a day;
- ``GET /api?public=<JSON>&param=<JSON>`` (or the same two as a form POST): ``public``
  holds ``method``, ``access_token``, ``version`` and ``format``; ``param`` the business
  parameters; every answer HTTP 200 with ``status.status_code`` 0 and ``result``, or a
  refusal with its ``status_code`` and ``status_reason``;
- ``vdian.order.list.get``: ``update_start``/``update_end`` (or ``add_start``/``add_end``)
  ``yyyy-MM-dd HH:mm:ss`` Beijing time, a pair or ignored (then the last 31 days);
  ``order_type`` (unpay, unship, shiped, refunding, finish, close; empty or all: every
  type); ``page_num`` from 1, ``page_size`` at most 50; newest update first;
  ``result.{total_num, order_num, orders[]}``;
- ``vdian.order.get``: ``order_id``; the order;
- ``vdian.item.list.get``: ``page_num``, ``page_size`` (at most 200), ``status`` (1 on
  sale); ``result.{total_num, item_num, items[]}`` with ``skus[]``;
- ``vdian.item.stock.update``: ``type`` (set), ``items[]`` of ``{item_id, item_sku_id,
  stock}``; the whole call refused when one of them is unknown;
- ``vdian.order.deliver``: ``order_id``, ``express_type``, ``express_no``,
  ``express_custom``; ``vdian.order.expresslist`` lists the express companies.

The codes are the sandbox's choice where Weidian's are not public (docs/systems/weidian.md):
10013 token expired, 10016 token invalid, 10029 calls too frequent, 10040 token fetches of
the day used up, 10001 bad appkey or secret, 10002 a parameter refused, 10003 an unknown
method, 10060 order shipped already.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.times import parse_beijing
from synchub.sandbox.weidian.store import EXPRESS, WeidianStore

MONTH = 31 * 86_400
(BAD_APP, BAD_PARAM, NO_METHOD, EXPIRED, INVALID, RATE, TOKEN_QUOTA, SHIPPED) = (
    10001, 10002, 10003, 10013, 10016, 10029, 10040, 10060)
ORDER_TYPES = {"unpay", "unship", "shiped", "refunding", "finish", "close"}


class WeidianError(Exception):
    """A refusal: ``status_code`` and ``status_reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason

    def reply(self) -> Reply:
        """Weidian's envelope, HTTP 200."""
        return refusal(self.code, self.reason)


def refusal(code: int, reason: str) -> Reply:
    """``{"result": null, "status": {status_code, status_reason}}``."""
    return Reply(200, {"result": None, "status": {"status_code": code,
                                                   "status_reason": reason}})


def success(result: Any) -> Reply:
    """``{"result": ..., "status": {"status_code": 0, "status_reason": "success"}}``."""
    return Reply(200, {"result": result, "status": {"status_code": 0,
                                                     "status_reason": "success"}})


class WeidianAPI(VendorAPI):
    """The token travels inside ``public``: checked per call by :func:`api`."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault: the rate refusal for 429, an HTTP error otherwise."""
        if status == 429:
            return refusal(RATE, "api调用频率过快")
        return Reply(status, {"result": None, "status": {"status_code": status,
                                                          "status_reason": "系统繁忙"}})

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Nothing in headers."""
        return None


def token(store: WeidianStore, call: Call) -> Reply:
    """``GET /token``."""
    q = call.query
    if q.get("grant_type") != "client_credential":
        return refusal(BAD_PARAM, "grant_type 必须为 client_credential")
    if q.get("appkey") != store.appkey or q.get("secret") != store.secret:
        return refusal(BAD_APP, "appkey 或 secret 错误")
    with store.lock:
        value = store.issue_token()
    if value is None:
        return refusal(TOKEN_QUOTA, f"今日获取 access_token 次数已达上限({store.tokens_per_day}次)")
    return success({"access_token": value, "expire_in": store.token_seconds})


def _json_object(text: str | None, name: str) -> dict[str, Any]:
    try:
        found = json.loads(text or "{}")
    except ValueError:
        raise WeidianError(BAD_PARAM, f"{name} 不是合法的 JSON") from None
    if not isinstance(found, dict):
        raise WeidianError(BAD_PARAM, f"{name} 必须是 JSON 对象")
    return found


def _int(p: dict[str, Any], name: str, default: int | None, low: int, high: int) -> int:
    raw = p.get(name)
    if raw in (None, ""):
        if default is None:
            raise WeidianError(BAD_PARAM, f"参数 {name} 不能为空")
        return default
    if isinstance(raw, bool) or not str(raw).lstrip("-").isdigit() \
            or not low <= int(raw) <= high:
        raise WeidianError(BAD_PARAM, f"参数 {name} 必须在 {low} 到 {high} 之间")
    return int(raw)


def _window(p: dict[str, Any], start: str, end: str) -> tuple[int, int] | None:
    if p.get(start) in (None, "") or p.get(end) in (None, ""):
        return None
    try:
        low, high = parse_beijing(str(p[start])), parse_beijing(str(p[end]))
    except ValueError:
        raise WeidianError(BAD_PARAM, f"{start}/{end} 格式应为 yyyy-MM-dd HH:mm:ss") from None
    if high < low:
        raise WeidianError(BAD_PARAM, f"{end} 不能早于 {start}")
    return low, high


def order_list(store: WeidianStore, p: dict[str, Any]) -> dict[str, Any]:
    """``vdian.order.list.get``."""
    size = _int(p, "page_size", 50, 1, 50)
    page = _int(p, "page_num", 1, 1, 10**6)
    kind = str(p.get("order_type") or "all")
    if kind != "all" and kind not in ORDER_TYPES:
        raise WeidianError(BAD_PARAM, f"order_type {kind} 不合法")
    updated = _window(p, "update_start", "update_end")
    created = _window(p, "add_start", "add_end")
    if updated is None and created is None:   # neither pair: the last 31 days
        updated = (store.stamp_shared() - MONTH, 2**62)
    rows = store.updated_between(*(updated or (0, 2**62)))
    if created is not None:
        rows = [o for o in rows if created[0] <= parse_beijing(o["add_time"]) <= created[1]]
    if kind == "refunding":
        rows = [o for o in rows if o["refund_status_ori"] == 1]
    elif kind != "all":
        rows = [o for o in rows if o["status"] == kind]
    shown = [store.render(o) for o in rows[(page - 1) * size:page * size]]
    if store.during_read is not None:
        store.during_read(store, page)
    return {"total_num": len(rows), "order_num": len(shown), "orders": shown}


def order_get(store: WeidianStore, p: dict[str, Any]) -> dict[str, Any]:
    """``vdian.order.get``."""
    order = store.orders_by_id.get(str(p.get("order_id") or ""))
    if order is None:
        raise WeidianError(BAD_PARAM, f"订单 {p.get('order_id') or '(空)'} 不存在")
    return store.render(order)


def item_list(store: WeidianStore, p: dict[str, Any]) -> dict[str, Any]:
    """``vdian.item.list.get``: items on sale, with their SKUs."""
    size = _int(p, "page_size", 30, 1, 200)
    page = _int(p, "page_num", 1, 1, 10**6)
    _int(p, "status", 1, 1, 4)
    rows = [store.items[k] for k in sorted(store.items)]
    shown = []
    for item in rows[(page - 1) * size:page * size]:
        out = {k: v for k, v in item.items() if not k.startswith("_") and k != "skus"}
        out["skus"] = [{"id": str(sid), **sku} for sid, sku in sorted(item["skus"].items())]
        if item["skus"]:
            out["stock"] = sum(s["stock"] for s in item["skus"].values())
        shown.append(out)
    return {"total_num": len(rows), "item_num": len(shown), "items": shown}


def stock_update(store: WeidianStore, p: dict[str, Any]) -> dict[str, Any]:
    """``vdian.item.stock.update``: every item checked before any is changed."""
    if p.get("type", "set") != "set":
        raise WeidianError(BAD_PARAM, "type 只支持 set")
    items = p.get("items")
    if not isinstance(items, list) or not items:
        raise WeidianError(BAD_PARAM, "参数 items 不能为空")
    changes: list[tuple[dict[str, Any], int | None, int]] = []
    for entry in items:
        if not isinstance(entry, dict):
            raise WeidianError(BAD_PARAM, "items 的每一项必须是对象")
        item_id = _int(entry, "item_id", None, 1, 2**62)
        stock = _int(entry, "stock", None, 0, 999_999_999)
        item = store.items.get(item_id)
        if item is None:
            raise WeidianError(BAD_PARAM, f"商品 {item_id} 不存在")
        sku_raw = entry.get("item_sku_id")
        if sku_raw in (None, "", 0, "0"):
            if item["skus"]:
                raise WeidianError(BAD_PARAM, f"商品 {item_id} 有型号, 请指定 item_sku_id")
            changes.append((item, None, stock))
            continue
        sku_id = _int(entry, "item_sku_id", None, 1, 2**62)
        if sku_id not in item["skus"]:
            raise WeidianError(BAD_PARAM, f"商品sku的id不存在: {sku_id}")
        changes.append((item, sku_id, stock))
    for target, sku, figure in changes:
        if sku is None:
            target["stock"] = figure
        else:
            target["skus"][sku]["stock"] = figure
    return {}


def deliver(store: WeidianStore, p: dict[str, Any]) -> dict[str, Any]:
    """``vdian.order.deliver``."""
    order_id = str(p.get("order_id") or "")
    order = store.orders_by_id.get(order_id)
    if order is None:
        raise WeidianError(BAD_PARAM, f"订单 {order_id or '(空)'} 不存在")
    express_type = str(p.get("express_type") or "")
    express_no = str(p.get("express_no") or "").strip()
    if express_type not in EXPRESS and not p.get("express_custom"):
        raise WeidianError(BAD_PARAM, f"快递公司 {express_type or '(空)'} 不存在")
    if not express_no:
        raise WeidianError(BAD_PARAM, "参数 express_no 不能为空")
    if order["status"] in ("shiped", "finish"):
        raise WeidianError(SHIPPED, "订单已发货, 不能重复发货")
    if order["status"] != "unship":
        raise WeidianError(BAD_PARAM, f"订单状态 {order['status']} 不能发货")
    store.ship(order_id, express_type, express_no)
    return {}


def express_list(store: WeidianStore, p: dict[str, Any]) -> dict[str, Any]:
    """``vdian.order.expresslist``."""
    return {"express": [{"express_type": k, "express_name": v} for k, v in EXPRESS.items()]}


METHODS = {
    "vdian.order.list.get": ({"1.1", "1.2", "1.3", "1.4", "1.5"}, order_list),
    "vdian.order.get": ({"1.0", "2.0"}, order_get),
    "vdian.item.list.get": ({"1.0", "1.1"}, item_list),
    "vdian.item.stock.update": ({"1.0"}, stock_update),
    "vdian.order.deliver": ({"1.0"}, deliver),
    "vdian.order.expresslist": ({"1.0"}, express_list),
}


def _pair(call: Call) -> tuple[str | None, str | None]:
    if call.request.method == "POST":
        form = dict(parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True))
        return form.get("public"), form.get("param")
    return call.query.get("public"), call.query.get("param")


def api(store: WeidianStore, call: Call) -> Reply:
    """``/api``: the token and the rate checked, then the method's handler."""
    try:
        public_text, param_text = _pair(call)
        if not public_text:
            raise WeidianError(BAD_PARAM, "缺少参数 public")
        public = _json_object(public_text, "public")
        if store.over_quota():
            raise WeidianError(RATE, "api调用频率过快")
        state = store.token_state(str(public.get("access_token") or ""))
        if state == "expired":
            raise WeidianError(EXPIRED, "access_token 已过期")
        if state == "invalid":
            raise WeidianError(INVALID, "access_token 不合法")
        method, version = str(public.get("method") or ""), str(public.get("version") or "1.0")
        versions, handler = METHODS.get(method, (set(), None))
        if handler is None or version not in versions:
            raise WeidianError(NO_METHOD, f"method {method} {version} 不存在")
        param = _json_object(param_text, "param")
        with store.lock:
            store.calls.append((method, version, param))
            result = handler(store, param)
    except WeidianError as exc:
        return exc.reply()
    return success(result)


ROUTES = (Route("GET", "/weidian/{store}/token", token),
          Route(("GET", "POST"), "/weidian/{store}/api", api))
SYSTEM = System("weidian", WeidianStore, WeidianAPI(), ROUTES)
