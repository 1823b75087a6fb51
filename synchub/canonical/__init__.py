"""Canonical entities: the one model every record is converted to and produced from."""

from __future__ import annotations

from synchub.canonical.base import CanonicalRecord, Money, SourceRef, canonical_id
from synchub.canonical.customer import Customer
from synchub.canonical.money_movements import (
    BalanceTransaction,
    FxRate,
    LedgerEntry,
    Payout,
    Refund,
)
from synchub.canonical.order import Order
from synchub.canonical.product import InventoryLevel, Product
from synchub.canonical.service_ticket import ServiceTicket
from synchub.canonical.shipment import Shipment

ENTITIES: dict[str, type[CanonicalRecord]] = {
    m.entity: m
    for m in (Order, Product, InventoryLevel, Customer, Shipment, Refund, Payout,
              BalanceTransaction, FxRate, LedgerEntry, ServiceTicket)
}


def entity_model(name: str) -> type[CanonicalRecord]:
    """The canonical model for an entity name such as ``order``."""
    try:
        return ENTITIES[name]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}; known: {', '.join(sorted(ENTITIES))}") from None


__all__ = [
    "ENTITIES", "BalanceTransaction", "CanonicalRecord", "Customer", "FxRate",
    "InventoryLevel", "LedgerEntry", "Money",
    "Order", "Payout", "Product", "Refund", "ServiceTicket", "Shipment", "SourceRef",
    "canonical_id",
    "entity_model",
]
