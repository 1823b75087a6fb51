"""Taobao's TOP gateway as the sandbox serves it, under ``/taobao/<shop>/router/rest``.

As the TOP docs describe the gateway (open.taobao.com, "API调用方法详解", "错误码一览") and
the two trade APIs:

- one URL, POST ``application/x-www-form-urlencoded`` (or GET with a query); system
  parameters ``method, app_key, session, timestamp (yyyy-MM-dd HH:mm:ss, Beijing time,
  within 10 minutes of the gateway's clock), v=2.0, format=json, sign_method (md5, hmac,
  hmac-sha256), sign``;
- the signature over every parameter but ``sign``, sorted by name, ``k1v1k2v2``: md5 of
  ``secret + text + secret``, HMAC-MD5 or HMAC-SHA256 keyed with the secret, upper hex;
- every answer HTTP 200: ``{"<method with _>_response": {...}}`` or ``{"error_response":
  {"code", "msg", "sub_code", "sub_msg", "request_id"}}``; codes used here: 7 App Call
  Limited ("This ban will last for N more seconds"), 25 Invalid signature, 27 Invalid
  session, 29 Invalid app Key, 31 Invalid timestamp, 40 Missing required arguments, 41
  Invalid arguments, 22 Invalid method;
- ``taobao.trades.sold.increment.get``: ``start_modified``/``end_modified`` both required,
  at most one day apart; ``fields`` required; ``page_size`` 1..100 (default 40),
  ``page_no`` from 1; ``type`` (without it only the default trade types); trades newest
  modification first; ``total_results`` unless ``use_has_next=true`` (then ``has_next``);
  no ``trades`` key on an empty page;
- ``taobao.trades.sold.get``: by **creation** time (``start_created``/``end_created``),
  the last three months only, newest first; ``fields``, ``type``, paging as above;
- ``taobao.trade.fullinfo.get``: one trade by ``tid`` with the requested ``fields``.
- ``taobao.skus.quantity.update``: ``num_iid`` required; ``skuid_quantities`` or
  ``outerid_quantities`` (``id:quantity;id:quantity``, at most 20 SKUs); ``type`` 1 (full,
  the default) or 2 (added); answers ``item {num_iid, modified, skus.sku[{sku_id,
  quantity}]}``;
- ``taobao.item.quantity.update``: ``num_iid`` and ``quantity`` required, ``sku_id`` or
  ``outer_id`` for one SKU, ``type`` as above; answers ``item {num_iid, num, modified}``.

- ``taobao.items.onsale.get``, ``taobao.items.inventory.get`` and
  ``taobao.items.seller.list.get``: the catalogue, read by :mod:`.items` (which see);
  a stock write stamps the item's ``modified``.

- ``taobao.logistics.offline.send``: ``tid``, ``out_sid`` (the waybill), ``company_code``
  (a code of ``taobao.logistics.companies.get``); a trade waiting to be shipped moves to
  WAIT_BUYER_CONFIRM_GOODS; answers ``shipping {is_success}``.

- ``taobao.refunds.receive.get``: ``fields`` required; ``status`` (SUCCESS,
  WAIT_SELLER_AGREE, ...), ``start_modified``/``end_modified``, ``page_no``, ``page_size``
  1..100, ``use_has_next``; answers ``total_results`` (or ``has_next``) and
  ``refunds.refund``, no ``refunds`` key on an empty page.

What the docs leave open is the sandbox's choice: the sub codes of a refused shipment
(``isv.logistics-offline-service-error:B04`` shipped already, as third-party ERPs treat
it; ``:B01`` not waiting to be shipped; ``:B23`` an unknown company code), the sub codes
of the window and page size refusals and of the stock refusals (more than 20 SKUs, an
unknown item or SKU, an item with SKUs written without one), and the call quota (600
calls a minute per shop, then a 30-second ban; ``store.throttle`` changes it,
``store.bans`` serves bans on demand).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.kit.times import beijing, parse_beijing
from synchub.sandbox.taobao.items import inventory_get, onsale_get, seller_list_get
from synchub.sandbox.taobao.store import COMPANIES, DEFAULT_TYPES, SHIPPABLE, TaobaoStore
from synchub.sandbox.taobao.top import TopError, int_param

FORM = "application/x-www-form-urlencoded"
DAY = 86_400
SKEW = 600


def signature(secret: str, params: Mapping[str, str], method: str) -> str | None:
    """The signature TOP expects for ``sign_method`` (None for an unknown method)."""
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign").encode()
    key = secret.encode()
    if method == "md5":
        return hashlib.md5(key + text + key).hexdigest().upper()  # noqa: S324 - TOP's scheme
    if method == "hmac":
        return hmac.new(key, text, hashlib.md5).hexdigest().upper()
    if method == "hmac-sha256":
        return hmac.new(key, text, hashlib.sha256).hexdigest().upper()
    return None


class TaobaoAPI(VendorAPI):
    """Credentials are checked per call by the gateway (they travel in the parameters)."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault: a ban for 429, TOP's service error for the others."""
        if status == 429:
            return TopError(7, "App Call Limited", "accesscontrol.limited-by-app-access-count",
                            "This ban will last for 1 more seconds").reply()
        return Reply(status, {"error_response": {"code": 10, "msg": "Service currently "
                                                 "unavailable"}})

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Nothing in headers: the signed parameters carry the credentials."""
        return None


def _params(call: Call) -> dict[str, str]:
    params = dict(call.query)
    if call.request.headers.get("content-type", "").startswith(FORM):
        params.update(parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _check_system(store: TaobaoStore, p: dict[str, str]) -> None:
    for name, code in (("method", 21), ("app_key", 28), ("sign", 24), ("timestamp", 30)):
        if not p.get(name):
            raise TopError(code, f"Missing {name.replace('_', ' ')}")
    if p["app_key"] != store.app_key:
        raise TopError(29, "Invalid app Key")
    expected = signature(store.app_secret, p, p.get("sign_method", "md5"))
    if expected is None or not hmac.compare_digest(p["sign"].upper(), expected):
        raise TopError(25, "Invalid signature")
    try:
        at = parse_beijing(p["timestamp"])
    except ValueError:
        raise TopError(31, "Invalid timestamp") from None
    if abs(at - time.time()) > SKEW:
        raise TopError(31, "Invalid timestamp", "isv.invalid-timestamp",
                       "the timestamp is more than 10 minutes off the gateway's clock")
    if p.get("v", "2.0") != "2.0":
        raise TopError(34, "Unsupported version")
    if p.get("format", "xml") != "json":
        raise TopError(23, "Invalid format", None, "the sandbox answers json only")
    if not p.get("session"):
        raise TopError(26, "Missing session")
    if p["session"] != store.session or not store.session_valid:
        raise TopError(27, "Invalid session", "invalid-sessionkey", "SessionKey非法")


def _fields(p: dict[str, str]) -> tuple[set[str], set[str] | None]:
    raw = p.get("fields", "")
    if not raw:
        raise TopError(40, "Missing required arguments:fields")
    names = {f.strip() for f in raw.split(",") if f.strip()}
    if "orders" in names:
        return names, None
    sub = {f[7:] for f in names if f.startswith("orders.")}
    if sub:
        names.add("orders")
    return names, sub


def _show(trade: dict[str, Any], fields: set[str], sub: set[str] | None) -> dict[str, Any]:
    out = {k: v for k, v in trade.items() if k in fields and not k.startswith("_")
           and v is not None}
    if "orders" in out and sub is not None:
        out["orders"] = {"order": [{k: v for k, v in o.items() if k in sub}
                                   for o in trade["orders"]["order"]]}
    return out


def _types(p: dict[str, str]) -> set[str]:
    """The trade types asked for (without ``type``: TOP's default ones)."""
    types = ({t.strip() for t in p["type"].split(",") if t.strip()} if p.get("type")
             else set(DEFAULT_TYPES))
    if "guarantee_trade" in types:   # not a type of its own: fixed and auction
        types |= {"fixed", "auction"}
    return types


def _paged(rows: list[dict[str, Any]], p: dict[str, str], outer: str, inner: str,
           show: Any) -> tuple[dict[str, Any], int]:
    """One page of ``rows`` as TOP lists them: ``total_results`` (or ``has_next``) and
    ``{outer: {inner: [...]}}``, no ``outer`` key on an empty page; and the page number."""
    size = int_param(p, "page_size", 40, 1, 100)
    page = int_param(p, "page_no", 1, 1, 10**6)
    shown = [show(r) for r in rows[(page - 1) * size: page * size]]
    answer: dict[str, Any] = {}
    if p.get("use_has_next") == "true":
        answer["has_next"] = page * size < len(rows)
    else:
        answer["total_results"] = len(rows)
    if shown:
        answer[outer] = {inner: shown}
    return answer, page


def increment_get(store: TaobaoStore, p: dict[str, str]) -> dict[str, Any]:
    """``taobao.trades.sold.increment.get``."""
    for name in ("start_modified", "end_modified"):
        if not p.get(name):
            raise TopError(40, f"Missing required arguments:{name}")
    fields, sub = _fields(p)
    try:
        start, end = parse_beijing(p["start_modified"]), parse_beijing(p["end_modified"])
    except ValueError:
        raise TopError(41, "Invalid arguments:start_modified,end_modified",
                       "isv.invalid-parameter", "时间格式应为 yyyy-MM-dd HH:mm:ss") from None
    if end < start or end - start > DAY:
        raise TopError(41, "Invalid arguments:end_modified", "isv.invalid-parameter",
                       "end_modified 必须晚于 start_modified, 且时间跨度不能大于一天")
    rows = store.modified_between(start, end, _types(p))
    answer, page = _paged(rows, p, "trades", "trade", lambda t: _show(t, fields, sub))
    if store.during_read is not None:
        store.during_read(store, page)
    return {"trades_sold_increment_get_response": answer}


QUARTER = 90 * DAY


def sold_get(store: TaobaoStore, p: dict[str, str]) -> dict[str, Any]:
    """``taobao.trades.sold.get``: trades by creation time, the last three months only,
    newest first."""
    fields, sub = _fields(p)
    now = time.time()
    try:
        start = parse_beijing(p["start_created"]) if p.get("start_created") else now - QUARTER
        end = parse_beijing(p["end_created"]) if p.get("end_created") else now
    except ValueError:
        raise TopError(41, "Invalid arguments:start_created,end_created",
                       "isv.invalid-parameter", "时间格式应为 yyyy-MM-dd HH:mm:ss") from None
    if start < now - QUARTER - SKEW:
        raise TopError(41, "Invalid arguments:start_created", "isv.invalid-parameter",
                       "只能查询三个月内的交易")
    if end < start:
        raise TopError(41, "Invalid arguments:end_created", "isv.invalid-parameter",
                       "end_created 必须晚于 start_created")
    types = _types(p)
    rows = sorted((t for t in store.trades.values() if t["type"] in types
                   and start <= parse_beijing(t["created"]) <= end),
                  key=lambda t: (t["created"], t["tid"]), reverse=True)
    answer, _page = _paged(rows, p, "trades", "trade", lambda t: _show(t, fields, sub))
    return {"trades_sold_get_response": answer}


def fullinfo_get(store: TaobaoStore, p: dict[str, str]) -> dict[str, Any]:
    """``taobao.trade.fullinfo.get``."""
    fields, sub = _fields(p)
    raw = p.get("tid", "")
    if not raw:
        raise TopError(40, "Missing required arguments:tid")
    trade = store.trades.get(int(raw)) if raw.isdigit() else None
    if trade is None:
        raise TopError(15, "Remote service error", "isv.trade-not-exist", "交易不存在")
    return {"trade_fullinfo_get_response": {"trade": _show(trade, fields, sub)}}


MAX_SKUS = 20
SHIPPED = frozenset({"WAIT_BUYER_CONFIRM_GOODS", "TRADE_BUYER_SIGNED", "TRADE_FINISHED"})


def _stock_type(p: dict[str, str]) -> int:
    return int_param(p, "type", 1, 1, 2)


def _item_of(store: TaobaoStore, p: dict[str, str]) -> tuple[int, dict[str, Any]]:
    raw = p.get("num_iid", "")
    if not raw:
        raise TopError(40, "Missing required arguments:num_iid")
    item = store.items.get(int(raw)) if raw.isdigit() else None
    if item is None:
        raise TopError(15, "Remote service error", "isv.item-not-exist",
                       f"商品 {raw} 不存在")
    refusal = store.item_refusals.get(int(raw))
    if refusal is not None:
        raise TopError(15, "Remote service error", *refusal)
    return int(raw), item


def _set(sku: dict[str, Any], quantity: int, kind: int) -> None:
    sku["quantity"] = quantity if kind == 1 else max(int(sku["quantity"]) + quantity, 0)


def _sku_by(item: dict[str, Any], key: str, value: str) -> tuple[str, dict[str, Any]] | None:
    if key == "sku_id":
        found = item["skus"].get(value)
        return None if found is None else (value, found)
    return next(((sid, s) for sid, s in item["skus"].items() if s["outer_id"] == value), None)


def skus_quantity_update(store: TaobaoStore, p: dict[str, str]) -> dict[str, Any]:
    """``taobao.skus.quantity.update``: up to 20 SKUs of one item."""
    kind = _stock_type(p)
    name = next((n for n in ("skuid_quantities", "outerid_quantities") if p.get(n)), None)
    if name is None:
        raise TopError(40, "Missing required arguments:skuid_quantities")
    pairs = [part.split(":") for part in p[name].split(";") if part]
    if len(pairs) > MAX_SKUS:
        raise TopError(41, f"Invalid arguments:{name}", "isv.invalid-parameter",
                       f"{name} 最多支持 {MAX_SKUS} 个 SKU")
    if any(len(pair) != 2 or not pair[1].lstrip("-").isdigit() for pair in pairs):
        raise TopError(41, f"Invalid arguments:{name}", "isv.invalid-parameter",
                       f"{name} 格式应为 id:库存;id:库存")
    num_iid, item = _item_of(store, p)
    found = []
    for ident, raw in pairs:
        sku = _sku_by(item, "sku_id" if name == "skuid_quantities" else "outer_id", ident)
        if sku is None:
            raise TopError(15, "Remote service error", "isv.sku-not-exist",
                           f"SKU {ident} 不存在")
        if kind == 1 and int(raw) < 0:
            raise TopError(41, f"Invalid arguments:{name}", "isv.invalid-parameter",
                           f"SKU {ident} 的库存不能小于 0")
        found.append((sku, int(raw)))
    for (_sid, entry), quantity in found:   # all or nothing: checked before any is written
        _set(entry, quantity, kind)
    item["num"] = sum(int(s["quantity"]) for s in item["skus"].values())
    now = beijing(store.item_changed(num_iid, [entry for (_sid, entry), _q in found]))
    return {"skus_quantity_update_response": {"item": {
        "num_iid": num_iid, "modified": now, "skus": {"sku": [
            {"sku_id": int(sid), "quantity": entry["quantity"], "modified": now}
            for (sid, entry), _q in found]}}}}


def item_quantity_update(store: TaobaoStore, p: dict[str, str]) -> dict[str, Any]:
    """``taobao.item.quantity.update``: an item's (or one SKU's) quantity."""
    kind = _stock_type(p)
    raw = p.get("quantity", "")
    if not raw:
        raise TopError(40, "Missing required arguments:quantity")
    if not raw.lstrip("-").isdigit() or (kind == 1 and int(raw) < 0):
        raise TopError(41, "Invalid arguments:quantity", "isv.invalid-parameter",
                       "quantity 必须是不小于 0 的整数")
    num_iid, item = _item_of(store, p)
    key = "sku_id" if p.get("sku_id") else "outer_id" if p.get("outer_id") else None
    if key is not None:
        sku = _sku_by(item, key, p[key])
        if sku is None:
            raise TopError(15, "Remote service error", "isv.sku-not-exist",
                           f"SKU {p[key]} 不存在")
        _set(sku[1], int(raw), kind)
        item["num"] = sum(int(s["quantity"]) for s in item["skus"].values())
        written = [sku[1]]
    elif item["skus"]:
        raise TopError(41, "Invalid arguments:sku_id", "isv.invalid-parameter",
                       "该商品有 SKU, 请指定 sku_id 或 outer_id")
    else:
        item["num"] = int(raw) if kind == 1 else max(int(item["num"]) + int(raw), 0)
        written = []
    now = beijing(store.item_changed(num_iid, written))
    return {"item_quantity_update_response": {"item": {
        "num_iid": num_iid, "num": item["num"], "modified": now}}}


def refunds_receive_get(store: TaobaoStore, p: dict[str, str]) -> dict[str, Any]:
    """``taobao.refunds.receive.get``: the seller's refunds by modified time."""
    if not p.get("fields"):
        raise TopError(40, "Missing required arguments:fields")
    names = {f.strip() for f in p["fields"].split(",") if f.strip()}
    try:
        start = parse_beijing(p["start_modified"]) if p.get("start_modified") else 0
        end = parse_beijing(p["end_modified"]) if p.get("end_modified") else 2**40
    except ValueError:
        raise TopError(41, "Invalid arguments:start_modified,end_modified",
                       "isv.invalid-parameter", "时间格式应为 yyyy-MM-dd HH:mm:ss") from None
    rows = store.refunds_between(start, end, p.get("status") or None)
    answer, _page = _paged(rows, p, "refunds", "refund",
                           lambda r: {k: v for k, v in r.items() if k in names})
    return {"refunds_receive_get_response": answer}


def offline_send(store: TaobaoStore, p: dict[str, str]) -> dict[str, Any]:
    """``taobao.logistics.offline.send``: the seller's own carrier and waybill; the trade
    moves to WAIT_BUYER_CONFIRM_GOODS."""
    for name in ("tid", "out_sid", "company_code"):
        if not p.get(name):
            raise TopError(40, f"Missing required arguments:{name}")
    raw = p["tid"]
    with store.lock:
        trade = store.trades.get(int(raw)) if raw.isdigit() else None
        if trade is None:
            raise TopError(15, "Remote service error", "isv.trade-not-exist", "交易不存在")
        if p["company_code"] not in COMPANIES:
            raise TopError(15, "Remote service error",
                           "isv.logistics-offline-service-error:B23",
                           f"物流公司编码 {p['company_code']} 不存在")
        if trade.get("consign_time") or trade["status"] in SHIPPED:
            raise TopError(15, "Remote service error",
                           "isv.logistics-offline-service-error:B04", f"交易 {raw} 已发货")
        if trade["status"] not in SHIPPABLE:
            raise TopError(15, "Remote service error",
                           "isv.logistics-offline-service-error:B01",
                           f"交易 {raw} 当前状态 {trade['status']} 不能发货")
        store.shipments.append({"tid": int(raw), "out_sid": p["out_sid"],
                                "company_code": p["company_code"]})
        store.touch(int(raw))
        trade["consign_time"] = trade["modified"]
    return {"logistics_offline_send_response": {"shipping": {"is_success": True}}}


METHODS = {"taobao.trades.sold.increment.get": increment_get,
           "taobao.trades.sold.get": sold_get,
           "taobao.logistics.offline.send": offline_send,
           "taobao.refunds.receive.get": refunds_receive_get,
           "taobao.trade.fullinfo.get": fullinfo_get,
           "taobao.skus.quantity.update": skus_quantity_update,
           "taobao.item.quantity.update": item_quantity_update,
           "taobao.items.onsale.get": onsale_get,
           "taobao.items.inventory.get": inventory_get,
           "taobao.items.seller.list.get": seller_list_get}


def gateway(store: TaobaoStore, call: Call) -> Reply:
    """``/router/rest``: the system parameters checked, then the method's handler."""
    p = _params(call)
    store.calls.append(p)
    try:
        seconds = store.ban_left()
        if seconds is not None:
            raise TopError(7, "App Call Limited", "accesscontrol.limited-by-app-access-count",
                           f"This ban will last for {seconds} more seconds")
        _check_system(store, p)
        handler = METHODS.get(p["method"])
        if handler is None:
            raise TopError(22, "Invalid method")
        return Reply(200, handler(store, p))
    except TopError as exc:
        return exc.reply()


ROUTES = (Route(("GET", "POST"), "/taobao/{store}/router/rest", gateway),)
SYSTEM = System("taobao", TaobaoStore, TaobaoAPI(), ROUTES)
