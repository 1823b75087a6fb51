"""Count the revisions each listing gets per channel and day: channels that cap them (250
a listing a day on some marketplaces) hold back small changes near the cap (docs/stock.md).

Revision ID: 0012_listing_revisions
Revises: 0011_stock_exception_sku_index
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_listing_revisions"
down_revision = "0011_stock_exception_sku_index"
branch_labels = None
depends_on = None

# Frozen copy of the timestamp type of 0001_initial.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "listing_revisions",
        sa.Column("channel", sa.String(255), primary_key=True),
        sa.Column("listing_id", sa.String(255), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("revisions", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("listing_revisions")
