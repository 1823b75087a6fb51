"""Stream runs record their owner and a heartbeat, so that dead runs can be told apart.

Revision ID: 0009_run_owner
Revises: 0008_value_limits
Create Date: 2026-12-07

A run killed with its process, or cut off from the database, stayed ``running`` forever.
``owner`` (``host:pid:token``) and ``heartbeat_at`` let the next run of the stream see that
the earlier one has no live owner and mark it ``abandoned``. Rows written before this
revision have neither; their age is taken from ``started_at``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_run_owner"
down_revision = "0008_value_limits"
branch_labels = None
depends_on = None

# Frozen copy of the timestamp type of 0001_initial.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("sync_runs", sa.Column("owner", sa.String(255)))
    op.add_column("sync_runs", sa.Column("heartbeat_at", TS))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner")
