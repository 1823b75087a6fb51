"""Udesk's Open API v2 as the sandbox serves it, under ``/udesk/<tenant>/open_api_v1``.

As Udesk's pages describe it (docs/systems/udesk.md):

- every request carries ``email``, ``timestamp`` (unix seconds, within 5 minutes),
  ``nonce`` (single use within 15 minutes), ``sign_version=v2`` and ``sign =
  SHA256(email&open_api_token&timestamp&nonce&sign_version)``; refusals in Udesk's codes:
  2059 bad signature, 20621 bad timestamp, 20622 timestamp more than 5 minutes off, 20623
  nonce used before, 20624 nonce missing, 2015 not the super administrator;
- answers ``{"code": 1000, ...}``; errors ``{"code", "message"}``;
- at most 60 calls a minute per API;
- ``GET /customers/get_customer?type=&content=``, ``POST /customers``,
  ``PUT /customers/update_customer?type=&content=`` with ``{"customer": {...}}``, and
  ``GET /tickets?page=&per_page=`` with ``meta`` (current_page, total_pages, total_count).

The sandbox's choices where the pages are silent: errors are HTTP 200 with the code (the
limit's refusal is HTTP 429 ``{"code": 429, ...}`` without ``Retry-After``, none being
documented); an unknown customer is code 2004; a ``web_token`` another customer holds is
code 2005; ``per_page`` at most 100.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from starlette.requests import Request

from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.limits import RollingWindow
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.udesk.store import UdeskStore

SKEW = 300
BASE = "/udesk/{store}/open_api_v1"


def refuse(code: int, message: str, status: int = 200) -> Reply:
    """Udesk's error envelope."""
    return Reply(status, {"code": code, "message": message})


def sign(email: str, token: str, timestamp: str, nonce: str, version: str) -> str:
    """SHA256 of ``email&open_api_token&timestamp&nonce&sign_version`` (lower-case hex)."""
    return hashlib.sha256("&".join((email, token, timestamp, nonce, version)).encode()
                          ).hexdigest()


class UdeskAPI(VendorAPI):
    """The v2 signature with its anti-replay checks, then 60 calls a minute per API."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault: the limit's 429, or a bare server error."""
        if status == 429:
            return refuse(429, "请求频率超过限制，请稍后再试", 429)
        return refuse(2000, "系统错误", status)

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Check email, timestamp, nonce and sign (the nonce is spent only when all pass)."""
        q = request.query_params
        email, stamp, nonce = q.get("email", ""), q.get("timestamp", ""), q.get("nonce")
        if q.get("sign_version") != "v2":
            return refuse(2059, "open api签名不对")
        if not stamp.isdigit():
            return refuse(20621, "timestamp 格式错误")
        now = time.time()
        if abs(int(stamp) - now) > SKEW:
            return refuse(20622, "timestamp 与服务器时间相差超过5分钟")
        if not nonce:
            return refuse(20624, "nonce 不能为空")
        if email != store.email:
            return refuse(2015, "不是超级管理员")
        expected = sign(store.email, store.token, stamp, nonce, "v2")
        if not hmac.compare_digest(q.get("sign", "").lower().encode(), expected.encode()):
            return refuse(2059, "open api签名不对")
        with store.lock:
            store.nonces = {n: t for n, t in store.nonces.items() if t > now - 15 * 60}
            if nonce in store.nonces:
                return refuse(20623, "nonce 在15分钟内已被使用")
            store.nonces[nonce] = now
        return None

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """At most ``per_api_limit`` calls a minute to each API (method and path)."""
        if not store.rate_limits:
            return None, {}
        key = f"{request.method} {request.url.path.rsplit('/open_api_v1', 1)[-1]}"
        window = store.windows.setdefault(key, RollingWindow(store.per_api_limit, 60.0))
        if not window.take():
            return refuse(429, "请求频率超过限制，请稍后再试", 429), {}
        return None, {}


def _customer_fields(call: Call) -> dict[str, Any] | Reply:
    try:
        body = json.loads(call.body or b"{}")
    except ValueError:
        return refuse(2005, "参数错误: 请求体不是JSON")
    fields = body.get("customer") if isinstance(body, dict) else None
    if not isinstance(fields, dict):
        return refuse(2000, "param is missing or the value is empty: customer")
    return fields


def get_customer(store: UdeskStore, call: Call) -> Reply:
    """``GET /customers/get_customer?type=id|web_token|email|cellphone&content=``."""
    kind, content = call.query.get("type", ""), call.query.get("content", "")
    if kind not in ("id", "web_token", "email", "cellphone") or not content:
        return refuse(2000, "param is missing or the value is empty: type, content")
    row = store.find_customer(kind, content)
    if row is None:
        return refuse(2004, "客户不存在")
    return Reply(200, {"code": 1000, "customer": row})


def create_customer(store: UdeskStore, call: Call) -> Reply:
    """``POST /customers``: ``nick_name`` required, ``web_token`` unique."""
    fields = _customer_fields(call)
    if isinstance(fields, Reply):
        return fields
    if not fields.get("nick_name"):
        return refuse(2000, "param is missing or the value is empty: nick_name")
    token = fields.get("web_token")
    if token and store.find_customer("web_token", str(token)) is not None:
        return refuse(2005, "参数错误: web_token 已存在")
    return Reply(200, {"code": 1000, "customer": store.create_customer(fields)})


def update_customer(store: UdeskStore, call: Call) -> Reply:
    """``PUT /customers/update_customer?type=&content=``."""
    fields = _customer_fields(call)
    if isinstance(fields, Reply):
        return fields
    row = store.find_customer(call.query.get("type", ""), call.query.get("content", ""))
    if row is None:
        return refuse(2004, "客户不存在")
    token = fields.get("web_token")
    other = store.find_customer("web_token", str(token)) if token else None
    if other is not None and other is not row:
        return refuse(2005, "参数错误: web_token 已存在")
    return Reply(200, {"code": 1000, "customer": store.update_customer(row, fields)})


def list_tickets(store: UdeskStore, call: Call) -> Reply:
    """``GET /tickets?page=&per_page=`` (20 a page by default, at most 100), oldest first."""
    try:
        page = int(call.query.get("page", "1"))
        per_page = int(call.query.get("per_page", "20"))
    except ValueError:
        return refuse(2005, "参数错误: page, per_page")
    if page < 1 or not 1 <= per_page <= 100:
        return refuse(2005, "参数错误: page 从1开始, per_page 1到100")
    rows = [store.tickets[k] for k in sorted(store.tickets)]
    total_pages = max(1, -(-len(rows) // per_page))
    chunk = rows[(page - 1) * per_page: page * per_page]
    return Reply(200, {"code": 1000, "meta": {"current_page": page, "total_pages": total_pages,
                                              "total_count": len(rows)}, "tickets": chunk})


ROUTES = (
    Route("GET", f"{BASE}/customers/get_customer", get_customer),
    Route("PUT", f"{BASE}/customers/update_customer", update_customer),
    Route("POST", f"{BASE}/customers", create_customer),
    Route("GET", f"{BASE}/tickets", list_tickets),
)
SYSTEM = System("udesk", UdeskStore, UdeskAPI(), ROUTES)
