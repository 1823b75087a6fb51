"""Store-fed streams in batches: several inputs in one POST with a JSON body, the records
matched back to their inputs, unanswered inputs not found, per-request headers."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from pydantic import ValidationError

from synchub.config.connector_inputs import StoreInputsSpec
from synchub.couriers.inputs import ParcelInput
from synchub.pipeline.source import _read_inputs
from synchub.runtime import ConnectorClient
from tests.runtime.helpers import BASE, make_conn, make_spec

URL = f"{BASE}/track"


def _client(batch: int, **stream: Any) -> ConnectorClient:
    spec = make_spec({"track": {
        "path": "/track", "http_method": "POST", "record_selector": "output.results",
        "body": {"detailed": True, "info": {"for_each_input": {
            "number": {"value": "{input.tracking_number}"}}}},
        "headers": {"X-Request": "{request_id}", "X-Source": "hub"},
        "inputs": {"from_store": "open_parcels", "carriers": ["acme"], "batch_size": batch,
                   "match_field": "number"},
        **stream}})
    return ConnectorClient(spec, make_conn())


def _parcels(n: int) -> list[ParcelInput]:
    return [ParcelInput(f"N{i}", "ACME", "shop", f"o{i}", f"s{i}") for i in range(n)]


def _answer(request: Any) -> tuple[int, dict[str, str], str]:
    body = json.loads(request.body)
    numbers = [i["number"]["value"] for i in body["info"]]
    # N1 is unknown to the API; an extra number nobody asked about is left out
    results = [{"number": n, "state": "moving"} for n in numbers if n != "N1"]
    return 200, {}, json.dumps({"output": {"results": [*results, {"number": "X9"}]}})


@responses.activate
def test_batches_of_inputs_in_one_post_each() -> None:
    responses.add_callback(responses.POST, URL, callback=_answer)
    client = _client(2)
    inputs = client.spec.streams["track"].inputs
    pages = list(_read_inputs(client, "track", inputs, _parcels(5)))

    sent = [json.loads(c.request.body) for c in responses.calls]
    assert [[i["number"]["value"] for i in b["info"]] for b in sent] == [
        ["N0", "N1"], ["N2", "N3"], ["N4"]]
    assert all(b["detailed"] is True for b in sent)
    ids = [c.request.headers["X-Request"] for c in responses.calls]
    assert len(set(ids)) == 3 and all(len(i) == 32 for i in ids)   # a new id per request
    assert {c.request.headers["X-Source"] for c in responses.calls} == {"hub"}

    assert [len(p.records) for p in pages] == [2, 2, 1]
    records = [r for p in pages for r in p.records]
    assert [(r["_input"]["tracking_number"], r.get("state"), r.get("_not_found"))
            for r in records] == [("N0", "moving", None), ("N1", None, True),
                                  ("N2", "moving", None), ("N3", "moving", None),
                                  ("N4", "moving", None)]
    assert records[0]["_input"]["order_external_id"] == "o0"


@responses.activate
def test_a_not_found_status_marks_the_whole_batch() -> None:
    responses.post(URL, status=404, json={"errors": [{"code": "NOT.FOUND"}]})
    client = _client(3)
    inputs = client.spec.streams["track"].inputs
    pages = list(_read_inputs(client, "track", inputs, _parcels(2)))
    assert [r["_not_found"] for r in pages[0].records] == [True, True]


@responses.activate
def test_joined_values_for_an_api_taking_a_list_in_a_parameter() -> None:
    responses.get(f"{BASE}/list", json={"items": [{"id": "N0"}, {"id": "N1"}]},
                  match=[responses.matchers.query_param_matcher({"numbers": "N0,N1"})])
    spec = make_spec({"list": {
        "path": "/list", "record_selector": "items",
        "params": {"numbers": "{input.tracking_number}"},
        "inputs": {"from_store": "open_parcels", "carriers": ["acme"], "batch_size": 30,
                   "match_field": "id"}}})
    client = ConnectorClient(spec, make_conn())
    pages = list(_read_inputs(client, "list", spec.streams["list"].inputs, _parcels(2)))
    assert [r["id"] for r in pages[0].records] == ["N0", "N1"]


def test_a_batch_needs_a_match_field_and_a_body_needs_post() -> None:
    with pytest.raises(ValidationError, match="match_field"):
        StoreInputsSpec(from_store="open_parcels", carriers=["x"], batch_size=2)
    with pytest.raises(ValidationError, match="http_method: POST"):
        make_spec({"t": {"path": "/t", "record_selector": "r", "body": {"a": 1}}})
