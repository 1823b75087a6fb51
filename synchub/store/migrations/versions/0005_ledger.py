"""Ledger: money-movement tables, journal lines with a balance check, settlement, reports.

Revision ID: 0005_ledger
Revises: 0004_feed_views
Create Date: 2026-11-26

``payouts`` and ``ledger_entries`` were created empty by 0001 and nothing wrote them before
this revision, so they are recreated with their typed columns (and the balance check).
Refunds gain typed columns, filled from their documents.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_ledger"
down_revision = "0004_feed_views"
branch_labels = None
depends_on = None

# Frozen copies of the types at this revision.
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
AMOUNT = sa.Numeric(20, 4)
RATE = sa.Numeric(28, 12)

TYPED: dict[str, list[tuple[str, Any]]] = {
    "payouts": [("status", sa.String(16)), ("currency", sa.String(3)), ("amount", AMOUNT),
                ("issued_at", TS)],
    "balance_transactions": [
        ("type", sa.String(32)), ("currency", sa.String(3)), ("amount", AMOUNT),
        ("net", AMOUNT), ("processed_at", TS), ("order_external_id", sa.String(255)),
        ("payout_external_id", sa.String(255))],
    "fx_rates": [("base", sa.String(3)), ("quote", sa.String(3)), ("rate_date", sa.Date),
                 ("rate", RATE), ("provider", sa.String(64))],
    "ledger_entries": [
        ("kind", sa.String(16)), ("channel", sa.String(255)), ("posted_on", sa.Date),
        ("posted_at", TS), ("currency", sa.String(3)), ("functional_currency", sa.String(3)),
        ("total_debit", AMOUNT), ("total_credit", AMOUNT),
        ("functional_total_debit", AMOUNT), ("functional_total_credit", AMOUNT),
        ("corrects", sa.String(255))],
}
REFUND_COLUMNS: list[tuple[str, Any]] = [
    ("order_external_id", sa.String(255)), ("created_at", TS), ("currency", sa.String(3)),
    ("amount", AMOUNT)]
NEW_COUNTERS = ("balance_transaction", "fx_rate", "reconciliation")

# The balance check. PostgreSQL: a constraint trigger deferred to commit, so an entry and
# its lines may be written in any order within the transaction. SQLite (no deferred
# triggers): the entry row is written after its lines and checked against them then.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION synchub_check_journal() RETURNS trigger AS $$
DECLARE
    eid text;
    e record;
    s record;
BEGIN
    IF TG_TABLE_NAME = 'ledger_entries' THEN
        eid := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        eid := OLD.entry_id;
    ELSE
        eid := NEW.entry_id;
    END IF;
    SELECT total_debit, total_credit, functional_total_debit, functional_total_credit
      INTO e FROM ledger_entries WHERE id = eid;
    SELECT count(*) AS n, coalesce(sum(debit), 0) AS d, coalesce(sum(credit), 0) AS c,
           coalesce(sum(functional_debit), 0) AS fd, coalesce(sum(functional_credit), 0) AS fc
      INTO s FROM ledger_lines WHERE entry_id = eid;
    IF e IS NULL THEN
        IF s.n > 0 THEN
            RAISE EXCEPTION 'journal % has lines but no entry', eid
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END IF;
    IF s.d <> s.c OR s.fd <> s.fc OR s.d <> e.total_debit OR s.c <> e.total_credit
       OR s.fd <> e.functional_total_debit OR s.fc <> e.functional_total_credit THEN
        RAISE EXCEPTION 'journal % does not balance: lines debit % credit % (functional % / %)'
            ', entry % / % (% / %)', eid, s.d, s.c, s.fd, s.fc, e.total_debit,
            e.total_credit, e.functional_total_debit, e.functional_total_credit
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGERS = [
    "CREATE CONSTRAINT TRIGGER ledger_lines_balanced AFTER INSERT OR UPDATE OR DELETE "
    "ON ledger_lines DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
    "EXECUTE FUNCTION synchub_check_journal()",
    "CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT OR UPDATE "
    "ON ledger_entries DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
    "EXECUTE FUNCTION synchub_check_journal()",
]
_SQLITE_WHEN = """
    NEW.total_debit IS NOT NULL AND (
    round(coalesce((SELECT sum(debit) FROM ledger_lines WHERE entry_id = NEW.id), 0), 4)
        <> round(NEW.total_debit, 4)
    OR round(coalesce((SELECT sum(credit) FROM ledger_lines WHERE entry_id = NEW.id), 0), 4)
        <> round(NEW.total_credit, 4)
    OR round(coalesce((SELECT sum(functional_debit) FROM ledger_lines
                       WHERE entry_id = NEW.id), 0), 4) <> round(NEW.functional_total_debit, 4)
    OR round(coalesce((SELECT sum(functional_credit) FROM ledger_lines
                       WHERE entry_id = NEW.id), 0), 4) <> round(NEW.functional_total_credit, 4))
