"""Canonical ServiceTicket: a customer-service case, linked to the customer and the order."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from synchub.canonical.base import CanonicalRecord, ExternalId, Reference, UtcDatetime

TicketStatus = Literal["open", "pending", "solved", "closed"]
TicketPriority = Literal["low", "normal", "high", "urgent"]
# a ticket in one of these states no longer holds anything (the order operations read it)
OPEN_TICKET_STATUSES: frozenset[str] = frozenset({"open", "pending"})


class ServiceTicket(CanonicalRecord):
    """A ticket of a service desk: who raised it, about which order, and where it stands.

    ``customer_connection``/``customer_external_id`` name the customer as the desk knows
    them (the desk's own id; the hub's customer is the one bound to that id in the desk's
    sink, ADR 0019). ``order_connection``/``order_external_id`` name the order the ticket is
    about, when it names one.
    """

    entity: ClassVar[str] = "service_ticket"

    external_id: ExternalId
    number: Reference | None = Field(default=None, description="The desk's ticket number.")
    subject: str | None = None
    status: TicketStatus
    priority: TicketPriority | None = None
    channel: str | None = Field(default=None, description="Where the ticket came in "
                                                          "(web, phone, im ...).")
    customer_connection: Reference | None = None
    customer_external_id: Reference | None = None
    order_connection: Reference | None = Field(
        default=None, description="The connection the named order came from.")
    order_external_id: Reference | None = None
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None
    solved_at: UtcDatetime | None = None
    tags: list[str] = Field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """Whether the ticket still needs the desk (open or pending)."""
        return self.status in OPEN_TICKET_STATUSES
