"""JD's open platform (JOS) gateway as the sandbox serves it, under ``/jd/<shop>/routerjson``.

As the JOS docs describe it (jos.jd.com: "API调用说明", "签名算法", "错误码", and
``jingdong.pop.order.search``):

- one URL, POST (form) or GET; system parameters ``method``, ``app_key``,
  ``access_token``, ``timestamp`` (``yyyy-MM-dd HH:mm:ss``, Beijing time, within 6 minutes
  of the gateway's clock), ``v=2.0``, ``sign``; the business parameters as ONE JSON text
  in ``360buy_param_json``;
- the signature: every parameter but ``sign`` (``360buy_param_json`` included), sorted by
  name, ``k1v1k2v2``, MD5 of ``secret + text + secret``, upper hex;
- every answer HTTP 200: ``{"<method with _>_responce": {"code": "0", ...}}`` (JD's
  spelling) or ``{"error_response": {"code", "zh_desc", "en_desc"}}``; codes used here: 2
  App Call Limited, 8 Invalid Timestamp, 11 Missing Signature, 12 Invalid Signature, 15
  Invalid Method, 19 Invalid access_token;
- ``jingdong.stock.write.updateSkuStock``: ``skuId``, ``stockNum`` (the full figure),
  optional ``storeId``; answers ``{"code": "0", "success": true}`` in the envelope;
- ``jingdong.sku.read.searchSkuList``: the seller's SKUs (``wareId``, ``skuId``,
  ``skuStatuValue`` 1 on sale / 2 off / 4 deleted, ``pageNo``, ``page_size``, ``field``
  the fields wanted: ``outerId``, ``stockNum``, ``status``, ``skuName``, ``modified``...);
  answers ``page {data, pageNo, pageSize, totalItem}``; a stock write shows at once in
  ``stockNum`` and stamps ``modified``;
- ``jingdong.pop.order.shipment``: ``orderId``, ``logiCoprId`` (the carrier's id),
  ``logiNo`` (the waybill); answers ``sopjosshipment_result {success, errorCode,
  chineseErrCode, englishErrCode}``, success false when refused; the order moves from
  WAIT_SELLER_STOCK_OUT to WAIT_GOODS_RECEIVE_CONFIRM;
- ``jingdong.pop.afs.soa.refundapply.queryPageList``: refund applications of cancelled
  paid orders, ``checkTimeStart``/``checkTimeEnd`` (or none: all), ``status``,
  ``pageIndex``, ``pageSize`` 1..50; answers ``queryResult {totalCount, result[]}`` with
  ``applyRefundSum`` in fen;
- ``jingdong.pop.order.search``: ``start_date``/``end_date``, ``order_state`` (required),
  ``optional_fields``, ``page``, ``page_size`` 1..100, ``dateType`` (0: modified time),
  ``sortType`` (1: newest first); the result ``searchorderinfo_result`` with
  ``apiResult {success, englishErrCode, chineseErr}``, ``orderTotal``, ``orderInfoList``.
  A refused query (a window wider than a month, a bad page size) answers a normal envelope
  whose ``apiResult.success`` is false.

The sandbox's choices: the error texts of a refused query, the codes of a refused stock
write (10100081 bad parameters, 10100082 negative, 10100083 unknown SKU, or what
``store.refuse_sku`` sets), the error codes of a refused shipment (order.not.exist,
logi.copr.invalid, order.state.error), the quota (600 calls a minute
per shop, then 30 seconds refused with code 2; ``store.bans`` on demand).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from synchub.sandbox.jd.store import CARRIERS, STATES, UNKNOWN_STATE, JdStore
from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.times import parse_beijing

MONTH = 31 * 86_400
SKEW = 360
FORM = "application/x-www-form-urlencoded"


class JosError(Exception):
    """A gateway refusal in JD's words."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en

    def reply(self) -> Reply:
        """``{"error_response": ...}`` with HTTP 200."""
        return Reply(200, {"error_response": {"code": self.code, "zh_desc": self.zh,
                                              "en_desc": self.en}})


