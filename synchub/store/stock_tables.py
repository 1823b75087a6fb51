"""The stock tables: positions, reservations, exceptions, publications, listing revisions,
drift, alerts, runs."""

from __future__ import annotations

import sqlalchemy as sa

from synchub.store.tables import Amount, JsonDoc, Timestamp, metadata

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
Sku = sa.String(255)

# One row per master SKU: the counters every reservation moves atomically
# (UPDATE ... SET reserved = reserved + :delta), never read-modify-write.
stock_positions = sa.Table(
    "stock_positions",
    metadata,
    sa.Column("sku", Sku, primary_key=True),
    sa.Column("on_hand", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("master_reserved", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("reserved", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_at", Timestamp, nullable=False),
)

# The units of one order line (or kit component) a channel order holds.
stock_reservations = sa.Table(
    "stock_reservations",
    metadata,
    sa.Column("order_id", sa.String(64), primary_key=True),
    sa.Column("line_key", sa.String(255), primary_key=True),
    sa.Column("sku", Sku, primary_key=True),
    sa.Column("connection", sa.String(255), nullable=False),
    sa.Column("order_external_id", sa.String(255), nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("open_qty", sa.BigInteger, nullable=False),
    sa.Column("placed_at", Timestamp, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("ix_stock_reservations_sku", "sku", "open_qty"),
    sa.Index("ix_stock_reservations_placed", "placed_at"),
)

stock_exceptions = sa.Table(
    "stock_exceptions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("order_id", sa.String(64), nullable=False),
    sa.Column("connection", sa.String(255), nullable=False),
    sa.Column("order_external_id", sa.String(255), nullable=False),
    sa.Column("sku", Sku, nullable=False),
    sa.Column("shortfall", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("data", JsonDoc, nullable=False),
    sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("detected_at", Timestamp, nullable=False),
    sa.Column("resolved_at", Timestamp),
    sa.UniqueConstraint("kind", "order_id", "sku", name="uq_stock_exceptions_order_sku"),
    sa.Index("ix_stock_exceptions_change_seq", "change_seq"),
    # the open exceptions of a SKU, asked by every page that moves its reservations
    sa.Index("ix_stock_exceptions_sku", "sku", "resolved_at"),
)

# the dead letters of listings a channel refused, kept apart from the streams' (the next
# stock run sends them again; a replay does not map them)
PUBLISH_STREAM = "stock_publish"

# What the hub last computed for and pushed to each channel listing.
stock_publications = sa.Table(
    "stock_publications",
    metadata,
    sa.Column("channel", sa.String(255), primary_key=True),
    sa.Column("listing_id", sa.String(255), primary_key=True),
    sa.Column("sku", Sku),
    sa.Column("master_sku", Sku),
    sa.Column("desired", sa.BigInteger),
    sa.Column("published", sa.BigInteger),
    sa.Column("channel_qty", sa.BigInteger),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("detail", JsonDoc),
    sa.Column("run_id", sa.String(64)),
    sa.Column("computed_at", Timestamp, nullable=False),
    sa.Column("published_at", Timestamp),
    sa.Index("ix_stock_publications_sku", "master_sku"),
)

# Revisions each listing got from the hub per channel and calendar day, for channels that
# cap them (stock.channels.<c>.daily_revisions); moved by UPDATE ... + n, never re-read.
listing_revisions = sa.Table(
    "listing_revisions",
    metadata,
    sa.Column("channel", sa.String(255), primary_key=True),
    sa.Column("listing_id", sa.String(255), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("revisions", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_at", Timestamp, nullable=False),
)

stock_drift = sa.Table(
    "stock_drift",
    metadata,
    sa.Column("channel", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("sku", Sku),
    sa.Column("master_sku", Sku),
    sa.Column("published", sa.BigInteger),
    sa.Column("reported", sa.BigInteger),
    sa.Column("detected_at", Timestamp, nullable=False),
)

stock_alerts = sa.Table(
    "stock_alerts",
    metadata,
    sa.Column("sku", Sku, primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("available", sa.BigInteger, nullable=False),
    sa.Column("threshold", Amount),
    sa.Column("velocity", Amount),
    sa.Column("days_of_cover", Amount),
    sa.Column("data", JsonDoc, nullable=False),
    sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("raised_at", Timestamp, nullable=False),
    sa.Column("cleared_at", Timestamp),
    sa.Index("ix_stock_alerts_change_seq", "change_seq"),
)

stock_runs = sa.Table(
    "stock_runs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("shard", sa.Integer, nullable=False),
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("summary", JsonDoc),
    sa.Column("error", sa.Text),
    sa.Index("ix_stock_runs_run", "run_id", "shard"),
)

# change feeds beside the canonical entities: name -> table with change_seq and data
STOCK_FEEDS: dict[str, sa.Table] = {
    "stock_exception": stock_exceptions,
    "stock_alert": stock_alerts,
}
