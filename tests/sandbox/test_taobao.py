"""The Taobao TOP gateway simulator: signed form POSTs (md5, hmac, hmac-sha256), TOP's
error envelope at HTTP 200, the one-day window limit, default trade types unless ``type``
names them, newest modification first with ``total_results`` or ``has_next``, a session
that lapses, bans that name their seconds, and figures that add up in CNY."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.taobao.store import TaobaoStore
from tests.runtime.helpers import FakeClock

BEIJING = timezone(timedelta(hours=8))
FIELDS = "tid,type,status,modified,payment,total_fee,post_fee,coupon_fee,orders"
ALL_TYPES = "fixed,auction,step,tmall_i18n"


@pytest.fixture(scope="module")
def shop(sandbox: Sandbox) -> TaobaoStore:
    store: TaobaoStore = sandbox.store("taobao", "demo", orders=150, customers=1, products=7)
    return store


def beijing(dt: datetime) -> str:
    return dt.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def sign(secret: str, params: dict[str, str], method: str) -> str:
    text = "".join(k + params[k] for k in sorted(params)).encode()
    if method == "md5":
        return hashlib.md5(secret.encode() + text + secret.encode()).hexdigest().upper()
    digest = hashlib.md5 if method == "hmac" else hashlib.sha256
    return hmac.new(secret.encode(), text, digest).hexdigest().upper()


def call(server: SandboxServer, shop: TaobaoStore, *, sign_method: str = "hmac-sha256",
         secret: str | None = None, session: str | None = None, **business: Any) -> Any:
    params = {"method": "taobao.trades.sold.increment.get", "app_key": shop.app_key,
              "session": session or shop.session, "timestamp": beijing(datetime.now(BEIJING)),
              "v": "2.0", "format": "json", "sign_method": sign_method,
              **{k: str(v) for k, v in business.items()}}
    params["sign"] = sign(secret or shop.app_secret, params, sign_method)
    reply = requests.post(server.url("taobao", shop.name) + "/router/rest", data=params,
                          timeout=10)
    assert reply.status_code == 200           # TOP answers errors with 200 too
    return reply.json()


def day(**more: Any) -> dict[str, Any]:
    now = datetime.now(BEIJING)
    return {"start_modified": beijing(now - timedelta(days=1)), "end_modified": beijing(now),
            "fields": FIELDS, **more}


@pytest.mark.parametrize("method", ["md5", "hmac", "hmac-sha256"])
def test_each_sign_method_is_accepted(server: SandboxServer, shop: TaobaoStore,
                                      method: str) -> None:
    body = call(server, shop, sign_method=method, **day(type=ALL_TYPES))
    assert body["trades_sold_increment_get_response"]["total_results"] == 150


def test_a_wrong_signature_is_code_25(server: SandboxServer, shop: TaobaoStore) -> None:
    body = call(server, shop, secret="not-the-secret", **day())
    assert body["error_response"]["code"] == 25
    assert body["error_response"]["msg"] == "Invalid signature"


def test_a_window_over_a_day_is_refused(server: SandboxServer, shop: TaobaoStore) -> None:
    now = datetime.now(BEIJING)
    body = call(server, shop, **day(start_modified=beijing(now - timedelta(days=1, seconds=1)),
                                    end_modified=beijing(now)))
    err = body["error_response"]
    assert (err["code"], err["sub_code"]) == (41, "isv.invalid-parameter")
    body = call(server, shop, fields=FIELDS, start_modified=beijing(now))
    assert body["error_response"]["code"] == 40      # end_modified is required


def test_without_type_only_the_default_types_are_listed(server: SandboxServer,
                                                         shop: TaobaoStore) -> None:
    listed = call(server, shop, **day())["trades_sold_increment_get_response"]["total_results"]
    assert listed == 150 - shop.counts()["not_default_type"] < 150


def test_pages_come_newest_first_with_a_total_or_has_next(server: SandboxServer,
                                                          shop: TaobaoStore) -> None:
    first = call(server, shop, **day(type=ALL_TYPES, page_size=100, page_no=1))
    answer = first["trades_sold_increment_get_response"]
    trades = answer["trades"]["trade"]
    assert len(trades) == 100 and answer["total_results"] == 150
    assert [t["modified"] for t in trades] == sorted((t["modified"] for t in trades),
                                                     reverse=True)
    last = call(server, shop, **day(type=ALL_TYPES, page_size=100, page_no=2,
                                    use_has_next="true"))["trades_sold_increment_get_response"]
    assert len(last["trades"]["trade"]) == 50 and last["has_next"] is False
    assert "total_results" not in last
    empty = call(server, shop, **day(type=ALL_TYPES, page_size=100, page_no=3))
    assert "trades" not in empty["trades_sold_increment_get_response"]
    assert call(server, shop, **day(page_size=101))["error_response"]["code"] == 41


def test_the_figures_add_up_in_yuan(server: SandboxServer, shop: TaobaoStore) -> None:
    answer = call(server, shop, **day(type=ALL_TYPES, page_size=100))
    for t in answer["trades_sold_increment_get_response"]["trades"]["trade"]:
        lines = t["orders"]["order"]
        assert Decimal(t["total_fee"]) == sum(Decimal(o["price"]) * o["num"] for o in lines)
        due = sum(Decimal(o["total_fee"]) for o in lines) + Decimal(t["post_fee"]) \
            - Decimal(t["coupon_fee"]) / 100
        assert Decimal(t["payment"]) in (due, due - 5)    # 5 yuan off on purpose, 1 in 17


def test_a_lapsed_session_and_a_ban(sandbox: Sandbox, server: SandboxServer) -> None:
    shop: TaobaoStore = sandbox.store("taobao", "lapsing", orders=3, customers=1, products=7)
    shop.bans = [7]
    err = call(server, shop, **day())["error_response"]
    assert err["code"] == 7 and "This ban will last for 7 more seconds" in err["sub_msg"]
    assert "trades_sold_increment_get_response" in call(server, shop, **day())
    shop.expire_session()
    err = call(server, shop, **day())["error_response"]
    assert (err["code"], err["sub_code"]) == (27, "invalid-sessionkey")


def test_over_the_quota_calls_are_banned_for_the_seconds_left(sandbox: Sandbox,
                                                             server: SandboxServer) -> None:
    shop: TaobaoStore = sandbox.store("taobao", "quota", orders=3, customers=1, products=7)
    clock = FakeClock()
    shop.throttle(per_minute=2, ban_seconds=30, clock=clock)
    assert all("error_response" not in call(server, shop, **day()) for _ in range(2))
    err = call(server, shop, **day())["error_response"]
    assert (err["code"], err["sub_code"]) == (7, "accesscontrol.limited-by-app-access-count")
    assert "This ban will last for 30 more seconds" in err["sub_msg"]
    clock.sleep(20)
    assert "10 more seconds" in call(server, shop, **day())["error_response"]["sub_msg"]
    clock.sleep(61)
    assert "error_response" not in call(server, shop, **day())


def test_a_stale_timestamp_is_refused(server: SandboxServer, shop: TaobaoStore) -> None:
    params = {"method": "taobao.trades.sold.increment.get", "app_key": shop.app_key,
              "session": shop.session, "v": "2.0", "format": "json", "sign_method": "md5",
              "timestamp": beijing(datetime.fromtimestamp(time.time() - 3600, BEIJING)),
              **day()}
    params["sign"] = sign(shop.app_secret, params, "md5")
    body = requests.post(server.url("taobao", "demo") + "/router/rest", data=params,
                         timeout=10).json()
    assert body["error_response"]["code"] == 31
