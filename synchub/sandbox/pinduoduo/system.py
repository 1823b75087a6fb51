"""Pinduoduo's open platform gateway as the sandbox serves it, under
``/pinduoduo/<shop>/api/router``.

As the PDD open platform docs describe it (open.pinduoduo.com, 开发者文档 "API调用" and
"错误码", and ``pdd.order.number.list.increment.get``):

- one URL, POST (form or JSON body) or GET; system parameters ``type`` (the API's name),
  ``client_id``, ``access_token``, ``timestamp`` (epoch seconds, within 10 minutes of the
  gateway's clock), ``data_type=JSON``, optional ``version=V1``, ``sign``;
- the signature: every parameter but ``sign`` whose value is not empty, sorted by name,
  ``k1v1k2v2``, MD5 of ``client_secret + text + client_secret``, upper hex;
- every answer HTTP 200: ``{"<response key>": {...}}`` (the increment list answers
  ``order_sn_increment_get_response``) or ``{"error_response": {"error_code", "error_msg",
  "sub_code", "sub_msg", "request_id"}}``;
- ``pdd.order.number.list.increment.get``: ``start_updated_at``/``end_updated_at`` epoch
  seconds, at most 30 minutes apart; ``page`` from 1, ``page_size`` 1..100 (default 100);
  orders newest update first, to be read from the last page back; ``total_count`` and
  ``order_sn_list``, or ``has_next`` without the total when ``use_has_next=true``;
- ``pdd.goods.quantity.update``: ``goods_id``, ``sku_id``, ``quantity``,
  ``update_type`` (1 full, the default; 2 added, the result not below 0); goods in a
  promotion slot (资源位) may not decrease; answers ``goods_quantity_update_response
  {is_success}``;
- ``pdd.goods.list.get``: the seller's goods, ``page`` from 1, ``page_size`` 1..100
  (default 100), filters ``is_onsale`` (0/1) and ``outer_id``; answers
  ``goods_list_get_response {total_count, goods_list[{goods_id, goods_name,
  goods_quantity, is_onsale, is_more_sku, sku_list[{sku_id, outer_id, outer_goods_id,
  spec, sku_quantity, reserve_quantity, is_sku_onsale}]}]}``; a stock write shows at once
  in ``sku_quantity`` and ``goods_quantity``;
- ``pdd.logistics.online.send``: ``order_sn``, ``logistics_id`` (an id of
  ``pdd.logistics.companies.get``), ``tracking_number``; a pending order (1) moves to
  shipped (2); answers ``logistics_online_send_response {is_success}``.

- ``pdd.refund.list.increment.get``: ``after_sales_status`` (1 all, 10 退款成功, ...) and
  ``after_sales_type`` (1 all, 2 refund only, 3 return and refund) required,
  ``start_updated_at``/``end_updated_at`` at most 30 minutes apart, ``page``, ``page_size``
  1..100; answers ``refund_increment_get_response {total_count, refund_list}``.

The codes used: 10000 参数错误 (window, page size), 10016 client_id 不存在, 10019
access_token 已过期, 20004 签名校验失败, 70031 调用过于频繁; the sub codes, and the quota
(600 calls a minute per shop, then 30 seconds refused; ``store.bans`` on demand) are the
sandbox's choice, as are the refusals of a stock write (52101 业务处理失败 with the sub
codes goods_sku_not_found, quantity_below_zero, goods_in_promotion) and of a shipment
(order_not_found, logistics_not_found, order_already_shipped).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.pinduoduo.store import LOGISTICS_IDS, PinduoduoStore

WINDOW = 1800
SKEW = 600
_request_ids = itertools.count(1)


class PddError(Exception):
    """A refusal in PDD's words."""

    def __init__(self, code: int, msg: str, sub_code: str | None = None,
                 sub_msg: str | None = None) -> None:
        super().__init__(msg)
        self.code, self.msg, self.sub_code, self.sub_msg = code, msg, sub_code, sub_msg

    def reply(self) -> Reply:
        """``{"error_response": ...}`` with HTTP 200."""
        body: dict[str, Any] = {"error_code": self.code, "error_msg": self.msg,
                                "request_id": f"17{next(_request_ids):014d}"}
        if self.sub_code:
            body["sub_code"] = self.sub_code
        if self.sub_msg:
            body["sub_msg"] = self.sub_msg
        return Reply(200, {"error_response": body})


def signature(secret: str, params: Mapping[str, str]) -> str:
    """MD5 of ``secret + k1v1k2v2... + secret`` over the non-empty parameters, upper hex."""
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign" and params[k] != "")
    raw = (secret + text + secret).encode()
    return hashlib.md5(raw).hexdigest().upper()  # noqa: S324 - the vendor's scheme


