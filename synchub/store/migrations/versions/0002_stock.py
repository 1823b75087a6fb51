"""Stock sync: typed inventory and shipment columns, positions, reservations, publications.

Revision ID: 0002_stock
Revises: 0001_initial
Create Date: 2026-11-25
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_stock"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

# Frozen copies of the types at this revision.
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
AMOUNT = sa.Numeric(20, 4)
SKU = sa.String(255)

INVENTORY_COLUMNS: list[tuple[str, Any]] = [
    ("on_hand", sa.BigInteger), ("reserved", sa.BigInteger),
    ("location_name", sa.String(255)), ("item_external_id", sa.String(255)),
    ("product_external_id", sa.String(255)), ("parent_external_id", sa.String(255)),
    ("source_updated_at", TS),
]
# canonical document key -> column, for the backfill of rows stored before this revision
INVENTORY_KEYS = {"on_hand": "on_hand", "reserved": "reserved", "location_name": "location_name",
                  "inventory_item_external_id": "item_external_id",
                  "product_external_id": "product_external_id",
                  "parent_external_id": "parent_external_id"}


def upgrade() -> None:
    for name, type_ in INVENTORY_COLUMNS:
        op.add_column("inventory_levels", sa.Column(name, type_))
    op.create_index("ix_inventory_levels_connection_sku", "inventory_levels",
                    ["connection", "sku"])
    op.add_column("shipments", sa.Column("order_connection", sa.String(255)))
    op.add_column("shipments", sa.Column("order_external_id", sa.String(255)))
    op.create_index("ix_shipments_order", "shipments", ["order_connection", "order_external_id"])
    _backfill()

    op.create_table(
        "stock_positions",
        sa.Column("sku", SKU, primary_key=True),
        sa.Column("on_hand", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("master_reserved", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("reserved", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "stock_reservations",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("line_key", sa.String(255), primary_key=True),
        sa.Column("sku", SKU, primary_key=True),
        sa.Column("connection", sa.String(255), nullable=False),
        sa.Column("order_external_id", sa.String(255), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("open_qty", sa.BigInteger, nullable=False),
        sa.Column("placed_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_stock_reservations_sku", "stock_reservations", ["sku", "open_qty"])
    op.create_index("ix_stock_reservations_placed", "stock_reservations", ["placed_at"])
    op.create_table(
        "stock_exceptions",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("connection", sa.String(255), nullable=False),
        sa.Column("order_external_id", sa.String(255), nullable=False),
        sa.Column("sku", SKU, nullable=False),
        sa.Column("shortfall", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("data", JSON_DOC, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("detected_at", TS, nullable=False),
        sa.Column("resolved_at", TS),
        sa.UniqueConstraint("kind", "order_id", "sku", name="uq_stock_exceptions_order_sku"),
    )
    op.create_index("ix_stock_exceptions_change_seq", "stock_exceptions", ["change_seq"])
    op.create_table(
        "stock_publications",
        sa.Column("channel", sa.String(255), primary_key=True),
        sa.Column("listing_id", sa.String(255), primary_key=True),
        sa.Column("sku", SKU),
        sa.Column("master_sku", SKU),
        sa.Column("desired", sa.BigInteger),
        sa.Column("published", sa.BigInteger),
        sa.Column("channel_qty", sa.BigInteger),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("detail", JSON_DOC),
        sa.Column("run_id", sa.String(64)),
        sa.Column("computed_at", TS, nullable=False),
        sa.Column("published_at", TS),
    )
    op.create_index("ix_stock_publications_sku", "stock_publications", ["master_sku"])
    op.create_table(
        "stock_drift",
        sa.Column("channel", sa.String(255), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("sku", SKU),
        sa.Column("master_sku", SKU),
        sa.Column("published", sa.BigInteger),
        sa.Column("reported", sa.BigInteger),
        sa.Column("detected_at", TS, nullable=False),
    )
    op.create_table(
        "stock_alerts",
        sa.Column("sku", SKU, primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("available", sa.BigInteger, nullable=False),
        sa.Column("threshold", AMOUNT),
        sa.Column("velocity", AMOUNT),
        sa.Column("days_of_cover", AMOUNT),
        sa.Column("data", JSON_DOC, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("raised_at", TS, nullable=False),
        sa.Column("cleared_at", TS),
    )
    op.create_index("ix_stock_alerts_change_seq", "stock_alerts", ["change_seq"])
    op.create_table(
        "stock_runs",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("shard", sa.Integer, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", JSON_DOC),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_stock_runs_run", "stock_runs", ["run_id", "shard"])
    counters = sa.table("change_counters", sa.column("entity", sa.String),
                        sa.column("value", sa.BigInteger))
    op.bulk_insert(counters, [{"entity": "stock_exception", "value": 0},
                              {"entity": "stock_alert", "value": 0}])


def _doc(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def _backfill() -> None:
    """Fill the new typed columns of rows stored before this revision from their documents."""
    conn = op.get_bind()
    levels = sa.table("inventory_levels", sa.column("id", sa.String), sa.column("data"),
                      *(sa.column(c) for c, _ in INVENTORY_COLUMNS))
    updates = []
    for row in conn.execute(sa.text("select id, data from inventory_levels")):
        doc = _doc(row.data)
        values = {col: doc.get(key) for key, col in INVENTORY_KEYS.items()}
        stamp = doc.get("updated_at")
        values["source_updated_at"] = (
            datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None)
        updates.append({"b_id": row.id, **values})
    if updates:
        conn.execute(levels.update().where(levels.c.id == sa.bindparam("b_id")), updates)
    ships = sa.table("shipments", sa.column("id", sa.String), sa.column("order_connection"),
                     sa.column("order_external_id"))
    updates = []
    for row in conn.execute(sa.text("select id, data from shipments")):
        doc = _doc(row.data)
        updates.append({"b_id": row.id, "order_connection": doc.get("order_connection"),
                        "order_external_id": doc.get("order_external_id")})
    if updates:
        conn.execute(ships.update().where(ships.c.id == sa.bindparam("b_id")), updates)


def downgrade() -> None:
    op.execute("delete from change_counters where entity in ('stock_exception', 'stock_alert')")
    for name in ("stock_runs", "stock_alerts", "stock_drift", "stock_publications",
                 "stock_exceptions", "stock_reservations", "stock_positions"):
        op.drop_table(name)
    op.drop_index("ix_shipments_order", "shipments")
    op.drop_column("shipments", "order_external_id")
    op.drop_column("shipments", "order_connection")
    op.drop_index("ix_inventory_levels_connection_sku", "inventory_levels")
    for name, _ in INVENTORY_COLUMNS:
        op.drop_column("inventory_levels", name)
