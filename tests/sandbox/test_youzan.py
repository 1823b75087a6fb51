"""The Youzan Cloud simulator: a token from /auth/token with epoch-ms expiry, the token in
the query, the gateway's gw_err_resp for a bad token, the call rate and an unknown API,
4.x and 3.x envelopes, the 3-month window and the page-size limit, orders newest update
first, figures that add up in CNY, and stock and logistics writes."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.youzan.store import ITEM_BASE, YouzanStore

BEIJING = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def shop(sandbox: Sandbox) -> YouzanStore:
    store: YouzanStore = sandbox.store("youzan", "demo", orders=120, customers=1, products=7)
    return store


def beijing(dt: datetime) -> str:
    return dt.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def base(server: SandboxServer) -> str:
    return server.url("youzan", "demo")


def get_token(server: SandboxServer, shop: YouzanStore, **change: Any) -> dict[str, Any]:
    body = {"client_id": shop.client_id, "client_secret": shop.client_secret,
            "authorize_type": "silent", "grant_id": shop.kdt_id, "refresh": False, **change}
    return dict(requests.post(f"{base(server)}/auth/token", json=body, timeout=10).json())


def call(server: SandboxServer, token: str, method: str, version: str,
         body: dict[str, Any]) -> dict[str, Any]:
    reply = requests.post(f"{base(server)}/api/{method}/{version}", json=body, timeout=10,
                          params={"access_token": token} if token else None)
    assert reply.status_code == 200          # every answer, refusals too
    return dict(reply.json())


@pytest.fixture(scope="module")
def token(server: SandboxServer, shop: YouzanStore) -> str:
    return str(get_token(server, shop)["data"]["access_token"])


def test_the_token_answer_and_its_refusals(server: SandboxServer, shop: YouzanStore) -> None:
    answer = get_token(server, shop)
    assert answer["success"] is True and answer["code"] == 200
    expires = answer["data"]["expires"]
    assert abs(expires / 1000 - (time.time() + 7 * 86_400)) < 60    # epoch milliseconds
    assert get_token(server, shop, client_secret="wrong")["code"] == 10001
    assert get_token(server, shop, grant_id=1)["success"] is False


def test_the_gateway_refuses_a_bad_token_and_an_unknown_api(
        server: SandboxServer, token: str) -> None:
    for bad in ("", "not-a-token"):
        assert call(server, bad, "youzan.trades.sold.get", "4.0.4", {}) == {
            "gw_err_resp": {"err_code": 10003, "err_msg": "access_token 过期或无效",
                            "trace_id": "sbx-trace"}}
    assert call(server, token, "youzan.trades.sold.get", "9.9.9", {})["gw_err_resp"][
        "err_code"] == 50001


def test_orders_newest_update_first_in_the_4x_envelope(
        server: SandboxServer, shop: YouzanStore, token: str) -> None:
    now = datetime.now(BEIJING)
    window = {"start_update": beijing(now - timedelta(days=2)), "end_update": beijing(now)}
    first = call(server, token, "youzan.trades.sold.get", "4.0.4",
                 {**window, "page_no": 1, "page_size": 100})
    assert first["success"] is True and first["code"] == 200
    data = first["data"]
    assert data["total_results"] == 120 and len(data["full_order_info_list"]) == 100
    second = call(server, token, "youzan.trades.sold.get", "4.0.4",
                  {**window, "page_no": 2, "page_size": 100})["data"]
    infos = [o["full_order_info"] for o in
             data["full_order_info_list"] + second["full_order_info_list"]]
    updates = [i["order_info"]["update_time"] for i in infos]
    assert updates == sorted(updates, reverse=True)
    assert len({i["order_info"]["tid"] for i in infos}) == 120
    for info in infos:                          # the figures add up, in yuan
        lines = info["orders"]
        pay = info["pay_info"]
        assert all(Decimal(o["total_fee"]) == Decimal(o["price"]) * o["num"] for o in lines)
        assert Decimal(pay["total_fee"]) == sum(Decimal(o["total_fee"]) for o in lines)
        gap = Decimal(pay["payment"]) - sum(Decimal(o["payment"]) for o in lines) \
            - Decimal(pay["post_fee"])
        assert gap in (Decimal(0), Decimal("-5.00"))
    assert any(i["address_info"]["receiver_name"].startswith("$") for i in infos)


@pytest.mark.parametrize(("body", "message"), [
    ({"page_size": 101}, "page_size 必须在 1 到 100 之间"),
    ({"start_update": "2025-01-01 00:00:00", "end_update": "2025-06-01 00:00:00"},
     "跨度不能大于3个月"),
    ({"start_update": "2025-01-02 00:00:00", "end_update": "2025-01-01 00:00:00"},
     "end_update 必须大于 start_update"),
    ({"start_update": "2025/01/01", "end_update": "2025-01-02 00:00:00"}, "yyyy-MM-dd"),
])
def test_refused_parameters_in_the_4x_refusal(server: SandboxServer, token: str,
                                              body: dict[str, Any], message: str) -> None:
    answer = call(server, token, "youzan.trades.sold.get", "4.0.4", body)
    assert answer["success"] is False and answer["code"] == 40001
    assert message in answer["message"]


def test_an_unpaired_window_bound_is_ignored(server: SandboxServer, token: str) -> None:
    answer = call(server, token, "youzan.trades.sold.get", "4.0.0",
                  {"start_update": "2099-01-01 00:00:00", "page_size": 1})
    assert answer["data"]["total_results"] == 120


def test_refunds_in_the_3x_envelope(server: SandboxServer, shop: YouzanStore,
                                    token: str) -> None:
    answer = call(server, token, "youzan.trade.refund.search", "3.0.0",
                  {"update_time_start": 0, "update_time_end": int(time.time()) + 60})
    assert set(answer) == {"response"}
    refunds = answer["response"]["refunds"]
    assert answer["response"]["total"] == len(shop.refunds) == len(refunds) > 0
    assert {r["status"] for r in refunds} <= {"SUCCESS", "WAIT_SELLER_AGREE"}
    assert call(server, token, "youzan.trade.refund.search", "3.0.0", {"page_size": 0}) == {
        "error_response": {"code": 40001, "msg": "参数 page_size 必须在 1 到 100 之间"}}


def test_stock_writes_full_set_per_sku(server: SandboxServer, shop: YouzanStore,
                                       token: str) -> None:
    sku = sorted(shop.items[ITEM_BASE]["skus"])[1]
    q = "youzan.item.quantity.update"
    assert call(server, token, q, "3.0.0", {"item_id": ITEM_BASE, "sku_id": sku,
                                            "quantity": 7, "type": 0}) == {
        "response": {"is_success": True}}
    assert shop.quantity(ITEM_BASE, sku) == 7
    assert call(server, token, q, "3.0.0", {"item_id": ITEM_BASE, "quantity": 1})[
        "error_response"]["msg"] == "该商品有规格, 请指定 sku_id"
    assert call(server, token, q, "3.0.0", {"item_id": 1, "quantity": 1})[
        "error_response"]["code"] == 40001


def test_items_on_sale_pages_of_at_most_300_without_skus(
        server: SandboxServer, shop: YouzanStore, token: str) -> None:
    m = "youzan.items.onsale.get"
    whole = call(server, token, m, "3.0.0", {})["response"]      # page 1 of 40 by default
    assert whole["count"] == len(shop.items) == len(whole["items"])
    first = whole["items"][0]
    assert {"item_id", "alias", "title", "price", "item_no", "quantity", "update_time"} <= set(
        first) and "skus" not in first
    assert [i["item_id"] for i in call(server, token, m, "3.0.0", {
        "page_no": 2, "page_size": 3, "order_by": "price:asc"})["response"]["items"]] == [
        r[0] for r in sorted(((iid, i["price"]) for iid, i in shop.items.items()),
                             key=lambda r: (r[1], r[0]))[3:6]]
    assert call(server, token, m, "3.0.0", {"page_size": 301}) == {
        "error_response": {"code": 40001, "msg": "参数 page_size 必须在 0 到 300 之间"}}


def test_an_item_with_its_skus_and_what_a_stock_write_set(
        server: SandboxServer, shop: YouzanStore, token: str) -> None:
    sku = sorted(shop.items[ITEM_BASE]["skus"])[2]
    call(server, token, "youzan.item.quantity.update", "3.0.0",
         {"item_id": ITEM_BASE, "sku_id": sku, "quantity": 4, "type": 0})
    item = call(server, token, "youzan.item.get", "3.0.0", {"item_id": ITEM_BASE})[
        "response"]["item"]
    assert item["item_no"] == "LJ-250" and item["is_listing"] is True
    (got,) = [s for s in item["skus"] if s["sku_id"] == sku]
    assert (got["item_no"], got["quantity"]) == ("LJ-250-02", 4)
    assert item["quantity"] == sum(s["quantity"] for s in item["skus"])
    assert call(server, token, "youzan.item.get", "3.0.0", {"alias": item["alias"]})[
        "response"]["item"]["item_id"] == ITEM_BASE
    assert call(server, token, "youzan.item.get", "3.0.0", {"item_id": 1}) == {
        "error_response": {"code": 40001, "msg": "商品 1 不存在"}}
    assert call(server, "", "youzan.item.get", "3.0.0", {"item_id": ITEM_BASE})[
        "gw_err_resp"]["err_code"] == 10003


def test_logistics_confirm_ships_once(server: SandboxServer, shop: YouzanStore,
                                      token: str) -> None:
    tid = next(t for t, o in shop.trades.items()
               if o["order_info"]["status"] == "WAIT_SELLER_SEND_GOODS")
    c = "youzan.logistics.online.confirm"
    body = {"tid": tid, "is_no_express": 0, "out_stype": "7", "out_sid": "SF100"}
    assert call(server, token, c, "3.0.0", {**body, "out_stype": "999"})[
        "error_response"]["msg"] == "物流公司 999 不存在"
    assert call(server, token, c, "3.0.0", body) == {"response": {"is_success": True}}
    assert shop.trades[tid]["order_info"]["status"] == "WAIT_BUYER_CONFIRM_GOODS"
    assert call(server, token, c, "3.0.0", body)["error_response"]["code"] == 101130009
    express = call(server, token, "youzan.logistics.express.get", "3.0.0", {})
    assert {"id": 7, "name": "顺丰速运", "display": 1} in express["response"]["allExpress"]


def test_lapsed_tokens_and_the_call_rate(server: SandboxServer, sandbox: Sandbox) -> None:
    other: YouzanStore = sandbox.store("youzan", "knobs", orders=2, customers=1, products=7)
    url = server.url("youzan", "knobs")
    body = {"client_id": other.client_id, "client_secret": other.client_secret,
            "authorize_type": "silent", "grant_id": other.kdt_id}
    value = requests.post(f"{url}/auth/token", json=body, timeout=10).json()["data"][
        "access_token"]

    def orders() -> dict[str, Any]:
        return dict(requests.post(f"{url}/api/youzan.trades.sold.get/4.0.4", json={},
                                  params={"access_token": value}, timeout=10).json())

    assert orders()["success"] is True
    other.limited = [1]
    assert orders()["gw_err_resp"]["err_code"] == 20001
    assert orders()["success"] is True
    other.expire_tokens()
    assert orders()["gw_err_resp"]["err_code"] == 10003
