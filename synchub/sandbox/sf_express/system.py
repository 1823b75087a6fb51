"""SF Express's standard service as the sandbox serves it: ``POST /sf_express/<store>/std/service``.

As the 丰桥 documentation and SF's SDK samples describe it (docs/systems/sf_express.md):

- one URL, a form POST with ``partnerID``, ``requestID``, ``serviceCode``, ``timestamp``,
  ``msgData`` (JSON text) and ``msgDigest = Base64(MD5(URLEncoder(msgData + timestamp +
  checkword, UTF-8)))``;
- every answer HTTP 200 ``{apiResultCode, apiErrorMsg, apiResponseID, apiResultData}``:
  A1000 with ``apiResultData`` as JSON text ``{success, errorCode, errorMsg, msgData}``, or
  a platform code: A1001 a required field missing, A1002 the timestamp expired, A1004 no
  permission for the service, A1005 throttled, A1006 a bad digest, A1007 a requestID used
  before;
- ``EXP_RECE_SEARCH_ROUTES``, ``EXP_RECE_CREATE_ORDER`` (``8016`` for an orderId used
  before) and ``EXP_RECE_SEARCH_ORDER_RESP`` (:mod:`.store`).

The sandbox's choices where the documentation is silent: a timestamp (milliseconds, or
seconds as SF's Python sample sends) more than 10 minutes off is A1002; a requestID is
remembered for an hour; 10 calls in a burst, then 5 a second, else A1005.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, quote_plus

from starlette.requests import Request

from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.parcels import track_router
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.sf_express.store import SfExpressStore

SKEW = 600
REMEMBER = 3600
SERVICES = ("EXP_RECE_SEARCH_ROUTES", "EXP_RECE_CREATE_ORDER", "EXP_RECE_SEARCH_ORDER_RESP")


def digest(msg_data: str, timestamp: str, checkword: str) -> str:
    """SF's msgDigest (URLEncoder's rules: ``*`` kept, ``~`` encoded, space as ``+``)."""
    text = quote_plus(msg_data + timestamp + checkword, safe="*").replace("~", "%7E")
    return base64.b64encode(hashlib.md5(text.encode()).digest()).decode()  # noqa: S324


def platform(code: str, msg: str = "", data: Any = None) -> Reply:
    """SF's envelope, HTTP 200 whatever happened."""
    return Reply(200, {"apiErrorMsg": msg, "apiResponseID": uuid.uuid4().hex.upper(),
                       "apiResultCode": code,
                       "apiResultData": None if data is None else json.dumps(
                           data, ensure_ascii=False, separators=(",", ":"))})


def service(error: str | None, payload: Any) -> Reply:
    """A1000 with the service's own answer (``success`` false with a code on refusal)."""
    if error is not None:
        return platform("A1000", data={"success": False, "errorCode": error,
                                       "errorMsg": payload, "msgData": None})
    return platform("A1000", data={"success": True, "errorCode": "S0000", "errorMsg": None,
                                   "msgData": payload})


class SfExpressAPI(VendorAPI):
    """Credentials travel in the signed form; throttling is an A1005 envelope."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault: A1005 for 429, a bare server error otherwise."""
        if status == 429:
            return platform("A1005", "流量受控")
        return Reply(status, {"apiResultCode": "A1099", "apiErrorMsg": "系统异常"})

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Nothing in headers: the digest is checked with the form."""
        return None

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """A burst of 10, then 5 calls a second."""
        if store.rate_limits and not store.bucket.take():
            return platform("A1005", "流量受控"), {}
        return None, {}


def std_service(store: SfExpressStore, call: Call) -> Reply:
    """Check the system fields and the digest, then run the service."""
    form = dict(parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True))
    for name in ("partnerID", "requestID", "serviceCode", "timestamp", "msgDigest",
                 "msgData"):
        if not form.get(name):
            return platform("A1001", f"必传参数不可为空: {name}")
    if form["partnerID"] != store.partner_id:
        return platform("A1004", "无对应服务权限")
    given = form["msgDigest"]
    expected = digest(form["msgData"], form["timestamp"], store.checkword)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return platform("A1006", "数字签名无效")
    try:
        stamp = int(form["timestamp"])
    except ValueError:
        return platform("A1002", "请求时效已过期")
    now = time.time()
    if abs((stamp / 1000 if stamp > 10**11 else stamp) - now) > SKEW:
        return platform("A1002", "请求时效已过期")
    store.request_ids = {k: v for k, v in store.request_ids.items() if v > now - REMEMBER}
    if form["requestID"] in store.request_ids:
        return platform("A1007", "重复请求")
    store.request_ids[form["requestID"]] = int(now)
    if form["serviceCode"] not in SERVICES:
        return platform("A1004", "无对应服务权限")
    try:
        msg = json.loads(form["msgData"])
    except ValueError:
        return service("8000", "msgData 不是合法的JSON")
    if not isinstance(msg, dict):
        return service("8000", "msgData 不是合法的JSON")
    if form["serviceCode"] == "EXP_RECE_SEARCH_ROUTES":
        return service(*store.search_routes(msg))
    if form["serviceCode"] == "EXP_RECE_SEARCH_ORDER_RESP":
        return service(*store.search_order(msg))
    return service(*store.create_order(msg))


ROUTES = (Route("POST", "/sf_express/{store}/std/service", std_service),)
SYSTEM = System("sf_express", SfExpressStore, SfExpressAPI(), ROUTES,
                controls=lambda get_store: track_router("sf_express", get_store))
