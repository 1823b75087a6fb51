"""ConnectorClient behaviour beyond one connector: context placeholders, substream state,
full refresh, unknown streams."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import responses
from responses import matchers

from synchub.errors import ConfigError
from synchub.runtime import ConnectorClient

from .helpers import BASE, FakeClock, make_conn, make_spec

STREAMS = {
    "parents": {"path": "/parents", "record_selector": "@", "params": {"cur": "{context.cur}"},
                "paginator": {"type": "page_number"}, "page_size": 2, "page_size_param": "n",
                "incremental": {"cursor_field": "at", "start_param": "since", "sorted": True}},
    "children": {"path": "/parents/{pid}/children", "record_selector": "@",
                 "parent": {"stream": "parents", "when": "kind == 'box'",
                            "path_params": {"pid": "id"}}},
}
CONTEXT = {"cur": {"path": "/settings", "select": "currency.code"}}


def client() -> ConnectorClient:
    clock = FakeClock()
    return ConnectorClient(make_spec(STREAMS, context=CONTEXT), make_conn(), clock=clock,
                           sleep=clock.sleep)


@responses.activate(assert_all_requests_are_fired=True)
def test_substream_state_follows_parent_pages() -> None:
    responses.get(f"{BASE}/settings", json={"currency": {"code": "EUR"}})
    responses.get(f"{BASE}/parents", json=[{"id": 1, "kind": "box", "at": "2025-03-01T10:00:00Z"},
                                           {"id": 2, "kind": "bag", "at": "2025-03-01T11:00:00Z"}],
                  match=[matchers.query_param_matcher({"cur": "EUR", "n": "2",
                                                       "since": "2025-03-01T00:00:00Z"})])
    responses.get(f"{BASE}/parents", json=[{"id": 3, "kind": "bag", "at": "2025-03-01T12:00:00Z"}],
                  match=[matchers.query_param_matcher({"cur": "EUR", "n": "2", "page": "2",
                                                       "since": "2025-03-01T00:00:00Z"})])
    responses.get(f"{BASE}/parents/1/children", json=[{"id": 10}, {"id": 11}])
    pages = list(client().read("children", state={"cursor": "2025-03-01T00:00:00Z"}))
    # parent page 1 -> the child page carries its state; parent page 2 has no box: an empty
    # page still moves the cursor
    assert [([r["id"] for r in p.records], p.state, p.number) for p in pages] == [
        ([10, 11], {"cursor": "2025-03-01T11:00:00Z"}, 1),
        ([], {"cursor": "2025-03-01T12:00:00Z"}, 2),
    ]
    assert pages[0].records[0]["_parent"]["id"] == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_full_refresh_ignores_state() -> None:
    responses.get(f"{BASE}/settings", json={"currency": {"code": "EUR"}})
    responses.get(f"{BASE}/parents", json=[{"id": 1, "kind": "bag", "at": "2024-01-01T00:00:00Z"}],
                  match=[matchers.query_param_matcher({"cur": "EUR", "n": "2"})])
    pages = list(client().read("parents", state={"cursor": "2025-03-01T00:00:00Z"},
                               window_end=datetime(2025, 3, 2, tzinfo=UTC), full_refresh=True))
    assert [p.state for p in pages] == [{"cursor": "2024-01-01T00:00:00Z"}]


def test_unknown_stream() -> None:
    with pytest.raises(ConfigError, match=r"unknown stream 'kids'.*streams: children, parents"):
        client().read("kids")


def test_context_placeholders_are_filled_in_the_path() -> None:
    """`{context.x}` in a stream path is replaced (URL-quoted) by the context value."""
    import responses as rsps_mod

    from synchub.config.connector import ConnectorSpec
    from synchub.runtime import ConnectionInfo, ConnectorClient

    spec = ConnectorSpec.model_validate({
        "system": "demo", "title": "Demo", "base_url": "{host}",
        "auth": {"type": "bearer", "secret_field": "password"},
        "context": {"site": {"path": "/site", "select": "slug"}},
        "streams": {"items": {"path": "/sites/{context.site}/items", "record_selector": "items",
                              "paginator": {"type": "single"}, "mappings": []}},
    })
    conn = ConnectionInfo(conn_id="c", conn_type="http", host="https://api.example.test",
                          password="t0ken-value")
    with rsps_mod.RequestsMock(assert_all_requests_are_fired=True) as r:
        r.get("https://api.example.test/site", json={"slug": "main shop"})
        r.get("https://api.example.test/sites/main%20shop/items", json={"items": [{"id": 1}]})
        pages = list(ConnectorClient(spec, conn).read("items"))
    assert pages[0].records == [{"id": 1}]
