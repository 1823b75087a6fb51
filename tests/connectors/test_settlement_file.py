"""The ``file`` transport and the generic settlement file connector, on real temp folders.

Reading CSV, TSV, JSON and JSON Lines; pages that never span files; the by-file cursor (a
second read reads nothing, a new file is read, a replaced one again, an old one never);
unreadable rows flagged with their place; and a sync through ``sync_stream`` into SQLite
and PostgreSQL where a bad row is dead-lettered naming its file and line.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from synchub.config.connector_files import FileStreamSpec
from synchub.errors import ConfigError, redact
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.runtime.files import open_location, read_files, storage_options
from synchub.store import Store
from tests.e2e.conftest import write_hub

from .conftest import connector

HEADER = ("settlement_id,settlement_date,settlement_total,currency,transaction_id,"
          "transaction_type,order_id,refund_id,posted_at,amount,fee_type,fee_amount,gateway,"
          "description\n")
DAY1 = HEADER + (
    "S-1,2025-03-05,70.68,EUR,po_1,payout,,,,,,,stripe,payout\n"
    "S-1,2025-03-05,,EUR,txn_1,order,50001,,2025-03-03T10:00:00Z,49.90,payment_processing,"
    "1.00,stripe,Order #50001\n"
    "S-1,2025-03-05,,EUR,txn_2,order,50002,,2025-03-03T11:00:00Z,\"30.00\",Commission,"
    "3.00,stripe,\"Order #50002, gift\"\n"
    "S-1,2025-03-05,,EUR,rf_3,refund,50003,700003,2025-03-04T09:00:00Z,-5.00,,,stripe,\n"
    "S-1,2025-03-05,,EUR,fee_4,fee,,,2025-03-04T23:00:00Z,0,Storage Fee,0.22,stripe,"
    "monthly storage\n")
DAY2 = HEADER + (
    "S-2,2025-03-06,20.34,EUR,po_2,payout,,,,,,,stripe,payout\n"
    "S-2,2025-03-06,,EUR,txn_5,order,50005,,2025-03-04T10:00:00Z,\"12,34\",,,stripe,bad\n"
    "S-2,2025-03-06,,EUR,txn_6,order,50006,,2025-03-04T12:00:00Z,8.00,,,stripe,ok\n")


def stream(**kwargs: Any) -> FileStreamSpec:
    return FileStreamSpec.model_validate({"transport": "file", "path": "*.csv", **kwargs})


def conn_for(folder: Path | str, **kwargs: Any) -> ConnectionInfo:
    return ConnectionInfo(conn_id="stl", conn_type="fs", host=str(folder), **kwargs)


def write(folder: Path, name: str, text: str, mtime: float | None = None) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def records(spec: FileStreamSpec, folder: Path, state: dict[str, Any] | None = None
            ) -> list[dict[str, Any]]:
    return [r for p in read_files(spec, conn_for(folder), stream="s", state=state)
            for r in p.records]


def last_state(spec: FileStreamSpec, folder: Path, state: dict[str, Any] | None = None
               ) -> dict[str, Any] | None:
    out = state
    for page in read_files(spec, conn_for(folder), stream="s", state=state):
        out = page.state or out
    return out


# --- config -----------------------------------------------------------------------------

@pytest.mark.parametrize(("keys", "message"), [
    ({"format": "json", "delimiter": ";"}, "delimiter applies to csv and tsv, not json"),
    ({"format": "csv", "record_selector": "items"}, "record_selector applies to json, not csv"),
    ({"path": "/etc/*.csv"}, "may not be absolute"),
    ({"path": "../other/*.csv"}, "climb out"),
    ({"path": "s3://b/*.csv"}, "a URL"),
    ({"encoding": "klingon-8"}, "unknown encoding 'klingon-8'"),
    ({"delimiter": ";;"}, "a delimiter is one character"),
    ({"format": "xlsx"}, "'csv', 'tsv', 'json' or 'jsonl'"),
    ({"incremental": {"by": "name"}}, "'modified_time'"),
])
def test_invalid_file_streams_are_refused_with_the_reason(keys: dict[str, Any], message: str
                                                          ) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        stream(**keys)


def test_the_settlement_connector_declares_one_file_stream() -> None:
    spec = connector("settlement_file")
    rows = spec.streams["settlement_rows"]
    assert isinstance(rows, FileStreamSpec)
    assert (rows.path, rows.format, rows.field_delimiter, rows.encoding) == (
        "*.csv", "csv", ",", "utf-8-sig")
    assert rows.incremental is not None and rows.incremental.safety_lag == timedelta(0)
    assert rows.mappings == ["settlement_transactions", "settlement_payouts"]
    assert spec.auth.type == "none"


def test_the_settlement_connector_passes_the_editor_schema() -> None:
    import jsonschema
    import yaml

    from synchub.config.connector import connector_model

    from .conftest import ROOT

    schema = connector_model().model_json_schema(mode="validation")
    data = yaml.safe_load((ROOT / "connectors/settlement_file/connector.yaml").read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == []
    data["streams"]["settlement_rows"]["formatt"] = "csv"
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data))


def test_a_file_stream_does_not_inherit_http_keys_from_stream_defaults(tmp_path: Path) -> None:
    from synchub.config.connector_checks import load_connector

    path = tmp_path / "connector.yaml"
    path.write_text("system: x\ntitle: X\nauth: {type: none}\n"
                    "stream_defaults: {params: {limit: 5}, paginator: {type: single}}\n"
                    "streams:\n  rows: {transport: file, path: '*.jsonl', format: jsonl}\n")
    rows = load_connector(path).streams["rows"]
    assert isinstance(rows, FileStreamSpec) and rows.format == "jsonl"


# --- reading ----------------------------------------------------------------------------

def test_csv_rows_carry_their_file_and_data_row(tmp_path: Path) -> None:
    write(tmp_path, "day1.csv", DAY1)
    got = records(stream(), tmp_path)
    assert [(r["_file"], r["_line"], r["transaction_id"]) for r in got] == [
        ("day1.csv", 1, "po_1"), ("day1.csv", 2, "txn_1"), ("day1.csv", 3, "txn_2"),
        ("day1.csv", 4, "rf_3"), ("day1.csv", 5, "fee_4")]
    assert got[2]["description"] == "Order #50002, gift"     # quoted delimiter kept
    assert got[0]["amount"] == ""                              # empty cells stay text


def test_tsv_with_a_byte_order_mark_and_a_custom_delimiter(tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_bytes("\ufeffid\tamount\n1\t2.50\n\n2\t3.00\n".encode())
    write(tmp_path, "b.txt", "id;amount\n7;1,5\n")
    tsv = records(stream(path="*.tsv", format="tsv"), tmp_path)
    # the BOM is not part of the first column's name; the blank row keeps its number
    assert tsv == [{"id": "1", "amount": "2.50", "_file": "a.tsv", "_line": 1},
                   {"id": "2", "amount": "3.00", "_file": "a.tsv", "_line": 3}]
    semi = records(stream(path="*.txt", delimiter=";"), tmp_path)
    assert semi == [{"id": "7", "amount": "1,5", "_file": "b.txt", "_line": 1}]


def test_json_documents_with_a_record_selector_and_json_lines(tmp_path: Path) -> None:
    write(tmp_path, "r/1.json", json.dumps({"report": {"rows": [{"id": 1}, {"id": 2}]}}))
    write(tmp_path, "r/2.json", json.dumps([{"id": 3}]))
    got = records(stream(path="r/*.json", format="json",
                         record_selector="report.rows || @"), tmp_path)
    assert [(r["_file"], r["_line"], r["id"]) for r in got] == [
        ("r/1.json", 1, 1), ("r/1.json", 2, 2), ("r/2.json", 1, 3)]
    write(tmp_path, "l.jsonl", '{"id": "a", "amount": 1.5}\n\n{"id": "b"}\n')
    lines = records(stream(path="*.jsonl", format="jsonl"), tmp_path)
    assert lines == [{"id": "a", "amount": 1.5, "_file": "l.jsonl", "_line": 1},
                     {"id": "b", "_file": "l.jsonl", "_line": 3}]


def test_compressed_files_are_read_by_their_suffix(tmp_path: Path) -> None:
    (tmp_path / "day.csv.gz").write_bytes(gzip.compress(DAY2.encode()))
    got = records(stream(path="*.csv.gz"), tmp_path)
    assert [r["transaction_id"] for r in got] == ["po_2", "txn_5", "txn_6"]


def test_unreadable_rows_become_records_naming_their_place(tmp_path: Path) -> None:
    write(tmp_path, "a.csv", "id,amount\n1,2.00\n2,3.00,surplus\n3,4.00\n")
    write(tmp_path, "b.jsonl", '{"id": 1}\n{"id": 2\n[3]\n')
    write(tmp_path, "c.json", '{"rows": [1, 2')
    csv_rows = records(stream(path="a.csv"), tmp_path)
    assert [r.get("id") for r in csv_rows] == ["1", None, "3"]
    assert csv_rows[1] == {"_file": "a.csv", "_line": 2,
                           "_error": "has 3 fields, the header 2", "_text": "2,3.00,surplus"}
    jl = records(stream(path="b.jsonl", format="jsonl"), tmp_path)
    assert [(r["_line"], r.get("id"), "_error" in r) for r in jl] == [
        (1, 1, False), (2, None, True), (3, None, True)]
    assert jl[2]["_error"] == "is a JSON list, not an object"
    bad_json = records(stream(path="c.json", format="json"), tmp_path)
    assert len(bad_json) == 1 and bad_json[0]["_error"].startswith("is not JSON")
    (tmp_path / "d.csv").write_bytes(b"id,amount\n1,2.00\n2,\xff\xfe\n3,4.00\n")
    enc = records(stream(path="d.csv"), tmp_path)
    assert [r.get("id") for r in enc] == ["1", None, "3"]
    assert enc[1]["_line"] == 2 and enc[1]["_error"] == "holds bytes that are not valid utf-8-sig"
    (tmp_path / "e.jsonl").write_bytes(b'{"id": 1}\n{"id": "\xff"}\n')
    (tmp_path / "f.json").write_bytes(b'[{"id": 1}, {"id": "\xff"}, {"id": 3}]')
    assert [(r["_line"], "_error" in r) for r in
            records(stream(path="e.jsonl", format="jsonl"), tmp_path)] == [(1, False), (2, True)]
    assert [(r["_line"], "_error" in r) for r in
            records(stream(path="f.json", format="json"), tmp_path)] == [
        (1, False), (2, True), (3, False)]


def test_pages_hold_page_size_records_and_never_span_files(tmp_path: Path) -> None:
    base = datetime(2025, 3, 1, tzinfo=UTC).timestamp()
    write(tmp_path, "a.csv", "id\n" + "".join(f"{i}\n" for i in range(5)), base)
    write(tmp_path, "b.csv", "id\n9\n", base + 60)
    write(tmp_path, "c.csv", "id\n", base + 120)          # a header only: nothing to read
    spec = stream(page_size=2, incremental={})
    pages = list(read_files(spec, conn_for(tmp_path), stream="s", state=None))
    assert [(len(p.records), p.number) for p in pages] == [(2, 1), (2, 2), (1, 3), (1, 4),
                                                           (0, 5)]
    assert {r["_file"] for r in pages[2].records} == {"a.csv"}
    # only a file's last page moves the cursor: a stop inside a file re-reads that file
    assert [p.state is None for p in pages] == [True, True, False, False, False]
    assert pages[2].state == {"cursor": "2025-03-01T00:00:00Z", "files": ["a.csv"]}
    assert pages[4].state == {"cursor": "2025-03-01T00:02:00Z", "files": ["c.csv"]}


def test_without_incremental_every_run_reads_every_file(tmp_path: Path) -> None:
    write(tmp_path, "a.csv", "id\n1\n")
    pages = list(read_files(stream(), conn_for(tmp_path), stream="s", state=None))
    assert [(len(p.records), p.state) for p in pages] == [(1, None)]
    assert len(records(stream(), tmp_path, state={"cursor": "2999-01-01T00:00:00Z"})) == 1


# --- the by-file cursor -----------------------------------------------------------------

def test_the_cursor_reads_new_and_replaced_files_once_and_old_ones_never(tmp_path: Path
                                                                         ) -> None:
    spec = stream(incremental={})
    t0 = datetime(2025, 3, 5, 6, tzinfo=UTC).timestamp()
    write(tmp_path, "day1.csv", DAY1, t0)
    first = last_state(spec, tmp_path)
    assert first == {"cursor": "2025-03-05T06:00:00Z", "files": ["day1.csv"]}
    assert records(spec, tmp_path, first) == []                       # nothing read twice

    write(tmp_path, "day2.csv", DAY2, t0 + 86400)
    write(tmp_path, "late.csv", DAY2.replace("S-2", "S-0"), t0 - 86400)   # older than the cursor
    assert {r["_file"] for r in records(spec, tmp_path, first)} == {"day2.csv"}
    second = last_state(spec, tmp_path, first)
    assert second == {"cursor": "2025-03-06T06:00:00Z", "files": ["day2.csv"]}

    write(tmp_path, "day1.csv", DAY1.replace("49.90", "49.95"), t0 + 2 * 86400)  # replaced
    again = records(spec, tmp_path, second)
    assert {r["_file"] for r in again} == {"day1.csv"}
    assert again[1]["amount"] == "49.95"
    third = last_state(spec, tmp_path, second)
    # a file written in the same instant as the last one read is still read, once
    write(tmp_path, "twin.csv", DAY2.replace("S-2", "S-3"), t0 + 2 * 86400)
    assert {r["_file"] for r in records(spec, tmp_path, third)} == {"twin.csv"}
    fourth = last_state(spec, tmp_path, third)
    assert fourth is not None and fourth["files"] == ["day1.csv", "twin.csv"]
    assert records(spec, tmp_path, fourth) == []
    # full refresh ignores the state and reads every file again
    full = read_files(spec, conn_for(tmp_path), stream="s", state=fourth, full_refresh=True)
    assert len({r["_file"] for p in full for r in p.records}) == 4


def test_files_inside_the_safety_lag_wait_for_the_next_run(tmp_path: Path) -> None:
    end = datetime(2025, 3, 5, 12, tzinfo=UTC)
    write(tmp_path, "old.csv", "id\n1\n", (end - timedelta(minutes=5)).timestamp())
    write(tmp_path, "new.csv", "id\n2\n", (end - timedelta(seconds=20)).timestamp())
    spec = stream(incremental={"safety_lag": "1m"})
    pages = list(read_files(spec, conn_for(tmp_path), stream="s", state=None, window_end=end))
    assert [r["_file"] for p in pages for r in p.records] == ["old.csv"]
    later = list(read_files(spec, conn_for(tmp_path), stream="s", state=pages[-1].state,
                            window_end=end + timedelta(minutes=1)))
    assert [r["_file"] for p in later for r in p.records] == ["new.csv"]


def test_a_broken_stored_cursor_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="stored cursor is not a time"):
        records(stream(incremental={}), tmp_path, state={"cursor": "yesterday"})


def test_the_connector_client_reads_a_file_stream_like_any_other(tmp_path: Path) -> None:
    from synchub.runtime import ConnectorClient

    write(tmp_path, "day1.csv", DAY1)
    with ConnectorClient(connector("settlement_file"), conn_for(tmp_path)) as client:
        assert client.context() == {}
        pages = list(client.read("settlement_rows"))
        with pytest.raises(ConfigError, match=r"transport 'file'\) takes no request values"):
            client.read_with("settlement_rows", {})
        assert client.stats.requests == 0
    assert [len(p.records) for p in pages] == [5]
    assert pages[0].state is not None and pages[0].state["files"] == ["day1.csv"]


# --- the location -----------------------------------------------------------------------

def test_a_url_location_and_a_missing_host(tmp_path: Path) -> None:
    write(tmp_path, "x.csv", "id\n1\n")
    got = [r for p in read_files(stream(), conn_for(f"file://{tmp_path}"), stream="s")
           for r in p.records]
    assert got == [{"id": "1", "_file": "x.csv", "_line": 1}]
    with pytest.raises(ConfigError, match="has no host"):
        open_location(ConnectionInfo(conn_id="stl"))


def test_storage_options_come_from_named_connection_fields_only() -> None:
    conn = ConnectionInfo(conn_id="b", host="s3://bucket/reports", login="AKIA1",
                          password="s3cr3t-value", extra={
                              "endpoint_url": "http://127.0.0.1:9000", "region": "x",
                              "client_kwargs": {"verify": False}, "token": "tok-123"})
    assert storage_options(conn, "s3") == {"endpoint_url": "http://127.0.0.1:9000",
                                           "token": "tok-123", "key": "AKIA1",
                                           "secret": "s3cr3t-value"}
    assert "tok-123" not in redact("t=tok-123") and "s3cr3t" not in redact("s3cr3t-value")
    # extra's own key/secret win over login/password; other protocols take their names
    conn2 = ConnectionInfo(conn_id="b", host="s3://b", login="L", password="P",
                           extra={"key": "K", "secret": "S", "account_name": "acc"})
    assert storage_options(conn2, "s3") == {"key": "K", "secret": "S"}
    assert storage_options(conn2, "abfs") == {"account_name": "acc"}
    assert storage_options(conn2, "file") == {}


# --- end to end through sync_stream -----------------------------------------------------

@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return load_hub(write_hub(tmp_path / "hub", {
        "psp": {"connector": "settlement_file", "conn_id": "psp", "roles": ["payments"]}}))


def test_sync_stores_movements_and_payouts_and_dead_letters_a_bad_row(
        hub: Hub, store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    t0 = datetime(2025, 3, 6, tzinfo=UTC).timestamp()
    write(folder, "day1.csv", DAY1, t0)
    write(folder, "day2.csv", DAY2, t0 + 60)
    conn = conn_for(folder)
    first = sync_stream(hub, "psp", "settlement_rows", store=store, conn_info=conn)
    assert (first.status, first.fetched, first.quarantined) == ("success", 8, 1)
    assert first.changed == {"balance_transaction": 5, "payout": 2}
    assert first.cursor == "2025-03-06T00:01:00Z"

    dead = store.dead_letters("psp")
    assert len(dead) == 1
    assert dead[0]["entity"] == "balance_transaction" and dead[0]["record_id"] == "txn_5"
    assert dead[0]["field"] == "amount.amount" and "'12,34'" in dead[0]["reason"]
    assert (dead[0]["raw"]["_file"], dead[0]["raw"]["_line"]) == ("day2.csv", 2)

    txs = {d["external_id"]: d for d in store.read_feed("balance_transaction").records}
    assert set(txs) == {"txn_1", "txn_2", "rf_3", "fee_4", "txn_6"}
    assert txs["txn_1"]["type"] == "charge" and txs["txn_1"]["net"]["amount"] == "48.90"
    assert txs["txn_2"]["fees"] == [{"type": "commission", "description": None,
                                     "amount": {"amount": "3.00", "currency": "EUR"}}]
    assert txs["rf_3"]["refund_external_id"] == "700003"
    assert txs["fee_4"]["fees"][0]["type"] == "storage_fee"      # unknown: kept, snake_case
    assert {d["payout_external_id"] for d in txs.values()} == {"S-1", "S-2"}
    payouts = {d["external_id"]: d for d in store.read_feed("payout").records}
    assert payouts["S-1"]["amount"] == {"amount": "70.68", "currency": "EUR"}
    assert payouts["S-1"]["issued_at"] == "2025-03-05T00:00:00Z"
    s1_nets = sum(Decimal(d["net"]["amount"]) for d in txs.values()
                  if d["payout_external_id"] == "S-1")
    assert s1_nets == Decimal("70.68")

    again = sync_stream(hub, "psp", "settlement_rows", store=store, conn_info=conn)
    assert (again.fetched, again.stored, again.pages) == (0, 0, 0)
    assert again.cursor == first.cursor

    # the provider corrects the bad file: it is read again, the fixed row lands
    write(folder, "day2.csv", DAY2.replace('"12,34"', "12.34"), t0 + 120)
    fixed = sync_stream(hub, "psp", "settlement_rows", store=store, conn_info=conn)
    assert (fixed.fetched, fixed.stored, fixed.unchanged, fixed.quarantined) == (3, 1, 2, 0)
    assert store.count("balance_transaction", connection="psp") == 6
