"""The jsonrpc transport: one login per client, execute_kw bodies, offset paging, the
incremental window as domain terms, context values, and how Odoo faults are classified."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from responses import matchers

from synchub.config.connector import ConnectorSpec, connector_model
from synchub.errors import ConfigError, FatalAPIError, RetriableAPIError
from synchub.runtime import ConnectorClient
from synchub.systems.odoo.transport import rpc_result as jsonrpc_result
from tests.runtime.helpers import BASE, FakeClock, make_conn

RPC = f"{BASE}/jsonrpc"
DB, LOGIN, PASSWORD, UID = "acme", "sync@example.com", "odoo-api-key-0001", 7
FIELDS = ["id", "default_code", "write_date"]
ORDER = "write_date asc, id asc"


def spec(**stream: Any) -> ConnectorSpec:
    products = {"model": "product.product", "domain": [["default_code", "!=", False]],
                "fields": FIELDS, "order": ORDER, "paginator": {"type": "offset"},
                "page_size": 2, **stream}
    return connector_model().model_validate({
        "system": "odoo", "title": "Odoo", "auth": {"type": "odoo_jsonrpc"},
        "http": {"timeout_seconds": 5, "max_retries": 2,
                 "backoff": {"initial_seconds": 0.001, "max_seconds": 0.01}},
        "context": {"company_currency": {
            "transport": "jsonrpc", "model": "res.company", "fields": ["currency_id"],
            "order": "id asc", "limit": 1, "select": "[0].currency_id[1]"}},
        "stream_defaults": {"transport": "jsonrpc"},
        "streams": {"products": products},
    })


def client(s: ConnectorSpec | None = None) -> ConnectorClient:
    conn = make_conn(conn_id="erp", schema=DB, login=LOGIN, password=PASSWORD)
    clock = FakeClock()
    return ConnectorClient(s or spec(), conn, clock=clock, sleep=clock.sleep)


def call(service: str, method: str, args: list[Any], call_id: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "call",
            "params": {"service": service, "method": method, "args": args}, "id": call_id}


def login(mock: responses.RequestsMock, call_id: int = 1, answer: Any = UID) -> None:
    mock.post(RPC, json={"jsonrpc": "2.0", "id": call_id, "result": answer},
              match=[matchers.json_params_matcher(
                  call("common", "login", [DB, LOGIN, PASSWORD], call_id))])


def search_read(mock: responses.RequestsMock, call_id: int, model: str, domain: list[Any],
                kwargs: dict[str, Any], result: Any) -> None:
    args = [DB, UID, PASSWORD, model, "search_read", [domain], kwargs]
    mock.post(RPC, json={"jsonrpc": "2.0", "id": call_id, "result": result},
              match=[matchers.json_params_matcher(call("object", "execute_kw", args, call_id))])


def product(pid: int, stamp: str) -> dict[str, Any]:
    return {"id": pid, "default_code": f"SKU-{pid:05d}-1", "write_date": stamp}


def fault(name: str, message: str, code: int = 200) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 2, "error": {
        "code": code, "message": "Odoo Server Error",
        "data": {"name": name, "message": message, "arguments": [message],
                 "debug": f"Traceback (most recent call last):\n  ...\n{name}: {message}"}}}


@pytest.fixture
def mock() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as m:
        yield m


def test_login_once_then_offset_pages_until_a_short_page(mock: responses.RequestsMock) -> None:
    login(mock)
    base = {"fields": FIELDS, "order": ORDER, "limit": 2}
    domain = [["default_code", "!=", False]]
    search_read(mock, 2, "product.product", domain, {**base, "offset": 0},
                [product(1, "2025-03-01 10:00:00"), product(2, "2025-03-01 10:00:05")])
    search_read(mock, 3, "product.product", domain, {**base, "offset": 2},
                [product(3, "2025-03-01 11:00:00"), product(4, "2025-03-01 11:30:00")])
    search_read(mock, 4, "product.product", domain, {**base, "offset": 4},
                [product(5, "2025-03-01 12:00:00")])
    c = client()
    pages = list(c.read("products"))
    assert [[r["id"] for r in p.records] for p in pages] == [[1, 2], [3, 4], [5]]
    assert c.http.auth.logins == 1  # type: ignore[attr-defined]
    assert c.stats.requests == 4


def test_incremental_window_is_appended_to_the_domain(mock: responses.RequestsMock) -> None:
    s = spec(incremental={"cursor_field": "write_date", "start_param": "write_date",
                          "end_param": "write_date", "param_format": "naive",
                          "cursor_timezone": "UTC", "lookback": "10m", "safety_lag": "1m",
                          "sorted": True})
    login(mock)
    domain = [["default_code", "!=", False],
              ["write_date", ">", "2025-03-01 11:50:00"],
              ["write_date", "<=", "2025-03-01 23:59:00"]]
    base = {"fields": FIELDS, "order": ORDER, "limit": 2}
    search_read(mock, 2, "product.product", domain, {**base, "offset": 0},
                [product(1, "2025-03-01 12:00:00"), product(2, "2025-03-01 12:30:00")])
    search_read(mock, 3, "product.product", domain, {**base, "offset": 2}, [])
    pages = list(client(s).read("products", state={"cursor": "2025-03-01T12:00:00Z"},
                                window_end=datetime(2025, 3, 2, 0, 0, 0, 999, tzinfo=UTC)))
    # sorted: every page carries the state; naive Odoo times are read as UTC
    assert [(len(p.records), p.state) for p in pages] == [
        (2, {"cursor": "2025-03-01T12:30:00Z"}), (0, {"cursor": "2025-03-01T12:30:00Z"})]


def test_context_value_over_jsonrpc_and_placeholder_in_domain(
        mock: responses.RequestsMock) -> None:
    s = spec(domain=[["currency_id.name", "=", "{context.company_currency}"]],
             paginator={"type": "single"}, page_size=None)
    login(mock)
    search_read(mock, 2, "res.company", [], {"fields": ["currency_id"], "order": "id asc",
                                             "limit": 1},
                [{"id": 1, "currency_id": [1, "EUR"]}])
    search_read(mock, 3, "product.product", [["currency_id.name", "=", "EUR"]],
                {"fields": FIELDS, "order": ORDER}, [product(1, "2025-03-01 10:00:00")])
    c = client(s)
    assert c.context() == {"company_currency": "EUR"}
    assert [p.records for p in c.read("products")] == [[product(1, "2025-03-01 10:00:00")]]


def test_bad_credentials_are_a_config_error_and_never_retried(
        mock: responses.RequestsMock) -> None:
    login(mock, answer=False)
    with pytest.raises(ConfigError, match=re.escape(
            "refused the login 'sync@example.com' on database 'acme'")) as info:
        list(client().read("products"))
    assert PASSWORD not in str(info.value)
    assert len(mock.calls) == 1


def test_access_denied_is_fatal_with_the_odoo_name(mock: responses.RequestsMock) -> None:
    login(mock)
    mock.post(RPC, json=fault("odoo.exceptions.AccessDenied", "Access Denied"))
    with pytest.raises(FatalAPIError, match=r"odoo\.exceptions\.AccessDenied: Access Denied") as e:
        list(client().read("products"))
    assert e.value.status == 200 and "Traceback" not in (e.value.body or "")
    assert len(mock.calls) == 2


def test_serialization_failure_is_retried_with_the_same_body(
        mock: responses.RequestsMock) -> None:
    login(mock)
    busy = mock.post(RPC, json=fault("psycopg2.errors.SerializationFailure",
                                     "could not serialize access due to concurrent update"))
    ok = mock.post(RPC, json={"jsonrpc": "2.0", "id": 2, "result": []})
    c = client()
    assert [p.records for p in c.read("products")] == [[]]
    assert busy.call_count == 1 and ok.call_count == 1
    assert busy.calls[0].request.body == ok.calls[0].request.body
    assert c.stats.retries == 1 and c.stats.throttled_seconds == 0


def test_http_5xx_is_retried_like_rest(mock: responses.RequestsMock) -> None:
    login(mock)
    mock.post(RPC, status=502, body="Bad Gateway")
    mock.post(RPC, json={"jsonrpc": "2.0", "id": 2, "result": []})
    assert [p.records for p in client().read("products")] == [[]]


@pytest.mark.parametrize(("name", "message", "cls"), [
    ("odoo.exceptions.AccessError", "You are not allowed to access 'Product' records.",
     FatalAPIError),
    ("odoo.exceptions.ValidationError", "bad value", FatalAPIError),
    ("odoo.exceptions.UserError", "Object foo.bar doesn't exist", FatalAPIError),
    ("odoo.exceptions.MissingError", "Record does not exist or has been deleted.",
     FatalAPIError),
    ("builtins.ValueError", "Invalid field 'nope' on model 'product.product'", FatalAPIError),
    ("psycopg2.errors.SerializationFailure", "could not serialize access", RetriableAPIError),
    ("psycopg2.errors.DeadlockDetected", "deadlock detected", RetriableAPIError),
    ("odoo.exceptions.UserError", "could not serialize access due to concurrent update",
     RetriableAPIError),
])
def test_fault_table(name: str, message: str, cls: type[Exception]) -> None:
    with pytest.raises(cls) as info:
        jsonrpc_result(fault(name, message), RPC)
    assert type(info.value) is cls
    assert f"{name}: {message}" in str(info.value)


@pytest.mark.parametrize("body", [{"jsonrpc": "2.0", "id": 1}, [1, 2], None])
def test_an_answer_without_result_or_error_is_fatal(body: Any) -> None:
    with pytest.raises(FatalAPIError, match="not a JSON-RPC answer"):
        jsonrpc_result(body, RPC)


def test_result_false_and_empty_are_results() -> None:
    assert jsonrpc_result({"jsonrpc": "2.0", "id": 1, "result": False}, RPC) is False
    assert jsonrpc_result({"jsonrpc": "2.0", "id": 1, "result": []}, RPC) == []


def test_jsonrpc_stream_without_odoo_auth_is_refused_when_loaded(tmp_path: Any) -> None:
    import yaml

    from synchub.config.connector_checks import load_connector
    from synchub.config.loader import ConfigErrors

    doc = {"system": "odoo", "title": "Odoo", "auth": {"type": "bearer"},
           "streams": {"quants": {"transport": "jsonrpc", "model": "stock.quant",
                                  "domain": [["x", "=", "{context.nope}"]],
                                  "paginator": {"type": "header_link"},
                                  "kwargs": {"limit": 5},
                                  "incremental": {"cursor_field": "write_date",
                                                  "start_param": "write_date",
                                                  "end_param": "write_date"}}}}
    path = tmp_path / "connector.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigErrors) as info:
        load_connector(path)
    text = str(info.value)
    for expected in ("transport jsonrpc needs auth type odoo_jsonrpc",
                     "paginator 'header_link' does not fit transport 'jsonrpc'",
                     "unknown context 'nope'", "'limit' is set by the stream's own keys",
                     "set param_format: naive", "set cursor_timezone: UTC"):
        assert expected in text
    # one field as start and end is normal for a domain: no complaint about sharing it
    assert "share one param" not in text
