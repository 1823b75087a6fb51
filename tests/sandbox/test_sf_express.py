"""The SF Express simulator: the digest, timestamp and requestID checked as SF does, A1xxx
envelopes at HTTP 200, Chinese routes in Beijing time, waybills once per orderId, the
throttle."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any
from urllib.parse import quote_plus

import requests

from synchub.sandbox import Sandbox, SandboxServer


def call(http: requests.Session, server: SandboxServer, sandbox: Sandbox, service: str,
         msg: dict[str, Any], *, checkword: str | None = None, stamp: str | None = None,
         request_id: str | None = None, store: str = "demo") -> dict[str, Any]:
    sf = sandbox.store("sf_express", store)
    data = json.dumps(msg, ensure_ascii=False)
    ts = stamp or str(int(time.time() * 1000))
    text = quote_plus(data + ts + (checkword or sf.checkword), safe="*").replace("~", "%7E")
    digest = base64.b64encode(hashlib.md5(text.encode()).digest()).decode()
    reply = http.post(f"{server.url('sf_express', store)}/std/service", timeout=10, data={
        "partnerID": sf.partner_id, "requestID": request_id or uuid.uuid4().hex,
        "serviceCode": service, "timestamp": ts, "msgDigest": digest, "msgData": data})
    assert reply.status_code == 200
    return dict(reply.json())


def routes_of(answer: dict[str, Any]) -> Any:
    assert answer["apiResultCode"] == "A1000", answer
    return json.loads(answer["apiResultData"])


def test_routes_in_chinese_and_beijing_time(http: requests.Session, server: SandboxServer,
                                            sandbox: Sandbox) -> None:
    sf = sandbox.store("sf_express", "demo")
    sf.rate_limits = False
    msg = {"language": "0", "trackingType": "1", "trackingNumber": ["SF1311580938720"],
           "methodType": "1", "checkPhoneNo": sf.check_phone}
    data = routes_of(call(http, server, sandbox, "EXP_RECE_SEARCH_ROUTES", msg))
    (resp,) = data["msgData"]["routeResps"]
    assert resp["mailNo"] == "SF1311580938720" and resp["routes"][0]["opCode"] == "54"
    times = [r["acceptTime"] for r in resp["routes"]]
    assert times == sorted(times) and all(len(t) == 19 and t[10] == " " for t in times)
    # without the phone digits a waybill of another customer code shows no routes
    del msg["checkPhoneNo"]
    other = routes_of(call(http, server, sandbox, "EXP_RECE_SEARCH_ROUTES", msg))
    assert other["msgData"]["routeResps"][0]["routes"] == []


def test_refusals_as_sf_answers_them(http: requests.Session, server: SandboxServer,
                                     sandbox: Sandbox) -> None:
    sandbox.store("sf_express", "demo").rate_limits = False
    msg = {"trackingType": "1", "trackingNumber": ["SF1311580938720"]}
    assert call(http, server, sandbox, "EXP_RECE_SEARCH_ROUTES", msg,
                checkword="wrong")["apiResultCode"] == "A1006"
    stale = str(int((time.time() - 3600) * 1000))
    assert call(http, server, sandbox, "EXP_RECE_SEARCH_ROUTES", msg,
                stamp=stale)["apiResultCode"] == "A1002"
    rid = uuid.uuid4().hex
    assert call(http, server, sandbox, "EXP_RECE_SEARCH_ROUTES", msg,
                request_id=rid)["apiResultCode"] == "A1000"
    assert call(http, server, sandbox, "EXP_RECE_SEARCH_ROUTES", msg,
                request_id=rid)["apiResultCode"] == "A1007"
    assert call(http, server, sandbox, "EXP_RECE_NOT_A_SERVICE", msg)["apiResultCode"] == "A1004"
    missing = http.post(f"{server.url('sf_express', 'demo')}/std/service", data={}, timeout=10)
    assert missing.json()["apiResultCode"] == "A1001"


def test_a_waybill_once_per_order_id(http: requests.Session, server: SandboxServer,
                                     sandbox: Sandbox) -> None:
    sandbox.store("sf_express", "demo").rate_limits = False
    order = {"language": "zh-CN", "orderId": "HUB-ORDER-1", "cargoDetails": [{"name": "茶叶"}],
             "contactInfoList": [
                 {"contactType": 1, "contact": "仓库", "mobile": "13800000000",
                  "address": "深圳市宝安区"},
                 {"contactType": 2, "contact": "王伟", "mobile": "13900000000",
                  "address": "上海市浦东新区"}]}
    made = routes_of(call(http, server, sandbox, "EXP_RECE_CREATE_ORDER", order))
    number = made["msgData"]["waybillNoInfoList"][0]["waybillNo"]
    again = routes_of(call(http, server, sandbox, "EXP_RECE_CREATE_ORDER", order))
    assert (again["success"], again["errorCode"]) == (False, "8016")
    found = routes_of(call(http, server, sandbox, "EXP_RECE_SEARCH_ORDER_RESP",
                           {"orderId": "HUB-ORDER-1"}))
    assert found["msgData"]["waybillNoInfoList"][0]["waybillNo"] == number
    bad = routes_of(call(http, server, sandbox, "EXP_RECE_CREATE_ORDER",
                         {**order, "orderId": "HUB-ORDER-2", "contactInfoList": []}))
    assert (bad["success"], bad["errorCode"]) == (False, "8008")


def test_the_throttle_is_an_a1005_envelope(http: requests.Session, server: SandboxServer,
                                           sandbox: Sandbox) -> None:
    sf = sandbox.store("sf_express", "throttled")
    msg = {"trackingType": "1", "trackingNumber": ["SF1311580938720"]}
    codes = [call(http, server, sandbox, "EXP_RECE_SEARCH_ROUTES", msg,
                  store="throttled")["apiResultCode"] for _ in range(14)]
    assert "A1005" in codes and codes[0] == "A1000" and sf.rate_limits
