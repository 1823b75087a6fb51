"""The daily reconciliation report on SQLite and PostgreSQL: every metric's figures for a
store filled by hand and a channel answering over HTTP (``responses``), the files, re-runs
that replace the day, and the channel's own counts against the sandbox's shops."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import fsspec
import pytest
import responses
import sqlalchemy as sa
from responses import matchers

from synchub.canonical import LedgerEntry, SourceRef
from synchub.canonical.money_movements import LedgerLine
from synchub.config.ledger import ReportsConfig
from synchub.ledger.channel_counts import channel_orders
from synchub.ledger.journal_store import entries_for, write_entries
from synchub.ledger.reconcile import (
    ReconciliationReport,
    ReconRow,
    build_report,
    compare,
    read_report,
)
from synchub.ledger.report_files import render_html, write_report_files
from synchub.ledger.settlement import match_settlements
from synchub.plan import Hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.store import Store
from synchub.store.delivery_tables import deliveries
from synchub.store.ledger_tables import reconciliation_rows
from synchub.store.stock_tables import stock_drift
from tests.ledger.conftest import m, order_doc, payout_doc, refund_doc
from tests.ledger.test_settlement import CHANNELS, charge, movement, put, write_hub

DAY = date(2025, 3, 3)
NOW = datetime(2025, 3, 4, 6, tzinfo=UTC)
WOO = "https://woo.example"
SHOP = "https://shop.example"
STOCK = """\
    woo_demo: {clearing: "121200", gateways: {stripe: "121210"}}
    shopify_demo: {clearing: "121100", gateways: {shopify_payments: "121110"}}
stock:
  masters:
    odoo_demo: {locations: [WH/Stock]}
  channels:
    woo_demo: {locations: [WH/Stock]}
