"""Flat feed views: feed_orders, feed_order_lines, feed_inventory, feed_customers, ...

Revision ID: 0004_feed_views
Revises: 0003_delivery
Create Date: 2026-11-25

The definitions live in :mod:`synchub.feeds.views` (one place for the migration, CSV exports
and the docs). A later change to a view must come as a new migration that drops and
recreates it, so this revision replays the definitions as they are when it runs.
"""

from __future__ import annotations

from alembic import op

from synchub.feeds.views import create_statements, drop_statements

revision = "0004_feed_views"
down_revision = "0003_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_statements():
        op.execute(statement)
    for statement in create_statements(dialect):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements():
        op.execute(statement)
