"""The Weimob simulator: the OAuth2 token endpoint and its grants (a code good once, a
refresh token retired when used), the token in the query, the envelope's errcode for a bad
token, the call rate and an unknown API, numbers where numbers belong, the 31-day window
and the page-size limits, orders newest update first, figures that add up in CNY, the
detail API, and stock and delivery writes."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.weimob.store import FREIGHT, GOODS_BASE, SKU_BASE, TO_SHIP, WeimobStore

API = "apigw/weimob_shop/v2.0"


@pytest.fixture(scope="module")
def shop(sandbox: Sandbox) -> WeimobStore:
    store: WeimobStore = sandbox.store("weimob", "demo", orders=120, customers=1, products=7)
    return store


def base(server: SandboxServer) -> str:
    return server.url("weimob", "demo")


def get_token(server: SandboxServer, shop: WeimobStore, **change: Any) -> requests.Response:
    params = {"grant_type": "client_credentials", "client_id": shop.client_id,
              "client_secret": shop.client_secret, "shop_id": str(shop.shop_id),
              "shop_type": shop.shop_type, **change}
    return requests.post(f"{base(server)}/fuwu/b/oauth2/token", params=params, json={},
                         timeout=10)


def call(server: SandboxServer, token: str, action: str, body: Any) -> dict[str, Any]:
    reply = requests.post(f"{base(server)}/{API}/{action}", json=body, timeout=10,
                          params={"accesstoken": token} if token else None)
    assert reply.status_code == 200          # every answer, refusals too
    return dict(reply.json())


@pytest.fixture(scope="module")
def token(server: SandboxServer, shop: WeimobStore) -> str:
    return str(get_token(server, shop).json()["access_token"])


def errcode(answer: dict[str, Any]) -> str:
    return str(answer["code"]["errcode"])


def window(start: int, end: int, kind: int = 2) -> dict[str, Any]:
    return {"queryParameter": {"queryTime": {"type": kind, "startTime": start,
                                             "endTime": end}}}


def test_client_credentials_answer_and_refusals(server: SandboxServer,
                                                shop: WeimobStore) -> None:
    answer = get_token(server, shop).json()
    assert answer["expires_in"] == 7200 and "refresh_token" not in answer
    assert answer["business_id"] == str(shop.shop_id)
    bad = get_token(server, shop, client_secret="wrong")
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert get_token(server, shop, shop_id="1").status_code == 400
    assert get_token(server, shop, grant_type="password").json()["error"] == \
        "unsupported_grant_type"


def test_a_code_is_good_once_and_a_refresh_token_is_retired_when_used(
        server: SandboxServer, shop: WeimobStore) -> None:
    code = shop.issue_code()
    grant = {"grant_type": "authorization_code", "code": code,
             "redirect_uri": shop.redirect_uri}
    first = get_token(server, shop, **grant).json()
    assert first["refresh_token"] and first["refresh_token_expires_in"] > 0
    assert get_token(server, shop, **grant).json()["error"] == "invalid_grant"
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = get_token(server, shop, **refresh).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert get_token(server, shop, **refresh).status_code == 400      # rotated away


def test_token_rate_and_unknown_api_are_errcodes_in_the_envelope(
        server: SandboxServer, shop: WeimobStore, token: str) -> None:
    body = {"pageNum": 1, "pageSize": 10}
    assert errcode(call(server, "", "order/list/search", body)) == "80001001000119"
    assert errcode(call(server, "nope", "order/list/search", body)) == "80001001000119"
    shop.limited = [1]
    assert errcode(call(server, token, "order/list/search", body)) == "80001001000128"
    assert errcode(call(server, token, "order/nothing", body)) == "80001001000404"
    ok = call(server, token, "order/list/search", body)
    assert ok["code"] == {"errcode": "0", "errmsg": "success"} and ok["data"]["pageList"]


@pytest.mark.parametrize("body", [
    {"pageNum": 1},                                        # pageSize required
    {"pageNum": 1, "pageSize": 101},                       # at most 100
    {"pageNum": "1", "pageSize": 10},                      # a number, not text
    {"pageNum": 1, "pageSize": 10, **window(2000, 1000)},  # end before start
    {"pageNum": 1, "pageSize": 10, **window(0, 32 * 86_400_000)},   # over 31 days
    {"pageNum": 1, "pageSize": 10, **window(0, 1000, kind=7)},      # no such time type
])
def test_order_list_refuses_bad_parameters(server: SandboxServer, token: str,
                                           body: dict[str, Any]) -> None:
    assert errcode(call(server, token, "order/list/search", body)) == "80001001000101"


def test_orders_newest_update_first_paged_and_adding_up(
        server: SandboxServer, shop: WeimobStore, token: str) -> None:
    end = int(time.time() * 1000)
    body = {"pageNum": 1, "pageSize": 100, **window(end - 86_400_000 * 2, end)}
    first = call(server, token, "order/list/search", body)["data"]
    second = call(server, token, "order/list/search", {**body, "pageNum": 2})["data"]
    assert first["totalCount"] == 120 and len(first["pageList"]) == 100
    rows = first["pageList"] + second["pageList"]
    times = [r["orderInfo"]["orderBaseInfo"]["updateTime"] for r in rows]
    assert times == sorted(times, reverse=True)
    off = 0
    for row in rows:
        pay = row["orderInfo"]["payInfo"]
        lines = row["orderInfo"]["items"]
        assert Decimal(pay["totalAmount"]) == sum(Decimal(i["payInfo"]["totalAmount"])
                                                  for i in lines)
        for line in lines:
            assert Decimal(line["payInfo"]["totalAmount"]) == \
                Decimal(line["salePrice"]) * int(line["skuNum"])
        freight = next(Decimal(a["amount"]) for a in pay["amountInfos"] if a["type"] == FREIGHT)
        expected = Decimal(pay["totalAmount"]) - Decimal(pay["totalDiscountAmount"]) + freight
        off += Decimal(pay["payAmount"]) != expected
    assert off == len([i for i in range(120) if i % 17 == 16])   # the points orders only


def test_the_detail_answers_one_order_whole(server: SandboxServer, shop: WeimobStore,
                                            token: str) -> None:
    number = sorted(shop.orders_by_no)[0]
    data = call(server, token, "order/detail/get", {"orderNo": number})["data"]
    assert data["orderInfo"]["orderBaseInfo"]["orderNo"] == number
    assert data["orderInfo"]["items"] and "fulfillInfoList" in data
    assert errcode(call(server, token, "order/detail/get", {"orderNo": 1})) == "80001001000101"


def test_the_list_can_leave_lines_to_the_detail(server: SandboxServer, shop: WeimobStore,
                                                token: str) -> None:
    shop.list_without_items = True
    try:
        rows = call(server, token, "order/list/search",
                    {"pageNum": 1, "pageSize": 5})["data"]["pageList"]
    finally:
        shop.list_without_items = False
    assert rows and all("items" not in r["orderInfo"] for r in rows)


def test_sku_list_needs_the_stores_vid_and_pages_by_twenty(
        server: SandboxServer, shop: WeimobStore, token: str) -> None:
    body = {"basicInfo": {"vid": shop.vid}, "pageNum": 1, "pageSize": 20}
    data = call(server, token, "stock/item/sku/getList", body)["data"]
    assert data["tatalCount"] == shop.counts()["skus"] == len(data["pageList"])
    assert errcode(call(server, token, "stock/item/sku/getList",
                        {**body, "pageSize": 21})) == "80001001000101"
    assert errcode(call(server, token, "stock/item/sku/getList",
                        {**body, "basicInfo": {"vid": 1}})) == "80001001000101"


def test_stock_update_overwrites_adds_and_lists_refused_skus(
        server: SandboxServer, shop: WeimobStore, token: str) -> None:
    goods, sku = GOODS_BASE, SKU_BASE
    body = {"basicInfo": {"vid": shop.vid}, "quantityEditType": 1, "goodsList": [
        {"goodsId": goods, "skuList": [{"skuId": sku, "stockNum": 7},
                                       {"skuId": 42, "stockNum": 1}]}]}
    data = call(server, token, "stock/update", body)["data"]
    assert data["failList"] == [{"goodsId": goods, "skuIdSet": [42], "message": "规格不存在"}]
    assert shop.stock(goods, sku) == 7
    body["quantityEditType"], body["goodsList"][0]["skuList"] = 2, [{"skuId": sku,
                                                                      "stockNum": 3}]
    call(server, token, "stock/update", body)
    assert shop.stock(goods, sku) == 10
    too_many = {**body, "goodsList": [{"goodsId": goods, "skuList": [
        {"skuId": sku, "stockNum": 1}] * 51}]}
    assert errcode(call(server, token, "stock/update", too_many)) == "80001001000101"


def test_delivery_ships_a_waiting_order_once(server: SandboxServer, shop: WeimobStore,
                                             token: str) -> None:
    number = next(n for n, o in shop.orders_by_no.items()
                  if o["orderInfo"]["orderBaseInfo"]["orderStatus"] == TO_SHIP)
    body = {"orderNo": number, "basicInfo": {"vid": shop.vid}, "logistics": {
        "deliveryNo": "SF1", "deliveryCompanyCode": "shunfeng", "deliveryCompanyName": "顺丰"}}
    assert call(server, token, "fulfill/logistics/update", body)["data"] == {"success": True}
    assert errcode(call(server, token, "fulfill/logistics/update", body)) == "80001001000701"
    unknown = {**body, "logistics": {**body["logistics"], "deliveryCompanyCode": "hermes"}}
    assert errcode(call(server, token, "fulfill/logistics/update", unknown)) == \
        "80001001000101"