"""
WOO_DAY = [  # what the store says it sold on DAY (and a second before, the lookback)
    {"id": 1001, "total": "65.33", "currency": "EUR", "date_created_gmt": "2025-03-03T10:00:00"},
    {"id": 1002, "total": "65.33", "currency": "EUR", "date_created_gmt": "2025-03-03T10:00:00"},
    {"id": 1010, "total": "10.00", "currency": "EUR", "date_created_gmt": "2025-03-03T23:59:59"},
    {"id": 1011, "total": "20.00", "currency": "usd", "date_created_gmt": "2025-03-03T05:00:00"},
    {"id": 998, "total": "1.00", "currency": "EUR", "date_created_gmt": "2025-03-02T23:59:59"},
]


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store.from_url(db_url)
    st.migrate()
    try:
        yield st
    finally:
        st.dispose()


def entry(kind: str, ext: str, lines: list[tuple[str, str, str]]) -> LedgerEntry:
    """A EUR journal of woo_demo on DAY; lines are (account, debit, credit)."""
    return LedgerEntry(
        source=SourceRef(connection="woo_demo", system="ledger", external_id=ext),
        external_id=ext, kind=kind, channel="woo_demo", posted_at=datetime(2025, 3, 3, 12,
                                                                            tzinfo=UTC),
        posted_on=DAY, currency="EUR", functional_currency="EUR", rate=Decimal(1),
        lines=[LedgerLine(account=a, debit=Decimal(d), credit=Decimal(c),
                          functional_debit=Decimal(d), functional_credit=Decimal(c),
                          rule=f"test.{n}") for n, (a, d, c) in enumerate(lines)])


def deliver(store: Store, route: str, entity: str, record_id: str, delivered: bool,
            status: str | None = None) -> None:
    now = datetime(2025, 3, 3, 20, tzinfo=UTC)
    with store.transaction() as conn:
        conn.execute(sa.insert(deliveries).values(
            sink="odoo_demo", route=route, entity=entity, record_id=record_id,
            source_connection="woo_demo", content_hash="h1",
            status=status or ("delivered" if delivered else "pending"), available_at=now,
            idempotency_key=f"{route}:{record_id}", delivered_hash="h1" if delivered else None,
            created_at=now, updated_at=now))


def seed(store: Store, hub: Hub) -> None:
    """woo_demo on DAY: 2 orders (one in the ERP), a refund (in the ERP), a payout, two
    journals (one with a suspense line, one in the ERP), two SKUs drifting."""
    sold = [order_doc(external_id="1001"), order_doc(external_id="1002")]
    put(store, *sold, order_doc(external_id="1009", placed_at="2025-03-02T22:00:00Z"),
        refund_doc(external_id="r3", order_external_id="1001", amount=m("5.00"), lines=[],
                   created_at="2025-03-03T12:00:00Z"),
        refund_doc(external_id="r1", order_external_id="1001"),      # another day
        # nets 64.10 + 59.00 - 2.00 = 121.10; the orders make it 64.10 + 64.33 - 2.00
        payout_doc(external_id="po_d", amount=m("120.00"), issued_at="2025-03-03T18:00:00Z"),
        charge("txn_a", "1001", "65.33", "1.23", payout="po_d"),
        charge("txn_b", "1002", "60.00", "1.00", payout="po_d"),
        movement("txn_c", "fee", "-2.00", payout="po_d"))
    refund = refund_doc(external_id="r3", order_external_id="1001")
    deliver(store, "orders", "order", sold[0].id, True)
    deliver(store, "orders", "order", sold[1].id, False)
    deliver(store, "refunds", "refund", refund.id, True)
    sale = entry("sale", "sale/1001", [("121210", "119.00", "0"), ("400000", "0", "100.00"),
                                       ("251100", "0", "19.00")])
    fees = entry("fees", "fees/txn_c", [("999999", "2.00", "0"), ("121210", "0", "2.00")])
    write_entries(store, [sale, fees])
    deliver(store, "journals", "ledger_entry", sale.id, True)
    with store.transaction() as conn:
        conn.execute(sa.insert(stock_drift), [
            {"channel": "woo_demo", "kind": k, "key": f"SKU-{n}", "sku": f"SKU-{n}",
             "detected_at": NOW} for n, k in enumerate(("quantity_mismatch",
                                                        "missing_on_channel"))])
    match_settlements(store, hub, now=NOW)


def clients(hub: Hub) -> Any:
    infos = {"woo_demo": ConnectionInfo(conn_id="woo_demo", host=WOO, login="ck",
                                        password="cs"),
             "shopify_demo": ConnectionInfo(conn_id="shopify_demo", host=SHOP,
                                            password="shpat_x")}
    return lambda ch: ConnectorClient(hub.connection(ch).connector, infos[ch])


def mock_channels(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{WOO}/wp-json/wc/v3/orders", json=WOO_DAY, headers={"X-WP-TotalPages": "1"},
             match=[matchers.query_param_matcher({
                 "status": "any", "dates_are_gmt": "true",
                 "_fields": "id,total,currency,date_created_gmt",
                 "after": "2025-03-02T23:59:59Z", "before": "2025-03-04T00:00:00Z",
                 "per_page": "100"})])
    rsps.get(f"{SHOP}/admin/api/2025-07/orders.json", status=401,
             json={"errors": "[API] Invalid API key or access token"})


def figures(report: ReconciliationReport, channel: str) -> dict[str, tuple[Any, ...]]:
    def d(v: Decimal | None) -> str | None:
        return None if v is None else format(v.normalize(), "f")
    return {f"{r.metric} {r.currency}".strip(): (d(r.channel_value), d(r.hub_value),
                                                 d(r.erp_value), d(r.difference), r.status)
            for r in report.rows if r.channel == channel}


def build(store: Store, hub: Hub) -> ReconciliationReport:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        mock_channels(rsps)
        return build_report(store, hub, DAY, client_for=clients(hub), now=NOW)


def test_every_metric_of_the_day(store: Store, tmp_path: Path) -> None:
    hub = write_hub(tmp_path, channels=STOCK)
    seed(store, hub)
    report = build(store, hub)
    assert figures(report, "woo_demo") == {
        # channel 3 EUR orders (one the hub lacks) and a USD one; the ERP has one of two
        "orders_count EUR": ("3", "2", "1", "-1", "mismatch"),
        "orders_count USD": ("1", "0", "0", "-1", "missing"),
        "orders_amount EUR": ("140.66", "130.66", "65.33", "-10", "mismatch"),
        "orders_amount USD": ("20", "0", "0", "-20", "missing"),
        "refunds_count EUR": (None, "1", "1", "0", "ok"),
        "refunds_amount EUR": (None, "5", "5", "0", "ok"),
        "payouts_amount EUR": ("120", "121.1", None, "1.1", "mismatch"),
        "payouts_expected_amount EUR": ("120", "126.43", None, "6.43", "mismatch"),
        "settlement_unmatched_count": (None, "2", None, None, "mismatch"),
        "settlement_unmatched_amount EUR": (None, "6.43", None, None, "mismatch"),
        "settlement_unsettled_count": (None, "0", None, None, "ok"),
        "settlement_pending_count": (None, "0", None, None, "info"),
        # the fees journal is not in the ERP yet but nothing failed: on its way
        "journal_entries": (None, "2", "1", "-1", "pending"),
        "journal_entries_fees": (None, "1", "0", "-1", "pending"),
        "journal_entries_sale": (None, "1", "1", "0", "ok"),
        "journals_unbalanced": (None, "0", None, None, "ok"),
        "journal_suspense_lines": (None, "1", None, None, "mismatch"),
        "journal_suspense_amount EUR": (None, "2", None, None, "mismatch"),
        "stock_drift": (None, "2", None, None, "mismatch"),
    }
    rows = {f"{r.channel} {r.metric}": r for r in report.rows}
    assert rows["woo_demo journals_unbalanced"].detail == (
        "EUR debits 121.00 credits 121.00; functional EUR debits 121.00 credits 121.00")
    assert rows["woo_demo settlement_unmatched_count"].detail == "amount_mismatch 1, excess 1"
    assert rows["woo_demo stock_drift"].detail == "missing_on_channel 1, quantity_mismatch 1"
    assert rows["woo_demo orders_count"].detail == "channel: stream order_totals, read live"
    # the shop refused the key: its side is an error, the rest of its report stands
    shop = figures(report, "shopify_demo")
    assert shop["orders_count"] == (None, "0", "0", "0", "error")
    assert "401" in (rows["shopify_demo orders_count"].detail or "")
    assert shop["payouts_amount"] == ("0", "0", None, None, "info")
    assert shop["journals_unbalanced"] == (None, "0", None, None, "ok")
    assert "stock_drift" not in shop          # not a stock channel
    assert not report.ok
    summary = report.summary()
    assert (summary["ok"], summary["rows"], summary["channels"]) == (False, len(report.rows), 2)
    assert (summary["statuses"]["missing"], summary["statuses"]["error"],
            summary["statuses"]["pending"]) == (2, 2, 2)


def test_building_the_day_again_replaces_its_rows(store: Store, tmp_path: Path) -> None:
    hub = write_hub(tmp_path)
    seed(store, hub)
    first = build(store, hub)
    with store.engine.connect() as conn:
        seqs = [r.change_seq for r in conn.execute(sa.select(reconciliation_rows.c.change_seq))]
    assert sorted(seqs) == list(range(1, len(first.rows) + 1))
    second = build(store, hub)
    with store.engine.connect() as conn:
        again = conn.execute(sa.select(reconciliation_rows.c.change_seq,
                                       reconciliation_rows.c.day)).all()
    assert len(again) == len(second.rows) == len(first.rows)
    assert min(r.change_seq for r in again) == max(seqs) + 1
    stored = read_report(store, DAY)
    assert stored is not None
    assert [(r.channel, r.metric, r.currency, r.status) for r in stored.rows] == [
        (r.channel, r.metric, r.currency, r.status) for r in second.rows]


@pytest.mark.parametrize(("values", "channel_side", "status", "difference"), [
    ((5, 5, 5), True, "ok", 0),
    ((5, 4, 4), True, "mismatch", -1),          # hub - channel first
    ((5, 5, 4), True, "mismatch", -1),          # then ERP - hub
    ((5, 0, 0), True, "missing", -5),           # the hub has none of the channel's
    ((None, 3, 0), False, "missing", -3),       # the ERP has none of the hub's
    ((None, 3, 3), True, "no_source", 0),
    ((None, 3, None), False, "info", None),
])
def test_compare_sets_status_and_difference(values: tuple[Any, ...], channel_side: bool,
                                            status: str, difference: int | None) -> None:
    ch, hub, erp = (None if v is None else Decimal(v) for v in values)
    row = compare(ReconRow("c", "orders_count", "", ch, hub, erp, channel_side=channel_side))
    assert (row.status, row.difference) == (
        status, None if difference is None else Decimal(difference))


def test_report_files_csv_and_html(store: Store, tmp_path: Path) -> None:
    hub = write_hub(tmp_path)
    seed(store, hub)
    report = build(store, hub)
    written = write_report_files(report, ReportsConfig(to="reports", formats=["csv", "html"]),
                                 tmp_path)
    folder = tmp_path / "reports"
    assert written == [str(folder / "2025-03-03.csv"), str(folder / "2025-03-03.html")]
    assert sorted(p.name for p in folder.iterdir()) == ["2025-03-03.csv", "2025-03-03.html"]
    lines = (folder / "2025-03-03.csv").read_text().splitlines()
    assert lines[0] == ("day,channel,metric,currency,channel_value,hub_value,erp_value,"
                        "difference,status,detail")
    assert len(lines) == len(report.rows) + 1
    assert ("2025-03-03,woo_demo,orders_amount,EUR,140.66,130.66,65.33,-10.00,mismatch,"
            "\"channel: stream order_totals, read live\"") in lines
    assert "2025-03-03,woo_demo,refunds_count,EUR,,1,1,0,ok," in lines
    page = (folder / "2025-03-03.html").read_text()
    assert page.count("<h2>") == 2 and "<h2>woo_demo</h2>" in page
    bad = sum(1 for r in report.rows if r.status in ("mismatch", "missing", "error"))
    assert page.count('<tr class="attention">') == bad
    assert f"{bad} rows need attention." in page
    assert ('<tr class="attention"><td>orders_amount</td><td>EUR</td><td class="num">140.66'
            '</td><td class="num">130.66</td><td class="num">65.33</td><td class="num">-10.00'
            '</td><td class="status">mismatch</td>') in page
    # again, to an fsspec URL: the files are replaced, no temporary file stays
    target = f"memory:///reports-{id(store)}"
    for _ in range(2):
        urls = write_report_files(report, ReportsConfig(to=target, formats=["csv"]), tmp_path)
    fs = fsspec.filesystem("memory")
    assert urls == [f"{target}/2025-03-03.csv"]
    assert [p.rsplit("/", 1)[1] for p in fs.ls(target.removeprefix("memory://"),
                                               detail=False)] == ["2025-03-03.csv"]


def test_html_escapes_everything() -> None:
    report = ReconciliationReport(day=DAY, built_at=NOW, rows=[
        ReconRow("<shop>", "orders_count", "", Decimal(1), Decimal(1), None, Decimal(0), "ok",
                 'a <b> & "c"')])
    page = render_html(report)
    assert "<h2>&lt;shop&gt;</h2>" in page
    assert "<td>a &lt;b&gt; &amp; &quot;c&quot;</td>" in page
    assert "<b>" not in page and "Every figure agrees." in page


@pytest.mark.parametrize(("system", "name", "credentials"), [
    ("shopify", "shopify_demo", {"password": "shpat_sandbox_recon"}),
    ("woocommerce", "woo_demo", {"login": "ck_sandbox_recon", "password": "cs_sandbox_recon"}),
])
def test_channel_counts_agree_with_the_shops_own_orders(
        sandbox: tuple[Any, Any], tmp_path: Path, system: str, name: str,
        credentials: dict[str, str]) -> None:
    """Against the sandbox: a day's counts equal what the full order list says of that day."""
    _, server = sandbox
    hub = write_hub(tmp_path, channels=CHANNELS)
    plan = hub.connection(name)
    info = ConnectionInfo(conn_id=name, host=server.url(system, "recon"), **credentials)
    by_day: dict[date, list[tuple[str, Decimal]]] = {}
    field = {"shopify": ("created_at", "total_price"),
             "woocommerce": ("date_created_gmt", "total")}[system]
    with ConnectorClient(plan.connector, info) as client:
        for page in client.read("orders", full_refresh=True):
            for rec in page.records:
                stamp = rec[field[0]] + ("Z" if system == "woocommerce" else "")
                when = datetime.fromisoformat(stamp).astimezone(UTC).date()
                by_day.setdefault(when, []).append((rec["currency"], Decimal(rec[field[1]])))
        busiest = sorted(by_day, key=lambda d: (-len(by_day[d]), d))[:2]
        for day in busiest:
            got = channel_orders(hub, name, day, client)
            assert got is not None and got.unreadable == 0 and got.counts
            want: dict[str, list[Decimal]] = {}
            for cur, amount in by_day[day]:
                want.setdefault(cur, []).append(amount)
            assert got.counts == {c: len(v) for c, v in want.items()}
            assert got.amounts == {c: sum(v, Decimal(0)) for c, v in want.items()}


