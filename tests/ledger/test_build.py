"""The ledger build on real SQLite and PostgreSQL: a day's journals from stored records,
idempotent rebuilds, backfill ranges, closed periods, corrections, dead letters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from synchub.canonical import CanonicalRecord
from synchub.ledger.build import LedgerSummary, build_ledger
from synchub.ledger.journal_store import entries_for, entries_table, lines_for
from synchub.ledger.periods import close_through
from synchub.store import Store
from synchub.store.ledger_tables import ledger_lines, ledger_runs
from tests.conftest import ROOT
from tests.ledger.conftest import (
    CHANNEL,
    ledger_config,
    m,
    movement_doc,
    order_doc,
    payout_doc,
    rates,
    refund_doc,
)

D1 = date(2025, 3, 3)
NO_RATES = rates()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store.from_url(db_url)
    st.migrate()
    try:
        yield st
    finally:
        st.dispose()


def demo_hub(**ledger_over: Any) -> Any:
    """What the build reads of a hub: its ledger and the connections it knows."""
    return SimpleNamespace(ledger=ledger_config(**ledger_over), path=ROOT / "hub.yaml",
                           root=ROOT, connections={CHANNEL: None, "shopify_demo": None})


HUB = demo_hub()


def put(store: Store, *records: CanonicalRecord) -> None:
    store.write_page(connection=CHANNEL, stream="test", records=list(records))


def build(store: Store, first: date, last: date | None = None, rates_: Any = NO_RATES,
          hub: Any = HUB) -> LedgerSummary:
    return build_ledger(store, hub, first_day=first, last_day=last or first, rates=rates_)


def one_day_of_business() -> list[CanonicalRecord]:
    """Order 1001 (with an affiliate line), its refund, the charge with its fee and the
    payout of the charge, all on 2025-03-03."""
    return [
        order_doc(),
        refund_doc(created_at="2025-03-03T15:00:00Z"),
        movement_doc(payout_external_id="po_1"),
        payout_doc(issued_at="2025-03-03T18:00:00Z"),
    ]


def snapshot(store: Store) -> dict[str, Any]:
    """Every stored journal (hash, day) and line: what two builds must agree on."""
    t = entries_table
    with store.engine.connect() as conn:
        entries = {(r.connection, r.external_id): (r.content_hash, r.posted_on)
                   for r in conn.execute(sa.select(t.c.connection, t.c.external_id,
                                                   t.c.content_hash, t.c.posted_on))}
    lines = sorted((r["entry_id"], r["line_no"], r["account"], Decimal(r["debit"]),
                    Decimal(r["credit"]), r["rule"]) for r in lines_for(store))
    return {"entries": entries, "lines": lines}


def assert_balanced(store: Store) -> None:
    """Per entry, its lines add up to its typed totals, and debits equal credits."""
    t, ll = entries_table, ledger_lines
    sums = (sa.select(ll.c.entry_id, sa.func.sum(ll.c.debit).label("d"),
                      sa.func.sum(ll.c.credit).label("c"),
                      sa.func.sum(ll.c.functional_debit).label("fd"),
                      sa.func.sum(ll.c.functional_credit).label("fc"))
            .group_by(ll.c.entry_id).subquery())
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.external_id, t.c.total_debit, t.c.total_credit,
                                      t.c.functional_total_debit, sums.c.d, sums.c.c,
                                      sums.c.fd, sums.c.fc)
                            .join(sums, sums.c.entry_id == t.c.id)).all()
        entries = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
    assert len(rows) == entries > 0
    for r in rows:
        d, c, fd, fc = (Decimal(str(v)).quantize(Decimal("0.0001"))
                        for v in (r.d, r.c, r.fd, r.fc))
        assert d == c == Decimal(str(r.total_debit)) == Decimal(str(r.total_credit)), r
        assert fd == fc == Decimal(str(r.functional_total_debit)), r


def test_one_day_builds_every_kind_of_journal_balanced(store: Store) -> None:
    put(store, *one_day_of_business())
    summary = build(store, D1)

    assert summary.per_kind == {"commission": 1, "fees": 1, "payout": 1, "refund": 1,
                                "sale": 1}
    assert summary.per_channel == {CHANNEL: 5}
    assert (summary.days, summary.entries_built, summary.stored, summary.unchanged,
            summary.dead, summary.corrections) == (1, 5, 5, 0, 0, 0)
    assert {e.external_id for e in entries_for(store, day=D1)} == {
        "sale/1001", "commission/1001", "refund/r1", "fees/txn_1", "payout/po_1"}
    assert_balanced(store)
    payout = entries_for(store, external_id="payout/po_1")[0]
    assert [(ln.account, ln.debit, ln.credit) for ln in payout.lines] == [
        ("101401", Decimal("64.10"), 0), ("121210", 0, Decimal("64.10"))]
    with store.engine.connect() as conn:
        run = conn.execute(sa.select(ledger_runs)).one()
    assert (run.status, run.first_day, run.last_day, run.error) == ("success", D1, D1, None)
    assert run.summary["stored"] == 5
    assert summary.as_dict()["suspense"] == {"lines": 0, "amounts": {}}


def test_rebuilding_a_day_changes_nothing(store: Store) -> None:
    put(store, *one_day_of_business())
    build(store, D1)
    before = snapshot(store)
    with store.engine.connect() as conn:
        seqs = {r.id: r.change_seq for r in conn.execute(
            sa.select(entries_table.c.id, entries_table.c.change_seq))}

    again = build(store, D1)
    assert (again.entries_built, again.stored, again.unchanged) == (5, 0, 5)
    assert snapshot(store) == before
    with store.engine.connect() as conn:
        assert {r.id: r.change_seq for r in conn.execute(
            sa.select(entries_table.c.id, entries_table.c.change_seq))} == seqs


def three_days() -> list[CanonicalRecord]:
    return [
        *one_day_of_business(),
        order_doc(external_id="1002", number="1002", placed_at="2025-03-04T09:00:00Z",
                  updated_at="2025-03-04T09:00:00Z", payment_gateway="paypal"),
        refund_doc(external_id="r2", order_external_id="1002",
                   created_at="2025-03-05T11:00:00Z"),
        movement_doc(external_id="txn_2", type="refund", amount=m("-23.80"), fees=[],
                     processed_at="2025-03-05T11:01:00Z", order_external_id="1002"),
        movement_doc(external_id="txn_3", processed_at="2025-03-04T09:01:00Z",
                     order_external_id="1002", gateway="paypal",
                     fees=[{"type": "storage", "amount": m("0.50")}]),
    ]


def wipe_journals(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute(sa.delete(ledger_lines))
        conn.execute(sa.delete(entries_table))


def test_an_order_cancelled_on_a_later_day_posts_its_cancellation_on_that_day(
        store: Store) -> None:
    put(store, order_doc(financial_status="pending"))
    build(store, D1)
    put(store, order_doc(financial_status="pending", status="cancelled",
                         cancelled_at="2025-03-05T12:30:00.250000Z",
                         updated_at="2025-03-05T12:31:00Z"))
    assert build(store, D1 + timedelta(days=1)).entries_built == 0
    summary = build(store, D1 + timedelta(days=2))
    assert summary.per_kind == {"cancellation": 1}
    [cancel] = entries_for(store, external_id="cancellation/1001")
    sale = entries_for(store, external_id="sale/1001")[0]
    commission = entries_for(store, external_id="commission/1001")[0]
    assert cancel.posted_on == D1 + timedelta(days=2)
    # the sale and its commission, reversed
    assert sorted((ln.account, ln.debit, ln.credit) for ln in cancel.lines) == \
        sorted((ln.account, ln.credit, ln.debit) for ln in [*sale.lines, *commission.lines])
    assert build(store, D1).stored == 0  # the sale's day keeps only the sale


def test_a_refund_without_its_own_time_posts_at_its_orders_last_update(store: Store) -> None:
    put(store, order_doc(updated_at="2025-03-04T08:00:00Z"), refund_doc(created_at=None))
    assert build(store, D1).per_kind == {"commission": 1, "sale": 1}
    assert build(store, D1 + timedelta(days=1)).per_kind == {"refund": 1}


def test_a_range_build_equals_single_day_builds(store: Store) -> None:
    put(store, *three_days())
    ranged = build(store, D1, D1 + timedelta(days=2))
    assert ranged.days == 3
    by_range = snapshot(store)
    assert len(by_range["entries"]) == 9

    wipe_journals(store)
    singles = [build(store, D1 + timedelta(days=n)) for n in range(3)]
    assert snapshot(store) == by_range
    assert ranged.entries_built == sum(s.entries_built for s in singles) == 9
    # the unmapped fee type lands in suspense and is counted
    assert ranged.as_dict()["suspense"] == {"lines": 1, "amounts": {"EUR": "0.50"}}
    assert_balanced(store)


def test_a_late_refund_posts_on_its_own_day_and_leaves_the_closed_sale(store: Store) -> None:
    put(store, order_doc())
    build(store, D1)
    close_through(store, D1, "March week 1")
    sale = entries_for(store, external_id="sale/1001")[0]

    late = D1 + timedelta(days=10)
    put(store, refund_doc(external_id="r9", created_at="2025-03-13T08:00:00Z"))
    summary = build(store, late)
    assert (summary.per_kind, summary.corrections) == ({"refund": 1}, 0)
    [refund] = entries_for(store, external_id="refund/r9")
    assert refund.posted_on == late
    assert entries_for(store, external_id="sale/1001")[0].content_hash == sale.content_hash
    assert build(store, D1).stored == 0  # the closed day rebuilt: nothing to write


def test_a_changed_order_in_a_closed_day_posts_one_correction(store: Store) -> None:
    put(store, order_doc())
    build(store, D1)
    close_through(store, D1)
    original = entries_for(store, external_id="sale/1001")[0]

    put(store, order_doc(discount_total=m("5.00"), total=m("60.33"),
                         updated_at="2025-03-06T10:00:00Z"))
    summary = build(store, D1)
    assert summary.corrections == 1
    [fix] = entries_for(store, corrects="sale/1001", channel=CHANNEL)
    assert (fix.external_id, fix.kind, fix.posted_on) == ("sale/1001#c1", "correction",
                                                          D1 + timedelta(days=1))
    assert sorted((ln.account, ln.rule, ln.debit, ln.credit) for ln in fix.lines) == [
        ("121210", "clearing:woo_demo:stripe", 0, Decimal("5.00")),
        ("400200", "sale.discount", Decimal("5.00"), 0)]
    assert entries_for(store, external_id="sale/1001")[0].content_hash == \
        original.content_hash

    again = build(store, D1)
    assert (again.corrections, again.stored) == (0, 0)
    assert len(entries_for(store, corrects="sale/1001")) == 1
    assert_balanced(store)


def test_an_order_synced_after_its_day_was_closed_posts_in_the_first_open_day(
        store: Store) -> None:
    close_through(store, D1)
    put(store, order_doc())
    summary = build(store, D1)
    assert summary.stored == 2
    sale = entries_for(store, external_id="sale/1001")[0]
    assert sale.posted_on == D1 + timedelta(days=1)
    assert "2025-03-03, a closed day" in (sale.memo or "")
    assert build(store, D1).stored == 0


def test_a_missing_rate_dead_letters_the_record_and_a_later_build_resolves_it(
        store: Store) -> None:
    usd = order_doc(external_id="2001", number="2001", currency="USD")
    put(store, order_doc(), usd)
    summary = build(store, D1)
    assert (summary.dead, summary.per_kind) == (1, {"commission": 1, "sale": 1})
    [letter] = store.dead_letters(connection=CHANNEL)
    assert (letter["stream"], letter["entity"], letter["record_id"]) == ("ledger", "order",
                                                                         "2001")
    assert "USD->EUR" in letter["reason"] and "2025-03-03" in letter["reason"]

    fixed = build(store, D1, rates_=rates({("USD", "EUR", D1): "0.92"}))
    assert (fixed.dead, fixed.resolved, fixed.stored) == (0, 1, 2)
    assert store.dead_letters(connection=CHANNEL) == []
    [resolved] = store.dead_letters(connection=CHANNEL, unresolved_only=False)
    assert resolved["resolved_at"] is not None
    sale = entries_for(store, external_id="sale/2001")[0]
    assert (sale.currency, sale.rate, sale.rate_provider) == ("USD", Decimal("0.92"), "ecb")
    assert_balanced(store)


def test_a_stored_document_the_model_rejects_is_dead_lettered(store: Store) -> None:
    from synchub.store.tables import entity_table

    broken = order_doc(external_id="1003", number="1003")
    put(store, order_doc(), broken)
    orders = entity_table("order")
    doc = store.get("order", broken.id)
    assert doc is not None
    del doc["total"]
    with store.transaction() as conn:
        conn.execute(sa.update(orders).where(orders.c.id == broken.id).values(data=doc))
    summary = build(store, D1)
    assert (summary.dead, summary.per_kind) == (1, {"commission": 1, "sale": 1})
    [letter] = store.dead_letters(connection=CHANNEL)
    assert (letter["record_id"], letter["field"]) == ("1003", "total")
    assert letter["reason"] == "the stored order is not valid: total: Field required"


def test_an_entry_a_record_no_longer_makes_is_withdrawn(store: Store) -> None:
    put(store, movement_doc(payout_external_id="po_1"), payout_doc(issued_at=
                                                                    "2025-03-03T18:00:00Z"))
    build(store, D1)
    put(store, payout_doc(issued_at="2025-03-03T18:00:00Z", status="failed"))
    summary = build(store, D1)
    assert summary.withdrawn == 1
    [payout] = entries_for(store, external_id="payout/po_1")
    assert not any(payout.totals())
    assert build(store, D1).withdrawn == 0

    # in a closed day, the entry stays and a correction reverses it
    put(store, payout_doc(issued_at="2025-03-03T18:00:00Z"))
    build(store, D1)
    close_through(store, D1)
    put(store, payout_doc(issued_at="2025-03-03T18:00:00Z", status="cancelled"))
    closed = build(store, D1)
    assert (closed.withdrawn, closed.corrections) == (1, 1)
    [fix] = entries_for(store, corrects="payout/po_1")
    assert sorted((ln.account, ln.debit, ln.credit) for ln in fix.lines) == [
        ("101401", 0, Decimal("64.10")), ("121210", Decimal("64.10"), 0)]
    assert build(store, D1).corrections == 0


def test_a_payout_moved_to_another_day_leaves_nothing_behind(store: Store) -> None:
    put(store, payout_doc(issued_at="2025-03-03T18:00:00Z"))
    build(store, D1)
    put(store, payout_doc(issued_at="2025-03-04T06:00:00Z"))
    assert build(store, D1).withdrawn == 1
    assert build(store, D1 + timedelta(days=1)).stored == 1
    [payout] = entries_for(store, external_id="payout/po_1")
    assert payout.posted_on == D1 + timedelta(days=1) and any(payout.totals())


def test_an_error_fails_the_run_and_is_recorded(store: Store) -> None:
    class BrokenRates:
        def rate(self, base: str, quote: str, on: date) -> Any:
            raise RuntimeError("rates service down")

    put(store, order_doc(currency="USD"))
    with pytest.raises(RuntimeError):
        build(store, D1, rates_=BrokenRates())
    with store.engine.connect() as conn:
        run = conn.execute(sa.select(ledger_runs)).one()
    assert run.status == "failed" and "rates service down" in run.error
    assert run.finished_at is not None


def test_only_known_connections_are_built(store: Store) -> None:
    store.write_page(connection="old_shop", stream="test",
                     records=[order_doc(source={"connection": "old_shop", "system": "x",
                                                "external_id": "9"}, external_id="9",
                                        connection="old_shop")])
    put(store, order_doc())
    summary = build(store, D1)
    assert summary.per_channel == {CHANNEL: 2}


def test_a_hub_without_a_ledger_is_a_config_error(store: Store, tmp_path: Path) -> None:
    from synchub.errors import ConfigError

    hub = SimpleNamespace(ledger=None, path=tmp_path / "hub.yaml", connections={})
    with pytest.raises(ConfigError, match="keeps no ledger"):
        build_ledger(store, hub, first_day=D1, last_day=D1, rates=NO_RATES)
