"""Index the stock exceptions by SKU: every page that moves a SKU's reservations asks for
its open exceptions (oversells are re-attributed by placement time, docs/stock.md).

Revision ID: 0011_stock_exception_sku_index
Revises: 0010_feed_views_types
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0011_stock_exception_sku_index"
down_revision = "0010_feed_views_types"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_stock_exceptions_sku", "stock_exceptions", ["sku", "resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_stock_exceptions_sku", "stock_exceptions")