def test_a_past_day_rebuilt_later_carries_no_stock_drift(store: Store, tmp_path: Path) -> None:
    """Drift is a snapshot of now: only today's and yesterday's reports show it."""
    hub = write_hub(tmp_path, channels=STOCK)
    seed(store, hub)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_channels(rsps)
        later = build_report(store, hub, DAY, client_for=clients(hub),
                             now=NOW + timedelta(days=30))
    assert "stock_drift" not in figures(later, "woo_demo")
    assert "orders_count EUR" in figures(later, "woo_demo")


def test_a_dead_delivery_to_the_erp_is_a_gap_not_pending(store: Store, tmp_path: Path) -> None:
    """What died on the way to the ERP is missing (and says where to look); what is still
    being delivered is pending."""
    hub = write_hub(tmp_path, channels=STOCK)
    seed(store, hub)
    fees = next(e for e in entries_for(store, day=DAY) if e.kind == "fees")
    deliver(store, "journals", "ledger_entry", fees.id, False, status="dead")
    report = build(store, hub)
    assert figures(report, "woo_demo")["journal_entries_fees"] == (
        None, "1", "0", "-1", "missing")
    rows = {f"{r.channel} {r.metric}": r for r in report.rows}
    assert "1 dead on the way to the ERP" in (rows["woo_demo journal_entries_fees"].detail or "")