"""
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER ledger_entries_balanced_{op_} AFTER {op_.upper()} ON ledger_entries "
    f"WHEN {_SQLITE_WHEN} BEGIN SELECT RAISE(ABORT, "
    "'journal does not balance: its lines do not add up to the entry''s equal totals'); END"
    for op_ in ("insert", "update")
]


def _entity_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("connection", sa.String(255), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("data", JSON_DOC, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        *(sa.Column(col, type_) for col, type_ in TYPED[name]),
        sa.UniqueConstraint("connection", "external_id", name=f"uq_{name}_source"),
        *([sa.CheckConstraint("total_debit = total_credit AND "
                              "functional_total_debit = functional_total_credit",
                              name="ck_ledger_entries_balanced")]
          if name == "ledger_entries" else []),
    )
    op.create_index(f"ix_{name}_change_seq", name, ["change_seq"])


def upgrade() -> None:
    for name in ("payouts", "ledger_entries"):
        op.drop_table(name)
    for name in ("payouts", "balance_transactions", "fx_rates", "ledger_entries"):
        _entity_table(name)
    op.create_index("ix_payouts_issued_at", "payouts", ["issued_at"])
    op.create_index("ix_balance_transactions_processed_at", "balance_transactions",
                    ["processed_at"])
    op.create_index("ix_balance_transactions_payout", "balance_transactions",
                    ["connection", "payout_external_id"])
    op.create_index("ix_fx_rates_pair", "fx_rates", ["base", "quote", "rate_date"])
    op.create_index("ix_ledger_entries_posted_on", "ledger_entries", ["posted_on"])
    for col, type_ in REFUND_COLUMNS:
        op.add_column("refunds", sa.Column(col, type_))
    op.create_index("ix_refunds_created_at", "refunds", ["created_at"])
    op.create_index("ix_refunds_order", "refunds", ["connection", "order_external_id"])
    op.create_index("ix_orders_placed_at", "orders", ["placed_at"])
    _backfill_refunds()

    op.create_table(
        "ledger_lines",
        sa.Column("entry_id", sa.String(64), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("posted_on", sa.Date, nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("debit", AMOUNT, nullable=False),
        sa.Column("credit", AMOUNT, nullable=False),
        sa.Column("functional_currency", sa.String(3), nullable=False),
        sa.Column("functional_debit", AMOUNT, nullable=False),
        sa.Column("functional_credit", AMOUNT, nullable=False),
        sa.Column("rule", sa.String(255), nullable=False),
        sa.Column("source", sa.String(128)),
        sa.Column("description", sa.Text),
        sa.CheckConstraint("debit >= 0 AND credit >= 0 AND functional_debit >= 0 "
                           "AND functional_credit >= 0", name="ck_ledger_lines_non_negative"),
        sa.CheckConstraint("NOT (debit > 0 AND credit > 0) AND "
                           "NOT (functional_debit > 0 AND functional_credit > 0)",
                           name="ck_ledger_lines_one_side"),
    )
    op.create_index("ix_ledger_lines_account", "ledger_lines", ["account", "posted_on"])
    op.create_index("ix_ledger_lines_source", "ledger_lines", ["source"])
    op.create_index("ix_ledger_lines_day", "ledger_lines", ["posted_on", "channel"])
    op.create_table(
        "ledger_closes",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("closed_through", sa.Date, nullable=False),
        sa.Column("closed_at", TS, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "ledger_runs",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", JSON_DOC),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "settlement_items",
        sa.Column("channel", sa.String(255), primary_key=True),
        sa.Column("item_key", sa.String(255), primary_key=True),
        sa.Column("payout_id", sa.String(64)),
        sa.Column("payout_external_id", sa.String(255)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("transaction_id", sa.String(64)),
        sa.Column("record_entity", sa.String(32)),
        sa.Column("record_id", sa.String(64)),
        sa.Column("record_external_id", sa.String(255)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("expected_amount", AMOUNT),
        sa.Column("settled_amount", AMOUNT),
        sa.Column("difference", AMOUNT),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("occurred_at", TS),
        sa.Column("age_days", sa.Integer),
        sa.Column("detail", sa.Text),
        sa.Column("checked_at", TS, nullable=False),
    )
    op.create_index("ix_settlement_items_payout", "settlement_items", ["payout_id"])
    op.create_index("ix_settlement_items_status", "settlement_items", ["channel", "status"])
    op.create_table(
        "reconciliation_rows",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("channel", sa.String(255), primary_key=True),
        sa.Column("metric", sa.String(64), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True, server_default=""),
        sa.Column("channel_value", AMOUNT),
        sa.Column("hub_value", AMOUNT),
        sa.Column("erp_value", AMOUNT),
        sa.Column("difference", AMOUNT),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("built_at", TS, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index("ix_reconciliation_rows_change_seq", "reconciliation_rows", ["change_seq"])
    counters = sa.table("change_counters", sa.column("entity", sa.String),
                        sa.column("value", sa.BigInteger))
    op.bulk_insert(counters, [{"entity": e, "value": 0} for e in NEW_COUNTERS])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def _doc(data: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(data) if isinstance(data, str) else data
    return doc


def _backfill_refunds() -> None:
    """Fill the refunds' new typed columns from the documents stored before this revision."""
    conn = op.get_bind()
    refunds = sa.table("refunds", sa.column("id", sa.String),
                       *(sa.column(c) for c, _ in REFUND_COLUMNS))
    updates = []
    for row in conn.execute(sa.text("select id, data from refunds")):
        doc = _doc(row.data)
        stamp = doc.get("created_at")
        amount = doc.get("amount") or {}
        updates.append({
            "b_id": row.id, "order_external_id": doc.get("order_external_id"),
            "created_at": datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp
            else None,
            "currency": amount.get("currency"),
            "amount": Decimal(amount["amount"]) if amount.get("amount") is not None else None})
    if updates:
        conn.execute(refunds.update().where(refunds.c.id == sa.bindparam("b_id")), updates)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_lines_balanced ON ledger_lines")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS synchub_check_journal()")
    op.execute("delete from change_counters where entity in "
               "('balance_transaction', 'fx_rate', 'reconciliation')")
    for name in ("reconciliation_rows", "settlement_items", "ledger_runs", "ledger_closes",
                 "ledger_lines", "balance_transactions", "fx_rates"):
        op.drop_table(name)
    op.drop_index("ix_orders_placed_at", "orders")
    op.drop_index("ix_refunds_order", "refunds")
    op.drop_index("ix_refunds_created_at", "refunds")
    for col, _ in REFUND_COLUMNS:
        with op.batch_alter_table("refunds") as batch:
            batch.drop_column(col)