class QueryRefused(Exception):
    """A business refusal: a normal envelope whose apiResult says it failed."""

    def __init__(self, code: str, zh: str) -> None:
        super().__init__(zh)
        self.code, self.zh = code, zh


def signature(secret: str, params: Mapping[str, str]) -> str:
    """MD5 of ``secret + k1v1k2v2... + secret``, upper hex."""
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign")
    return hashlib.md5((secret + text + secret).encode()).hexdigest().upper()  # noqa: S324


class JdAPI(VendorAPI):
    """Credentials travel in the signed parameters, checked per call by the gateway."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault: the call limit for 429, the service error otherwise."""
        if status == 429:
            return JosError("2", "限制时间内调用失败次数", "App Call Limited").reply()
        return Reply(status, {"error_response": {"code": "1", "zh_desc": "服务不可用",
                                                 "en_desc": "Service Unavailable"}})

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Nothing in headers."""
        return None


def _params(call: Call) -> dict[str, str]:
    params = dict(call.query)
    if call.request.headers.get("content-type", "").startswith(FORM):
        params.update(parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _check_system(store: JdStore, p: dict[str, str]) -> None:
    if not p.get("method"):
        raise JosError("14", "缺少方法名参数", "Missing Method")
    if not p.get("sign"):
        raise JosError("11", "缺少签名参数", "Missing Signature")
    if not p.get("timestamp"):
        raise JosError("7", "缺少时间戳参数", "Missing Timestamp")
    if p.get("app_key") != store.app_key:
        raise JosError("9", "无效的app_key", "Invalid App Key")
    if not hmac.compare_digest(p["sign"].upper(), signature(store.app_secret, p)):
        raise JosError("12", "无效签名", "Invalid Signature")
    try:
        at = parse_beijing(p["timestamp"])
    except ValueError:
        raise JosError("8", "非法的时间戳参数", "Invalid Timestamp") from None
    if abs(at - time.time()) > SKEW:
        raise JosError("8", "非法的时间戳参数", "Invalid Timestamp")
    if p.get("v") != "2.0":
        raise JosError("5", "不支持的版本号", "Unsupported Version")
    if p.get("access_token") != store.access_token or not store.token_valid:
        raise JosError("19", "token已过期或者不存在, 请重新授权访问", "Invalid access_token")


def order_search(store: JdStore, b: dict[str, Any]) -> dict[str, Any]:
    """``jingdong.pop.order.search`` (business parameters already decoded)."""
    try:
        start, end = parse_beijing(str(b["start_date"])), parse_beijing(str(b["end_date"]))
    except (KeyError, ValueError):
        raise QueryRefused("param.error", "start_date、end_date 格式应为 yyyy-MM-dd HH:mm:ss") \
            from None
    if end < start or end - start > MONTH:
        raise QueryRefused("date.range.error", "查询时间跨度不能超过一个月")
    if not b.get("order_state"):
        raise QueryRefused("param.error", "order_state 不能为空")
    size, page = str(b.get("page_size", "20")), str(b.get("page", "1"))
    if not size.isdigit() or not 1 <= int(size) <= 100 or not page.isdigit() or page == "0":
        raise QueryRefused("param.error", "page_size 取值范围 1-100, page 从 1 开始")
    states = set(str(b["order_state"]).split(","))
    if UNKNOWN_STATE not in states and states >= {s for s, _ in STATES}:
        states.add(UNKNOWN_STATE)      # a state JD adds later comes with all the known ones
    rows = store.modified_between(start, end, states)
    if str(b.get("sortType")) != "1":
        rows.reverse()                 # ascending unless sortType is 1
    n, number = int(size), int(page)
    fields = {f for f in str(b.get("optional_fields", "")).split(",") if f}
    shown = [{k: v for k, v in o.items() if not k.startswith("_")
              and (not fields or k in fields or k == "orderId")}
             for o in rows[(number - 1) * n: number * n]]
    if store.during_read is not None:
        store.during_read(store, number)
    return {"apiResult": {"success": True, "englishErrCode": "", "chineseErr": "",
                          "numberCode": 10100000},
            "orderTotal": len(rows), "orderInfoList": shown}


def update_sku_stock(store: JdStore, b: dict[str, Any]) -> dict[str, Any]:
    """``jingdong.stock.write.updateSkuStock``: one SKU's stock, full set."""
    sku, num = str(b.get("skuId", "")), str(b.get("stockNum", ""))
    if not sku.isdigit() or not num.lstrip("-").isdigit():
        raise JosError("10100081", "skuId、stockNum 必填, 且为整数", "skuId and stockNum are "
                       "required integers")
    if int(num) < 0:
        raise JosError("10100082", "库存数量不能小于 0", "stockNum must not be negative")
    with store.lock:
        if sku not in store.stock:
            raise JosError("10100083", f"SKU {sku} 不存在或不属于该商家",
                           f"sku {sku} does not exist")
        refusal = store.stock_refusals.get(sku)
        if refusal is not None:
            raise JosError(refusal[0], refusal[1], refusal[1])
        store.set_stock(sku, int(num))
    return {"success": True}


