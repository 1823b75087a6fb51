"""Ledger feed views (feed_journal_lines, feed_reconciliation); balance movements by order.

Revision ID: 0006_ledger_views
Revises: 0005_ledger
Create Date: 2026-11-27

The view statements below are frozen: the exact SQL this revision runs on each dialect,
pasted from what ``synchub.feeds.ledger_views`` generated at this revision. They never
change; a later change to a view comes as a new migration that drops and recreates it with
its new SQL (tests/store/test_migrations.py fails until it does). Settlement matching looks
up the charges of an order (and orders without any), hence the index on
(connection, order_external_id).
"""

# frozen SQL keeps its lines as they ran
# ruff: noqa: E501

from __future__ import annotations

from alembic import op

revision = "0006_ledger_views"
down_revision = "0005_ledger"
branch_labels = None
depends_on = None

DROP_STATEMENTS: tuple[str, ...] = (
    "DROP VIEW IF EXISTS feed_journal_lines",
    "DROP VIEW IF EXISTS feed_reconciliation",
)

CREATE_SQLITE: tuple[str, ...] = (
    """CREATE VIEW feed_reconciliation AS
SELECT
  r.day AS day,
  r.channel AS connection,
  r.metric AS metric,
  r.currency AS currency,
  CASE WHEN r.channel_value IS NULL THEN NULL ELSE printf('%.4f', r.channel_value) END AS channel_value,
  CASE WHEN r.hub_value IS NULL THEN NULL ELSE printf('%.4f', r.hub_value) END AS hub_value,
  CASE WHEN r.erp_value IS NULL THEN NULL ELSE printf('%.4f', r.erp_value) END AS erp_value,
  CASE WHEN r.difference IS NULL THEN NULL ELSE printf('%.4f', r.difference) END AS difference,
  r.status AS status,
  r.detail AS detail,
  r.built_at AS built_at,
  r.change_seq AS change_seq
FROM reconciliation_rows r""",
    """CREATE VIEW feed_journal_lines AS
SELECT
  l.entry_id AS entry_id,
  l.line_no AS line_no,
  l.channel AS connection,
  e.external_id AS entry_external_id,
  l.kind AS kind,
  l.posted_on AS posted_on,
  l.account AS account,
  l.currency AS currency,
  CASE WHEN l.debit IS NULL THEN NULL ELSE printf('%.4f', l.debit) END AS debit,
  CASE WHEN l.credit IS NULL THEN NULL ELSE printf('%.4f', l.credit) END AS credit,
  l.functional_currency AS functional_currency,
  CASE WHEN l.functional_debit IS NULL THEN NULL ELSE printf('%.4f', l.functional_debit) END AS functional_debit,
  CASE WHEN l.functional_credit IS NULL THEN NULL ELSE printf('%.4f', l.functional_credit) END AS functional_credit,
  l.rule AS rule,
  l.source AS source,
  l.description AS description,
  e.corrects AS corrects,
  e.change_seq AS change_seq
FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id""",
)

CREATE_POSTGRESQL: tuple[str, ...] = (
    """CREATE VIEW feed_reconciliation AS
SELECT
  r.day AS day,
  r.channel AS connection,
  r.metric AS metric,
  r.currency AS currency,
  r.channel_value AS channel_value,
  r.hub_value AS hub_value,
  r.erp_value AS erp_value,
  r.difference AS difference,
  r.status AS status,
  r.detail AS detail,
  r.built_at AS built_at,
  r.change_seq AS change_seq
FROM reconciliation_rows r""",
    """CREATE VIEW feed_journal_lines AS
SELECT
  l.entry_id AS entry_id,
  l.line_no AS line_no,
  l.channel AS connection,
  e.external_id AS entry_external_id,
  l.kind AS kind,
  l.posted_on AS posted_on,
  l.account AS account,
  l.currency AS currency,
  l.debit AS debit,
  l.credit AS credit,
  l.functional_currency AS functional_currency,
  l.functional_debit AS functional_debit,
  l.functional_credit AS functional_credit,
  l.rule AS rule,
  l.source AS source,
  l.description AS description,
  e.corrects AS corrects,
  e.change_seq AS change_seq
FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id""",
)

CREATE_STATEMENTS: dict[str, tuple[str, ...]] = {"sqlite": CREATE_SQLITE,
                                             "postgresql": CREATE_POSTGRESQL}



def upgrade() -> None:
    op.create_index("ix_balance_transactions_order", "balance_transactions",
                    ["connection", "order_external_id"])
    # the report joins a payout's movements to their settlement items
    op.create_index("ix_settlement_items_transaction", "settlement_items", ["transaction_id"])
    dialect = op.get_bind().dialect.name
    for statement in DROP_STATEMENTS:
        op.execute(statement)
    for statement in CREATE_STATEMENTS[dialect]:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_settlement_items_transaction", "settlement_items")
    for statement in DROP_STATEMENTS:
        op.execute(statement)
    op.drop_index("ix_balance_transactions_order", "balance_transactions")
