"""Tracking confirmed back to a shop: one call per shipment that marks the order shipped.

Several shop APIs take a shipment the same way: the write mapping puts the shop's order
id, the waybill number and the shop's own code for the carrier into the payload, and one
call per shipment tells the shop the order is shipped. What they share is here, so each
system says only its field names and the call itself:

- a payload without an order id or a waybill fails the item naming both fields;
- a carrier the mapping's carrier table does not know fails the item naming the carrier
  and the mapping file to extend, before anything is sent;
- a shipment the hub delivered before with the same waybill is skipped (the call marks
  the order shipped, so the system sends it ``once``: a timeout is not blindly resent);
- a refusal whose code is one of the options' ``already_shipped_codes`` counts as
  delivered (the waybill the shop shows is kept as it is); any other refusal fails the
  item naming the shop's code and message.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.errors import FatalAPIError


@dataclass(frozen=True, slots=True)
class TrackingTerms:
    """How a shop names things, for the payload keys read and the messages written.

    ``vendor`` is the shop's name; ``order_key``, ``waybill_key`` and ``carrier_key`` the
    payload keys of its order id, waybill number and carrier code; ``carrier_name`` what
    it calls that code; ``carrier_table`` the mapping file whose carrier table fills it;
    ``verb`` and ``call`` what sending is called; ``code_label`` how its refusal codes
    are named.
    """

    vendor: str
    order_key: str
    waybill_key: str
    carrier_key: str
    carrier_name: str
    carrier_table: str
    verb: str
    call: str
    code_label: str


@dataclass(frozen=True, slots=True)
class Tracking:
    """What one shipment's payload says: the shop's order, the waybill, the carrier code."""

    order: str
    waybill: str
    carrier_code: str


def payload_text(payload: dict[str, Any], key: str) -> str | None:
    """``payload[key]`` as stripped text; None when missing or blank."""
    value = payload.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return str(value).strip()


class TrackingConfirmWriter(PerItemWriter):
    """One confirm call per shipment with a waybill; the system fills the hooks.

    Subclasses set ``terms`` and implement :meth:`send` (the call) and :meth:`refusal`
    (the shop's code and message of a refusal it answered, None for any other error,
    e.g. a refused token, which is raised as it is). :meth:`check` may refuse an order id
    the shop cannot take. Options must have ``already_shipped_codes``.
    """

    terms: ClassVar[TrackingTerms]

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """Confirm one shipment; missing fields and refusals fail the item by name."""
        payload = item.payload if isinstance(item.payload, dict) else {}
        tracking = self._read(item, payload)
        if item.remote_id == tracking.waybill:
            return DeliveryResult(item.delivery_id, "skipped", remote_id=tracking.waybill)
        try:
            self.send(item, payload, tracking)
        except FatalAPIError as exc:
            found = self.refusal(exc)
            if found is None:
                raise
            code, message = found
            if code in self.options.already_shipped_codes:
                return DeliveryResult(item.delivery_id, "delivered",
                                      remote_id=tracking.waybill)
            t = self.terms
            raise ItemFailure(f"shipment {item.record_id} of order {tracking.order}: "
                              f"{t.vendor} refused {t.call} ({t.code_label} {code or '-'}: "
                              f"{message})") from None
        return DeliveryResult(item.delivery_id, "delivered", remote_id=tracking.waybill)

    def _read(self, item: DeliveryItem, payload: dict[str, Any]) -> Tracking:
        """The shipment's order, waybill and carrier code, or an ItemFailure naming the gap."""
        t = self.terms
        order, waybill = payload_text(payload, t.order_key), payload_text(payload, t.waybill_key)
        code = payload_text(payload, t.carrier_key)
        if order is None or waybill is None:
            raise ItemFailure(f"shipment {item.record_id}: no {t.vendor} order ({t.order_key}) "
                              f"or no waybill number ({t.waybill_key}) to {t.verb}")
        self.check(item, order)
        if code is None:
            carrier = item.document.get("carrier")
            raise ItemFailure(f"shipment {item.record_id}: carrier {carrier!r} has no "
                              f"{t.vendor} {t.carrier_name} ({t.carrier_key}); add it to "
                              f"the carrier table of {t.carrier_table}")
        return Tracking(order, waybill, code)

    def check(self, item: DeliveryItem, order: str) -> None:
        """Raise :class:`ItemFailure` when the shop cannot take this order id (default: any)."""

    @abstractmethod
    def send(self, item: DeliveryItem, payload: dict[str, Any], tracking: Tracking) -> None:
        """Make the one call that marks the order shipped (sent ``once``)."""

    @abstractmethod
    def refusal(self, exc: FatalAPIError) -> tuple[str | None, str] | None:
        """``(code, message)`` when ``exc`` is the shop refusing this shipment, else None."""
