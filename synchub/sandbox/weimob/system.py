"""Weimob's WOS open platform as the sandbox serves it, under ``/weimob/<shop>``.

As the official SDKs and the API pages describe it (docs/systems/weimob.md):

- ``POST /fuwu/b/oauth2/token?grant_type=...&client_id=...&client_secret=...`` (the body
  ``{}``): ``client_credentials`` with ``shop_id``/``shop_type``, ``authorization_code``
  with ``code`` (single use) and ``redirect_uri``, ``refresh_token`` with
  ``refresh_token`` (rotated: the old one is retired). It answers ``{access_token,
  expires_in, token_type, scope, business_id, public_account_id, ...}`` (with
  ``refresh_token``/``refresh_token_expires_in`` for the last two); a refusal is HTTP 401
  ``{error: invalid_client}`` or HTTP 400 ``{error: invalid_grant}`` (the sandbox's choice);
- ``POST /apigw/<product>/<version>/<action>?accesstoken=...`` with a JSON body, answered
  ``{code: {errcode, errmsg}, data, globalTicket}``, HTTP 200 either way;
- ``weimob_shop/v2.0/order/list/search``: ``pageNum`` from 1, ``pageSize`` 1-100 (both
  required), ``queryParameter.queryTime{type 1 created / 2 updated, startTime, endTime}``
  epoch ms as numbers, at most 31 days apart, end after start; newest first;
  ``data.{pageList[{orderInfo, rightsInfos, fulfillOrderList}], pageNum, pageSize,
  totalCount}``; ``order/detail/get`` ``{orderNo}`` answers one such entry whole;
- ``rights/list/search``: the same paging and ``queryTime`` over the rights;
- ``stock/item/sku/getList``: ``basicInfo.vid``, ``pageNum``, ``pageSize`` 1-20; one row
  per SKU with ``storeWarehouse.usableStockNum``; the count at ``tatalCount`` (as the SDK
  spells it);
- ``stock/update``: ``basicInfo.vid``, ``quantityEditType`` 1 overwrite / 2 add,
  ``goodsList[{goodsId, skuList[{skuId, stockNum}]}]``, at most 50 SKUs;
  ``data.failList[{goodsId, skuIdSet, message}]``;
- ``fulfill/logistics/update``: ``orderNo``, ``logistics{deliveryNo, deliveryCompanyCode,
  deliveryCompanyName}``, ``basicInfo.vid``; ``data.success``.

The errcodes are the sandbox's choice (Weimob's are not on one public page): 80001001000119
token invalid or expired, 80001001000128 call rate exceeded, 80001001000101 a parameter
refused, 80001001000404 an API unknown, 80001001000701 order shipped already.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from synchub.sandbox.kit.http import Reply, VendorAPI, json_value
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.weimob.store import (
    DONE,
    EXPRESS,
    PENDING,
    SHIPPED,
    TO_SHIP,
    WeimobStore,
)

MONTH_MS = 31 * 86_400_000
TOKEN_INVALID, RATE, BAD_PARAM, NO_API, ALREADY_SHIPPED = (
    "80001001000119", "80001001000128", "80001001000101", "80001001000404", "80001001000701")
MAX_STOCK_SKUS = 50


class WeimobError(Exception):
    """A refusal, answered in the envelope with HTTP 200."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def reply(self) -> Reply:
        """``{code: {errcode, errmsg}, data: null}``."""
        return Reply(200, {"code": {"errcode": self.code, "errmsg": self.message},
                           "data": None, "globalTicket": "sbx-ticket"})


