"""Settlement files of the sandbox WooCommerce shop, and their sync next to the shop's orders.

The files are deterministic, each settlement's total is the sum of its rows' nets, the
order and refund ids are the ones the WooCommerce mappings store, and a sync of the files
through ``sync_stream`` lands next to the synced orders on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import fsspec
import pytest

from synchub.mapping import MappingContext, load_mapping
from synchub.pipeline import sync_stream
from synchub.plan import load_hub
from synchub.runtime import ConnectionInfo
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.settlement_file.files import (
    COLUMNS,
    EXTRA_ORDER_ID,
    PROVIDERS,
    write_settlements,
)
from synchub.sandbox.settlement_file.system import main
from synchub.sandbox.woocommerce.orders import order_refunds
from synchub.sandbox.woocommerce.store import WooStore
from synchub.store import Store
from tests.e2e.conftest import woo_conn, write_hub

ROOT = Path(__file__).resolve().parents[2]
WOO = MappingContext(connection="woo", system="woocommerce", values={"store_currency": "EUR"})


@pytest.fixture
def shop() -> WooStore:
    return Sandbox(seed=7).woocommerce("demo", orders=120, customers=10, products=8)


def read_rows(folder: Path) -> dict[str, list[dict[str, str]]]:
    """Every file's rows by file name."""
    out = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            out[path.name] = list(csv.DictReader(f))
    return out


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ".")) if text else Decimal(0)


def test_files_are_deterministic_and_rewriting_them_touches_nothing(shop: WooStore,
                                                                    tmp_path: Path) -> None:
    first = write_settlements(shop, str(tmp_path / "a"))
    twin = Sandbox(seed=7).woocommerce("demo", orders=120, customers=10, products=8)
    write_settlements(twin, str(tmp_path / "b"))
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == first["files"] and len(names) > 10
    assert all(n.startswith("settlement-2025-") and n.endswith(".csv") for n in names)
    assert all((tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes()
               for n in names)
    mtimes = {n: (tmp_path / "a" / n).stat().st_mtime_ns for n in names}
    again = write_settlements(shop, str(tmp_path / "a"))
    assert (again["written"], again["unchanged"]) == (0, len(names))
    assert {n: (tmp_path / "a" / n).stat().st_mtime_ns for n in names} == mtimes


def test_each_settlement_total_is_the_sum_of_its_rows(shop: WooStore, tmp_path: Path) -> None:
    write_settlements(shop, str(tmp_path), bad_row=True, extra_order=True)
    files = read_rows(tmp_path)
    totals: dict[str, Decimal] = {}
    nets: dict[str, Decimal] = defaultdict(Decimal)
    for name, rows in files.items():
        assert list(rows[0]) == list(COLUMNS)
        for row in rows:
            assert name == f"settlement-{row['settlement_date']}.csv"
            sid = row["settlement_id"]
            assert sid == f"{row['gateway']}-{row['settlement_date'].replace('-', '')}"
            if row["transaction_type"] == "payout":
                assert sid not in totals, "one payout row per settlement"
                totals[sid] = Decimal(row["settlement_total"])
            else:
                assert row["settlement_total"] == ""
                nets[sid] += amount(row["amount"]) - amount(row["fee_amount"])
                posted = datetime.fromisoformat(row["posted_at"]).date()
                delay = PROVIDERS[row["gateway"]].delay_days
                assert (date.fromisoformat(row["settlement_date"]) - posted).days == delay
    assert totals == dict(nets)
    assert {r["transaction_type"] for rows in files.values() for r in rows} == {
        "payout", "order", "refund"}
    # the bad row and the extra order are in the first file only
    first, *rest = files.values()
    assert sum("," in r["amount"] for r in first) == 1
    assert not any("," in r["amount"] for rows in rest for r in rows)
    assert [r["order_id"] for rows in files.values() for r in rows
            if r["order_id"] == str(EXTRA_ORDER_ID)] == [str(EXTRA_ORDER_ID)]


def test_order_and_refund_ids_are_the_ones_the_woo_mappings_store(shop: WooStore,
                                                                  tmp_path: Path) -> None:
    write_settlements(shop, str(tmp_path))
    rows = [r for rs in read_rows(tmp_path).values() for r in rs
            if r["transaction_type"] != "payout"]
    orders = load_mapping(ROOT / "mappings/woocommerce/orders.yaml")
    refunds = load_mapping(ROOT / "mappings/woocommerce/refunds.yaml")
    by_id: dict[str, Any] = {}
    refund_ids: dict[str, set[str]] = {}
    for h in shop.orders.headers():
        raw = shop.order(h.id)
        assert raw is not None
        (order,) = orders.apply(raw, WOO)
        by_id[order.external_id] = raw
        refund_ids[order.external_id] = {
            rec.external_id for ref in order_refunds(raw)
            for rec in refunds.apply({**ref, "_parent": raw}, WOO)}
    paid = {oid for oid, raw in by_id.items()
            if raw["payment_method"] in PROVIDERS and raw["date_paid_gmt"]}
    charged = {r["order_id"] for r in rows if r["transaction_type"] == "order"}
    assert charged == paid                          # every such order, and only those
    for r in rows:
        raw = by_id[r["order_id"]]
        assert r["gateway"] == raw["payment_method"]
        if r["transaction_type"] == "order":
            assert r["amount"] == raw["total"]
        else:
            assert r["refund_id"] in refund_ids[r["order_id"]]
            assert Decimal(r["amount"]) < 0


def test_through_limits_the_days_and_memory_urls_work(shop: WooStore) -> None:
    out = write_settlements(shop, "memory://stl-test/out", through=date(2025, 3, 31))
    fs = fsspec.filesystem("memory")
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.ls("/stl-test/out", detail=False))
    assert names == out["files"] and names
    assert max(names) <= "settlement-2025-03-31.csv"
    text = fs.cat_file(f"/stl-test/out/{names[0]}").decode()
    assert next(csv.reader(io.StringIO(text))) == list(COLUMNS)
    fs.rm("/stl-test", recursive=True)


