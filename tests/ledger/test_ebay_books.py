"""eBay's money in the books: the orders, refunds, transactions and payouts the eBay mappings
make from the documented examples are booked on SQLite and PostgreSQL (final value fees to
commission, ad fees to advertising, the channel's clearing account, balanced in EUR)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from synchub.ledger.build import build_ledger
from synchub.ledger.journal_store import entries_for
from synchub.mapping import MappingContext, load_mapping
from synchub.store import Store
from tests.conftest import ROOT
from tests.ledger.conftest import ledger_config, rates
from tests.mapping.conftest import MAPPINGS, load_fixture

CHANNEL = "ebay_demo"
DAYS = (date(2025, 3, 1), date(2025, 3, 2))
USD_EUR = {("USD", "EUR", day): "0.92" for day in (date(2025, 2, 28), *DAYS)}


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store.from_url(db_url)
    st.migrate()
    try:
        yield st
    finally:
        st.dispose()


def load(store: Store, mapping: str, fixture: str) -> None:
    m = load_mapping(MAPPINGS / "ebay" / f"{mapping}.yaml")
    ctx = MappingContext(connection=CHANNEL, system="ebay")
    records: list[Any] = []
    for raw in m.unwrap(load_fixture("ebay", fixture)):
        records.extend(m.apply(raw, ctx))
    store.write_page(connection=CHANNEL, stream=mapping, records=records)


def test_ebay_sales_fees_and_refunds_are_booked_balanced(store: Store) -> None:
    for mapping, fixture in (("orders", "orders"), ("refunds", "orders"),
                             ("balance_transactions", "transactions"),
                             ("payouts", "payouts")):
        load(store, mapping, fixture)
    hub = SimpleNamespace(ledger=ledger_config(), path=ROOT / "hub.yaml", root=ROOT,
                          connections={CHANNEL: None})
    summary = build_ledger(store, hub, first_day=DAYS[0], last_day=DAYS[1],
                           rates=rates(USD_EUR))
    assert summary.dead == 0
    sale_fees = entries_for(store, external_id="fees/27*****6601")[0]
    debits = {}
    for line in sale_fees.lines:
        if line.debit:
            debits[line.account] = debits.get(line.account, Decimal(0)) + line.debit
    # final value fees (5.89 + 0.30 + 1.62) to commission, the ad fee to advertising
    assert debits == {"620100": Decimal("7.81"), "620400": Decimal("2.22")}
    assert [(ln.account, ln.credit) for ln in sale_fees.lines if ln.credit] == [
        ("121510", Decimal("10.03"))]      # the managed payments clearing account
    ad = entries_for(store, external_id="fees/27*****6603")[0]
    assert {(ln.account, ln.debit or ln.credit) for ln in ad.lines} == {
        ("620400", Decimal("3.40")), ("121510", Decimal("3.40"))}
    kinds = {e.kind for day in DAYS for e in entries_for(store, day=day)}
    assert {"sale", "fees", "refund"} <= kinds
    for day in DAYS:
        for entry in entries_for(store, day=day):
            assert sum(ln.debit for ln in entry.lines) == sum(ln.credit for ln in entry.lines)
            assert entry.currency == "USD" and entry.functional_currency == "EUR"