class WeimobAPI(VendorAPI):
    """The token travels in the query: checked per call by :func:`api`."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault: the rate refusal for 429, an HTTP error otherwise."""
        if status == 429:
            return WeimobError(RATE, "调用频率超限").reply()
        return Reply(status, {"code": {"errcode": str(status), "errmsg": "系统繁忙"}})

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Nothing in headers."""
        return None


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return Reply(status, {"error": error, "error_description": description})


def token(store: WeimobStore, call: Call) -> Reply:
    """``POST /fuwu/b/oauth2/token``."""
    q = call.query
    if q.get("client_id") != store.client_id or q.get("client_secret") != store.client_secret:
        return _oauth_error(401, "invalid_client", "client_id 或 client_secret 错误")
    grant = q.get("grant_type", "")
    if grant == "client_credentials":
        if q.get("shop_id") != str(store.shop_id) or q.get("shop_type") != store.shop_type:
            return _oauth_error(400, "invalid_request", "shop_id 或 shop_type 错误")
        return Reply(200, store.issue_token(grant, refresh=False))
    if grant == "authorization_code":
        code = q.get("code", "")
        if code not in store.codes or q.get("redirect_uri") != store.redirect_uri:
            return _oauth_error(400, "invalid_grant", "code 无效或已使用")
        store.codes.discard(code)
        return Reply(200, store.issue_token(grant, refresh=True))
    if grant == "refresh_token":
        old = q.get("refresh_token", "")
        expires = store.refresh_tokens.pop(old, None)   # rotated: the old one retires
        if expires is None or time.time() >= expires:
            return _oauth_error(400, "invalid_grant", "refresh_token 无效或已过期")
        return Reply(200, store.issue_token(grant, refresh=True))
    return _oauth_error(400, "unsupported_grant_type", f"grant_type {grant or '(空)'} 不支持")


def _int(p: dict[str, Any], name: str, low: int, high: int, *, required: bool = True,
         default: int | None = None) -> int:
    """A JSON number in range (a string is refused: the fields are numbers)."""
    raw = p.get(name)
    if raw is None:
        if required:
            raise WeimobError(BAD_PARAM, f"参数 {name} 不能为空")
        return default if default is not None else 0
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise WeimobError(BAD_PARAM, f"参数 {name} 必须是 {low} 到 {high} 之间的整数")
    return raw


def _obj(p: dict[str, Any], name: str) -> dict[str, Any]:
    value = p.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WeimobError(BAD_PARAM, f"参数 {name} 必须是对象")
    return value


def _page(p: dict[str, Any], most: int) -> tuple[int, int]:
    return _int(p, "pageNum", 1, 10**6), _int(p, "pageSize", 1, most)


def _query_time(p: dict[str, Any]) -> tuple[int, int, int] | None:
    qt = _obj(_obj(p, "queryParameter"), "queryTime")
    if not qt:
        return None
    kind = _int(qt, "type", 1, 2)
    start, end = _int(qt, "startTime", 0, 2**53), _int(qt, "endTime", 0, 2**53)
    if end <= start or end - start > MONTH_MS:
        raise WeimobError(BAD_PARAM, "endTime 必须大于 startTime, 且时间跨度不能超过 31 天")
    return kind, start, end


def _vid(store: WeimobStore, p: dict[str, Any]) -> None:
    if _obj(p, "basicInfo").get("vid") != store.vid:
        raise WeimobError(BAD_PARAM, "basicInfo.vid 不存在或无权限")


def order_list(store: WeimobStore, p: dict[str, Any]) -> dict[str, Any]:
    """``weimob_shop/order/list/search``."""
    num, size = _page(p, 100)
    window = _query_time(p)
    rows = store.orders_between(*(window or (2, 0, 2**62)))
    statuses = _obj(p, "queryParameter").get("statuses")
    if statuses:
        rows = [o for o in rows if o["orderInfo"]["orderBaseInfo"]["orderStatus"] in statuses]
    shown = [store.render(o, with_items=not store.list_without_items)
             for o in rows[(num - 1) * size:num * size]]
    if store.during_read is not None:
        store.during_read(store, num)
    return {"pageList": shown, "pageNum": num, "pageSize": size, "totalCount": len(rows)}


def order_detail(store: WeimobStore, p: dict[str, Any]) -> dict[str, Any]:
    """``weimob_shop/order/detail/get``."""
    order = store.orders_by_no.get(_int(p, "orderNo", 1, 2**62))
    if order is None:
        raise WeimobError(BAD_PARAM, f"订单 {p.get('orderNo')} 不存在")
    shown = store.render(order)
    return {"orderInfo": shown["orderInfo"], "rightsInfos": shown["rightsInfos"],
            "fulfillInfoList": shown["fulfillOrderList"]}


def rights_list(store: WeimobStore, p: dict[str, Any]) -> dict[str, Any]:
    """``weimob_shop/rights/list/search``."""
    num, size = _page(p, 100)
    window = _query_time(p)
    field = "createTime" if window and window[0] == 1 else "updateTime"
    low, high = (window[1], window[2]) if window else (0, 2**62)
    rows = sorted((r for r in store.rights.values() if low <= r["rightsOrder"][field] <= high),
                  key=lambda r: (r["rightsOrder"][field], r["rightsOrder"]["rightsId"]),
                  reverse=True)
    return {"pageList": rows[(num - 1) * size:num * size], "pageNum": num, "pageSize": size,
            "totalCount": len(rows)}


def sku_list(store: WeimobStore, p: dict[str, Any]) -> dict[str, Any]:
    """``weimob_shop/stock/item/sku/getList``: one row per SKU of the store."""
    _vid(store, p)
    num, size = _page(p, 20)
    rows = [{"itemId": goods_id, "itemSkuId": sku_id, "itemSkuTitle": g["title"],
             "specDetail": sku["attr"], "productCode": sku["skuCode"], "unitName": "件",
             "storeWarehouse": {"warehouseId": store.vid, "usableStockNum": str(sku["stock"]),
                                "totalStockNum": str(sku["stock"]), "occupyStockNum": "0"}}
            for goods_id, g in sorted(store.goods.items())
            for sku_id, sku in sorted(g["skus"].items())]
    return {"pageList": rows[(num - 1) * size:num * size], "pageNum": num, "pageSize": size,
            "tatalCount": len(rows)}


def stock_update(store: WeimobStore, p: dict[str, Any]) -> dict[str, Any]:
    """``weimob_shop/stock/update``: the SKUs it could not take come back in failList."""
    _vid(store, p)
    kind = _int(p, "quantityEditType", 1, 2)
    goods_list = p.get("goodsList")
    if not isinstance(goods_list, list) or not goods_list:
        raise WeimobError(BAD_PARAM, "参数 goodsList 不能为空")
    if sum(len(g.get("skuList") or []) for g in goods_list if isinstance(g, dict)) \
            > MAX_STOCK_SKUS:
        raise WeimobError(BAD_PARAM, f"单次最多更新 {MAX_STOCK_SKUS} 个 SKU")
    fails = []
    for entry in goods_list:
        if not isinstance(entry, dict):
            raise WeimobError(BAD_PARAM, "goodsList 的元素必须是对象")
        goods_id = _int(entry, "goodsId", 1, 2**62)
        goods = store.goods.get(goods_id)
        skus = entry.get("skuList")
        if not isinstance(skus, list) or not skus:
            raise WeimobError(BAD_PARAM, f"商品 {goods_id} 的 skuList 不能为空")
        refused: dict[str, list[int]] = {}
        for row in skus:
            sku_id = _int(row, "skuId", 1, 2**62)
            amount = _int(row, "stockNum", -10**9, 10**9)
            sku = goods["skus"].get(sku_id) if goods else None
            reason = ("商品不存在" if goods is None else "规格不存在" if sku is None
                      else store.sku_refusals.get(sku_id)
                      or ("库存不能小于 0" if kind == 1 and amount < 0 else None))
            if reason:
                refused.setdefault(reason, []).append(sku_id)
                continue
            assert sku is not None
            sku["stock"] = amount if kind == 1 else max(sku["stock"] + amount, 0)
        fails += [{"goodsId": goods_id, "skuIdSet": ids, "message": reason}
                  for reason, ids in refused.items()]
    return {"failList": fails}


def logistics_update(store: WeimobStore, p: dict[str, Any]) -> dict[str, Any]:
    """``weimob_shop/fulfill/logistics/update``."""
    _vid(store, p)
    order_no = _int(p, "orderNo", 1, 2**62)
    order = store.orders_by_no.get(order_no)
    if order is None:
        raise WeimobError(BAD_PARAM, f"订单 {order_no} 不存在")
    logistics = _obj(p, "logistics")
    number = str(logistics.get("deliveryNo") or "").strip()
    code = str(logistics.get("deliveryCompanyCode") or "")
    if not number:
        raise WeimobError(BAD_PARAM, "参数 logistics.deliveryNo 不能为空")
    if code not in EXPRESS:
        raise WeimobError(BAD_PARAM, f"物流公司 {code or '(空)'} 不存在")
    status = order["orderInfo"]["orderBaseInfo"]["orderStatus"]
    if status in (SHIPPED, DONE):
        raise WeimobError(ALREADY_SHIPPED, "订单已发货, 不能重复发货")
    if status == PENDING or status != TO_SHIP:
        raise WeimobError(BAD_PARAM, f"订单状态 {status} 不能发货")
    store.ship(order_no, code, number)
    return {"success": True}


ACTIONS = {
    "weimob_shop/v2.0/order/list/search": order_list,
    "weimob_shop/v2.0/order/detail/get": order_detail,
    "weimob_shop/v2.0/rights/list/search": rights_list,
    "weimob_shop/v2.0/stock/item/sku/getList": sku_list,
    "weimob_shop/v2.0/stock/update": stock_update,
    "weimob_shop/v2.0/fulfill/logistics/update": logistics_update,
}


def api(store: WeimobStore, call: Call) -> Reply:
    """``/apigw/<product>/<version>/<action>``: the rate and the token, then the handler."""
    action = f"{call.path['product']}/{call.path['version']}/{call.path['action']}"
    try:
        if store.over_quota():
            raise WeimobError(RATE, "调用频率超限")
        value = call.query.get("accesstoken", "")
        if not value or not store.token_valid(value):
            raise WeimobError(TOKEN_INVALID, "accesstoken 无效或已过期")
        handler = ACTIONS.get(action)
        if handler is None:
            raise WeimobError(NO_API, f"API {action} 不存在")
        body = json_value(call.body, empty={}, invalid=None)
        if not isinstance(body, dict):
            raise WeimobError(BAD_PARAM, "请求体必须是 JSON 对象")
        store.calls.append((action, body))
        data = handler(store, body)
    except WeimobError as exc:
        return exc.reply()
    return Reply(200, {"code": {"errcode": "0", "errmsg": "success"}, "data": data,
                       "globalTicket": f"sbx-{int(time.time())}"})


ROUTES = (Route("POST", "/weimob/{store}/fuwu/b/oauth2/token", token),
          Route("POST", "/weimob/{store}/apigw/{product}/{version}/{action:path}", api))
SYSTEM = System("weimob", WeimobStore, WeimobAPI(), ROUTES)
