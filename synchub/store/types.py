"""Values passed in and out of the store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa


@dataclass(frozen=True, slots=True)
class DeadLetterIn:
    """A record that could not be converted or stored, with why."""

    entity: str | None
    record_id: str | None
    reason: str
    field: str | None = None
    raw: Any = None


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A canonical record ready to write: identity, hash, JSON document and typed columns.

    Small and picklable, so records can be mapped and serialized in worker processes and
    written by the process that owns the database transaction.
    """

    entity: str
    id: str
    connection: str
    external_id: str
    content_hash: str
    document: str
    typed: dict[str, Any]


@dataclass(slots=True)
class PageResult:
    """What one ``write_page`` did: counts, and the ids of the records it stored per entity."""

    stored: int = 0
    unchanged: int = 0
    quarantined: int = 0
    changed_ids: dict[str, list[str]] = field(default_factory=dict)
    hooks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FeedPage:
    """A page of the change feed: documents in change order and the cursor to resume from."""

    records: list[dict[str, Any]]
    next_cursor: int | None


# Runs inside a page's transaction with the records that changed, per entity; returns counts.
PageHook = Callable[["sa.Connection", dict[str, list[StoredRecord]], datetime], dict[str, int]]
# Runs inside the transaction that marked records deleted at their source, with the hub ids
# newly marked per entity; returns counts.
DeletionHook = Callable[["sa.Connection", dict[str, list[str]], datetime], dict[str, int]]