class PinduoduoAPI(VendorAPI):
    """Credentials travel in the signed parameters, checked per call by the gateway."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault: the rate-limit refusal for 429, a service error otherwise."""
        if status == 429:
            return PddError(70031, "调用过于频繁, 请调整调用频率").reply()
        return Reply(status, {"error_response": {"error_code": 50000, "error_msg": "系统错误"}})

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Nothing in headers."""
        return None


def _params(call: Call) -> dict[str, str]:
    params = dict(call.query)
    kind = call.request.headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True))
    elif kind.startswith("application/json") and call.body:
        params.update({k: v if isinstance(v, str) else json.dumps(v)
                       for k, v in json.loads(call.body).items()})
    return params


def _check_system(store: PinduoduoStore, p: dict[str, str]) -> None:
    for name in ("type", "client_id", "timestamp", "sign"):
        if not p.get(name):
            raise PddError(10000, "参数错误", "missing_parameter", f"{name} 不能为空")
    if p["client_id"] != store.client_id:
        raise PddError(10016, "client_id不存在")
    if not hmac.compare_digest(p["sign"].upper(), signature(store.client_secret, p)):
        raise PddError(20004, "签名校验失败")
    if not p["timestamp"].isdigit() or abs(int(p["timestamp"]) - time.time()) > SKEW:
        raise PddError(10000, "参数错误", "invalid_timestamp", "timestamp 与服务器时间相差过大")
    if p.get("data_type", "JSON").upper() != "JSON":
        raise PddError(10000, "参数错误", None, "the sandbox answers JSON only")
    if p.get("access_token") != store.access_token or not store.token_valid:
        raise PddError(10019, "access_token已过期", "invalid_access_token",
                       "access_token 已过期或不存在, 请重新授权")


def _int(p: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = p.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise PddError(10000, "参数错误", "invalid_parameter", f"{name} 取值范围 {low}-{high}")
    return int(raw)


def _window(p: dict[str, str]) -> tuple[int, int]:
    """``start_updated_at``/``end_updated_at``: epoch seconds, at most 30 minutes apart."""
    for name in ("start_updated_at", "end_updated_at"):
        if not p.get(name, "").isdigit():
            raise PddError(10000, "参数错误", "invalid_parameter", f"{name} 必须为秒级时间戳")
    start, end = int(p["start_updated_at"]), int(p["end_updated_at"])
    if end < start or end - start > WINDOW:
        raise PddError(10000, "参数错误", "invalid_time_range",
                       "开始时间结束时间间距不能超过30分钟")
    return start, end


def increment_get(store: PinduoduoStore, p: dict[str, str]) -> dict[str, Any]:
    """``pdd.order.number.list.increment.get``."""
    start, end = _window(p)
    size = _int(p, "page_size", 100, 1, 100)
    page = _int(p, "page", 1, 1, 10**6)
    rows = store.updated_between(start, end)
    shown = [{k: v for k, v in o.items() if not k.startswith("_")}
             for o in rows[(page - 1) * size: page * size]]
    answer: dict[str, Any] = {"order_sn_list": shown}
    if p.get("use_has_next") == "true":
        answer["has_next"] = page * size < len(rows)
    else:
        answer["total_count"] = len(rows)
    if store.during_read is not None:
        store.during_read(store, page)
    return {"order_sn_increment_get_response": answer}


def quantity_update(store: PinduoduoStore, p: dict[str, str]) -> dict[str, Any]:
    """``pdd.goods.quantity.update``: one SKU's stock, full (1, the default) or added (2)."""
    goods = _int(p, "goods_id", 0, 1, 10**15)
    sku = _int(p, "sku_id", 0, 1, 10**15)
    kind = _int(p, "update_type", 1, 1, 2)
    raw = p.get("quantity", "")
    if not goods or not sku or not raw.lstrip("-").isdigit():
        raise PddError(10000, "参数错误", "invalid_parameter",
                       "goods_id、sku_id、quantity 必填")
    if kind == 1 and int(raw) < 0:
        raise PddError(10000, "参数错误", "invalid_quantity", "全量更新时 quantity 必须大于等于 0")
    with store.lock:
        if (goods, sku) not in store.stock:
            raise PddError(52101, "业务处理失败", "goods_sku_not_found",
                           f"商品 {goods} 的 SKU {sku} 不存在")
        now = store.stock[(goods, sku)]
        new = int(raw) if kind == 1 else now + int(raw)
        if new < 0:
            raise PddError(52101, "业务处理失败", "quantity_below_zero", "库存不能小于 0")
        if new < now and goods in store.promoted:
            raise PddError(52101, "业务处理失败", "goods_in_promotion",
                           f"商品 {goods} 在资源位上, 不能减少库存")
        store.stock[(goods, sku)] = new
    return {"goods_quantity_update_response": {"is_success": True}}


