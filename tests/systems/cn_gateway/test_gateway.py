"""The gateway strategies on bare values: error envelopes classified, backward page order,
windows cut, and connector files checked across keys (each message naming the key)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from synchub.config.connector_checks import load_connector
from synchub.config.loader import ConfigErrors
from synchub.errors import RetriableAPIError
from synchub.systems.cn_gateway.errors import (
    GatewayAuthError,
    GatewayError,
    classify_error,
    open_envelope,
    response_key,
)
from synchub.systems.cn_gateway.paging import BackwardPagesPaginator
from synchub.systems.cn_gateway.specs import BackwardPagesPaginatorSpec, GatewayErrorsSpec
from synchub.systems.cn_gateway.times import datetime_space_utc8
from synchub.systems.cn_gateway.transport import windows

ROOT = Path(__file__).resolve().parents[3]
TOP = GatewayErrorsSpec()


@pytest.mark.parametrize(("err", "kind", "retry_after"), [
    ({"code": 7, "msg": "App Call Limited", "sub_code": "accesscontrol.limited-by-app-access-count",
      "sub_msg": "This ban will last for 59 more seconds"}, RetriableAPIError, 60.0),
    ({"code": 7, "msg": "App Call Limited"}, RetriableAPIError, None),
    ({"code": 15, "msg": "Remote service error", "sub_code": "isv.item-service-unavailable"},
     RetriableAPIError, None),
    ({"code": 10, "msg": "Service currently unavailable"}, RetriableAPIError, None),
    ({"code": 15, "msg": "Remote service error", "sub_code": "isp.top-remote-connection-timeout"},
     RetriableAPIError, None),
    ({"code": 27, "msg": "Invalid session", "sub_code": "invalid-sessionkey"},
     GatewayAuthError, None),
    ({"code": 15, "msg": "Remote service error", "sub_code": "isv.invalid-sessionkey"},
     GatewayAuthError, None),
    ({"code": 26, "msg": "Missing session"}, GatewayAuthError, None),
    ({"code": 41, "msg": "Invalid arguments:page_size", "sub_code": "isv.invalid-parameter"},
     GatewayError, None),
    ({"code": 25, "msg": "Invalid signature"}, GatewayError, None),
    ({"code": 15, "msg": "Remote service error", "sub_code": "isv.trade-not-exist"},
     GatewayError, None),
])
def test_error_envelopes_are_classified(err: dict[str, Any], kind: type[Exception],
                                        retry_after: float | None) -> None:
    exc = classify_error(err, errors=TOP, url="https://gw/router/rest", method="m",
                         conn_id="shop_1")
    assert type(exc) is kind
    if isinstance(exc, RetriableAPIError):
        assert exc.retry_after == retry_after and exc.status == 200
    else:
        assert isinstance(exc, GatewayError)
        assert (exc.code, exc.sub_code) == (str(err["code"]), err.get("sub_code"))
    if kind is GatewayAuthError:
        assert "connection 'shop_1'" in str(exc)


def test_the_error_keys_are_configurable() -> None:
    pdd = GatewayErrorsSpec(code="error_code", message="error_msg", retriable_codes=["70031"])
    exc = classify_error({"error_code": 70031, "error_msg": "调用过于频繁"}, errors=pdd,
                         url="u", method="pdd.order.list.get", conn_id="c")
    assert isinstance(exc, RetriableAPIError)


JD = GatewayErrorsSpec(code="code", message="zh_desc", success_path="*.apiResult.success | [0]",
                       result_code_path="*.apiResult.englishErrCode | [0]",
                       result_message_path="*.apiResult.chineseErr | [0]")


def test_a_false_success_inside_the_envelope_is_a_vendor_error() -> None:
    def opened(result: dict[str, Any]) -> Any:
        return open_envelope({"jingdong_pop_order_search_responce": {
            "code": "0", "searchorderinfo_result": result}},
            key="jingdong_pop_order_search_responce", errors=JD, url="u",
            method="jingdong.pop.order.search", conn_id="jd_shop")

    ok = {"apiResult": {"success": True}, "orderTotal": 0}
    assert opened(ok)["searchorderinfo_result"] == ok
    with pytest.raises(GatewayError) as caught:
        opened({"apiResult": {"success": False, "englishErrCode": "param.error",
                              "chineseErr": "查询时间跨度不能超过一个月"}})
    assert caught.value.code == "param.error" and "一个月" in str(caught.value)
    with pytest.raises(GatewayError, match=r"apiResult\.success"):
        opened({"orderTotal": 3})               # no flag at all is not a success either


def test_the_envelope_key() -> None:
    assert response_key("{method}_response", "taobao.trades.sold.increment.get",
                        "taobao.") == "trades_sold_increment_get_response"
    assert response_key("{method}_responce", "jingdong.pop.order.search") == \
        "jingdong_pop_order_search_responce"


@pytest.mark.parametrize(("total", "size", "pages", "kept"), [
    (0, 100, [1], [True]),
    (100, 100, [1], [True]),
    (101, 100, [1, 2, 1], [False, True, True]),
    (250, 100, [1, 3, 2, 1], [False, True, True, True]),
    ("12", 5, [1, 3, 2, 1], [False, True, True, True]),
])
def test_backward_pages(total: Any, size: int, pages: list[int], kept: list[bool]) -> None:
    p = BackwardPagesPaginator(BackwardPagesPaginatorSpec(type="backward_pages",
                                                          total_path="total_results"),
                               stream="orders", page_size=size)
    asked, keeps = [p.token], []
    response = requests.Response()
    while True:
        p.update(response, {"total_results": total}, [])
        keeps.append(p.keep)
        if p.finished:
            break
        asked.append(p.token)
    assert (asked, keeps) == (pages, kept)


def test_backward_pages_need_the_total() -> None:
    p = BackwardPagesPaginator(BackwardPagesPaginatorSpec(type="backward_pages",
                                                          total_path="total_results"),
                               stream="orders", page_size=10)
    with pytest.raises(Exception, match="no record count at 'total_results'"):
        p.update(requests.Response(), {"has_next": True}, [])


def test_windows_tile_the_period() -> None:
    start = datetime(2025, 6, 18, 12, tzinfo=UTC)
    cut = list(windows(start, start + timedelta(minutes=70), timedelta(minutes=30)))
    assert [(a.minute, b - a) for a, b in cut] == [
        (0, timedelta(minutes=30)), (30, timedelta(minutes=30)), (0, timedelta(minutes=10))]
    assert list(windows(start, start, timedelta(minutes=30))) == []
    assert datetime_space_utc8(start) == "2025-06-18 20:00:00"


def _connector(tmp_path: Path, auth: dict[str, Any], **orders: Any) -> Path:
    spec = yaml.safe_load((ROOT / "connectors/taobao/connector.yaml").read_text())
    spec["auth"] = auth
    spec["streams"]["orders"].update(orders)
    path = tmp_path / "connector.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True))
    return path


SIGNED = {"type": "gateway_signed", "signer": "top_hmac_sha256"}


@pytest.mark.parametrize(("auth", "orders", "key", "message"), [
    ({"type": "bearer"}, {}, "streams.orders.transport", "needs auth type gateway_signed"),
    ({**SIGNED, "signer": "sha1"}, {}, "auth.signer", "unknown signer 'sha1'"),
    (SIGNED, {"page_size": None}, "streams.orders.page_size", "needs page_size"),
    (SIGNED, {"incremental": {"cursor_field": "modified", "start_param": "start_modified",
                              "end_param": "end_modified", "window_size": "30m"}},
     "streams.orders.incremental.initial_lookback", "a first run needs a start"),
    (SIGNED, {"incremental": {"cursor_field": "modified", "start_param": "start_modified",
                              "window_size": "30m", "initial_lookback": "1d"}},
     "streams.orders.incremental.end_param", "sends both bounds"),
    (SIGNED, {"response_key": "trades_response",
              "detail": {"method": "taobao.trade.fullinfo.get", "id_path": "tid",
                         "ids_param": "tid", "batch_size": 1, "record_selector": "trade"}},
     "streams.orders.detail.response_key", "names no {method}"),
])
def test_connector_checks(tmp_path: Path, auth: dict[str, Any], orders: dict[str, Any],
                          key: str, message: str) -> None:
    with pytest.raises(ConfigErrors) as caught:
        load_connector(_connector(tmp_path, auth, **orders))
    found = [(e.key, str(e)) for e in caught.value.errors]
    assert any(k == key and message in text for k, text in found), found


def test_a_window_size_is_required_and_positive(tmp_path: Path) -> None:
    inc = {"cursor_field": "modified", "start_param": "a", "end_param": "b",
           "initial_lookback": "1d", "window_size": "0s"}
    with pytest.raises(ConfigErrors, match="window_size"):
        load_connector(_connector(tmp_path, SIGNED, incremental=inc))


def test_the_shipped_connector_loads() -> None:
    spec = load_connector(ROOT / "connectors/taobao/connector.yaml")
    orders: Any = spec.streams["orders"]
    assert orders.transport == "gateway" and orders.incremental.window_size == \
        timedelta(minutes=30)
