"""The ERPNext customer of a channel order, found or created by the hub's identity.

The hub knows a buyer as ``<source connection>:<customer external id>``; that identity is
kept in a custom field of the Customer (option ``customer_id_field``), so the same buyer
ordering again is the same ERPNext customer. A buyer the field does not find is looked up
by email (a customer entered by hand), else created with that identity. A buyer with
neither (a guest order) goes to the option ``guest_customer``.
"""

from __future__ import annotations

from typing import Any

from synchub.delivery.base import ItemFailure
from synchub.systems.erpnext.rest import FrappeDocs


class CustomerResolver:
    """Customer names by identity, cached for the writer's run."""

    def __init__(self, docs: FrappeDocs, *, id_field: str, group: str, territory: str,
                 guest: str | None) -> None:
        self.docs, self.id_field, self.guest = docs, id_field, guest
        self.group, self.territory = group, territory
        self._known: dict[str, str] = {}

    def name_for(self, source: str, customer: dict[str, Any] | None, order: str) -> str:
        """The Customer's ``name`` for an order's buyer (created when ERPNext has none)."""
        customer = customer or {}
        external, email = customer.get("external_id"), customer.get("email")
        identity = f"{source}:{external}" if external else None
        if identity is None and not email:
            if self.guest:
                return self.guest
            raise ItemFailure(f"order {order}: the buyer has neither an id nor an email; set "
                              "the writer option guest_customer")
        key = identity or f"email:{email}"
        if key in self._known:
            return self._known[key]
        name = self._find(identity, email) or self._create(identity, customer, order)
        self._known[key] = name
        return name

    def _find(self, identity: str | None, email: str | None) -> str | None:
        if identity:
            rows = self.docs.list("Customer", [[self.id_field, "=", identity]], ["name"], 1)
            if rows:
                return str(rows[0]["name"])
        if email:
            rows = self.docs.list("Customer", [["email_id", "=", email]], ["name"], 1)
            if rows:
                return str(rows[0]["name"])
        return None

    def _create(self, identity: str | None, customer: dict[str, Any], order: str) -> str:
        title = customer.get("name") or customer.get("email") or identity
        doc: dict[str, Any] = {"customer_name": title, "customer_type": "Individual",
                               "customer_group": self.group, "territory": self.territory}
        if identity:
            doc[self.id_field] = identity
        if customer.get("email"):
            doc["email_id"] = customer["email"]
        if customer.get("phone"):
            doc["mobile_no"] = customer["phone"]
        saved = self.docs.insert("Customer", doc)
        if not saved.get("name"):
            raise ItemFailure(f"order {order}: ERPNext created the customer without a name")
        return str(saved["name"])
