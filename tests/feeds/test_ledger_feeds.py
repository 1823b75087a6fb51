"""The ledger's row feeds on SQLite and PostgreSQL: ``journal_line`` and ``reconciliation``
through the API (scoped keys, pages that never split a journal), the views and the exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from synchub.api.app import create_app
from synchub.canonical import LedgerEntry, SourceRef
from synchub.canonical.money_movements import LedgerLine
from synchub.feeds.api import consumers_of
from synchub.feeds.export import export_consumer
from synchub.feeds.keys import issue_key
from synchub.feeds.ledger_views import FEED_JOURNAL_LINES, LEDGER_VIEWS
from synchub.feeds.views import markdown_table
from synchub.ledger.journal_store import write_entries
from synchub.ledger.reconcile import build_report
from synchub.plan import Hub, load_hub
from synchub.store import Store

from .conftest import ROOT, plain

DAY = date(2025, 3, 3)
HUB_YAML = """\
version: 1
connectors_dir: {root}/connectors
mappings_dir: {root}/mappings
connections:
  woo_demo: {{connector: woocommerce, conn_id: woo_demo}}
  shopify_demo: {{connector: shopify, conn_id: shopify_demo}}
ledger:
  functional_currency: EUR
  channels:
    woo_demo: {{clearing: "121200"}}
    shopify_demo: {{clearing: "121100"}}
feeds:
  consumers:
    finance:
      entities: [journal_line, reconciliation]
      connections: [shopify_demo]
    bi:
      entities: [journal_line, reconciliation, balance_transaction, fx_rate]
      export: {{to: exports/bi, formats: [jsonl, csv]}}
