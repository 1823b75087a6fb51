"""Journals in the store: entries and lines round-trip, change detection, and the database's
own balance check (SQLite trigger at the entry row, PostgreSQL constraint trigger at commit)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from synchub.canonical import LedgerEntry
from synchub.ledger.journal_store import (
    entries_for,
    entries_table,
    line_rows,
    lines_for,
    resolve_dead_letters,
    write_entries,
)
from synchub.ledger.posting import post_order
from synchub.store import DeadLetterIn, Store
from synchub.store.ledger_tables import ledger_lines
from synchub.store.rows import entity_row, to_stored
from synchub.store.tables import change_counters
from tests.ledger.conftest import CHANNEL, context, m, order_doc

DAY = date(2025, 3, 3)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store.from_url(db_url)
    st.migrate()
    try:
        yield st
    finally:
        st.dispose()


def sale_entries(**order_over: object) -> list[LedgerEntry]:
    """Sale and commission of the demo order 1001 (woo_demo, EUR)."""
    return post_order(order_doc(**order_over), context())


def docs(entries: list[LedgerEntry]) -> list[dict[str, object]]:
    """Entries as their JSON documents, in external id order (what the store keeps)."""
    return [e.model_dump(mode="json") for e in sorted(entries, key=lambda e: e.external_id)]


def seqs(store: Store) -> dict[str, int]:
    t = entries_table
    with store.engine.connect() as conn:
        return {r.external_id: r.change_seq for r in conn.execute(
            sa.select(t.c.external_id, t.c.change_seq))}


def test_entries_and_lines_round_trip(store: Store) -> None:
    entries = sale_entries()
    assert {e.kind for e in entries} == {"sale", "commission"}
    result = write_entries(store, entries)
    assert (result.stored, result.unchanged) == (2, 0)

    back = entries_for(store, day=DAY)
    assert docs(back) == docs(entries)
    sale = next(e for e in entries if e.kind == "sale")
    assert docs(entries_for(store, external_id="sale/1001", channel=CHANNEL)) == docs([sale])
    assert docs(entries_for(store, source=f"order:{order_doc().id}")) == docs(back)
    assert entries_for(store, day=date(2025, 3, 4)) == []

    rows = lines_for(store, entry_id=sale.id)
    assert [r["line_no"] for r in rows] == list(range(1, len(sale.lines) + 1))
    for row, ln in zip(rows, sale.lines, strict=True):
        assert (row["account"], row["rule"], row["source"]) == (ln.account, ln.rule, ln.source)
        assert (Decimal(row["debit"]), Decimal(row["credit"])) == (ln.debit, ln.credit)
        assert (row["channel"], row["kind"], row["posted_on"]) == (CHANNEL, "sale", DAY)
        assert (row["currency"], row["functional_currency"]) == ("EUR", "EUR")
    debit = sum(Decimal(r["debit"]) for r in rows)
    assert debit == sum(Decimal(r["credit"]) for r in rows) == Decimal("65.33")


def test_rewriting_an_unchanged_entry_touches_nothing(store: Store) -> None:
    entries = sale_entries()
    write_entries(store, entries)
    before = seqs(store)
    numbers = sa.select(change_counters.c.value).where(change_counters.c.entity == "ledger_entry")
    with store.engine.connect() as conn:
        handed_out = conn.execute(numbers).scalar_one()
    assert handed_out == 2

    again = write_entries(store, sale_entries())
    assert (again.stored, again.unchanged, again.changed_ids) == (0, 2, [])
    assert seqs(store) == before
    with store.engine.connect() as conn:
        assert conn.execute(numbers).scalar_one() == handed_out


def test_a_changed_entry_replaces_its_lines(store: Store) -> None:
    write_entries(store, sale_entries())
    before = seqs(store)
    # the same order with a 5.00 discount: one more line (sale.discount), a smaller total
    changed = sale_entries(discount_total=m("5.00"), total=m("60.33"),
                           discount_codes=["SPRING"])
    result = write_entries(store, changed)
    sale = next(e for e in changed if e.kind == "sale")
    assert result.changed_ids == [sale.id]
    after = seqs(store)
    assert after["sale/1001"] > before["sale/1001"]
    assert after["commission/1001"] == before["commission/1001"]
    rows = lines_for(store, entry_id=sale.id)
    assert [(r["account"], r["rule"]) for r in rows] == \
        [(ln.account, ln.rule) for ln in sale.lines]
    assert ("400200", "sale.discount") in [(r["account"], r["rule"]) for r in rows]
    assert sum(Decimal(r["debit"]) for r in rows) == Decimal("65.33")  # 60.33 + 5.00 discount


def test_dead_letters_are_written_and_resolved_with_the_entries(store: Store) -> None:
    letter = DeadLetterIn(entity="order", record_id="2001", reason="no USD->EUR rate",
                          field="placed_at")
    write_entries(store, sale_entries(), dead_letters=[(CHANNEL, letter)])
    [row] = store.dead_letters(connection=CHANNEL)
    assert (row["stream"], row["entity"], row["record_id"]) == ("ledger", "order", "2001")
    with store.transaction() as conn:
        assert resolve_dead_letters(conn, CHANNEL, "order", ["2001"]) == 1
    assert store.dead_letters(connection=CHANNEL) == []


def unbalanced(entry: LedgerEntry) -> list[dict[str, object]]:
    """The entry's lines with the last credit one euro short: they no longer add up."""
    rows = line_rows(entry)
    last = max((r for r in rows if r["credit"]), key=lambda r: r["line_no"])
    last["credit"] = Decimal(str(last["credit"])) - 1
    last["functional_credit"] = Decimal(str(last["functional_credit"])) - 1
    return rows