def goods_list_get(store: PinduoduoStore, p: dict[str, str]) -> dict[str, Any]:
    """``pdd.goods.list.get``: the seller's goods with their SKUs, ``page`` from 1,
    ``page_size`` 1..100 (default 100), optionally only on sale (``is_onsale`` 1) or off
    (0), or those with an SKU of this ``outer_id``."""
    size = _int(p, "page_size", 100, 1, 100)
    page = _int(p, "page", 1, 1, 10**6)
    onsale = p.get("is_onsale", "")
    if onsale not in ("", "0", "1"):
        raise PddError(10000, "参数错误", "invalid_parameter", "is_onsale 取值 0 或 1")
    rows = [g for g in store.goods()
            if (onsale == "" or g["is_onsale"] == int(onsale))
            and (not p.get("outer_id")
                 or any(s["outer_id"] == p["outer_id"] for s in g["sku_list"]))]
    return {"goods_list_get_response": {"total_count": len(rows),
                                        "goods_list": rows[(page - 1) * size: page * size]}}


def refund_increment_get(store: PinduoduoStore, p: dict[str, str]) -> dict[str, Any]:
    """``pdd.refund.list.increment.get``: after-sales by last update, at most 30 minutes."""
    start, end = _window(p)
    status = _int(p, "after_sales_status", 0, 1, 40)
    kind = _int(p, "after_sales_type", 0, 1, 10)
    if not status or not kind:
        raise PddError(10000, "参数错误", "missing_parameter",
                       "after_sales_status、after_sales_type 必填")
    size = _int(p, "page_size", 100, 1, 100)
    page = _int(p, "page", 1, 1, 10**6)
    rows = [r for r in store.refunds_between(start, end, status)
            if kind == 1 or r["after_sales_type"] == kind]
    shown = [{k: v for k, v in r.items() if not k.startswith("_")}
             for r in rows[(page - 1) * size: page * size]]
    return {"refund_increment_get_response": {"total_count": len(rows),
                                              "refund_list": shown}}


def online_send(store: PinduoduoStore, p: dict[str, str]) -> dict[str, Any]:
    """``pdd.logistics.online.send``: ship an order with a carrier's id and waybill; the
    order moves from 1 (待发货) to 2 (已发货待签收)."""
    for name in ("order_sn", "logistics_id", "tracking_number"):
        if not p.get(name):
            raise PddError(10000, "参数错误", "missing_parameter", f"{name} 不能为空")
    logistics = _int(p, "logistics_id", 0, 1, 10**9)
    with store.lock:
        order = store.orders.get(p["order_sn"])
        if order is None:
            raise PddError(52101, "业务处理失败", "order_not_found",
                           f"订单 {p['order_sn']} 不存在")
        if logistics not in LOGISTICS_IDS:
            raise PddError(52101, "业务处理失败", "logistics_not_found",
                           f"物流公司 {logistics} 不存在")
        if order["order_status"] != 1:
            raise PddError(52101, "业务处理失败", "order_already_shipped",
                           f"订单 {p['order_sn']} 已发货")
        store.shipments.append({"order_sn": p["order_sn"], "logistics_id": logistics,
                                "tracking_number": p["tracking_number"]})
        store.touch(p["order_sn"])
    return {"logistics_online_send_response": {"is_success": True}}


METHODS = {"pdd.order.number.list.increment.get": increment_get,
           "pdd.logistics.online.send": online_send,
           "pdd.refund.list.increment.get": refund_increment_get,
           "pdd.goods.quantity.update": quantity_update,
           "pdd.goods.list.get": goods_list_get}


def gateway(store: PinduoduoStore, call: Call) -> Reply:
    """``/api/router``: the system parameters checked, then the API's handler."""
    p = _params(call)
    store.calls.append(p)
    try:
        if store.ban_left() is not None:
            raise PddError(70031, "调用过于频繁, 请调整调用频率", "rate_limited",
                           "该接口调用频率超限")
        _check_system(store, p)
        handler = METHODS.get(p["type"])
        if handler is None:
            raise PddError(10000, "参数错误", "invalid_type", f"type {p['type']} 不存在")
        return Reply(200, handler(store, p))
    except PddError as exc:
        return exc.reply()


ROUTES = (Route(("GET", "POST"), "/pinduoduo/{store}/api/router", gateway),)
SYSTEM = System("pinduoduo", PinduoduoStore, PinduoduoAPI(), ROUTES)
