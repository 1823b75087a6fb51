"""Feed consumers (``feeds:`` in hub.yaml): business systems that read the unified feeds.

Each consumer is scoped to entities and connections (its API keys see nothing else) and may
also receive file exports and signed webhooks.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from synchub.config.connector import parse_duration

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
ExportFormat = Literal["jsonl", "csv"]
NAME = r"^[a-z][a-z0-9_]{0,62}$"
# every feed the hub serves: the canonical entities, the stock feeds, then the ledger's
# row feeds (synchub.feeds.reader.FEEDS; a test keeps the two in step)
FEED_NAMES = ("order", "product", "inventory_level", "customer", "shipment", "refund",
              "payout", "balance_transaction", "fx_rate", "ledger_entry", "service_ticket",
              "stock_exception", "stock_alert", "reconciliation", "journal_line")


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

    to: str = Field(description="Folder (relative to hub.yaml) under the exports root, or "
                                "a remote URL (s3://, gs://...).")
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

    @field_validator("entities")
    @classmethod
    def _known_feeds(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in FEED_NAMES]
        if unknown:
            raise ValueError(f"unknown feed(s) {', '.join(map(repr, unknown))}; known: "
                             f"{', '.join(FEED_NAMES)}")
        if len(set(value)) != len(value):
            raise ValueError("a feed is listed twice")
        return value


class FeedsConfig(_Model):
    """The ``feeds:`` section."""

    exports_root: str | None = Field(
        default=None, description="Folder every local export target must be under "
        "(relative to hub.yaml, or absolute); default: the hub file's folder.")
    consumers: dict[Annotated[str, Field(pattern=NAME)], FeedConsumer] = Field(
        default_factory=dict)


# fsspec protocols that write to this machine's disk (a chained URL, ``a::b``, names several)
LOCAL_PROTOCOLS = frozenset({"file", "local"})


def local_target(to: str) -> str | None:
    """The local path an export target writes to, or None when it goes to a remote store.

    A plain folder is local; so is a ``file://`` (or ``local://``) URL, also inside a chained
    fsspec URL (``simplecache::file:///x``).
    """
    if "://" not in to and "::" not in to:
        return to
    for part in to.split("::"):
        protocol, sep, rest = part.partition("://")
        if sep and protocol.lower() in LOCAL_PROTOCOLS:
            return rest
    return None


def exports_root(feeds: FeedsConfig | None, hub_dir: Path) -> Path:
    """The folder local exports must stay under, symlinks resolved."""
    setting = feeds.exports_root if feeds is not None else None
    return (hub_dir / (setting or ".")).resolve()


def confine_target(to: str, root: Path, hub_dir: Path) -> str:
    """A target as fsspec takes it: remote URLs as they are, local folders resolved (symlinks
    followed) and checked to be under ``root``; ValueError naming both otherwise."""
    local = local_target(to)
    if local is None:
        return to
    path = (hub_dir / local).resolve()
    if not path.is_relative_to(root):
        raise ValueError(
            f"export target {to!r} resolves to {path}, outside the exports root {root} "
            "(feeds.exports_root, default: the hub file's folder): use a folder under it, "
            "or a remote URL")
    return str(path)