def test_the_database_rejects_a_journal_whose_lines_do_not_add_up(store: Store) -> None:
    [sale] = [e for e in sale_entries() if e.kind == "sale"]
    row = entity_row(to_stored(sale), sale.posted_at)  # totals balanced, lines are not
    pg = store.engine.dialect.name == "postgresql"
    with store.engine.connect() as conn:
        trans = conn.begin()
        conn.execute(sa.insert(ledger_lines), unbalanced(sale))
        if pg:
            # a deferred constraint trigger: the statements pass, the commit does not
            conn.execute(sa.insert(entries_table), [row])
            with pytest.raises(sa.exc.DBAPIError, match="does not balance"):
                trans.commit()
        else:
            with pytest.raises(sa.exc.IntegrityError, match="does not balance"):
                conn.execute(sa.insert(entries_table), [row])
            trans.rollback()
    assert entries_for(store) == []
    assert lines_for(store) == []


def test_the_database_rejects_lines_without_an_entry_on_postgresql(store: Store) -> None:
    [sale] = [e for e in sale_entries() if e.kind == "sale"]
    with store.engine.connect() as conn:
        trans = conn.begin()
        conn.execute(sa.insert(ledger_lines), line_rows(sale))
        if store.engine.dialect.name == "postgresql":
            with pytest.raises(sa.exc.DBAPIError, match="has lines but no entry"):
                trans.commit()
        else:
            # SQLite checks an entry when its row is written; lines alone are the writer's
            # business (write_entries always writes both)
            trans.rollback()
    assert lines_for(store) == []


@pytest.mark.parametrize("side", ["debit", "functional_debit"])
def test_a_line_with_both_debit_and_credit_is_refused(store: Store, side: str) -> None:
    [sale] = [e for e in sale_entries() if e.kind == "sale"]
    rows = line_rows(sale)
    credit = "credit" if side == "debit" else "functional_credit"
    target = next(r for r in rows if r[credit])
    target[side] = Decimal("1.00")
    target[credit] = Decimal(str(target[credit])) + 1  # still balanced in sum
    with pytest.raises(sa.exc.IntegrityError, match=r"ck_ledger_lines_one_side|CHECK"), \
            store.transaction() as conn:
        conn.execute(sa.insert(ledger_lines), rows)
    assert lines_for(store) == []


def test_an_entry_row_with_unequal_totals_is_refused(store: Store) -> None:
    [sale] = [e for e in sale_entries() if e.kind == "sale"]
    row = entity_row(to_stored(sale), sale.posted_at)
    row["total_credit"] = Decimal(str(row["total_credit"])) - 1
    with pytest.raises(sa.exc.IntegrityError, match=r"ck_ledger_entries_balanced|CHECK"), \
            store.transaction() as conn:
        conn.execute(sa.insert(ledger_lines), line_rows(sale))
        conn.execute(sa.insert(entries_table), [row])
    assert entries_for(store) == []
