"""Taobao stock publisher: 20 SKUs a call per item, items without SKUs, refusals, the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import responses

from synchub.config.connector import ConnectorSpec
from synchub.config.connector_checks import load_connector
from synchub.registry import REGISTRY
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.taobao.store import TaobaoStore
from synchub.stock.publish import ListingChange, create_publisher
from synchub.systems.cn_gateway.errors import GatewayAuthError
from synchub.systems.taobao.stock import TaobaoQuantityPublisher

ROOT = Path(__file__).resolve().parents[2]
HOST = "https://eco.taobao.com"
GATEWAY = f"{HOST}/router/rest"
SIGNED = {"app_key", "session", "timestamp", "sign_method", "sign"}
ITEM, PLAIN = 600_000_000_000, 600_000_000_005


def spec() -> ConnectorSpec:
    return load_connector(ROOT / "connectors" / "taobao" / "connector.yaml")


def client(host: str = HOST, key: str = "12345678", secret: str = "s3cret",
           session: str = "6100abc") -> ConnectorClient:
    conn = ConnectionInfo(conn_id="taobao", conn_type="http", host=host, login=key,
                          password=secret, extra={"session": session})
    return ConnectorClient(spec(), conn, sleep=lambda s: None)


def publisher(c: ConnectorClient | None = None, **options: Any) -> TaobaoQuantityPublisher:
    s = spec().stock_publisher
    assert s is not None
    if options:
        s = s.model_copy(update={"options": {**s.options, **options}})
    pub = create_publisher(s, c or client(), run_id="run-1")
    assert isinstance(pub, TaobaoQuantityPublisher)
    return pub


def sku(num_iid: int, sku_id: int, quantity: int, outer: str | None = None) -> ListingChange:
    return ListingChange(f"{num_iid}:{sku_id}", quantity, None, sku=outer)


def plain(num_iid: int, quantity: int) -> ListingChange:
    return ListingChange(str(num_iid), quantity, None)


def ok(request: Any) -> tuple[int, dict[str, str], str]:
    form = dict(parse_qsl(request.body))
    name = form["method"].removeprefix("taobao.").replace(".", "_") + "_response"
    return 200, {}, json.dumps({name: {"item": {"num_iid": int(form["num_iid"]),
                                                "modified": "2026-12-07 20:00:00"}}})


def refuse(sub_code: str, sub_msg: str) -> dict[str, Any]:
    return {"error_response": {"code": 15, "msg": "Remote service error",
                               "sub_code": sub_code, "sub_msg": sub_msg,
                               "request_id": "r1"}}


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def forms(mock: responses.RequestsMock) -> list[dict[str, str]]:
    out = []
    for call in mock.calls:
        form = dict(parse_qsl(str(call.request.body)))
        assert set(form) >= SIGNED      # every call signed
        out.append({k: v for k, v in form.items() if k not in SIGNED})
    return out


def test_registry() -> None:
    assert REGISTRY.get("stock_publisher", "taobao_quantity") is TaobaoQuantityPublisher
    assert publisher().max_batch == 20
    assert publisher().options.sku_key == "skuid"


def test_skus_twenty_a_call_and_items_without_skus(mock_http: responses.RequestsMock) -> None:
    for _ in range(4):
        mock_http.add_callback(responses.POST, GATEWAY, callback=ok)
    changes = [sku(ITEM, 5000 + n, n) for n in range(25)] + [plain(PLAIN, 7),
                                                             sku(ITEM + 1, 9, 3)]
    pub = publisher()
    outcomes = pub.push(changes)
    sent = forms(mock_http)
    base = {"v": "2.0", "format": "json", "type": "1"}
    assert sent == [
        {**base, "method": "taobao.item.quantity.update", "num_iid": str(PLAIN),
         "quantity": "7"},
        {**base, "method": "taobao.skus.quantity.update", "num_iid": str(ITEM),
         "skuid_quantities": ";".join(f"{5000 + n}:{n}" for n in range(20))},
        {**base, "method": "taobao.skus.quantity.update", "num_iid": str(ITEM),
         "skuid_quantities": ";".join(f"{5000 + n}:{n}" for n in range(20, 25))},
        {**base, "method": "taobao.skus.quantity.update", "num_iid": str(ITEM + 1),
         "skuid_quantities": "9:3"}]
    assert [o.status for o in outcomes] == ["pushed"] * 27
    assert pub.stats.write_calls == pub.minimum_calls(changes) == 4


def test_outer_ids_and_coalescing(mock_http: responses.RequestsMock) -> None:
    mock_http.add_callback(responses.POST, GATEWAY, callback=ok)
    pub = publisher(sku_key="outerid")
    outcomes = pub.push([sku(ITEM, 1, 5, "LJ-250"), sku(ITEM, 2, 1, "LJ-250-01"),
                         sku(ITEM, 1, 4, "LJ-250")])
    assert forms(mock_http)[0]["outerid_quantities"] == "LJ-250:4;LJ-250-01:1"
    assert [o.status for o in outcomes] == ["pushed"] * 3
    assert pub.stats.write_calls == 1


def test_a_refusal_fails_the_call_and_the_others_go_on(mock_http: responses.RequestsMock
                                                       ) -> None:
    mock_http.post(GATEWAY, json=refuse("isv.item-is-in-activity", "商品参加活动中, 不能减少库存"))
    mock_http.add_callback(responses.POST, GATEWAY, callback=ok)
    outcomes = publisher().push([sku(ITEM, 1, 0), sku(ITEM, 2, 0), sku(ITEM + 1, 3, 8)])
    assert [(o.status, o.error) for o in outcomes] == [
        ("failed", "isv.item-is-in-activity: 商品参加活动中, 不能减少库存"),
        ("failed", "isv.item-is-in-activity: 商品参加活动中, 不能减少库存"),
        ("pushed", None)]


def test_a_refusal_naming_a_sku_fails_only_that_sku(mock_http: responses.RequestsMock) -> None:
    mock_http.post(GATEWAY, json=refuse("isv.sku-not-exist", "SKU 5002 不存在"))
    mock_http.add_callback(responses.POST, GATEWAY, callback=ok)
    pub = publisher()
    outcomes = pub.push([sku(ITEM, 5001, 1), sku(ITEM, 5002, 2), sku(ITEM, 5003, 3)])
    sent = forms(mock_http)
    assert [f["skuid_quantities"] for f in sent] == ["5001:1;5002:2;5003:3", "5001:1;5003:3"]
    assert [(o.status, o.error) for o in outcomes] == [
        ("pushed", None), ("failed", "isv.sku-not-exist: SKU 5002 不存在"), ("pushed", None)]
    assert (pub.stats.write_calls, pub.stats.retried_batches) == (2, 1)


def test_a_refused_session_stops_the_run(mock_http: responses.RequestsMock) -> None:
    mock_http.post(GATEWAY, json={"error_response": {
        "code": 27, "msg": "Invalid session", "sub_code": "invalid-sessionkey"}})
    with pytest.raises(GatewayAuthError, match="taobao"):
        publisher().push([sku(ITEM, 1, 1)])


def test_listing_without_an_item_id_fails_without_a_call() -> None:
    outcomes = publisher().push([ListingChange("LJ-250", 1, None)])
    assert outcomes[0].status == "failed"
    assert "num_iid" in (outcomes[0].error or "")
    # by outer id, a SKU listing without its outer id is not taken for the whole item
    outer = publisher(sku_key="outerid").push([sku(ITEM, 5001, 1)])
    assert outer[0].status == "failed"
    assert "outerid" in (outer[0].error or "")


# --- against the sandbox ------------------------------------------------------------------

def test_pushes_reach_the_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = Sandbox(seed=7)
    shop: TaobaoStore = sandbox.store("taobao", "demo", orders=0)
    skus = sorted(shop.items[ITEM]["skus"])
    in_promotion = ITEM + 2
    promoted_sku = sorted(shop.items[in_promotion]["skus"])[0]
    shop.refuse_item(in_promotion, "isv.item-is-in-activity", "商品参加活动中, 不能修改库存")
    c = shop.credentials()
    with SandboxServer(sandbox) as server, client(
            server.url("taobao", shop.name), c["app_key"], c["app_secret"], c["session"]) as cl:
        pub = publisher(cl)
        changes = ([sku(ITEM, int(s), n + 1) for n, s in enumerate(skus)]
                   + [plain(PLAIN, 9), sku(in_promotion, int(promoted_sku), 4),
                      sku(ITEM + 1, 1, 2)])
        outcomes = pub.push(changes)
        shown = [shop.quantity(ITEM, s) for s in skus]
        minimum = pub.minimum_calls(changes)
        # a publisher that sent more than 20 SKUs in one call gets TOP's parameter error
        monkeypatch.setattr(TaobaoQuantityPublisher, "max_batch", property(lambda self: 25))
        wide_out = publisher(cl).push([sku(ITEM, int(s), 0) for s in skus])
    assert shown == list(range(1, 26))
    assert shop.quantity(ITEM) == sum(range(1, 26))
    assert shop.quantity(PLAIN) == 9
    assert shop.quantity(in_promotion, promoted_sku) == 0
    assert [o.status for o in outcomes] == ["pushed"] * 26 + ["failed", "failed"]
    assert "isv.item-is-in-activity" in (outcomes[-2].error or "")
    assert "isv.sku-not-exist" in (outcomes[-1].error or "")
    assert pub.stats.write_calls == minimum == 5   # 25 SKUs: 2; three other items: 1 each
    assert {o.error for o in wide_out} == {
        "isv.invalid-parameter: skuid_quantities 最多支持 20 个 SKU"}
    assert [shop.quantity(ITEM, s) for s in skus] == shown   # nothing of it applied
