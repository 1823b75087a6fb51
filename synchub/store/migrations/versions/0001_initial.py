"""Initial schema: entity tables, bindings, sync state, dead letters, outbox, counters, runs.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the types at this revision: later model changes must not rewrite history.
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

ENTITY_TABLES = {
    "order": "orders",
    "product": "products",
    "inventory_level": "inventory_levels",
    "customer": "customers",
    "shipment": "shipments",
    "refund": "refunds",
    "payout": "payouts",
    "ledger_entry": "ledger_entries",
}


def _typed(entity: str) -> list[sa.Column[Any]]:
    if entity == "order":
        return [
            sa.Column("number", sa.String(64)),
            sa.Column("status", sa.String(32)),
            sa.Column("currency", sa.String(3)),
            sa.Column("total_amount", sa.Numeric(20, 4)),
            sa.Column("placed_at", TS),
            sa.Column("source_updated_at", TS),
        ]
    if entity == "product":
        return [sa.Column("sku", sa.String(255))]
    if entity == "inventory_level":
        return [
            sa.Column("sku", sa.String(255)),
            sa.Column("location_external_id", sa.String(255)),
            sa.Column("available", sa.BigInteger),
        ]
    if entity == "customer":
        return [sa.Column("source_updated_at", TS)]
    return []


def upgrade() -> None:
    for entity, name in ENTITY_TABLES.items():
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
            *_typed(entity),
            sa.UniqueConstraint("connection", "external_id", name=f"uq_{name}_source"),
        )
        op.create_index(f"ix_{name}_change_seq", name, ["change_seq"])
    op.create_index("ix_products_sku", "products", ["sku"])
    op.create_index("ix_inventory_levels_sku", "inventory_levels", ["sku"])

    op.create_table(
        "bindings",
        sa.Column("connection", sa.String(255), primary_key=True),
        sa.Column("entity", sa.String(64), primary_key=True),
        sa.Column("external_id", sa.String(255), primary_key=True),
        sa.Column("canonical_id", sa.String(64), nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
    )
    op.create_index("ix_bindings_canonical_id", "bindings", ["canonical_id"])

    op.create_table(
        "sync_state",
        sa.Column("connection", sa.String(255), primary_key=True),
        sa.Column("stream", sa.String(255), primary_key=True),
        sa.Column("state", JSON_DOC, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )

    op.create_table(
        "dead_letters",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("connection", sa.String(255), nullable=False),
        sa.Column("stream", sa.String(255), nullable=False),
        sa.Column("entity", sa.String(64)),
        sa.Column("record_id", sa.String(255)),
        sa.Column("dedupe_key", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("field", sa.String(255)),
        sa.Column("raw", JSON_DOC),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("resolved_at", TS),
        sa.UniqueConstraint("connection", "stream", "dedupe_key", name="uq_dead_letters_dedupe"),
    )

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

    op.create_table(
        "change_counters",
        sa.Column("entity", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False, server_default="0"),
    )
    counters = sa.table("change_counters", sa.column("entity", sa.String),
                        sa.column("value", sa.BigInteger))
    op.bulk_insert(counters, [{"entity": e, "value": 0} for e in ENTITY_TABLES])

    op.create_table(
        "sync_runs",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("connection", sa.String(255), nullable=False),
        sa.Column("stream", sa.String(255), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fetched", sa.Integer, nullable=False, server_default="0"),
        sa.Column("stored", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("quarantined", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cursor", sa.Text),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_sync_runs_stream", "sync_runs", ["connection", "stream", "started_at"])


def downgrade() -> None:
    for name in ("sync_runs", "change_counters", "outbox", "dead_letters", "sync_state",
                 "bindings", *ENTITY_TABLES.values()):
        op.drop_table(name)
