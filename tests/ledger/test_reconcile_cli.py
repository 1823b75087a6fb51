"""``synchub ledger settle | unmatched | report`` through ``synchub.cli.main``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.ledger.conftest import m, movement_doc, order_doc, payout_doc
from tests.ledger.test_explain_cli import hub_file, put, run  # noqa: F401 - fixture

DAY = "2025-03-03"
SOURCE = "woo_settlements"   # the demo's payout source for woo_demo


def settled_day(hub_file: Path) -> None:  # noqa: F811 - the fixture's value
    """Order 1001 charged and paid out by the provider, plus a charge for an order the hub
    does not have."""
    order = order_doc()
    total = order.total.amount
    charge = movement_doc(source={"connection": SOURCE, "system": "settlement_file",
                                  "external_id": "txn_1"},
                          amount=m(str(total)), payout_external_id="po_1")
    stray = movement_doc(source={"connection": SOURCE, "system": "settlement_file",
                                 "external_id": "txn_2"}, external_id="txn_2",
                         order_external_id="9999", amount=m("10.00"),
                         fees=[], payout_external_id="po_1")
    payout = payout_doc(source={"connection": SOURCE, "system": "settlement_file",
                                "external_id": "po_1"},
                        amount=m(str(charge.net.amount + stray.net.amount)),
                        issued_at=f"{DAY}T18:00:00Z")
    put(hub_file, order)
    put(hub_file, charge, stray, payout)


def test_settle_then_unmatched_lists_the_stray_charge_with_its_amount(
        hub_file: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    settled_day(hub_file)
    code, out, _ = run(capsys, hub_file, "settle")
    assert code == 0
    assert out.splitlines()[0].startswith("3 item(s): 1 unmatched")
    assert any("woo_demo" in ln and "missing_in_hub" in ln and "10.00" in ln
               for ln in out.splitlines())
    code, out, _ = run(capsys, hub_file, "unmatched")
    rows = [ln.split("\t") for ln in out.splitlines()]
    assert code == 0 and rows[0][:4] == ["channel", "status", "kind", "record_external_id"]
    assert [(r[0], r[1], r[3], r[6]) for r in rows[1:]] == [
        ("woo_demo", "missing_in_hub", "9999", "")]


def test_report_writes_the_days_files_and_prints_every_figure(
        hub_file: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    settled_day(hub_file)
    run(capsys, hub_file, "build", "--day", DAY)
    run(capsys, hub_file, "settle")
    code, out, _ = run(capsys, hub_file, "report", "--day", DAY, "--no-channel")
    lines = out.splitlines()
    orders = next(ln.split() for ln in lines if ln.startswith("woo_demo") and
                  " orders_count " in ln)
    # the channel was not read; the hub holds the order; nothing reached an ERP
    assert orders[3:6] == ["-", "1", "-"]
    payouts = next(ln.split() for ln in lines if ln.startswith("woo_demo") and
                   " payouts_amount " in ln)
    assert payouts[3:] == ["74.10", "74.10", "-", "ok"]
    # the stray charge is money the orders do not explain: the day does not reconcile
    expected = next(ln.split() for ln in lines if ln.startswith("woo_demo") and
                    " payouts_expected_amount " in ln)
    assert expected[3:] == ["74.10", "64.10", "-", "mismatch"]
    assert code == 1
    written = [ln.removeprefix("wrote ") for ln in lines if ln.startswith("wrote ")]
    assert [Path(w).name for w in written] == [f"{DAY}.csv", f"{DAY}.html"]
    assert all(Path(w).is_file() for w in written)
    csv_text = Path(written[0]).read_text()
    assert f"{DAY},woo_demo,settlement_unmatched_amount,EUR,,10.00,,,mismatch" in csv_text


def test_export_writes_the_days_journals_in_the_import_layout(
        hub_file: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    """One row per line, functional debit/credit, the ERP reference, the journal code."""
    import csv

    settled_day(hub_file)
    run(capsys, hub_file, "build", "--day", DAY)
    code, out, _ = run(capsys, hub_file, "export", "--day", DAY)
    written = Path(out.strip().removeprefix("wrote "))
    assert code == 0 and written == hub_file.parent / "var/exports/journals" / f"{DAY}.csv"
    rows = list(csv.DictReader(written.open()))
    assert list(rows[0]) == ["date", "journal", "reference", "account", "label", "debit",
                             "credit", "currency", "amount_currency", "rule"]
    sale = [r for r in rows if r["reference"] == "woo_demo/sale/1001"]
    assert [(r["journal"], r["account"], r["debit"], r["credit"]) for r in sale] == [
        ("SAL", "121210", "65.33", "0.00"), ("SAL", "400000", "0.00", "50.00"),
        ("SAL", "400100", "0.00", "4.90"), ("SAL", "251100", "0.00", "10.43")]
    by_ref: dict[str, list[Decimal]] = {}
    for r in rows:
        by_ref.setdefault(r["reference"], [Decimal(0), Decimal(0)])
        by_ref[r["reference"]][0] += Decimal(r["debit"])
        by_ref[r["reference"]][1] += Decimal(r["credit"])
    assert by_ref and all(d == c for d, c in by_ref.values())   # every journal balances
    assert {r["date"] for r in rows} == {DAY}


def test_the_feed_command_reads_journal_lines_and_the_report(
        hub_file: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    import json

    from synchub.cli import main

    settled_day(hub_file)
    run(capsys, hub_file, "build", "--day", DAY)
    run(capsys, hub_file, "report", "--day", DAY, "--no-channel")
    assert main(["feed", "journal_lines", "-c", str(hub_file)]) == 0
    out = capsys.readouterr()
    lines = [json.loads(ln) for ln in out.out.splitlines()]
    sale = [ln for ln in lines if ln["entry_external_id"] == "sale/1001"]
    assert [ln["account"] for ln in sale] == ["121210", "400000", "400100", "251100"]
    assert json.loads(out.err)["entity"] == "journal_line"
    assert main(["feed", "reconciliation", "-c", str(hub_file), "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("day,connection,metric,currency,channel_value,hub_value,")
    payout = next(r for r in rows[1:] if ",woo_demo,payouts_amount," in r)
    assert payout.startswith(f"{DAY},woo_demo,payouts_amount,EUR,74.10,74.10,")
