"""The ledger's own tables: journal lines, period closes, settlement items, reconciliation.

Journals themselves are canonical ``ledger_entry`` records (table ``ledger_entries``, with
typed totals); their lines are kept here one row each so that accounts can be summed in SQL
and the database can check that every journal balances (see migration 0005).
"""

from __future__ import annotations

import sqlalchemy as sa

from synchub.store.tables import Amount, JsonDoc, Timestamp, metadata

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")

# One row per journal line. Lines of an entry are replaced together with the entry, in the
# transaction that stores its new version; the balance check runs at commit (PostgreSQL)
# or when the entry row is written (SQLite).
ledger_lines = sa.Table(
    "ledger_lines",
    metadata,
    sa.Column("entry_id", sa.String(64), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("posted_on", sa.Date, nullable=False),
    sa.Column("account", sa.String(64), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("debit", Amount, nullable=False),
    sa.Column("credit", Amount, nullable=False),
    sa.Column("functional_currency", sa.String(3), nullable=False),
    sa.Column("functional_debit", Amount, nullable=False),
    sa.Column("functional_credit", Amount, nullable=False),
    sa.Column("rule", sa.String(255), nullable=False),
    sa.Column("source", sa.String(128)),
    sa.Column("description", sa.Text),
    sa.CheckConstraint("debit >= 0 AND credit >= 0 AND functional_debit >= 0 "
                       "AND functional_credit >= 0", name="ck_ledger_lines_non_negative"),
    sa.CheckConstraint("NOT (debit > 0 AND credit > 0) AND "
                       "NOT (functional_debit > 0 AND functional_credit > 0)",
                       name="ck_ledger_lines_one_side"),
    sa.Index("ix_ledger_lines_account", "account", "posted_on"),
    sa.Index("ix_ledger_lines_source", "source"),
    sa.Index("ix_ledger_lines_day", "posted_on", "channel"),
)

# Closing the books: entries on or before ``closed_through`` are never rewritten; a change
# to their source posts a correction in the first open day. The newest row counts.
ledger_closes = sa.Table(
    "ledger_closes",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("closed_through", sa.Date, nullable=False),
    sa.Column("closed_at", Timestamp, nullable=False),
    sa.Column("note", sa.Text),
)

# One ledger build (a day or a range): what it did, for the DAG summary and the report.
ledger_runs = sa.Table(
    "ledger_runs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("first_day", sa.Date, nullable=False),
    sa.Column("last_day", sa.Date, nullable=False),
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("summary", JsonDoc),
    sa.Column("error", sa.Text),
)

# Settlement matching, recomputed per channel: every balance movement a payout settles,
# matched to the hub's order or refund; and every paid order or refund no payout settled.
settlement_items = sa.Table(
    "settlement_items",
    metadata,
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
    sa.Column("expected_amount", Amount),
    sa.Column("settled_amount", Amount),
    sa.Column("difference", Amount),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("occurred_at", Timestamp),
    sa.Column("age_days", sa.Integer),
    sa.Column("detail", sa.Text),
    sa.Column("checked_at", Timestamp, nullable=False),
    sa.Index("ix_settlement_items_payout", "payout_id"),
    # added by 0006: the report joins a payout's movements to their items
    sa.Index("ix_settlement_items_transaction", "transaction_id"),
    sa.Index("ix_settlement_items_status", "channel", "status"),
)

# The daily reconciliation report, one row per (day, channel, metric, currency): what the
# channel says, what the hub holds, what reached the ERP.
reconciliation_rows = sa.Table(
    "reconciliation_rows",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("channel", sa.String(255), primary_key=True),
    sa.Column("metric", sa.String(64), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True, server_default=""),
    sa.Column("channel_value", Amount),
    sa.Column("hub_value", Amount),
    sa.Column("erp_value", Amount),
    sa.Column("difference", Amount),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("built_at", Timestamp, nullable=False),
    sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Index("ix_reconciliation_rows_change_seq", "change_seq"),
)

LEDGER_TABLES = (ledger_lines, ledger_closes, ledger_runs, settlement_items,
                 reconciliation_rows)
