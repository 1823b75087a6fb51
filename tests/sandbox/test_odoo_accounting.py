"""The Odoo sandbox's accounting through real HTTP: the seeded chart of accounts and
journals, journal entries with their lines, Odoo's refusals (unbalanced entries, a line
both debit and credit, unknown, missing and deprecated accounts, currency rules), posting,
reset to draft and rewriting, and the ``journals`` control endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml

from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.odoo.accounting import journals_view
from tests.conftest import ROOT

from .test_odoo import OdooError, Rpc

NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def odoo() -> Iterator[tuple[Sandbox, SandboxServer]]:
    sb = Sandbox(seed=7)
    sb.odoo("demo", products=3)
    with SandboxServer(sb) as srv:
        yield sb, srv


@pytest.fixture
def rpc(odoo: tuple[Sandbox, SandboxServer]) -> Rpc:
    return Rpc(odoo[1])


def ids_by_code(rpc: Rpc, model: str) -> dict[str, int]:
    rows = rpc.kw(model, "search_read", [[]], {"fields": ["code"]})
    return {r["code"]: r["id"] for r in rows}


def line(account: int, debit: float = 0.0, credit: float = 0.0, **extra: Any) -> list[Any]:
    return [0, 0, {"account_id": account, "name": extra.pop("name", "x"), "debit": debit,
                   "credit": credit, **extra}]


def sale_lines(acc: dict[str, int], revenue: float = 100.0) -> list[list[Any]]:
    """D 121110 119.00 / C 400000 100.00 / C 251100 19.00 (unbalanced if revenue differs)."""
    return [line(acc["121110"], debit=119.0), line(acc["400000"], credit=revenue),
            line(acc["251100"], credit=19.0)]


def entry(rpc: Rpc, lines: list[list[Any]], **vals: Any) -> int:
    mid: int = rpc.kw("account.move", "create", [{"move_type": "entry", "ref": "shop/sale/1",
                                                  "line_ids": lines, **vals}])
    return mid


def read_move(rpc: Rpc, mid: int, *fields: str) -> dict[str, Any]:
    row: dict[str, Any] = rpc.kw("account.move", "read", [[mid]], {"fields": list(fields)})[0]
    return row


def test_chart_holds_every_demo_ledger_account_and_the_journals(rpc: Rpc) -> None:
    chart = yaml.safe_load((ROOT / "mappings" / "ledger" / "chart.yaml").read_text("utf-8"))
    hub = yaml.safe_load((ROOT / "hub.yaml").read_text("utf-8"))["ledger"]
    codes = {*chart["accounts"].values(), *chart["taxes"].values(), *chart["fees"].values(),
             *chart["banks"].values()}
    for channel in hub["channels"].values():
        codes |= {channel["clearing"], *channel.get("gateways", {}).values()}
    accounts = rpc.kw("account.account", "search_read", [[]], {"fields": [
        "code", "name", "account_type", "reconcile", "currency_id", "deprecated",
        "display_name"]})
    held = {a["code"]: a for a in accounts}
    assert codes <= set(held), sorted(codes - set(held))
    assert held["121110"]["account_type"] == "asset_receivable" and held["121110"]["reconcile"]
    assert held["400000"]["display_name"] == "400000 Product Sales"
    assert held["101402"]["currency_id"][1] == "USD" and not held["101401"]["currency_id"]
    assert [a["code"] for a in accounts if a["deprecated"]] == ["400900"]
    journals = {j["code"]: j for j in rpc.kw("account.journal", "search_read", [[]], {
        "fields": ["code", "name", "type", "default_account_id"]})}
    wanted = set(chart["journals"].values())
    assert wanted <= set(journals) and wanted == {"SAL", "BNK1", "MISC"}
    assert (journals["SAL"]["type"], journals["BNK1"]["type"], journals["MISC"]["type"]) == (
        "sale", "bank", "general")
    assert journals["BNK1"]["default_account_id"][1] == "101401 Bank"


def test_entry_is_created_in_draft_then_posted_with_its_journal_number(rpc: Rpc) -> None:
    acc, jou = ids_by_code(rpc, "account.account"), ids_by_code(rpc, "account.journal")
    mid = entry(rpc, sale_lines(acc), journal_id=jou["SAL"], date="2026-01-05",
                narration="shop order 1")
    move = read_move(rpc, mid, "name", "state", "date", "journal_id", "amount_total",
                     "line_ids", "move_type")
    assert (move["name"], move["state"], move["date"], move["move_type"]) == (
        "/", "draft", "2026-01-05", "entry")
    assert move["journal_id"] == [jou["SAL"], "Sales"] and move["amount_total"] == 119.0
    lines = rpc.kw("account.move.line", "search_read", [[["move_id", "=", mid]]], {"fields": [
        "account_id", "debit", "credit", "balance", "amount_currency", "currency_id"]})
    assert sorted(ln["id"] for ln in lines) == move["line_ids"]
    assert [(ln["account_id"][1][:6], ln["debit"], ln["credit"], ln["balance"],
             ln["amount_currency"], ln["currency_id"][1]) for ln in lines] == [
        ("121110", 119.0, 0.0, 119.0, 119.0, "EUR"), ("400000", 0.0, 100.0, -100.0, -100.0, "EUR"),
        ("251100", 0.0, 19.0, -19.0, -19.0, "EUR")]
    assert rpc.kw("account.move", "action_post", [[mid]]) is False
    assert read_move(rpc, mid, "name", "state") == {"id": mid, "name": "SAL/2026/00001",
                                                    "state": "posted"}
    assert rpc.kw("account.move", "search", [[["ref", "in", ["shop/sale/1"]],
                                              ["move_type", "=", "entry"]]]) == [mid]
    # without a journal an entry goes to the first general journal
    other = entry(rpc, sale_lines(acc), ref="shop/sale/2", date="2026-02-01")
    assert read_move(rpc, other, "journal_id")["journal_id"][1] == "Miscellaneous Operations"
    rpc.kw("account.move", "action_post", [[other]])
    assert read_move(rpc, other, "name")["name"] == "MISC/2026/00001"


def test_an_unbalanced_entry_is_refused_with_odoos_message(
        odoo: tuple[Sandbox, SandboxServer], rpc: Rpc) -> None:
    acc = ids_by_code(rpc, "account.account")
    with pytest.raises(OdooError) as info:
        entry(rpc, sale_lines(acc, revenue=90.0))
    assert info.value.name == "odoo.exceptions.UserError"
    message = str(info.value)
    assert message.startswith("An error has occurred.\n\nThe move (Draft Entry (* ")
    assert ") (shop/sale/1)) is not balanced.\nThe total of debits equals " \
           f"119.00{NBSP}€ and the total of credits equals 109.00{NBSP}€.\n" in message
    assert message.endswith('journal "Miscellaneous Operations" to automatically balance '
                            "each move.")
    store = odoo[0].odoo("demo")
    assert journals_view(store.records, store.currency)["entries"] == []
    # a balanced entry made unbalanced by writing one of its lines: refused as well
    mid = entry(rpc, sale_lines(acc))
    revenue = read_move(rpc, mid, "line_ids")["line_ids"][1]
    with pytest.raises(OdooError, match="is not balanced"):
        rpc.kw("account.move.line", "write", [[revenue], {"credit": 99.0}])
    with pytest.raises(OdooError, match="is not balanced"):
        rpc.kw("account.move.line", "unlink", [[revenue]])
    assert read_move(rpc, mid, "amount_total")["amount_total"] == 119.0


@pytest.mark.parametrize(("make", "name", "text"), [
    (lambda a: line(a["400000"], debit=5.0, credit=5.0), "odoo.exceptions.ValidationError",
     "The operation cannot be completed: Wrong credit or debit value in accounting entry!"),
    (lambda a: line(a["400000"], debit=-5.0), "odoo.exceptions.ValidationError",
     "Wrong credit or debit value in accounting entry!"),
    (lambda a: line(999_999, debit=5.0), "odoo.exceptions.ValidationError",
     "the record it refers to does not exist"),
    (lambda a: line(False, debit=5.0), "odoo.exceptions.ValidationError",
     "The operation cannot be completed: Missing required account on accountable line."),
    (lambda a: line(a["400900"], debit=5.0), "odoo.exceptions.UserError",
     "The account Sales (old chart) (400900) is deprecated."),
    (lambda a: line(a["101402"], debit=5.0), "odoo.exceptions.UserError",
     "forces to provide a secondary currency"),
    (lambda a: line(a["400000"], debit=5.0, currency_id=2, amount_currency=-5.5),
     "odoo.exceptions.ValidationError", "must be positive when account is debited"),
])
def test_line_refusals(rpc: Rpc, make: Any, name: str, text: str) -> None:
    acc = ids_by_code(rpc, "account.account")
    with pytest.raises(OdooError) as info:
        entry(rpc, [make(acc), line(acc["999999"], credit=5.0)])
    assert info.value.name == name and text in str(info.value)
    assert rpc.kw("account.move", "search_count", [[["move_type", "=", "entry"]]]) == 0


def test_foreign_currency_lines_keep_their_amount_in_currency(rpc: Rpc) -> None:
    acc = ids_by_code(rpc, "account.account")
    usd = rpc.kw("res.currency", "search", [[["name", "=", "USD"], ["active", "in",
                                                                    [True, False]]]])[0]
    mid = entry(rpc, [line(acc["101402"], debit=460.0, currency_id=usd, amount_currency=500.0),
                      line(acc["121110"], credit=460.0, currency_id=usd,
                           amount_currency=-500.0)])
    rows = rpc.kw("account.move.line", "search_read", [[["move_id", "=", mid]]],
                  {"fields": ["debit", "credit", "amount_currency", "currency_id"]})
    assert [(r["debit"], r["credit"], r["amount_currency"], r["currency_id"][1])
            for r in rows] == [(460.0, 0.0, 500.0, "USD"), (0.0, 460.0, -500.0, "USD")]


def test_reset_to_draft_rewrite_and_repost_keeps_the_number(rpc: Rpc) -> None:
    acc = ids_by_code(rpc, "account.account")
    mid = entry(rpc, sale_lines(acc), date="2026-01-05")
    with pytest.raises(OdooError, match=r"Only posted/cancelled journal entries can be reset "
                                        r"to draft\."):
        rpc.kw("account.move", "button_draft", [[mid]])
    rpc.kw("account.move", "action_post", [[mid]])
    name = read_move(rpc, mid, "name")["name"]
    new_lines = [[5, 0, 0], line(acc["121110"], debit=238.0), line(acc["400000"], credit=200.0),
                 line(acc["251100"], credit=38.0)]
    for method, args in (("write", [[mid], {"line_ids": new_lines}]),
                         ("action_post", [[mid]])):
        with pytest.raises(OdooError) as info:
            rpc.kw("account.move", method, args)
        assert info.value.name == "odoo.exceptions.UserError"
    old = read_move(rpc, mid, "line_ids")["line_ids"]
    with pytest.raises(OdooError, match="posted entry"):
        rpc.kw("account.move.line", "write", [[old[0]], {"name": "changed"}])
    assert rpc.kw("account.move", "button_draft", [[mid]]) is None
    assert read_move(rpc, mid, "state", "name") == {"id": mid, "state": "draft", "name": name}
    rpc.kw("account.move", "write", [[mid], {"line_ids": new_lines, "date": "2026-01-06"}])
    rpc.kw("account.move", "action_post", [[mid]])
    move = read_move(rpc, mid, "state", "name", "amount_total", "line_ids", "date")
    assert (move["state"], move["name"], move["amount_total"], move["date"]) == (
        "posted", name, 238.0, "2026-01-06")
    assert not set(move["line_ids"]) & set(old) and len(move["line_ids"]) == 3
    assert rpc.kw("account.move.line", "search_count", [[]]) == 3  # old lines are gone


def test_posting_refuses_an_account_deprecated_since(rpc: Rpc) -> None:
    acc = ids_by_code(rpc, "account.account")
    mid = entry(rpc, sale_lines(acc))
    rpc.kw("account.account", "write", [[acc["400000"]], {"deprecated": True}])
    with pytest.raises(OdooError) as info:
        rpc.kw("account.move", "action_post", [[mid]])
    assert info.value.name == "odoo.exceptions.UserError"
    assert str(info.value) == ("A line of this move is using a deprecated account, you cannot "
                               "post it.")
    assert read_move(rpc, mid, "state")["state"] == "draft"


def test_accounts_and_journals_can_be_added(rpc: Rpc) -> None:
    aid = rpc.kw("account.account", "create", [{"code": "620700", "name": "Storage Fees",
                                                "account_type": "expense"}])
    assert rpc.kw("account.account", "read", [[aid]], {"fields": ["display_name"]})[0][
        "display_name"] == "620700 Storage Fees"
    with pytest.raises(OdooError) as info:
        rpc.kw("account.account", "create", [{"code": "1", "name": "x", "account_type": "cash"}])
    assert info.value.name == "builtins.ValueError" and "account_type" in str(info.value)
    jid = rpc.kw("account.journal", "create", [{"code": "SHOP", "name": "Shop Sales",
                                                "type": "sale"}])
    assert ids_by_code(rpc, "account.journal")["SHOP"] == jid


def test_journals_endpoint_lists_entries_with_lines_and_totals(
        odoo: tuple[Sandbox, SandboxServer], rpc: Rpc) -> None:
    acc, jou = ids_by_code(rpc, "account.account"), ids_by_code(rpc, "account.journal")
    mid = entry(rpc, sale_lines(acc), journal_id=jou["SAL"], date="2026-01-05")
    rpc.kw("account.move", "action_post", [[mid]])
    entry(rpc, [line(acc["999999"], debit=2.5, name="Storage fee"),
                line(acc["121200"], credit=2.5)], ref="woo/fees/9")
    # a credit note is no journal entry of the ledger; its lines are items of it all the same
    partner = rpc.kw("res.partner", "create", [{"name": "P"}])
    note = rpc.kw("account.move", "create", [{
        "move_type": "out_refund", "partner_id": partner,
        "invoice_line_ids": [[0, 0, {"name": "Refund", "price_unit": 5.0}]]}])
    assert read_move(rpc, note, "line_ids", "invoice_line_ids", "journal_id") == {
        "id": note, "line_ids": read_move(rpc, note, "invoice_line_ids")["invoice_line_ids"],
        "invoice_line_ids": read_move(rpc, note, "invoice_line_ids")["invoice_line_ids"],
        "journal_id": [jou["INV"], "Customer Invoices"]}
    body = requests.get(f"{odoo[1].base_url}/_sandbox/odoo/demo/journals", timeout=10).json()
    assert body["company_currency"] == "EUR"
    assert body["totals"] == {"entries": 2, "posted": 1, "debit": 121.5, "credit": 121.5}
    first, second = body["entries"]
    assert (first["ref"], first["name"], first["journal"], first["state"], first["date"]) == (
        "shop/sale/1", "SAL/2026/00001", "SAL", "posted", "2026-01-05")
    assert [(ln["account"], ln["debit"], ln["credit"]) for ln in first["lines"]] == [
        ("121110", 119.0, 0.0), ("400000", 0.0, 100.0), ("251100", 0.0, 19.0)]
    assert first["totals"] == {"debit": 119.0, "credit": 119.0, "balanced": True}
    assert (second["state"], second["journal"], second["lines"][0]["name"]) == (
        "draft", "MISC", "Storage fee")
