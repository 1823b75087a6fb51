"""Bodies that do not parse: retried when cut short, fatal at once when a retry cannot help.

Attempts are counted (``call_count``) and sleeps recorded on a fake clock, so "fails fast"
is checked without timing anything.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import responses

from synchub.config.connector_files import FileStreamSpec
from synchub.errors import FatalAPIError, RetriableAPIError
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.runtime.classify import classify, nesting_depth
from synchub.runtime.files import read_files

from .helpers import BASE, FakeClock, make_conn, make_spec, response

URL = f"{BASE}/items"
DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_UTF8 = b'{"items": [{"id": 1, "name": "caf\xe9 au lait"}, {"id": 2}]}'


def nested(levels: int) -> Any:
    """An object ``2 * levels`` deep (an object and a list per level)."""
    value: Any = "bottom"
    for _ in range(levels):
        value = {"down": [value]}
    return value


def client(clock: FakeClock) -> ConnectorClient:
    http = {"timeout_seconds": 5, "max_retries": 8,
            "backoff": {"initial_seconds": 0.001, "max_seconds": 0.01}}
    return ConnectorClient(make_spec(http=http), make_conn(), clock=clock, sleep=clock.sleep)


def read_all(c: ConnectorClient) -> list[Any]:
    return [r for page in c.read("items") for r in page.records]


@pytest.mark.parametrize("raw, cls, words", [
    (NOT_UTF8, FatalAPIError, ["not valid UTF-8 at byte 33 of", "invalid continuation byte",
                               "b'\\xe9'", URL]),
    (b'{"items": [{"id": 1}]}\xff', FatalAPIError, ["at byte 22 of 23", "invalid start byte"]),
    # a body cut inside a character, or inside the JSON, may come whole next time
    ('{"items": [{"name": "é'.encode()[:-1], RetriableAPIError, ["truncated body"]),
    (b'{"items": [{"id"', RetriableAPIError, ["invalid or truncated JSON body"]),
    (DEEP, FatalAPIError, ["response nested 100,000 levels deep",
                           "deeper than the JSON parser follows"]),
])
def test_classify_a_body_that_does_not_parse(raw: bytes, cls: type[Exception],
                                             words: list[str]) -> None:
    with pytest.raises(cls) as info:
        classify(response(200, raw=raw))
    assert type(info.value) is cls
    for word in words:
        assert word in str(info.value)


def test_a_deep_error_body_still_gives_the_status() -> None:
    with pytest.raises(FatalAPIError, match="HTTP 400: Bad Request"):
        classify(response(400, raw=DEEP))


@responses.activate(assert_all_requests_are_fired=True)
def test_invalid_utf8_fails_at_the_first_attempt_naming_url_and_offset() -> None:
    api = responses.get(URL, body=NOT_UTF8, content_type="application/json")
    clock = FakeClock()
    with pytest.raises(FatalAPIError) as info:
        read_all(client(clock))
    assert (api.call_count, clock.slept) == (1, [])
    message = str(info.value)
    assert f"GET {URL}: HTTP 200: the body is not valid UTF-8 at byte 33" in message
    assert "tok-secret-1" not in message
    assert info.value.url == URL


@responses.activate(assert_all_requests_are_fired=True)
def test_a_body_cut_inside_a_character_is_retried() -> None:
    responses.get(URL, body='{"items": [{"id": 1, "name": "é'.encode()[:-1],
                  content_type="application/json")
    responses.get(URL, json={"items": [{"id": 1, "name": "é"}]})
    c = client(FakeClock())
    assert read_all(c) == [{"id": 1, "name": "é"}]
    assert c.stats.retries == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_a_body_nested_100000_deep_fails_at_the_first_attempt() -> None:
    api = responses.get(URL, body=DEEP, content_type="application/json")
    clock = FakeClock()
    with pytest.raises(FatalAPIError, match="response nested 100,000 levels deep"):
        read_all(client(clock))
    assert (api.call_count, clock.slept) == (1, [])


@responses.activate(assert_all_requests_are_fired=True)
def test_a_record_nested_50_deep_is_read() -> None:
    record = {"id": 1, "tree": nested(25)}   # 50 levels below the record
    responses.get(URL, json={"items": [record]})
    assert read_all(client(FakeClock())) == [record]


def test_nesting_depth_ignores_brackets_in_strings() -> None:
    assert nesting_depth(b'{"a": "[[{\\"[", "b": [[1], {}]}') == 3
    assert nesting_depth(b"") == 0


def file_records(folder: Path, name: str, fmt: str) -> list[dict[str, Any]]:
    spec = FileStreamSpec.model_validate({"transport": "file", "path": name, "format": fmt})
    conn = ConnectionInfo(conn_id="files", conn_type="fs", host=str(folder))
    return [r for p in read_files(spec, conn, stream="s") for r in p.records]


def test_a_deep_file_or_line_is_a_bad_record_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_bytes(DEEP)
    (bad,) = file_records(tmp_path, "deep.json", "json")
    assert (bad["_line"], bad["_error"]) == (
        0, "is nested 100,000 levels deep, deeper than the JSON parser follows "
           f"(at most {sys.getrecursionlimit():,})")
    (tmp_path / "deep.jsonl").write_bytes(b'{"id": 1}\n' + DEEP + b'\n{"id": 3}\n')
    lines = file_records(tmp_path, "deep.jsonl", "jsonl")
    assert [(r["_line"], r.get("id")) for r in lines] == [(1, 1), (2, None), (3, 3)]
    assert lines[1]["_error"].startswith("is nested 100,000 levels deep")
    fine = {"id": 5, "tree": nested(25)}
    (tmp_path / "fine.jsonl").write_text(json.dumps(fine) + "\n")
    assert file_records(tmp_path, "fine.jsonl", "jsonl") == [
        {**fine, "_file": "fine.jsonl", "_line": 1}]
