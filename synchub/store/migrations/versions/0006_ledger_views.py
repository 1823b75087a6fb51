"""Ledger feed views (feed_journal_lines, feed_reconciliation); balance movements by order.

Revision ID: 0006_ledger_views
Revises: 0005_ledger
Create Date: 2026-11-27

The view definitions live in :mod:`synchub.feeds.ledger_views` (one place for the
migration, the feed API, CSV exports and the docs); a later change to a view comes as a new
migration that drops and recreates it. Settlement matching looks up the charges of an order
(and orders without any), hence the index on (connection, order_external_id).
"""

from __future__ import annotations

from alembic import op

from synchub.feeds.ledger_views import create_statements, drop_statements

revision = "0006_ledger_views"
down_revision = "0005_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_balance_transactions_order", "balance_transactions",
                    ["connection", "order_external_id"])
    # the report joins a payout's movements to their settlement items
    op.create_index("ix_settlement_items_transaction", "settlement_items", ["transaction_id"])
    dialect = op.get_bind().dialect.name
    for statement in drop_statements():
        op.execute(statement)
    for statement in create_statements(dialect):
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_settlement_items_transaction", "settlement_items")
    for statement in drop_statements():
        op.execute(statement)
    op.drop_index("ix_balance_transactions_order", "balance_transactions")
