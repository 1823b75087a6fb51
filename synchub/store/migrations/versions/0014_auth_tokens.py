"""Access tokens shared by every worker, encrypted at rest (ADR 0020).

Revision ID: 0014_auth_tokens
Revises: 0013_service_tickets
Create Date: 2026-12-07

One row per token: the connection and a digest of what else identifies the token (the
app, the token URL), the token as Fernet ciphertext, its expiry, the refresh token that
renews it (ciphertext too) and its expiry, when it was fetched and how often. Workers lock
the row while one of them fetches a new token.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_auth_tokens"
down_revision = "0013_service_tickets"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "auth_tokens",
        sa.Column("connection", sa.String(255), primary_key=True),
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("token", sa.Text),
        sa.Column("expires_at", TS),
        sa.Column("refresh_token", sa.Text),
        sa.Column("refresh_expires_at", TS),
        sa.Column("fetched_at", TS),
        sa.Column("fetches", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("auth_tokens")
