"""The Odoo journal-entry writer: the exact JSON-RPC calls for a new entry, then behaviour
against the Odoo sandbox (journals by kind, reruns, rewrites, foreign currency, Odoo's
refusals, unknown accounts, lost replies, 5xx bursts) and through the delivery engine on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import responses
import yaml

from synchub.canonical import LedgerEntry, SourceRef
from synchub.canonical.money_movements import LedgerKind, LedgerLine
from synchub.delivery.base import DeliveryItem
from synchub.delivery.engine import run_push
from synchub.delivery.writers import writer_class
from synchub.ledger.journal_store import write_entries
from synchub.ledger.posting import ledger_ref
from synchub.mapping.export import load_export_mapping
from synchub.plan import load_hub
from synchub.runtime import ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.odoo.accounting import journals_view
from synchub.sandbox.odoo.store import OdooStore
from synchub.store import Store
from synchub.systems.odoo.journal import OdooJournalEntryWriter, entry_ref
from synchub.systems.odoo.rpc import OdooRpc
from tests.conftest import ROOT
from tests.delivery.odoo_helpers import CTX, odoo_client
from tests.delivery.test_odoo_writer import DB, HOST, KEY, LOGIN, UID, expect, kw
from tests.e2e.conftest import write_hub

JOURNALS = load_export_mapping(ROOT / "mappings" / "odoo" / "journals.export.yaml")
AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
# (account, debit, credit, description) in the entry's currency
Line = tuple[str, str, str, str | None]
SALE: list[Line] = [("121110", "119.00", "0", "Order #1"), ("400000", "0", "100.00", None),
                    ("251100", "0", "19.00", "MwSt 19%")]


def entry_of(ext: str, lines: list[Line], *, kind: LedgerKind = "sale", currency: str = "EUR",
             rate: str = "1", functional: str = "EUR", on: date | None = None,
             channel: str = "shop") -> LedgerEntry:
    """A balanced entry; functional amounts are the transaction amounts times ``rate``."""
    def conv(value: str) -> Decimal:
        return (Decimal(value) * Decimal(rate)).quantize(Decimal("0.01"))

    return LedgerEntry(
        source=SourceRef(connection=channel, system="ledger", external_id=ext),
        external_id=ext, kind=kind, channel=channel, posted_at=AT, posted_on=on or AT.date(),
        currency=currency, functional_currency=functional, rate=Decimal(rate),
        memo=f"{channel} {ext}",
        lines=[LedgerLine(account=a, debit=Decimal(d), credit=Decimal(c),
                          functional_debit=conv(d), functional_credit=conv(c),
                          rule=f"rule.{n}", description=desc)
               for n, (a, d, c, desc) in enumerate(lines)])


def item_of(entry: LedgerEntry, delivery_id: int, *, remote_id: str | None = None
            ) -> DeliveryItem:
    doc = entry.to_json_dict()
    return DeliveryItem(
        delivery_id=delivery_id, route="journals", entity="ledger_entry", record_id=entry.id,
        source_connection=entry.source.connection, document=doc,
        payload=JOURNALS.apply(doc, CTX, create=remote_id is None),
        idempotency_key=f"k{delivery_id}", remote_id=remote_id)


def writer_of(client: ConnectorClient, **options: Any) -> OdooJournalEntryWriter:
    spec = client.spec.writers["journals"]
    spec = spec.model_copy(update={"options": {**spec.options, **options}})
    return OdooJournalEntryWriter(spec, client, sink="erp", run_id="test")


# --- contract: the exact calls for one new entry -----------------------------------------
def test_new_entry_contract() -> None:
    item = item_of(entry_of("sale/1001", SALE), 1)
    ids = {"fields": ["id", "code"], "order": "id asc"}
    line_vals = [
        {"account_id": 11, "name": "Order #1 - rule.0", "debit": 119.0, "credit": 0.0},
        {"account_id": 20, "name": "rule.1", "debit": 0.0, "credit": 100.0},
        {"account_id": 18, "name": "MwSt 19% - rule.2", "debit": 0.0, "credit": 19.0}]
    move = {"move_type": "entry", "ref": "shop/sale/1001", "journal_id": 7,
            "date": "2026-01-05", "narration": "shop sale/1001",
            "line_ids": [[0, 0, vals] for vals in line_vals]}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        expect(mock, 1, [DB, LOGIN, KEY], UID, "common", "login")
        expect(mock, 2, kw("account.move", "search_read", [[
            ["move_type", "=", "entry"], ["ref", "in", ["shop/sale/1001"]]]], {"fields": [
                "id", "name", "ref", "state", "date", "journal_id", "line_ids"],
                "order": "id asc"}), [])
        expect(mock, 3, kw("res.company", "search_read", [[]], {
            "fields": ["currency_id"], "order": "id asc"}), [{"id": 1, "currency_id": [1, "EUR"]}])
        expect(mock, 4, kw("account.account", "search_read", [[
            ["code", "in", ["121110", "251100", "400000"]]]], ids),
            [{"id": 11, "code": "121110"}, {"id": 18, "code": "251100"},
             {"id": 20, "code": "400000"}])
        expect(mock, 5, kw("account.journal", "search_read", [[["code", "in", ["SAL"]]]], ids),
               [{"id": 7, "code": "SAL"}])
        expect(mock, 6, kw("account.move", "create", [[move]]), [42])
        expect(mock, 7, kw("account.move", "action_post", [[42]]), False)
        writer = writer_of(odoo_client(HOST, DB, LOGIN, KEY))
        [result] = writer.write([item])
    assert (result.outcome, result.remote_id, result.error) == ("delivered", "42", None)


def test_registration_options_and_reference() -> None:
    assert writer_class("odoo_journal_entry") is OdooJournalEntryWriter
    client = odoo_client(HOST, DB, LOGIN, KEY)
    with pytest.raises(ValueError, match="unknown entry kind"):
        writer_of(client, journals={"sales": "SAL"})
    with pytest.raises(ValueError, match="non-empty"):
        writer_of(client, journals={"default": " "})
    entry = entry_of("sale/7", SALE)
    assert entry_ref(entry.channel, entry.external_id) == ledger_ref(entry) == "shop/sale/7"


# --- against the sandbox -------------------------------------------------------------------
@pytest.fixture
def odoo() -> Iterator[tuple[OdooStore, ConnectorClient]]:
    sb = Sandbox(seed=7)
    store = sb.odoo("demo", products=3)
    with SandboxServer(sb) as srv:
        client = odoo_client(srv.odoo_url("demo"), "demo", "admin", store.password)
        yield store, client
        client.close()


def held(store: OdooStore) -> dict[str, dict[str, Any]]:
    """The journal entries in Odoo by reference."""
    return {e["ref"]: e for e in journals_view(store.records, store.currency)["entries"]}


def refs(store: OdooStore) -> list[str]:
    """The reference of every journal entry in Odoo (a duplicate shows twice)."""
    return sorted(e["ref"] for e in journals_view(store.records, store.currency)["entries"])


def calls(store: OdooStore, *methods: str) -> list[str]:
    return [c.model_method or "" for c in store.rpc_log
            if c.model == "account.move" and c.model_method in methods]


def test_entries_land_posted_in_their_journals_and_a_rerun_is_skipped(
        odoo: tuple[OdooStore, ConnectorClient]) -> None:
    store, client = odoo
    sale = entry_of("sale/1", SALE)
    payout = entry_of("payout/88", [("101402", "500.00", "0", None),
                                    ("620200", "15.00", "0", "fee"),
                                    ("121110", "0", "515.00", None)],
                      kind="payout", currency="USD", rate="0.92")
    fees = entry_of("fees/9", [("999999", "2.50", "0", "Storage"), ("121100", "0", "2.50", None)],
                    kind="fees")
    items = [item_of(sale, 1), item_of(payout, 2), item_of(fees, 3)]
    results = writer_of(client).write(items)
    assert [r.outcome for r in results] == ["delivered"] * 3
    entries = held(store)
    assert [(entries[r]["journal"], entries[r]["state"], entries[r]["name"]) for r in (
        "shop/sale/1", "shop/payout/88", "shop/fees/9")] == [
        ("SAL", "posted", "SAL/2026/00001"), ("BNK1", "posted", "BNK1/2026/00001"),
        ("MISC", "posted", "MISC/2026/00001")]
    assert results[0].remote_id == str(entries["shop/sale/1"]["id"])
    first = entries["shop/sale/1"]
    assert (first["date"], first["narration"]) == ("2026-01-05", "shop sale/1")
    assert [(ln["account"], ln["debit"], ln["credit"], ln["currency"], ln["name"])
            for ln in first["lines"]] == [
        ("121110", 119.0, 0.0, "EUR", "Order #1 - rule.0"), ("400000", 0.0, 100.0, "EUR", "rule.1"),
        ("251100", 0.0, 19.0, "EUR", "MwSt 19% - rule.2")]
    # a foreign entry: debits and credits in EUR, the USD amounts signed beside them
    assert [(ln["account"], ln["debit"], ln["credit"], ln["amount_currency"], ln["currency"])
            for ln in entries["shop/payout/88"]["lines"]] == [
        ("101402", 460.0, 0.0, 500.0, "USD"), ("620200", 13.8, 0.0, 15.0, "USD"),
        ("121110", 0.0, 473.8, -515.0, "USD")]
    # the same versions again (by hub id and by reference alone): nothing is written
    before = len(store.rpc_log)
    again = writer_of(client).write([item_of(sale, 1, remote_id=results[0].remote_id),
                                     item_of(payout, 2), item_of(fees, 3)])
    assert [(r.outcome, r.remote_id) for r in again] == [
        ("skipped", r.remote_id) for r in results]
    written = [c.model_method for c in store.rpc_log[before:]
               if c.model_method not in ("search_read", None)]
    assert written == [] and len(held(store)) == 3


def test_a_changed_entry_is_reset_rewritten_and_posted_again(
        odoo: tuple[OdooStore, ConnectorClient]) -> None:
    store, client = odoo
    writer = writer_of(client)
    [made] = writer.write([item_of(entry_of("sale/1", SALE), 1)])
    name, old_lines = held(store)["shop/sale/1"]["name"], held(store)["shop/sale/1"]["lines"]
    changed = entry_of("sale/1", [("121110", "238.00", "0", None), ("400000", "0", "200.00", None),
                                  ("251100", "0", "38.00", None)], on=date(2026, 1, 6))
    [res] = writer.write([item_of(changed, 1, remote_id=made.remote_id)])
    assert (res.outcome, res.remote_id) == ("delivered", made.remote_id)
    assert calls(store, "create", "button_draft", "write", "action_post") == [
        "create", "action_post", "button_draft", "write", "action_post"]
    now = held(store)["shop/sale/1"]
    assert (now["name"], now["state"], now["date"]) == (name, "posted", "2026-01-06")
    assert [(ln["account"], ln["debit"], ln["credit"]) for ln in now["lines"]] == [
        ("121110", 238.0, 0.0), ("400000", 0.0, 200.0), ("251100", 0.0, 38.0)]
    assert not {ln["id"] for ln in now["lines"]} & {ln["id"] for ln in old_lines}
    # a draft left by an earlier attempt is rewritten without a reset
    store.records["account.move"][int(made.remote_id or 0)]["state"] = "draft"
    [res] = writer.write([item_of(entry_of("sale/1", SALE), 1, remote_id=made.remote_id)])
    assert res.outcome == "delivered" and calls(store, "button_draft") == ["button_draft"]
    assert held(store)["shop/sale/1"]["totals"]["debit"] == 119.0


def test_odoo_refusing_an_unbalanced_entry_fails_it_with_odoos_message(
        odoo: tuple[OdooStore, ConnectorClient]) -> None:
    store, client = odoo
    good, bad = item_of(entry_of("sale/1", SALE), 1), item_of(entry_of("sale/2", SALE), 2)
    bad.payload["lines"][1]["credit"] = "90.00"  # by hand: LedgerEntry.check never saw it
    results = writer_of(client).write([good, bad])
    assert [r.outcome for r in results] == ["delivered", "failed"]
    error = results[1].error or ""
    assert error.startswith(f"ledger entry shop/sale/2 ({bad.record_id}): Odoo refused the "
                            "journal entry: ")
    assert "odoo.exceptions.UserError: An error has occurred." in error
    assert "is not balanced.\nThe total of debits equals 119.00" in error
    assert list(held(store)) == ["shop/sale/1"]


def test_an_unknown_account_fails_the_entry_naming_the_code(
        odoo: tuple[OdooStore, ConnectorClient]) -> None:
    store, client = odoo
    bad = entry_of("sale/2", [("121110", "5.00", "0", None), ("777777", "0", "5.00", "Mystery")])
    results = writer_of(client).write([item_of(bad, 2), item_of(entry_of("sale/1", SALE), 1)])
    assert [r.outcome for r in results] == ["failed", "delivered"]
    error = results[0].error or ""
    assert "'777777'" in error and "shop/sale/2" in error and bad.id in error
    assert "chart of accounts" in error and list(held(store)) == ["shop/sale/1"]
    # an unknown journal and a company in another currency fail the same way, per entry
    odd = writer_of(client, journals={"default": "NOPE"})
    [res] = odd.write([item_of(entry_of("sale/3", SALE), 3)])
    assert res.outcome == "failed" and "'NOPE'" in (res.error or "")
    [res] = writer_of(client).write([item_of(entry_of("sale/4", SALE, currency="USD",
                                                      functional="USD"), 4)])
    assert res.outcome == "failed" and "company currency is EUR" in (res.error or "")


@pytest.mark.parametrize(("lost", "then"), [("create", "delivered"),  # the draft is posted
                                             ("action_post", "skipped")])  # already done
def test_a_lost_reply_is_retried_and_the_entry_exists_once(
        odoo: tuple[OdooStore, ConnectorClient], lost: str, then: str) -> None:
    store, client = odoo
    writer = writer_of(client)
    send = writer.rpc.write

    def write(m: str, name: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any:
        if (m, name) == ("account.move", lost) and not calls(store, lost):
            store.fault_plan.configure(lost_reply_next=1)  # applied by Odoo, reply lost
        return send(m, name, args, kwargs)

    writer.rpc.write = write  # type: ignore[assignment,method-assign]
    item = item_of(entry_of("sale/1", SALE), 1)
    [first] = writer.write([item])
    assert first.outcome == "retry" and "504" in (first.error or "")
    [second] = writer.write([item])
    assert second.outcome == then
    assert refs(store) == ["shop/sale/1"]
    one = held(store)["shop/sale/1"]
    assert second.remote_id == str(one["id"]) and one["state"] == "posted"
    assert calls(store, "create") == ["create"]  # found by its reference, not made twice


def test_a_5xx_burst_answers_retry_and_writes_nothing(
        odoo: tuple[OdooStore, ConnectorClient]) -> None:
    store, client = odoo
    store.fault_plan.configure(fail_next=[503] * 7)  # more than the client's read retries
    [res] = writer_of(client).write([item_of(entry_of("sale/1", SALE), 1)])
    assert res.outcome == "retry" and "503" in (res.error or "") and held(store) == {}


def test_drafts_when_post_is_off_then_posted(odoo: tuple[OdooStore, ConnectorClient]) -> None:
    store, client = odoo
    item = item_of(entry_of("sale/1", SALE), 1)
    [res] = writer_of(client, post=False).write([item])
    assert res.outcome == "delivered" and held(store)["shop/sale/1"]["state"] == "draft"
    [res] = writer_of(client, post=False).write([item])
    assert res.outcome == "skipped"
    [res] = writer_of(client).write([item])
    assert res.outcome == "delivered" and held(store)["shop/sale/1"]["state"] == "posted"


# --- through the delivery engine -----------------------------------------------------------
@pytest.fixture
def hub_store(db_url: str) -> Iterator[Store]:
    store = Store.from_url(db_url)
    store.migrate()
    try:
        yield store
    finally:
        store.dispose()


def test_engine_delivers_each_entry_once(tmp_path: Path, hub_store: Store,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    hub_path = write_hub(tmp_path, {
        "shop": {"connector": "shopify", "conn_id": "shop", "roles": ["channel"]},
        "erp": {"connector": "odoo", "conn_id": "erp", "roles": ["erp"]}})
    doc = yaml.safe_load(hub_path.read_text())
    doc["sinks"] = {"erp": {"journals": {"from": ["shop"]}}}
    hub_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    hub = load_hub(hub_path)
    entries = [entry_of(f"sale/{n}", SALE) for n in range(1, 8)]
    write_entries(hub_store, entries)  # as the ledger build stores them, lines and all
    sb = Sandbox(seed=7)
    odoo_db = sb.odoo("demo", products=3)
    odoo_db.fault_plan.configure(rate_5xx=0.2)
    # the first create is applied by Odoo and its reply lost
    lose, send = ["create"], OdooRpc.write

    def write(self: OdooRpc, model: str, method: str, args: list[Any],
              kwargs: dict[str, Any] | None = None) -> Any:
        if model == "account.move" and method in lose:
            lose.remove(method)
            odoo_db.fault_plan.configure(rate_5xx=0.2, lost_reply_next=1)
        return send(self, model, method, args, kwargs)

    monkeypatch.setattr(OdooRpc, "write", write)
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with SandboxServer(sb) as srv:
        def client_for(_sink: str) -> ConnectorClient:
            return odoo_client(srv.odoo_url("demo"), "demo", "admin", odoo_db.password)

        for run in range(10):
            summary = run_push(hub_store, hub, "erp", run_id=f"r{run}", client_for=client_for,
                               now=now)
            now += timedelta(hours=1)  # past every backoff
            if summary["status"] == "success" and not summary["retried"]:
                break
        odoo_db.fault_plan.configure()
        again = run_push(hub_store, hub, "erp", run_id="again", client_for=client_for, now=now)
    assert refs(odoo_db) == sorted(f"shop/sale/{n}" for n in range(1, 8))  # each once
    assert {e["state"] for e in held(odoo_db).values()} == {"posted"}
    assert summary["dead"] == 0 and run > 0 and not lose  # the lost reply was retried
    assert (again["dead"], again["retried"]) == (0, 0)
