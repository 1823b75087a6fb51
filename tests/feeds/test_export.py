"""File exports: changed records once per run, JSON Lines and CSV, cursor only after the move."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pytest

from synchub.errors import ConfigError
from synchub.feeds import export as export_module
from synchub.feeds.export import export_consumer, safe_run_id, state_key
from synchub.feeds.views import FEED_ORDER_LINES, FEED_ORDERS
from synchub.plan import Hub
from synchub.store import Store

from .conftest import line, make_customer, make_order, write_hub


def memory_hub(tmp_path: Path, formats: str = "[jsonl, csv]") -> tuple[Hub, str]:
    root = f"memory://exports-{uuid.uuid4().hex[:8]}"
    hub = write_hub(tmp_path, f"""\
    erp:
      entities: [order, customer, stock_alert]
      connections: [shop]
      export: {{to: "{root}", formats: {formats}}}
""")
    return hub, root


def read(url: str) -> str:
    with fsspec.open(url, "r", encoding="utf-8") as f:
        text: str = f.read()
        return text


def listing(root: str) -> list[str]:
    fs, path = fsspec.core.url_to_fs(root)
    return sorted(p[len(path) + 1:] for p in fs.find(path, withdirs=False)) if fs.exists(
        path) else []


def test_changes_are_exported_once_as_jsonl_and_csv(store: Store, tmp_path: Path) -> None:
    hub, root = memory_hub(tmp_path)
    store.write_page(connection="shop", stream="orders", records=[
        make_order("1", lines=[line("L1", "SKU-1", 2, "1.25"), line("L2", "SKU-2", 1, "3.00")]),
        make_order("2")])
    store.write_page(connection="woo", stream="orders", records=[make_order("9", "woo")])
    store.write_page(connection="shop", stream="customers",
                     records=[make_customer("c1", "c@example.com")])

    summary = export_consumer(store, hub, "erp", run_id="scheduled__2026-11-25T10:00:00+00:00")
    run = "scheduled__2026-11-25T10_00_00_00_00"
    assert summary["run_id"] == run and summary["records"] == 3
    assert listing(root) == [f"customer/{run}.csv", f"customer/{run}.jsonl",
                             f"order/{run}.csv", f"order/{run}.jsonl", f"order_line/{run}.csv"]
    docs = [json.loads(x) for x in read(f"{root}/order/{run}.jsonl").splitlines()]
    # one page's records share a commit, so their order among themselves is the store's
    assert sorted(d["external_id"] for d in docs) == ["1", "2"]  # woo is out of scope
    rows = sorted(csv.DictReader(io.StringIO(read(f"{root}/order/{run}.csv"))),
                  key=lambda r: r["external_id"])
    assert list(rows[0]) == FEED_ORDERS.column_names
    assert [(r["external_id"], r["total"], r["placed_at"], r["taxes_included"]) for r in rows] == [
        ("1", "10.40", "2025-03-01T10:15:00Z", "true"), ("2", "14.90", "2025-03-01T10:15:00Z",
                                                          "true")]
    lines = list(csv.DictReader(io.StringIO(read(f"{root}/order_line/{run}.csv"))))
    assert list(lines[0]) == FEED_ORDER_LINES.column_names
    assert [(r["line_no"], r["sku"], r["unit_price"], r["total"]) for r in lines] == [
        ("1", "SKU-1", "1.25", "2.50"), ("2", "SKU-2", "3.00", "3.00")]
    assert store.get_state(*state_key("erp", "order"))["change_seq"] == max(
        int(r["change_seq"]) for r in rows)

    # nothing new: no file at all
    again = export_consumer(store, hub, "erp", run_id="run2")
    assert again["records"] == 0 and again["files"] == 0
    assert not any("run2" in p for p in listing(root))

    # one order changes: only it is exported next time
    store.write_page(connection="shop", stream="orders", records=[make_order("2", total="5")])
    third = export_consumer(store, hub, "erp", run_id="run3")
    assert third["entities"]["order"]["records"] == 1
    assert third["entities"]["customer"] == {"records": 0, "files": [], "cursor": 1}
    docs = [json.loads(x) for x in read(f"{root}/order/run3.jsonl").splitlines()]
    assert [(d["external_id"], d["total"]["amount"]) for d in docs] == [("2", "9.90")]


def test_a_crash_before_the_move_leaves_the_cursor_and_no_file(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub, root = memory_hub(tmp_path)
    store.write_page(connection="shop", stream="orders", records=[make_order("1")])
    real = export_module._csv

    def broken(*args: Any, **kwargs: Any) -> int:
        real(*args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(export_module, "_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        export_consumer(store, hub, "erp", run_id="r1")
    assert listing(root) == []  # neither the finished JSON Lines nor the parts remain
    assert store.get_state(*state_key("erp", "order")) is None

    monkeypatch.setattr(export_module, "_csv", real)
    summary = export_consumer(store, hub, "erp", run_id="r2")
    assert summary["entities"]["order"]["records"] == 1
    assert [json.loads(x)["external_id"] for x in read(f"{root}/order/r2.jsonl").splitlines()
            ] == ["1"]


def test_pages_stream_in_order_across_page_boundaries(store: Store, tmp_path: Path) -> None:
    hub, root = memory_hub(tmp_path)
    for i in range(7):
        store.write_page(connection="shop", stream="orders",
                         records=[make_order(f"{i}", lines=[line("A", "S", 1, "1.00"),
                                                            line("B", "T", 1, "2.00")])])
    export_consumer(store, hub, "erp", run_id="r", page_size=2)
    docs = [json.loads(x)["external_id"] for x in read(f"{root}/order/r.jsonl").splitlines()]
    assert docs == [str(i) for i in range(7)]
    rows = list(csv.DictReader(io.StringIO(read(f"{root}/order/r.csv"))))
    assert [r["external_id"] for r in rows] == [str(i) for i in range(7)]
    lines = list(csv.DictReader(io.StringIO(read(f"{root}/order_line/r.csv"))))
    assert [(r["order_external_id"], r["line_no"]) for r in lines] == [
        (str(i), n) for i in range(7) for n in ("1", "2")]


def test_a_plain_folder_is_relative_to_the_hub_file(store: Store, hub: Hub) -> None:
    store.write_page(connection="shop", stream="customers",
                     records=[make_customer("c1", "c@example.com")])
    export_consumer(store, hub, "erp", run_id="r1")
    folder = hub.root / "exports" / "erp"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
                  ) == ["customer/r1.csv", "customer/r1.jsonl"]


def test_bad_consumer_and_run_id(store: Store, hub: Hub) -> None:
    with pytest.raises(ConfigError, match="unknown feed consumer 'nope'"):
        export_consumer(store, hub, "nope", run_id="r")
    with pytest.raises(ConfigError, match="'bi' has no export"):
        export_consumer(store, hub, "bi", run_id="r")
    with pytest.raises(ValueError, match="run_id"):
        safe_run_id("::")
