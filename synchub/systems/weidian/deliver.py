"""Weidian: tracking back to the order with ``vdian.order.deliver``.

Per shipment one call: ``order_id``, ``express_type`` (the express company's number in
Weidian's list, ``vdian.order.expresslist``; the write mapping turns the canonical carrier
into it) and ``express_no`` (the waybill); ``express_custom`` names a company the list
lacks. The call marks the order shipped, so it is sent once per shipment (``once``: a
timeout is not blindly resent) and a shipment the hub already sent with the same waybill
is skipped. An order Weidian says is shipped already (``already_shipped_codes``) counts as
delivered: the waybill the shop shows is kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.systems.weidian.errors import WeidianError, WeidianTokenError
from synchub.systems.weidian.specs import WeidianErrorsSpec
from synchub.systems.weidian.transport import call_api


class WeidianDeliverOptions(BaseModel):
    """``options`` of a ``weidian_deliver`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = "vdian.order.deliver"
    version: str = "1.0"
    already_shipped_codes: list[str] = Field(
        default_factory=list, description="Refusal codes that say the order is shipped "
                                          "already (the shipment counts as delivered).")
    errors: WeidianErrorsSpec = Field(default_factory=WeidianErrorsSpec)


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return str(value).strip()


class WeidianDeliverWriter(PerItemWriter):
    """One ``vdian.order.deliver`` per shipment with a waybill."""

    options_model = WeidianDeliverOptions

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """Ship one order; refusals fail the item by name."""
        payload = item.payload if isinstance(item.payload, dict) else {}
        order_id, express_no = _text(payload, "order_id"), _text(payload, "express_no")
        express_type = _text(payload, "express_type")
        if order_id is None or express_no is None:
            raise ItemFailure(f"shipment {item.record_id}: no Weidian order (order_id) or no "
                              "waybill number (express_no) to send")
        if express_type is None:
            carrier = item.document.get("carrier")
            raise ItemFailure(f"shipment {item.record_id}: carrier {carrier!r} has no "
                              "Weidian express company number (express_type); add it to "
                              "the carrier table of mappings/weidian/tracking.export.yaml")
        if item.remote_id == express_no:
            return DeliveryResult(item.delivery_id, "skipped", remote_id=express_no)
        param = {"order_id": order_id, "express_type": express_type,
                 "express_no": express_no}
        custom = _text(payload, "express_custom")
        if custom is not None:
            param["express_custom"] = custom
        opts = self.options
        assert self.client is not None
        try:
            call_api(self.client, opts.method, opts.version, param, opts.errors, write=True,
                     once=True)
        except WeidianTokenError:
            raise
        except WeidianError as exc:
            if exc.code in opts.already_shipped_codes:
                return DeliveryResult(item.delivery_id, "delivered", remote_id=express_no)
            raise ItemFailure(f"shipment {item.record_id} of order {order_id}: Weidian "
                              f"refused the delivery (status_code {exc.code}: "
                              f"{exc.reason or exc})") from None
        return DeliveryResult(item.delivery_id, "delivered", remote_id=express_no)
