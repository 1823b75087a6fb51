"""The Youzan ``listings`` stream on the real connector file, against mocked HTTP:

- ``youzan.items.onsale.get`` 3.0.0, a JSON body with ``page_no`` from 1 and ``page_size``
  300 (the API's maximum), the token in the query; pages follow until a short one;
- each listed item read again through ``youzan.item.get`` 3.0.0, one ``item_id`` a call,
  sent as the number the list gives; its ``response.item`` is what the stream hands on;
- a listed item without an id is quarantined with the reason; a refusal of the detail
  call stops the read naming the code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from synchub.config.connector import ConnectorSpec
from synchub.config.connector_checks import load_connector
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.runtime.transport import Page
from synchub.systems.youzan.errors import YouzanError

ROOT = Path(__file__).resolve().parents[3]
HOST = "https://open.youzanyun.com"
ONSALE = f"{HOST}/api/youzan.items.onsale.get/3.0.0"
ITEM_GET = f"{HOST}/api/youzan.item.get/3.0.0"


def spec(page_size: int | None = None) -> ConnectorSpec:
    s = load_connector(ROOT / "connectors" / "youzan" / "connector.yaml")
    if page_size is not None:
        s.streams["listings"] = s.streams["listings"].model_copy(
            update={"page_size": page_size})
    return s


def pages(s: ConnectorSpec) -> list[Page]:
    conn = ConnectionInfo(conn_id="youzan", conn_type="http", host=HOST, login="cid",
                          password="s3cret", extra={"kdt_id": "160000001"})
    client = ConnectorClient(s, conn, sleep=lambda _s: None)
    return list(client.read("listings", state=None, window_end=None))


def listed(item_id: int | None) -> dict[str, Any]:
    return {"item_id": item_id, "alias": f"a{item_id}", "title": "茶", "price": 36800,
            "item_no": f"OUT-{item_id}", "quantity": 5, "update_time": "2026-12-07 10:00:00"}


def detail(item_id: int, skus: int) -> dict[str, Any]:
    return {"response": {"item": {
        "item_id": item_id, "item_no": f"OUT-{item_id}", "quantity": skus or 5,
        "skus": [{"item_id": item_id, "sku_id": item_id * 10 + n, "item_no": f"OUT-{item_id}-{n}",
                  "quantity": 1, "modified": "2026-12-07 10:00:00"} for n in range(skus)]}}}


def bodies(mock: responses.RequestsMock, url: str) -> list[dict[str, Any]]:
    return [json.loads(c.request.body) for c in mock.calls if c.request.url.split("?")[0] == url]


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(f"{HOST}/auth/token", json={"success": True, "code": 200, "data": {
            "access_token": "tok", "expires": 4_102_444_800_000}})
        yield mock


def test_one_page_of_300_then_one_detail_call_per_item(mock_http: responses.RequestsMock
                                                        ) -> None:
    mock_http.post(ONSALE, json={"response": {"count": 2, "items": [listed(11), listed(12)]}})
    mock_http.post(ITEM_GET, json=detail(11, 2))
    mock_http.post(ITEM_GET, json=detail(12, 0))
    got = pages(spec())
    assert bodies(mock_http, ONSALE) == [{"page_no": 1, "page_size": 300}]
    assert bodies(mock_http, ITEM_GET) == [{"item_id": 11}, {"item_id": 12}]
    assert all("access_token=tok" in c.request.url for c in mock_http.calls
               if "/api/" in c.request.url)
    records = [r for p in got for r in p.records]
    assert [r["item_id"] for r in records] == [11, 12]
    assert [s["sku_id"] for s in records[0]["skus"]] == [110, 111]
    assert records[1]["skus"] == []


def test_pages_follow_until_a_short_one(mock_http: responses.RequestsMock) -> None:
    mock_http.post(ONSALE, json={"response": {"count": 3, "items": [listed(1), listed(2)]}})
    mock_http.post(ONSALE, json={"response": {"count": 3, "items": [listed(3)]}})
    for item_id in (1, 2, 3):
        mock_http.post(ITEM_GET, json=detail(item_id, 1))
    got = pages(spec(page_size=2))
    assert [b["page_no"] for b in bodies(mock_http, ONSALE)] == [1, 2]
    assert [r["item_id"] for p in got for r in p.records] == [1, 2, 3]


def test_an_item_without_an_id_is_quarantined_the_others_read(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(ONSALE, json={"response": {"count": 2, "items": [listed(None), listed(7)]}})
    mock_http.post(ITEM_GET, json=detail(7, 1))
    (page,) = pages(spec())
    assert [r["item_id"] for r in page.records] == [7]
    (bad,) = page.rejected
    assert "item_id" in bad.reason and "youzan.item.get" in bad.reason


def test_a_refused_detail_call_stops_the_read_naming_the_code(
        mock_http: responses.RequestsMock) -> None:
    mock_http.post(ONSALE, json={"response": {"count": 1, "items": [listed(9)]}})
    mock_http.post(ITEM_GET, json={"error_response": {"code": 40001, "msg": "商品不存在"}})
    with pytest.raises(YouzanError, match=r"youzan\.item\.get.*40001"):
        pages(spec())