"""


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store.from_url(db_url)
    st.migrate()
    try:
        yield st
    finally:
        st.dispose()


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    path = tmp_path / "hub.yaml"
    path.write_text(HUB_YAML.format(root=ROOT))
    return load_hub(path, load_mappings=False)


@pytest.fixture
def client(store: Store, hub: Hub) -> Iterator[TestClient]:
    yield TestClient(create_app(lambda: store, lambda: hub))


def journal(channel: str, ext: str, amounts: list[str]) -> LedgerEntry:
    """A EUR sale: one debit on the clearing account, a credit per amount."""
    total = sum((Decimal(a) for a in amounts), Decimal(0))
    lines = [LedgerLine(account="121210", debit=total, functional_debit=total,
                        rule="sale.clearing")]
    lines += [LedgerLine(account="400000", credit=Decimal(a), functional_credit=Decimal(a),
                         rule="sale.revenue", source=f"order:{ext}") for a in amounts]
    return LedgerEntry(source=SourceRef(connection=channel, system="ledger", external_id=ext),
                       external_id=ext, kind="sale", channel=channel,
                       posted_at=datetime(2025, 3, 3, 12, tzinfo=UTC), posted_on=DAY,
                       currency="EUR", functional_currency="EUR", rate=Decimal(1), lines=lines)


def seed_journals(store: Store) -> dict[str, LedgerEntry]:
    """Four journals of two channels, interleaved in change order (10 lines)."""
    entries = {e.external_id: e for e in (
        journal("woo_demo", "sale/W1", ["100.00", "19.00"]),
        journal("shopify_demo", "sale/S1", ["50.00", "9.50"]),
        journal("shopify_demo", "sale/S2", ["10.00"]),
        journal("woo_demo", "sale/W2", ["1.00"]))}
    for e in entries.values():
        write_entries(store, [e])
    return entries


def bearer(store: Store, hub: Hub, consumer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_key(store, consumer, consumers_of(hub)).key}"}


def pages(client: TestClient, headers: dict[str, str], feed: str, limit: int,
          since: str = "") -> tuple[list[list[dict[str, Any]]], str]:
    """Every page of a feed after ``since``, and the last cursor."""
    out, cursor = [], since
    while True:
        resp = client.get(f"/api/v1/feeds/{feed}", headers=headers,
                          params={"since": cursor, "limit": limit})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        out.append(body["records"])
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return out, cursor


def test_journal_line_pages_hold_whole_journals_in_scope(
        client: TestClient, store: Store, hub: Hub) -> None:
    entries = seed_journals(store)
    got, _ = pages(client, bearer(store, hub, "bi"), "journal_line", limit=2)
    # a limit of 2 never cuts a journal: W1 (3 lines), S1 (3), S2 (2), W2 (2)
    assert [[r["entry_external_id"] for r in page] for page in got] == [
        ["sale/W1"] * 3, ["sale/S1"] * 3, ["sale/S2"] * 2, ["sale/W2"] * 2]
    first = got[0][0]
    assert first == {
        "entry_id": entries["sale/W1"].id, "line_no": 1, "connection": "woo_demo",
        "entry_external_id": "sale/W1", "kind": "sale", "posted_on": "2025-03-03",
        "account": "121210", "currency": "EUR", "debit": "119.00", "credit": "0.00",
        "functional_currency": "EUR", "functional_debit": "119.00",
        "functional_credit": "0.00", "rule": "sale.clearing", "source": None,
        "description": None, "corrects": None, "change_seq": first["change_seq"]}
    assert [r["credit"] for r in got[0][1:]] == ["100.00", "19.00"]
    # the finance key sees the shop's journals only, and may not ask for another channel
    finance = bearer(store, hub, "finance")
    scoped, _ = pages(client, finance, "journal_line", limit=100)
    assert {r["connection"] for r in scoped[0]} == {"shopify_demo"} and len(scoped[0]) == 5
    resp = client.get("/api/v1/feeds/journal_line", headers=finance,
                      params={"connection": "woo_demo"})
    assert resp.status_code == 403


def test_a_changed_journal_comes_again_whole(client: TestClient, store: Store,
                                             hub: Hub) -> None:
    seed_journals(store)
    key = bearer(store, hub, "bi")
    _, cursor = pages(client, key, "journal_line", limit=100)
    write_entries(store, [journal("woo_demo", "sale/W1", ["119.00"])])
    again, _ = pages(client, key, "journal_line", limit=1, since=cursor)
    assert [(r["entry_external_id"], r["line_no"], r["credit"]) for r in again[0]] == [
        ("sale/W1", 1, "0.00"), ("sale/W1", 2, "119.00")]


def test_reconciliation_rows_are_a_feed_scoped_by_channel(
        client: TestClient, store: Store, hub: Hub) -> None:
    seed_journals(store)
    report = build_report(store, hub, DAY, client_for=lambda c: None,
                          now=datetime(2025, 3, 4, tzinfo=UTC))
    finance = bearer(store, hub, "finance")
    got, cursor = pages(client, finance, "reconciliation", limit=5)
    rows = [r for page in got for r in page]
    shop = [r for r in report.rows if r.channel == "shopify_demo"]
    assert [(r["metric"], r["currency"], r["status"]) for r in rows] == [
        (r.metric, r.currency, r.status) for r in shop]
    entries = next(r for r in rows if r["metric"] == "journal_entries")
    assert {k: entries[k] for k in ("day", "connection", "channel_value", "hub_value",
                                    "erp_value", "status")} == {
        "day": "2025-03-03", "connection": "shopify_demo", "channel_value": None,
        "hub_value": "2", "erp_value": None, "status": "info"}
    assert entries["built_at"] == "2025-03-04T00:00:00Z"
    # the day built again comes again, whole, after the cursor
    build_report(store, hub, DAY, client_for=lambda c: None,
                 now=datetime(2025, 3, 4, 1, tzinfo=UTC))
    again, _ = pages(client, finance, "reconciliation", limit=1000, since=cursor)
    assert len(again[0]) == len(shop)
    assert {r["built_at"] for r in again[0]} == {"2025-03-04T01:00:00Z"}


def test_views_and_exports_serve_the_ledger_feeds(store: Store, hub: Hub) -> None:
    entries = seed_journals(store)
    build_report(store, hub, DAY, client_for=lambda c: None,
                 now=datetime(2025, 3, 4, tzinfo=UTC))
    with store.engine.connect() as conn:
        lines = [{k: plain(v) for k, v in r._mapping.items()} for r in conn.execute(
            sa.text("SELECT * FROM feed_journal_lines ORDER BY change_seq, line_no"))]
        recon = conn.execute(sa.text("SELECT count(*) FROM feed_reconciliation")).scalar()
    assert len(lines) == 10 and list(lines[0]) == FEED_JOURNAL_LINES.column_names
    assert (lines[0]["entry_id"], lines[0]["debit"], lines[1]["credit"]) == (
        entries["sale/W1"].id, "119.0000", "100.0000")
    summary = export_consumer(store, hub, "bi", run_id="r1")
    assert summary["entities"]["journal_line"]["records"] == 10
    assert summary["entities"]["reconciliation"]["records"] == recon
    out = hub.root / "exports" / "bi"
    table = list(csv.reader(io.StringIO((out / "journal_line" / "r1.csv").read_text())))
    assert table[0] == FEED_JOURNAL_LINES.column_names and len(table) == 11
    header = table[0]
    assert [table[1][header.index(c)] for c in ("debit", "credit", "debit_e4")] == [
        "119.0000", "0.0000", "1190000"]
    jsonl = (out / "reconciliation" / "r1.jsonl").read_text().splitlines()
    assert len(jsonl) == recon and json.loads(jsonl[0])["day"] == "2025-03-03"
    assert (out / "reconciliation" / "r1.csv").is_file()


def test_docs_list_the_ledger_views() -> None:
    docs = (ROOT / "docs" / "feeds.md").read_text()
    for view in LEDGER_VIEWS:
        assert f"### `{view.name}`" in docs
        assert markdown_table(view) in docs, f"docs/feeds.md is out of date for {view.name}"
