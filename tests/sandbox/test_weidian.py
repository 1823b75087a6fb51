"""The Weidian simulator: a token from /token with expire_in seconds and a daily limit, the
token inside ``public`` (expired, invalid), the call rate and an unknown method, the
status envelope, windows in Beijing time and the page-size limit, orders newest update
first with figures that add up in CNY, and stock and delivery writes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.kit.times import parse_beijing
from synchub.sandbox.weidian.store import ITEM_BASE, SKU_BASE, WeidianStore

BEIJING = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def shop(sandbox: Sandbox) -> WeidianStore:
    store: WeidianStore = sandbox.store("weidian", "demo", orders=120, customers=1,
                                        products=7)
    return store


def base(server: SandboxServer) -> str:
    return server.url("weidian", "demo")


def get_token(server: SandboxServer, shop: WeidianStore, **change: str) -> dict[str, Any]:
    params = {"grant_type": "client_credential", "appkey": shop.appkey,
              "secret": shop.secret, **change}
    return dict(requests.get(f"{base(server)}/token", params=params, timeout=10).json())


def call(server: SandboxServer, token: str, method: str, param: dict[str, Any], *,
         version: str = "1.0", post: bool = False) -> dict[str, Any]:
    pair = {"public": json.dumps({"method": method, "access_token": token,
                                  "version": version, "format": "json"}),
            "param": json.dumps(param, ensure_ascii=False)}
    url = f"{base(server)}/api"
    reply = requests.post(url, data=pair, timeout=10) if post else \
        requests.get(url, params=pair, timeout=10)
    assert reply.status_code == 200          # every answer, refusals too
    return dict(reply.json())


def code(answer: dict[str, Any]) -> int:
    return int(answer["status"]["status_code"])


@pytest.fixture(scope="module")
def token(server: SandboxServer, shop: WeidianStore) -> str:
    return str(get_token(server, shop)["result"]["access_token"])


def test_the_token_answer_and_its_refusals(server: SandboxServer, shop: WeidianStore) -> None:
    answer = get_token(server, shop)
    assert answer["status"] == {"status_code": 0, "status_reason": "success"}
    assert answer["result"]["expire_in"] == 90000
    assert code(get_token(server, shop, secret="wrong")) == 10001
    assert code(get_token(server, shop, grant_type="authorization_code")) == 10002


def test_the_daily_token_limit(server: SandboxServer, shop: WeidianStore) -> None:
    used = sum(shop.token_days.values())
    shop.tokens_per_day = used + 1
    try:
        assert code(get_token(server, shop)) == 0
        refused = get_token(server, shop)
        assert code(refused) == 10040 and "上限" in refused["status"]["status_reason"]
    finally:
        shop.tokens_per_day = 2000


def test_tokens_are_checked_inside_public(server: SandboxServer, shop: WeidianStore,
                                          token: str) -> None:
    assert code(call(server, token, "vdian.order.expresslist", {})) == 0
    assert code(call(server, "nope", "vdian.order.expresslist", {})) == 10016
    assert code(call(server, "", "vdian.order.expresslist", {})) == 10016
    other = str(get_token(server, shop)["result"]["access_token"])
    shop.tokens[other] = 0.0                                     # lapsed
    assert code(call(server, other, "vdian.order.expresslist", {})) == 10013
    assert code(call(server, token, "vdian.order.nothing", {})) == 10003
    assert code(call(server, token, "vdian.order.list.get", {}, version="9.9")) == 10003


def test_the_call_rate(server: SandboxServer, shop: WeidianStore, token: str) -> None:
    shop.limited = [1]
    assert code(call(server, token, "vdian.order.expresslist", {})) == 10029
    assert code(call(server, token, "vdian.order.expresslist", {})) == 0


def test_orders_window_paging_and_figures(server: SandboxServer, shop: WeidianStore,
                                          token: str) -> None:
    now = datetime.now(BEIJING)
    window = {"update_start": (now - timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S"),
              "update_end": now.strftime("%Y-%m-%d %H:%M:%S")}
    first = call(server, token, "vdian.order.list.get",
                 {**window, "page_num": 1, "page_size": 50}, version="1.5")["result"]
    assert first["total_num"] == 120 and len(first["orders"]) == 50
    times = [parse_beijing(o["update_time"]) for o in first["orders"]]
    assert times == sorted(times, reverse=True)                  # newest update first
    third = call(server, token, "vdian.order.list.get",
                 {**window, "page_num": 3, "page_size": 50}, version="1.5")["result"]
    assert len(third["orders"]) == 20
    too_big = call(server, token, "vdian.order.list.get", {**window, "page_size": 51},
                   version="1.5")
    assert code(too_big) == 10002 and "page_size" in too_big["status"]["status_reason"]
    bad = call(server, token, "vdian.order.list.get",
               {"update_start": "2025/01/01", "update_end": "x"}, version="1.5")
    assert code(bad) == 10002
    unpaid = call(server, token, "vdian.order.list.get", {**window, "order_type": "unpay"},
                  version="1.5")["result"]["orders"]
    assert unpaid and {o["status"] for o in unpaid} == {"unpay"}
    for order in first["orders"]:
        lines = sum(Decimal(i["total_price"]) for i in order["items"])
        assert all(Decimal(i["total_price"]) == Decimal(i["price"]) * int(i["quantity"])
                   for i in order["items"])
        off = sum(Decimal(d["discount_price"]) for d in order["discount_list"])
        assert Decimal(order["price"]) == lines - off
        assert Decimal(order["total"]) == Decimal(order["price"]) + Decimal(order["express_fee"])


def test_items_and_stock_writes(server: SandboxServer, shop: WeidianStore, token: str) -> None:
    items = call(server, token, "vdian.item.list.get", {"page_size": 100},
                 version="1.1")["result"]
    assert items["total_num"] == 7
    assert [s["id"] for s in items["items"][0]["skus"]][:1] == [str(SKU_BASE)]
    ok = call(server, token, "vdian.item.stock.update", {"type": "set", "items": [
        {"item_id": str(ITEM_BASE), "item_sku_id": str(SKU_BASE), "stock": 9},
        {"item_id": str(ITEM_BASE + 6), "item_sku_id": "", "stock": 2}]}, post=True)
    assert code(ok) == 0
    assert shop.stock(ITEM_BASE, SKU_BASE) == 9 and shop.stock(ITEM_BASE + 6) == 2
    refused = call(server, token, "vdian.item.stock.update", {"type": "set", "items": [
        {"item_id": str(ITEM_BASE), "item_sku_id": str(SKU_BASE), "stock": 1},
        {"item_id": str(ITEM_BASE), "item_sku_id": "1", "stock": 1}]}, post=True)
    assert code(refused) == 10002 and "商品sku的id不存在" in refused["status"]["status_reason"]
    assert shop.stock(ITEM_BASE, SKU_BASE) == 9                  # the whole call refused
    no_sku = call(server, token, "vdian.item.stock.update", {"items": [
        {"item_id": str(ITEM_BASE), "stock": 1}]}, post=True)
    assert code(no_sku) == 10002


def test_deliver_once(server: SandboxServer, shop: WeidianStore, token: str) -> None:
    order_id = next(o for o, v in shop.orders_by_id.items() if v["status"] == "unship")
    param = {"order_id": order_id, "express_type": "1", "express_no": "SF100"}
    assert code(call(server, token, "vdian.order.deliver", param, post=True)) == 0
    assert shop.orders_by_id[order_id]["status"] == "shiped"
    assert shop.shipments[order_id] == {"express_type": "1", "express_no": "SF100"}
    assert code(call(server, token, "vdian.order.deliver", param, post=True)) == 10060
    unknown = dict(param, order_id="1", express_type="1")
    assert code(call(server, token, "vdian.order.deliver", unknown, post=True)) == 10002