def test_command_line_writes_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    assert main(["--out", str(tmp_path), "--store", "woocommerce:demo:orders=40",
                 "--seed", "3", "--through", "2025-06-30", "--extra-order"]) == 0
    summary = capsys.readouterr().out
    assert '"written":' in summary and len(list(tmp_path.glob("*.csv"))) > 0
    assert main(["--out", str(tmp_path), "--store", "shopify:demo"]) == 2
    assert main(["--out", str(tmp_path), "--through", "30.06.2025"]) == 2


# --- end to end: the shop's orders and the settlement files in one store -----------------

@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


def test_sandbox_settlements_sync_next_to_the_woo_orders(db_url: str, store: Store,
                                                         tmp_path: Path) -> None:
    hub = load_hub(write_hub(tmp_path / "hub", {
        "woo": {"connector": "woocommerce", "conn_id": "woo",
                "streams": ["orders", "order_refunds"]},
        "psp": {"connector": "settlement_file", "conn_id": "psp", "roles": ["payments"]}}))
    sb = Sandbox(seed=7)
    sb.woocommerce("demo", orders=90, customers=10, products=8)
    folder = tmp_path / "settlements"
    with SandboxServer(sb) as srv:
        conn = woo_conn(srv, sb)
        for stream in ("orders", "order_refunds"):
            assert sync_stream(hub, "woo", stream, store=store, conn_info=conn).status == \
                "success"
    written = write_settlements(sb.woocommerce("demo"), str(folder), bad_row=True,
                                extra_order=True)
    psp = ConnectionInfo(conn_id="psp", conn_type="fs", host=str(folder))
    end = datetime.now(UTC)
    run = sync_stream(hub, "psp", "settlement_rows", store=store, conn_info=psp,
                      window_end=end)
    assert (run.status, run.fetched, run.quarantined) == ("success", written["rows"], 1)
    assert run.changed["payout"] == written["settlements"]

    first_file = read_rows(folder)[written["files"][0]]
    bad_line = next(n for n, r in enumerate(first_file, 1) if "," in r["amount"])
    dead = store.dead_letters("psp")
    assert [(d["entity"], d["raw"]["_file"], d["raw"]["_line"]) for d in dead] == [
        ("balance_transaction", written["files"][0], bad_line)]
    assert "is not a decimal amount" in dead[0]["reason"]

    orders = {d["external_id"]: d for d in store.read_feed("order", limit=10_000).records}
    refunds = {d["external_id"] for d in store.read_feed("refund", limit=10_000).records}
    txs = store.read_feed("balance_transaction", limit=10_000).records
    assert len(txs) == written["rows"] - written["settlements"] - 1
    for tx in txs:
        if tx["order_external_id"] == str(EXTRA_ORDER_ID):
            continue                                 # the order the shop does not have
        assert tx["order_external_id"] in orders
        if tx["type"] == "refund":
            assert tx["refund_external_id"] in refunds
        else:
            assert tx["type"] == "charge"
            assert tx["amount"] == orders[tx["order_external_id"]]["total"]
            assert tx["fees"][0]["type"] == "payment_processing"
    assert sum(tx["order_external_id"] == str(EXTRA_ORDER_ID) for tx in txs) == 1

    # every payout but the one with the bad row equals the sum of its movements' nets
    payouts = store.read_feed("payout", limit=10_000).records
    nets: dict[str, Decimal] = defaultdict(Decimal)
    for tx in txs:
        nets[tx["payout_external_id"]] += Decimal(tx["net"]["amount"])
    short = [p["external_id"] for p in payouts
             if Decimal(p["amount"]["amount"]) != nets[p["external_id"]]]
    bad_settlement = first_file[bad_line - 1]["settlement_id"]
    assert short == [bad_settlement]

    again = sync_stream(hub, "psp", "settlement_rows", store=store, conn_info=psp,
                        window_end=end)
    assert (again.fetched, again.stored) == (0, 0)


def test_the_control_api_writes_the_live_shops_files(tmp_path: Path) -> None:
    """``POST /_sandbox/woocommerce/<shop>/settlements`` writes the running shop's files."""

    sb = Sandbox(seed=7)
    sb.woocommerce("ctl", orders=40, customers=10, products=5)
    with SandboxServer(sb) as srv:
        _control_writes(srv, tmp_path / "files")


def _control_writes(srv: SandboxServer, out: Path) -> None:
    import requests

    reply = requests.post(f"{srv.base_url}/_sandbox/woocommerce/ctl/settlements",
                          json={"out": str(out)}, timeout=30)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["files"] and sorted(p.name for p in out.iterdir()) == sorted(body["files"])
    again = requests.post(f"{srv.base_url}/_sandbox/woocommerce/ctl/settlements",
                          json={"out": str(out)}, timeout=30).json()
    assert (again["written"], again["unchanged"]) == (0, len(body["files"]))
    bad = requests.post(f"{srv.base_url}/_sandbox/woocommerce/ctl/settlements", json={},
                        timeout=30)
    assert bad.status_code == 400 and "out" in bad.json()["error"]
