"""``synchub ledger build/explain/close/journals/rates load`` through ``synchub.cli.main`` on a
hub of the demo's shape (its connectors, chart of accounts and ledger section) with a SQLite
store in a temporary folder."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from synchub.canonical import CanonicalRecord
from synchub.cli import main
from synchub.store import Store
from tests.conftest import ROOT
from tests.ledger.conftest import CHANNEL, m, order_doc, payout_doc, refund_doc

DAY = "2025-03-03"


@pytest.fixture
def hub_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A hub with woo_demo and shopify_demo, the demo books, and its own SQLite store."""
    demo = yaml.safe_load((ROOT / "hub.yaml").read_text())
    (tmp_path / "mappings" / "ledger").mkdir(parents=True)
    shutil.copy(ROOT / "mappings/ledger/chart.yaml", tmp_path / "mappings/ledger/chart.yaml")
    hub = {
        "version": 1,
        "store": {"url_env": "SYNCHUB_LEDGER_CLI_TEST_STORE", "default_url": "sqlite:///hub.db"},
        "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": "mappings",
        "connections": {name: demo["connections"][name]
                        for name in (CHANNEL, "shopify_demo", "woo_settlements")},
        # the demo books, on the channels this hub keeps
        "ledger": {**demo["ledger"], "channels": {
            name: ch for name, ch in demo["ledger"]["channels"].items()
            if name in (CHANNEL, "shopify_demo")}},
    }
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(hub, sort_keys=False))
    monkeypatch.delenv("SYNCHUB_LEDGER_CLI_TEST_STORE", raising=False)
    store = Store.from_url(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upgrade()  # what the deploy's `synchub db upgrade` does
    store.dispose()
    return path


def put(hub_file: Path, *records: CanonicalRecord) -> None:
    store = Store.from_url(f"sqlite:///{hub_file.parent / 'hub.db'}")
    store.migrate()
    try:
        store.write_page(connection=CHANNEL, stream="test", records=list(records))
    finally:
        store.dispose()


def run(capsys: pytest.CaptureFixture[str], hub_file: Path, *args: str) -> tuple[int, str, str]:
    """``synchub ledger <args>`` on the test hub: (exit status, stdout, stderr)."""
    command, *rest = args
    argv = ["ledger", command, *rest[:1]] if command == "rates" else ["ledger", command]
    rest = rest[1:] if command == "rates" else rest
    code = main([*argv, "-c", str(hub_file), *rest])
    out = capsys.readouterr()
    return code, out.out, out.err


def line_with(lines: list[str], text: str) -> str:
    return next(ln for ln in lines if text in ln)


def journal(lines: list[str], external_id: str) -> list[str]:
    """The lines explain printed for one journal: its header up to the next one."""
    start = next(n for n, ln in enumerate(lines) if ln.startswith(f"  journal {external_id} "))
    end = next((n for n, ln in enumerate(lines[start + 1:], start + 1)
                if not ln.startswith("    ")), len(lines))
    return lines[start:end]


def business(hub_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Order 1001 with a refund and a USD payout on 2025-03-03, and the USD rate for it."""
    put(hub_file, order_doc(), refund_doc(created_at="2025-03-03T15:00:00Z"),
        payout_doc(external_id="po_usd", currency="USD", amount=m("100.00", "USD"),
                   issued_at="2025-03-03T18:00:00Z"))
    (tmp_path / "rates.csv").write_text("date,base,quote,rate\n2025-03-03,USD,EUR,0.92\n")
    code, out, _ = run(capsys, hub_file, "rates", "load", str(tmp_path / "rates.csv"),
                       "--provider", "ecb")
    assert (code, out.strip()) == (0, f"loaded 1 rate(s) from {tmp_path / 'rates.csv'} "
                                      "(provider ecb)")


def test_build_then_rebuild_prints_the_summary(hub_file: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    business(hub_file, tmp_path, capsys)
    code, out, _ = run(capsys, hub_file, "build", "--day", DAY)
    assert code == 0
    assert out.splitlines() == [
        f"ledger {DAY} (run 1): 4 journals built, 4 stored, 0 unchanged, 0 corrections, "
        "0 withdrawn, 0 not posted, 0 resolved",
        "  by kind: commission 1, payout 1, refund 1, sale 1",
        f"  by channel: {CHANNEL} 4",
    ]
    code, out, _ = run(capsys, hub_file, "build", "--from", DAY, "--to", DAY, "--json")
    summary = json.loads(out)
    assert (code, summary["run_id"], summary["stored"], summary["unchanged"]) == (0, 2, 0, 4)
    assert (summary["first_day"], summary["last_day"]) == (DAY, DAY)


def test_build_defaults_to_yesterday_and_checks_its_days(
        hub_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, hub_file, "build")
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    assert code == 0 and out.startswith(f"ledger {yesterday} (run 1): 0 journals built")
    code, _, err = run(capsys, hub_file, "build", "--from", "2025-03-05", "--to", DAY)
    assert code == 2 and "--to 2025-03-03 is before --from 2025-03-05" in err
    code, _, err = run(capsys, hub_file, "build", "--day", "03/03/2025")
    assert code == 2 and "expected a day as YYYY-MM-DD" in err


def test_explain_names_the_record_its_journals_rates_and_mapping_origins(
        hub_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    business(hub_file, tmp_path, capsys)
    run(capsys, hub_file, "build", "--day", DAY)

    code, out, _ = run(capsys, hub_file, "explain", "1001")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == f"order 1001 number 1001 (connection {CHANNEL}, hub id {order_doc().id})"
    journals = [ln.strip() for ln in lines if ln.startswith("  journal ")]
    assert journals == [
        f"journal commission/1001 (commission, {CHANNEL}) posted {DAY}: in EUR (the "
        "functional currency)",
        f"journal refund/r1 (refund, {CHANNEL}) posted {DAY}: in EUR (the functional currency)",
        f"journal sale/1001 (sale, {CHANNEL}) posted {DAY}: in EUR (the functional currency)",
    ]
    sale = journal(lines, "sale/1001")
    clearing = line_with(sale, "[channels.woo_demo.gateways.stripe in hub.yaml]")
    assert clearing.split()[:7] == ["D", "121210", "65.33", "EUR", "65.33", "EUR",
                                    "clearing:woo_demo:stripe"]
    revenue = line_with(sale, "[accounts.revenue in mappings/ledger/chart.yaml]")
    assert revenue.split()[:7] == ["C", "400000", "50.00", "EUR", "50.00", "EUR",
                                   "sale.revenue"]
    assert "tax:MwSt  [taxes.MwSt in mappings/ledger/chart.yaml]" in \
        line_with(sale, "C 251100")
    assert "commission:coffee_affiliate  [commissions[0] in hub.yaml]" in \
        line_with(lines, "C 211000")

    code, out, _ = run(capsys, hub_file, "explain", "po_usd")
    assert code == 0
    assert f"  journal payout/po_usd (payout, {CHANNEL}) posted {DAY}: USD -> EUR at 0.92 " \
           f"({DAY}, ecb)" in out.splitlines()
    bank = line_with(out.splitlines(), "bank:USD")
    assert bank.split()[:6] == ["D", "101402", "100.00", "USD", "92.00", "EUR"]
    assert "[banks.USD in mappings/ledger/chart.yaml]" in bank

    code, out, _ = run(capsys, hub_file, "explain", "refund/r1")
    assert code == 0 and out.startswith(f"journal refund/r1 (connection {CHANNEL}, hub id ")

    code, out, _ = run(capsys, hub_file, "explain", "nope")
    assert code == 1
    assert out.strip().startswith("nothing matches 'nope': searched the hub ids, external ids")


def test_a_record_that_cannot_post_says_why(hub_file: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    put(hub_file, order_doc(external_id="2001", number="2001", currency="USD"))
    code, out, _ = run(capsys, hub_file, "build", "--day", DAY)
    assert code == 0
    assert "1 record(s) could not be posted: `synchub deadletters` lists them" in out
    code, out, _ = run(capsys, hub_file, "explain", "2001")
    lines = out.splitlines()
    assert lines[1].startswith("  not posted: order 2001: placed_at: ")
    assert "USD->EUR" in lines[1]
    assert lines[2].startswith("  no journals yet")


def test_close_refuses_to_move_backwards_and_changes_post_as_corrections(
        hub_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    business(hub_file, tmp_path, capsys)
    run(capsys, hub_file, "build", "--day", DAY)
    code, out, _ = run(capsys, hub_file, "close", "--through", DAY, "--note", "week 10")
    assert (code, out.split(":")[0]) == (0, f"closed through {DAY}")
    code, _, err = run(capsys, hub_file, "close", "--through", "2025-03-01")
    assert code == 2
    assert "already closed through 2025-03-03, and a close never moves backwards" in err

    put(hub_file, order_doc(discount_total=m("5.00"), total=m("60.33")))
    code, out, _ = run(capsys, hub_file, "build", "--day", DAY)
    assert code == 0 and ", 1 corrections," in out
    code, out, _ = run(capsys, hub_file, "explain", "sale/1001#c1")
    assert "  journal sale/1001#c1 (correction, woo_demo) posted 2025-03-04: in EUR" in out
    assert "    corrects sale/1001" in out.splitlines()


def test_journals_lists_entries_with_totals_as_a_table_or_csv(
        hub_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    business(hub_file, tmp_path, capsys)
    run(capsys, hub_file, "build", "--day", DAY)

    code, out, _ = run(capsys, hub_file, "journals", "--day", DAY)
    lines = out.splitlines()
    assert code == 0 and lines[-1] == "4 journal(s)"
    assert [ln.split()[2] for ln in lines[1:-1]] == [
        "commission/1001", "payout/po_usd", "refund/r1", "sale/1001"]
    payout = lines[2].split()
    assert payout[4:] == ["100.00", "USD", "92.00", "EUR"]

    code, out, _ = run(capsys, hub_file, "journals", "--channel", CHANNEL, "--format", "csv")
    rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 4
    sale = next(r for r in rows if r["external_id"] == "sale/1001")
    assert (sale["posted_on"], sale["kind"], sale["currency"], sale["total_debit"],
            sale["corrects"]) == (DAY, "sale", "EUR", "65.33", "")
    code, out, _ = run(capsys, hub_file, "journals", "--channel", "shopify_demo")
    assert out.splitlines()[-1] == "0 journal(s)"
