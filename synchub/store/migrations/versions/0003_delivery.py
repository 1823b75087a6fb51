"""Delivery to sinks, webhook inbox, feed API keys and access log.

Revision ID: 0003_delivery
Revises: 0002_stock
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_delivery"
down_revision = "0002_stock"
branch_labels = None
depends_on = None

# Frozen copies of the types at this revision.
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("sink", sa.String(255), nullable=False),
        sa.Column("route", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("source_connection", sa.String(255), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("rank", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("available_at", TS, nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("delivered_hash", sa.String(64)),
        sa.Column("remote_id", sa.String(255)),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("delivered_at", TS),
        sa.UniqueConstraint("sink", "route", "record_id", name="uq_deliveries_record"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["sink", "status", "available_at"])
    op.create_index("ix_deliveries_record", "deliveries", ["entity", "record_id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.BigInteger, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(255)),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_delivery_attempts_delivery", "delivery_attempts", ["delivery_id"])
    op.create_table(
        "delivery_runs",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("sink", sa.String(255), nullable=False),
        sa.Column("run_id", sa.String(255)),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", JSON_DOC),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_delivery_runs_sink", "delivery_runs", ["sink", "started_at"])
    op.create_table(
        "inbox",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("connection", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(128), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("headers", JSON_DOC),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("processed_at", TS),
        sa.UniqueConstraint("connection", "event_id", name="uq_inbox_event"),
    )
    op.create_index("ix_inbox_pending", "inbox", ["connection", "status", "id"])
    op.create_table(
        "api_keys",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("consumer", sa.String(255), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(255)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS),
        sa.Column("revoked_at", TS),
        sa.Column("last_used_at", TS),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_hash"),
    )
    op.create_index("ix_api_keys_consumer", "api_keys", ["consumer"])
    op.create_table(
        "api_access_log",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("consumer", sa.String(255)),
        sa.Column("key_prefix", sa.String(16)),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("entity", sa.String(64)),
        sa.Column("records", sa.Integer),
        sa.Column("cursor", sa.String(64)),
        sa.Column("client", sa.String(64)),
        sa.Column("duration_ms", sa.Integer),
    )
    op.create_index("ix_api_access_log_at", "api_access_log", ["at"])


def downgrade() -> None:
    for name in ("api_access_log", "api_keys", "inbox", "delivery_runs", "delivery_attempts",
                 "deliveries"):
        op.drop_table(name)
