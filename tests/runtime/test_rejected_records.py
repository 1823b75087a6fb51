"""Page items the client sets aside (``Page.rejected``) instead of failing the stream."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from synchub.runtime import ConnectorClient, RejectedRecord
from synchub.runtime.records import json_type, split_objects

from .helpers import BASE, FakeClock, make_conn, make_spec

STREAMS = {
    "plain": {"path": "/plain", "record_selector": "items"},
    "parents": {"path": "/parents", "record_selector": "@",
                "incremental": {"cursor_field": "at", "start_param": "since", "sorted": True}},
    "children": {"path": "/parents/{pid}/children", "record_selector": "@",
                 "parent": {"stream": "parents", "path_params": {"pid": "id"}}},
}


def client() -> ConnectorClient:
    clock = FakeClock()
    return ConnectorClient(make_spec(STREAMS), make_conn(), clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize("value, name", [
    ("x", "string"), (1, "number"), (1.5, "number"), (True, "boolean"), (None, "null"),
    ([1], "array"), ({}, "object"),
])
def test_json_type_names(value: Any, name: str) -> None:
    assert json_type(value) == name


def test_split_objects_numbers_items_from_one() -> None:
    good, rejected = split_objects([{"id": 1}, "x", {"id": 2}, None])
    assert good == [{"id": 1}, {"id": 2}]
    assert rejected == [
        RejectedRecord({"value": "x"}, "page item 2 is a string, not an object"),
        RejectedRecord({"value": None}, "page item 4 is a null, not an object"),
    ]


@responses.activate(assert_all_requests_are_fired=True)
def test_items_that_are_not_objects_are_set_aside_without_incremental() -> None:
    responses.get(f"{BASE}/plain", json={"items": [{"id": 1}, 7, [2], {"id": 3}]})
    (page,) = client().read("plain")
    assert page.records == [{"id": 1}, {"id": 3}]
    assert [(r.raw, r.reason, r.field) for r in page.rejected] == [
        ({"value": 7}, "page item 2 is a number, not an object", None),
        ({"value": [2]}, "page item 3 is an array, not an object", None),
    ]


@responses.activate(assert_all_requests_are_fired=True)
def test_a_parent_set_aside_is_rejected_with_the_child_stream_and_moves_no_cursor() -> None:
    responses.get(f"{BASE}/parents", json=[
        {"id": 1, "at": "2025-03-01T10:00:00Z"},
        {"id": 2, "at": "2025-03-01T11:00:00"},     # naive: no cursor_timezone declared
        "junk",
    ])
    responses.get(f"{BASE}/parents/1/children", json=[{"id": 10}])
    pages = list(client().read("children", state={"cursor": "2025-03-01T00:00:00Z"}))
    assert [([r["id"] for r in p.records], p.state) for p in pages] == [
        ([10], {"cursor": "2025-03-01T10:00:00Z"})]
    assert [(r.field, r.reason.split(":")[0]) for r in pages[0].rejected] == [
        (None, "page item 3 is a string, not an object"),
        ("at", "cursor field 'at'"),
    ]
