"""Connector files: valid and invalid tables with the expected message, file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from synchub.config.connector import ConnectorSpec
from synchub.config.connector_checks import load_connector
from synchub.config.loader import ConfigErrors

HEAD = """\
system: demo
title: Demo
auth: {type: header_token, header: X-Token}
context:
  currency: {path: /settings/currency, select: value}
stream_defaults: {paginator: {type: header_link}, page_size: 50, page_size_param: limit}
streams:
"""
ORDERS = """\
  orders:
    path: /orders.json
    record_selector: orders
"""


def write(tmp_path: Path, streams: str, head: str = HEAD) -> Path:
    path = tmp_path / "connector.yaml"
    path.write_text(head + streams)
    return path


def test_minimal_file_loads_with_defaults_merged(tmp_path: Path) -> None:
    spec = load_connector(write(tmp_path, ORDERS))
    assert isinstance(spec, ConnectorSpec)
    orders = spec.streams["orders"]
    assert (orders.transport, orders.paginator.type, orders.page_size) == (
        "rest", "header_link", 50)
    assert spec.context["currency"].transport == "rest"


INVALID = [
    ("unknown paginator type", ORDERS + "    paginator: {type: cursorz}\n",
     ":11: streams.orders.paginator: unknown type 'cursorz'; expected one of"),
    ("unknown stream key", ORDERS + "    paginater: {type: single}\n",
     ":11: streams.orders.paginater: unknown key (not allowed here)"),
    ("missing key", "  orders:\n    path: /orders.json\n",
     ":8: streams.orders.record_selector: required key is missing"),
    ("wrong type", ORDERS + "    page_size: many\n",
     ":11: streams.orders.page_size: Input should be a valid integer"),
    ("bad duration",
     ORDERS + "    incremental: {cursor_field: u, start_param: s, lookback: soon}\n",
     "streams.orders.incremental.lookback: Value error, expected a duration"),
    ("bad jmespath", "  orders:\n    path: /o\n    record_selector: 'orders[?'\n",
     ":10: streams.orders.record_selector: Value error, invalid JMESPath expression"),
    ("paginator does not fit transport", ORDERS + "    paginator: {type: graphql_cursor, "
     "page_info: data.x.pageInfo}\n",
     ":11: streams.orders.paginator.type: paginator 'graphql_cursor' does not fit transport "
     "'rest'"),
    ("unknown context", ORDERS + "    params: {currency: '{context.curency}'}\n",
     ":11: streams.orders.params.currency: unknown context 'curency'; declared: ['currency']"),
    ("incremental without start", ORDERS + "    incremental: {cursor_field: updated_at}\n",
     ":11: streams.orders.incremental.start_param: an incremental stream needs start_param"),
    ("incremental param set twice", ORDERS + "    params: {since: x}\n"
     "    incremental: {cursor_field: u, start_param: since}\n",
     ":11: streams.orders.params.since: 'since' is set by incremental"),
    ("paired bounds without an end", ORDERS + "    incremental: {cursor_field: u, "
     "start_param: since, paired_bounds: true}\n",
     ":11: streams.orders.incremental.paired_bounds: paired_bounds needs start_param and "
     "end_param"),
    ("template without placeholder", ORDERS + "    incremental: {cursor_field: u, start_param: q, "
     "start_template: 'updated_at>x'}\n",
     "streams.orders.incremental.start_template: Value error, must contain {value}"),
    ("unknown parent", ORDERS + "  lines:\n    path: /orders/{order_id}/lines\n"
     "    record_selector: lines\n    parent: {stream: order, path_params: {order_id: id}}\n",
     ":14: streams.lines.parent.stream: unknown parent stream 'order'"),
    ("parent value used nowhere", ORDERS + "  lines:\n    path: /lines\n"
     "    params: {order: '{oid}'}\n    record_selector: lines\n"
     "    parent: {stream: orders, path_params: {oid: id, order_id: id}}\n",
     ":15: streams.lines.parent.path_params.order_id: {order_id} does not appear in the path "
     "or the params"),
    ("placeholder without parent", "  lines:\n    path: /orders/{order_id}/lines\n"
     "    record_selector: lines\n", ":9: streams.lines.path: path placeholder {order_id} needs "
     "a parent stream"),
    ("a Connection value that is not extra.<key>", "  lines:\n    path: /sellers/{conn.password}"
     "\n    record_selector: lines\n", ":9: streams.lines.path: placeholder {conn.password}: "
     "only {conn.extra.<key>} may fill a request"),
    ("graphql variable not declared", "  items:\n    transport: graphql\n    path: /graphql.json\n"
     "    query: 'query { items(first: 5) { id } }'\n    record_selector: data.items\n"
     "    paginator: {type: single}\n    page_size: 5\n    page_size_param: first\n",
     ":11: streams.items.query: the query does not declare variable $first"),
]


@pytest.mark.parametrize(("streams", "message"), [c[1:] for c in INVALID],
                         ids=[c[0] for c in INVALID])
def test_invalid_stream(tmp_path: Path, streams: str, message: str) -> None:
    path = write(tmp_path, streams)
    with pytest.raises(ConfigErrors) as info:
        load_connector(path)
    assert str(path) in str(info.value)
    assert message in str(info.value), str(info.value)


@pytest.mark.parametrize(("auth", "message"), [
    ("{type: magic_token}", ":3: auth: unknown type 'magic_token'; expected one of"),
    ("{type: basic, user_field: login}", ":3: auth.user_field: unknown key"),
    ("{type: header_token}", ":3: auth.header: required key is missing"),
    ("{header: X-Token}", ":3: auth: key 'type' is required"),
    ("{type: oauth2_refresh_token, token_url: 'https://a/t', expiry_margin_seconds: soon}",
     "auth.expiry_margin_seconds: Input should be a valid number"),
])
def test_invalid_auth(tmp_path: Path, auth: str, message: str) -> None:
    head = HEAD.replace("{type: header_token, header: X-Token}", auth)
    with pytest.raises(ConfigErrors) as info:
        load_connector(write(tmp_path, ORDERS, head))
    assert message in str(info.value), str(info.value)


def test_rate_limit_type_and_several_errors_at_once(tmp_path: Path) -> None:
    head = HEAD.replace("context:", "http:\n  rate_limit: {type: sliding_window}\n"
                                    "  timeout_seconds: 0\ncontext:")
    with pytest.raises(ConfigErrors) as info:
        load_connector(write(tmp_path, ORDERS, head))
    messages = [e.message for e in info.value.errors]
    assert any("http.rate_limit" in m and "unknown type 'sliding_window'" in m for m in messages)
    assert any("http.timeout_seconds" in m and "greater than 0" in m for m in messages)


def test_secret_values_are_not_echoed(tmp_path: Path) -> None:
    head = HEAD.replace("{type: header_token, header: X-Token}",
                        "{type: header_token, header: X-Token, secret_field: [hunter22]}")
    with pytest.raises(ConfigErrors) as info:
        load_connector(write(tmp_path, ORDERS, head))
    assert "auth.secret_field" in str(info.value)
    assert "hunter22" not in str(info.value)
