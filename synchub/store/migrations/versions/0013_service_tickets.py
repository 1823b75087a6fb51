"""Service tickets: the canonical ``service_ticket`` entity's table (ADR 0019).

Revision ID: 0013_service_tickets
Revises: 0012_listing_revisions
Create Date: 2026-12-07

One row per ticket of a service desk (Udesk), like every entity table (document, content
hash, change sequence and its counter, tombstone), with the columns the order operations
ask on: status, the customer as the desk names it, and the order the ticket is about
(indexed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_service_tickets"
down_revision = "0012_listing_revisions"
branch_labels = None
depends_on = None

# frozen copies of the column types at this revision
TS = sa.DateTime(timezone=True)
ID = sa.String(255)
HUB_ID = sa.String(64)
DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "service_tickets",
        sa.Column("id", HUB_ID, primary_key=True),
        sa.Column("connection", ID, nullable=False),
        sa.Column("external_id", ID, nullable=False),
        sa.Column("content_hash", HUB_ID, nullable=False),
        sa.Column("data", DOC, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("status", sa.String(16)),
        sa.Column("customer_connection", ID),
        sa.Column("customer_external_id", ID),
        sa.Column("order_connection", ID),
        sa.Column("order_external_id", ID),
        sa.Column("source_updated_at", TS),
        sa.Column("deleted_at", TS),
        sa.UniqueConstraint("connection", "external_id", name="uq_service_tickets_source"),
    )
    op.create_index("ix_service_tickets_change_seq", "service_tickets", ["change_seq"])
    op.create_index("ix_service_tickets_order", "service_tickets",
                    ["order_connection", "order_external_id"])
    # the change sequence of the new entity (its feed reads in this order)
    counters = sa.table("change_counters", sa.column("entity", sa.String),
                        sa.column("value", sa.BigInteger))
    op.bulk_insert(counters, [{"entity": "service_ticket", "value": 0}])


def downgrade() -> None:
    op.execute("delete from change_counters where entity = 'service_ticket'")
    op.drop_index("ix_service_tickets_order", "service_tickets")
    op.drop_index("ix_service_tickets_change_seq", "service_tickets")
    op.drop_table("service_tickets")
