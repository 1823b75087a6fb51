"""The token table: access tokens shared by every worker of the hub (ADR 0020)."""

from __future__ import annotations

import sqlalchemy as sa

from synchub.store.tables import Timestamp, metadata

# One row per token (a connection's, for one app and token URL): the token encrypted with
# Fernet (never plain text), when it lapses, and how often it was fetched (the vendors that
# need this row limit fetches per day). The refresh token that renews it, if the scheme has
# one, is kept beside it, encrypted too: where the vendor rotates it, the newest is the only
# one that works, and it must outlive the worker that received it. The row is locked while
# a token is fetched, so the workers that find it missing or stale fetch once between them.
auth_tokens = sa.Table(
    "auth_tokens",
    metadata,
    sa.Column("connection", sa.String(255), primary_key=True),
    sa.Column("scope", sa.String(64), primary_key=True),
    sa.Column("token", sa.Text),
    sa.Column("expires_at", Timestamp),
    sa.Column("refresh_token", sa.Text),
    sa.Column("refresh_expires_at", Timestamp),
    sa.Column("fetched_at", Timestamp),
    sa.Column("fetches", sa.Integer, nullable=False, server_default="0"),
)