SKU_STATUSES = frozenset({"1", "2", "4"})    # 上架, 下架, 删除
MAX_SKU_PAGE = 100


def search_sku_list(store: JdStore, b: dict[str, Any]) -> dict[str, Any]:
    """``jingdong.sku.read.searchSkuList``: the seller's SKUs, by ware, SKU or status,
    ``pageNo`` from 1, ``page_size`` 1..100; ``field`` names the fields beyond skuId and
    wareId. Answers ``page {data, pageNo, pageSize, totalItem}``."""
    size, page = str(b.get("page_size", "20")), str(b.get("pageNo", "1"))
    if not size.isdigit() or not 1 <= int(size) <= MAX_SKU_PAGE or not page.isdigit() \
            or page == "0":
        raise JosError("67", f"page_size 取值范围 1-{MAX_SKU_PAGE}, pageNo 从 1 开始",
                       "Invalid page_size or pageNo")
    statuses = {s.strip() for s in str(b.get("skuStatuValue") or "").split(",") if s.strip()}
    if statuses - SKU_STATUSES:
        raise JosError("67", "skuStatuValue 取值为 1 上架, 2 下架, 4 删除",
                       "Invalid skuStatuValue")
    wares = {w for w in str(b.get("wareId") or "").split(",") if w}
    wanted = {s for s in str(b.get("skuId") or "").split(",") if s}
    fields = {f.strip() for f in str(b.get("field") or "").split(",") if f.strip()}
    rows = [s for s in store.skus() if (not statuses or str(s["status"]) in statuses)
            and (not wares or str(s["wareId"]) in wares)
            and (not wanted or str(s["skuId"]) in wanted)]
    n, number = int(size), int(page)
    shown = [{k: v for k, v in s.items() if k in fields or k in ("skuId", "wareId")}
             for s in rows[(number - 1) * n: number * n]]
    return {"data": shown, "pageNo": number, "pageSize": n, "totalItem": len(rows)}


def refund_apply_list(store: JdStore, b: dict[str, Any]) -> dict[str, Any]:
    """``jingdong.pop.afs.soa.refundapply.queryPageList``: refund applications by check
    time, optionally one ``status``; pages of at most 50."""
    def bound(name: str, default: int) -> int:
        raw = b.get(name)
        if raw in (None, ""):
            return default
        try:
            return parse_beijing(str(raw))
        except ValueError:
            raise JosError("67", f"{name} 格式应为 yyyy-MM-dd HH:mm:ss",
                           f"Invalid {name}") from None

    size, page = str(b.get("pageSize", "10")), str(b.get("pageIndex", "1"))
    if not size.isdigit() or not 1 <= int(size) <= 50 or not page.isdigit() or page == "0":
        raise JosError("67", "pageSize 取值范围 1-50, pageIndex 从 1 开始",
                       "Invalid pageSize or pageIndex")
    start, end = bound("checkTimeStart", 0), bound("checkTimeEnd", 2**40)
    status = b.get("status")
    rows = sorted((r for r in store.refunds.values() if start <= r["_checked"] <= end
                   and status in (None, "", r["status"])),
                  key=lambda r: (r["_checked"], r["id"]), reverse=True)
    n, number = int(size), int(page)
    shown = [{k: v for k, v in r.items() if not k.startswith("_")}
             for r in rows[(number - 1) * n: number * n]]
    return {"success": True, "totalCount": len(rows), "result": shown}


