"""Feed consumers (``feeds:`` in hub.yaml): business systems that read the unified feeds.

Each consumer is scoped to entities and connections (its API keys see nothing else) and may
also receive file exports and signed webhooks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from synchub.config.connector import parse_duration

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
ExportFormat = Literal["jsonl", "csv"]
NAME = r"^[a-z][a-z0-9_]{0,62}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookTarget(_Model):
    """Signed outgoing webhooks: the Connection's host is the URL, its password the secret."""

    conn_id: str = Field(min_length=1)
    max_attempts: int = Field(default=8, ge=1, le=50)
    batch_size: int = Field(default=100, ge=1, le=1000,
                            description="Records per webhook call.")


class ExportTarget(_Model):
    """Files per run: JSON Lines and/or CSV, to a folder or any fsspec URL."""

    to: str = Field(description="Folder (relative to hub.yaml) or URL (s3://, file://...).")
    formats: list[ExportFormat] = Field(default_factory=lambda: list[ExportFormat](["jsonl"]))


class FeedConsumer(_Model):
    """One business system reading the feeds."""

    description: str | None = None
    entities: list[str] = Field(min_length=1, description="Feeds it may read (order, ...).")
    connections: list[str] | None = Field(
        default=None, description="Source connections it may see (default: all).")
    webhook: WebhookTarget | None = None
    export: ExportTarget | None = None
    schedule: str | None = Field(default=None, description="Cron for exports/webhooks "
                                 "besides every change (default: the hub's).")


class FeedsConfig(_Model):
    """The ``feeds:`` section."""

    consumers: dict[Annotated[str, Field(pattern=NAME)], FeedConsumer] = Field(
        default_factory=dict)
