"""Canonical Customer."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from synchub.canonical.base import CanonicalRecord, Count, ExternalId, Money, UtcDatetime
from synchub.canonical.common import Address


class Customer(CanonicalRecord):
    """A buyer as one channel knows them; identity across channels is by the id map."""

    entity: ClassVar[str] = "customer"

    external_id: ExternalId
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    accepts_marketing: bool | None = None
    default_address: Address | None = None
    addresses: list[Address] = Field(default_factory=list)
    orders_count: Count | None = None
    total_spent: Money | None = None
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None
    tags: list[str] = Field(default_factory=list)
