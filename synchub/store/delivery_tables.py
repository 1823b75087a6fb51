"""Outbound and intake tables: deliveries to sinks, webhook inbox, feed API keys and access log.

Each entity table's ``change_seq`` (stamped in the transaction that stores a change) says
*what changed*; a push run routes those changes to each sink as ``deliveries`` rows, one per
(sink, route, record), that carry the version wanted, the version the sink has, attempts and
the sink's own id. The two together are the hub's outbox (docs/adr/0007).
"""

from __future__ import annotations

import sqlalchemy as sa

from synchub.store.tables import JsonDoc, Timestamp, metadata

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")

# One row per record a sink should hold. ``content_hash`` is the version wanted,
# ``delivered_hash`` the version the sink acknowledged; equal hashes mean nothing to send.
# status: pending (to send at available_at) | delivered | deferred (a parent is not in the
# sink yet) | dead (attempts exhausted or refused; replayable) | skipped (not for this sink)
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
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
    sa.Column("available_at", Timestamp, nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    sa.Column("delivered_hash", sa.String(64)),
    sa.Column("remote_id", sa.String(255)),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("delivered_at", Timestamp),
    sa.UniqueConstraint("sink", "route", "record_id", name="uq_deliveries_record"),
    sa.Index("ix_deliveries_due", "sink", "status", "available_at"),
    sa.Index("ix_deliveries_record", "entity", "record_id"),
)

# Every attempt at a delivery, kept for the operator: when, what key, what came back.
delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.BigInteger, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("run_id", sa.String(255)),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("at", Timestamp, nullable=False),
    sa.Index("ix_delivery_attempts_delivery", "delivery_id"),
)

# One row per push run of a sink: what it routed, delivered, skipped, retried, dead-lettered.
delivery_runs = sa.Table(
    "delivery_runs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("sink", sa.String(255), nullable=False),
    sa.Column("run_id", sa.String(255)),
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("summary", JsonDoc),
    sa.Column("error", sa.Text),
    sa.Index("ix_delivery_runs_sink", "sink", "started_at"),
)

# Webhooks as received: verified, deduplicated by the vendor's event id, processed later by
# the connection's sync DAG. ``body`` is the raw text that was signed.
inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("connection", sa.String(255), nullable=False),
    sa.Column("topic", sa.String(128), nullable=False),
    sa.Column("event_id", sa.String(255), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("headers", JsonDoc),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("received_at", Timestamp, nullable=False),
    sa.Column("processed_at", Timestamp),
    sa.UniqueConstraint("connection", "event_id", name="uq_inbox_event"),
    sa.Index("ix_inbox_pending", "connection", "status", "id"),
)

# Feed API keys: only the SHA-256 of a key is kept; ``prefix`` identifies it in listings.
# A key belongs to a feed consumer of hub.yaml, whose scopes (entities, connections) apply.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("consumer", sa.String(255), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("label", sa.String(255)),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp),
    sa.Column("revoked_at", Timestamp),
    sa.Column("last_used_at", Timestamp),
    sa.UniqueConstraint("key_hash", name="uq_api_keys_hash"),
    sa.Index("ix_api_keys_consumer", "consumer"),
)

# Every call of the feed API, allowed or not (no bodies, no PII).
api_access_log = sa.Table(
    "api_access_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", Timestamp, nullable=False),
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
    sa.Index("ix_api_access_log_at", "at"),
)
