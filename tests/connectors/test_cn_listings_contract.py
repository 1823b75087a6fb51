"""Listings contracts of the three gateways, on the real connector files:

- Taobao: ``taobao.items.onsale.get`` pages of 200 numbered from 1, then each page's items
  again through ``taobao.items.seller.list.get``, 20 num_iids a call, with every SKU; an
  id the detail leaves out is skipped, a list item without one quarantined;
- JD: ``jingdong.sku.read.searchSkuList`` pages (``pageNo``, ``page_size`` 100, the field
  list and the statuses inside ``360buy_param_json``) until a short page;
- Pinduoduo: ``pdd.goods.list.get`` pages of 100 (``type``, ``page``) until a short page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import responses

from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.runtime.transport import Page
from synchub.systems.cn_gateway.errors import GatewayAuthError

from .conftest import connector

HOSTS = {"taobao": "https://eco.taobao.com", "jd": "https://api.jd.com",
         "pinduoduo": "https://gw-api.pinduoduo.com"}
PATHS = {"taobao": "/router/rest", "jd": "/routerjson", "pinduoduo": "/api/router"}
Reply = Callable[[dict[str, str]], dict[str, Any]]


def client(system: str) -> ConnectorClient:
    conn = ConnectionInfo(conn_id=f"{system}_shop", conn_type="http", host=HOSTS[system],
                          login="20260001", password="0c9d1f6e5a4b3c2d1e0f9a8b",
                          extra={"session": "6100a1b2c3d4e5f6a7b8"})
    return ConnectorClient(connector(system), conn, sleep=lambda s: None)


def form(request: requests.PreparedRequest) -> dict[str, str]:
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    return dict(parse_qsl(body, keep_blank_values=True))


def serve(mock: responses.RequestsMock, system: str, reply: Reply,
          sent: list[dict[str, str]]) -> None:
    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        fields = form(request)
        sent.append(fields)
        return 200, {}, json.dumps(reply(fields))

    mock.add_callback(responses.POST, HOSTS[system] + PATHS[system], callback=callback,
                      content_type="application/json")


def pages(system: str, stream: str = "listings") -> list[Page]:
    return list(client(system).read(stream, state=None, window_end=None))


# --- Taobao -------------------------------------------------------------------------------

def tb_item(num_iid: int, skus: int) -> dict[str, Any]:
    item: dict[str, Any] = {"num_iid": num_iid, "outer_id": f"OUT-{num_iid}", "num": skus,
                            "modified": "2026-12-07 10:00:00"}
    if skus:
        item["skus"] = {"sku": [{"sku_id": num_iid * 100 + n, "outer_id": f"OUT-{num_iid}-{n}",
                                 "quantity": 1, "modified": "2026-12-07 10:00:00"}
                                for n in range(skus)]}
    return item


def taobao(listed: dict[int, list[int]], gone: frozenset[int] = frozenset()) -> Reply:
    def reply(fields: dict[str, str]) -> dict[str, Any]:
        if fields["method"] == "taobao.items.onsale.get":
            ids = listed[int(fields["page_no"])]
            body: dict[str, Any] = {"total_results": sum(map(len, listed.values()))}
            if ids:
                body["items"] = {"item": [{"num_iid": i} for i in ids]}
            return {"items_onsale_get_response": body}
        assert fields["method"] == "taobao.items.seller.list.get"
        ids = [int(i) for i in fields["num_iids"].split(",") if int(i) not in gone]
        return {"items_seller_list_get_response": {
            "items": {"item": [tb_item(i, i % 3) for i in ids]}} if ids else {}}
    return reply


def test_taobao_pages_of_200_then_the_skus_20_items_a_call() -> None:
    first = list(range(600_000_000_000, 600_000_000_200))
    second = list(range(600_000_000_200, 600_000_000_205))
    sent: list[dict[str, str]] = []
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, "taobao", taobao({1: first, 2: second}), sent)
        got = pages("taobao")
    lists = [f for f in sent if f["method"] == "taobao.items.onsale.get"]
    details = [f for f in sent if f["method"] == "taobao.items.seller.list.get"]
    assert [(f["page_no"], f["page_size"], f["fields"]) for f in lists] == [
        ("1", "200", "num_iid"), ("2", "200", "num_iid")]          # short page: the end
    assert [len(f["num_iids"].split(",")) for f in details] == [20] * 10 + [5]
    assert details[0]["num_iids"].split(",") == [str(i) for i in first[:20]]
    assert "sku" in details[0]["fields"].split(",")                 # sku, not skus
    assert all({"app_key", "session", "timestamp", "sign_method", "sign"} <= set(f)
               for f in sent)                                     # every call signed
    assert [len(p.records) for p in got] == [200, 5]
    assert got[0].records[1]["skus"]["sku"][0]["sku_id"] == first[1] * 100
    assert all(p.state is None for p in got)                      # read whole: no cursor


def test_taobao_an_item_gone_before_its_detail_is_skipped_and_one_without_id_quarantined(
        caplog: pytest.LogCaptureFixture) -> None:
    ids = [600_000_000_001, 600_000_000_002, 600_000_000_003]

    def reply(fields: dict[str, str]) -> dict[str, Any]:
        if fields["method"] == "taobao.items.onsale.get":
            return {"items_onsale_get_response": {"total_results": 4, "items": {"item": [
                *({"num_iid": i} for i in ids), {"title": "no id"}]}}}
        return taobao({}, gone=frozenset({ids[1]}))(fields)

    sent: list[dict[str, str]] = []
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, "taobao", reply, sent)
        caplog.set_level("INFO", logger="synchub.runtime")
        [page] = pages("taobao")
    assert [r["num_iid"] for r in page.records] == [ids[0], ids[2]]
    assert [(r.raw, r.field) for r in page.rejected] == [({"title": "no id"}, "num_iid")]
    assert "taobao.items.seller.list.get" in page.rejected[0].reason
    assert str(ids[1]) in caplog.text                             # said, not silently lost
    assert sent[1]["num_iids"] == ",".join(map(str, ids))


def test_taobao_items_in_the_warehouse_read_the_same_way() -> None:
    sent: list[dict[str, str]] = []

    def reply(fields: dict[str, str]) -> dict[str, Any]:
        if fields["method"] == "taobao.items.inventory.get":
            return {"items_inventory_get_response": {"total_results": 1, "items": {
                "item": [{"num_iid": 600_000_000_006}]}}}
        return taobao({})(fields)

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, "taobao", reply, sent)
        [page] = pages("taobao", "listings_in_stock")
    assert [f["method"] for f in sent] == ["taobao.items.inventory.get",
                                           "taobao.items.seller.list.get"]
    assert page.records[0]["num_iid"] == 600_000_000_006


def test_taobao_a_detail_refusal_of_the_session_is_an_auth_error() -> None:
    def reply(fields: dict[str, str]) -> dict[str, Any]:
        if fields["method"] == "taobao.items.onsale.get":
            return taobao({1: [600_000_000_001]})(fields)
        return {"error_response": {"code": 27, "msg": "Invalid session",
                                   "sub_code": "invalid-sessionkey", "sub_msg": "SessionKey非法"}}

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, "taobao", reply, [])
        with pytest.raises(GatewayAuthError, match="taobao_shop"):
            pages("taobao")


# --- JD -----------------------------------------------------------------------------------

def jd_sku(n: int) -> dict[str, Any]:
    return {"skuId": 100_012_000_000 + n, "wareId": 10_000_800_000 + n // 2,
            "outerId": f"JD-{n}", "stockNum": n, "status": 1,
            "modified": "2026-12-07 10:00:00"}


def test_jd_sku_pages_until_a_short_one() -> None:
    sent: list[dict[str, str]] = []

    def reply(fields: dict[str, str]) -> dict[str, Any]:
        business = json.loads(fields["360buy_param_json"])
        number = int(business["pageNo"])
        data = [jd_sku(n) for n in range(100)] if number == 1 else [jd_sku(100)]
        return {"jingdong_sku_read_searchSkuList_responce": {"code": "0", "page": {
            "data": data, "pageNo": number, "pageSize": 100, "totalItem": 101}}}

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, "jd", reply, sent)
        got = pages("jd")
    business = [json.loads(f["360buy_param_json"]) for f in sent]
    assert [(b["pageNo"], b["page_size"]) for b in business] == [(1, 100), (2, 100)]
    assert business[0]["skuStatuValue"] == "1,2"                  # deleted SKUs left out
    assert {"skuId", "outerId", "stockNum", "wareId"} <= set(business[0]["field"].split(","))
    assert all(f["method"] == "jingdong.sku.read.searchSkuList" and f["access_token"]
               and f["sign"] for f in sent)
    assert [len(p.records) for p in got] == [100, 1]


def test_jd_an_expired_token_is_an_auth_error() -> None:
    def reply(fields: dict[str, str]) -> dict[str, Any]:
        return {"error_response": {"code": "19", "zh_desc": "token已过期或者不存在",
                                   "en_desc": "Invalid access_token"}}

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, "jd", reply, [])
        with pytest.raises(GatewayAuthError, match="jd_shop"):
            pages("jd")


# --- Pinduoduo ----------------------------------------------------------------------------

def test_pinduoduo_goods_pages_of_100_until_a_short_one() -> None:
    sent: list[dict[str, str]] = []

    def goods(n: int) -> dict[str, Any]:
        return {"goods_id": 300_000_000 + n, "goods_quantity": 1, "is_onsale": 1,
                "sku_list": [{"sku_id": 1_100_000_000 + n, "outer_id": f"P-{n}",
                              "sku_quantity": 1, "is_sku_onsale": 1}]}

    def reply(fields: dict[str, str]) -> dict[str, Any]:
        number = int(fields["page"])
        rows = [goods(n) for n in range(100)] if number == 1 else [goods(100), goods(101)]
        return {"goods_list_get_response": {"total_count": 102, "goods_list": rows}}

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, "pinduoduo", reply, sent)
        got = pages("pinduoduo")
    assert [(f["type"], f["page"], f["page_size"]) for f in sent] == [
        ("pdd.goods.list.get", "1", "100"), ("pdd.goods.list.get", "2", "100")]
    assert all(f["client_id"] and f["access_token"] and f["sign"] and f["data_type"] == "JSON"
               for f in sent)
    assert "is_onsale" not in sent[0]                             # on sale or not
    assert [len(p.records) for p in got] == [100, 2]


def test_pinduoduo_a_throttle_is_retried() -> None:
    calls: list[dict[str, str]] = []
    answers = iter([{"error_response": {"error_code": 70031, "error_msg": "调用过于频繁"}},
                    {"goods_list_get_response": {"total_count": 0, "goods_list": []}}])
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, "pinduoduo", lambda f: next(answers), calls)
        got = pages("pinduoduo")
    assert len(calls) == 2 and [p.records for p in got] == [[]]