def order_shipment(store: JdStore, b: dict[str, Any]) -> dict[str, Any]:
    """``jingdong.pop.order.shipment``: ship an order with a carrier's id and waybill; the
    order moves to WAIT_GOODS_RECEIVE_CONFIRM. A refusal is the result's success false."""
    order_id, carrier, waybill = (str(b.get(k, "")) for k in ("orderId", "logiCoprId",
                                                                "logiNo"))

    def refused(code: str, zh: str) -> dict[str, Any]:
        return {"success": False, "errorCode": code, "chineseErrCode": zh,
                "englishErrCode": code}

    if not order_id or not carrier or not waybill:
        return refused("param.error", "orderId、logiCoprId、logiNo 必填")
    with store.lock:
        order = store.orders.get(order_id)
        if order is None:
            return refused("order.not.exist", f"订单 {order_id} 不存在")
        if carrier not in CARRIERS:
            return refused("logi.copr.invalid", f"物流公司 {carrier} 不存在或未签约")
        if order["orderState"] != "WAIT_SELLER_STOCK_OUT":
            return refused("order.state.error",
                           f"订单 {order_id} 当前状态 {order['orderState']} 不能出库")
        store.shipments.append({"orderId": order_id, "logiCoprId": carrier,
                                "logiNo": waybill})
        store.touch(order_id)
    return {"success": True, "errorCode": "", "chineseErrCode": "", "englishErrCode": ""}


# method: (the key its result is under, or None: merged into the envelope, handler)
METHODS = {"jingdong.pop.order.search": ("searchorderinfo_result", order_search),
           "jingdong.stock.write.updateSkuStock": (None, update_sku_stock),
           "jingdong.sku.read.searchSkuList": ("page", search_sku_list),
           "jingdong.pop.order.shipment": ("sopjosshipment_result", order_shipment),
           "jingdong.pop.afs.soa.refundapply.queryPageList": ("queryResult",
                                                              refund_apply_list)}


def gateway(store: JdStore, call: Call) -> Reply:
    """``/routerjson``: the system parameters checked, then the method's handler."""
    p = _params(call)
    store.calls.append(p)
    try:
        if store.ban_left() is not None:
            raise JosError("2", "限制时间内调用失败次数", "App Call Limited")
        _check_system(store, p)
        if p["method"] not in METHODS:
            raise JosError("15", "不存在的方法名", "Invalid Method")
        result_key, handler = METHODS[p["method"]]
        try:
            business = json.loads(p.get("360buy_param_json") or "{}")
        except ValueError:
            raise JosError("67", "360buy_param_json 不是合法的 JSON",
                           "Invalid 360buy_param_json") from None
        try:
            result = handler(store, business)
        except QueryRefused as exc:
            result = {"apiResult": {"success": False, "englishErrCode": exc.code,
                                    "chineseErr": exc.zh, "numberCode": 10100001}}
        key = p["method"].replace(".", "_") + "_responce"
        answer = {"code": "0", **(result if result_key is None else {result_key: result})}
        return Reply(200, {key: answer})
    except JosError as exc:
        return exc.reply()


ROUTES = (Route(("GET", "POST"), "/jd/{store}/routerjson", gateway),)
SYSTEM = System("jd", JdStore, JdAPI(), ROUTES)
