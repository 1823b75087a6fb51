"""Drop the outbox table: change_seq and deliveries are the outbox (ADR 0007).

Revision ID: 0007_drop_outbox
Revises: 0006_ledger_views
Create Date: 2026-12-07

Every stored change got an ``outbox`` row that nothing read: routing reads ``change_seq``
of the entity tables and writes ``deliveries``. Its rows carry nothing the entity tables do
not (the current version, its hash and change number), so they are dropped with the table.
The downgrade recreates the table empty, exactly as ``0001_initial`` made it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_drop_outbox"
down_revision = "0006_ledger_views"
branch_labels = None
depends_on = None

# Frozen copies of the types of 0001_initial.
TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.drop_index("ix_outbox_pending", "outbox")
    op.drop_table("outbox")


def downgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("connection", sa.String(255), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("available_at", TS, nullable=False),
        sa.Column("sink", sa.String(255)),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["status", "available_at"])
