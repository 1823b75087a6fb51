"""Weimob: tracking back to the order with ``weimob_shop/fulfill/logistics/update``.

Per shipment one call (商家配送发货): ``orderNo``, ``logistics{deliveryNo,
deliveryCompanyCode, deliveryCompanyName}`` (the write mapping turns the canonical carrier
into Weimob's company code and name), ``basicInfo.vid`` (the organization that ships) and
``isSplitPackage`` false (the whole order in one parcel). The call marks the order shipped,
so it is sent once per shipment (``once``: a timeout is not blindly resent) and a shipment
the hub already delivered with the same waybill is skipped. An order Weimob says is
shipped already (``already_shipped_codes``) counts as delivered.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.errors import FatalAPIError
from synchub.systems.weimob.errors import WeimobError, WeimobTokenError
from synchub.systems.weimob.specs import WeimobErrorsSpec
from synchub.systems.weimob.transport import call_api


class WeimobLogisticsOptions(BaseModel):
    """``options`` of a ``weimob_logistics_update`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = "/apigw/weimob_shop/v2.0/fulfill/logistics/update"
    vid_field: str = Field(default="extra.vid", description="Connection field: the "
                                                            "organization (store) id.")
    fulfill_method: int = Field(default=1, description="fulfillMethod sent (1: express).")
    already_shipped_codes: list[str] = Field(
        default_factory=list, description="errcodes that say the order is shipped already "
                                          "(the shipment counts as delivered).")
    errors: WeimobErrorsSpec = Field(default_factory=WeimobErrorsSpec)


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return str(value).strip()


class WeimobLogisticsWriter(PerItemWriter):
    """One ``fulfill/logistics/update`` per shipment with a waybill."""

    options_model = WeimobLogisticsOptions

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """Ship one order with its waybill; refusals fail the item by name."""
        payload = item.payload if isinstance(item.payload, dict) else {}
        order_no, waybill = _text(payload, "orderNo"), _text(payload, "deliveryNo")
        code = _text(payload, "deliveryCompanyCode")
        if order_no is None or waybill is None:
            raise ItemFailure(f"shipment {item.record_id}: no Weimob order (orderNo) or no "
                              "waybill number (deliveryNo) to send")
        if not order_no.isdigit():
            raise ItemFailure(f"shipment {item.record_id}: Weimob order number {order_no!r} "
                              "is not a number")
        if code is None:
            carrier = item.document.get("carrier")
            raise ItemFailure(f"shipment {item.record_id}: carrier {carrier!r} has no Weimob "
                              "company code (deliveryCompanyCode); add it to the carrier "
                              "table of mappings/weimob/tracking.export.yaml")
        if item.remote_id == waybill:
            return DeliveryResult(item.delivery_id, "skipped", remote_id=waybill)
        opts = self.options
        assert self.client is not None
        vid = str(self.client.conn.field(opts.vid_field))
        body: dict[str, Any] = {
            "orderNo": int(order_no), "isSplitPackage": False,
            "fulfillMethod": opts.fulfill_method,
            "basicInfo": {"vid": int(vid) if vid.isdigit() else vid},
            "logistics": {"deliveryNo": waybill, "deliveryCompanyCode": code,
                          "deliveryCompanyName": _text(payload, "deliveryCompanyName") or code}}
        try:
            _, data = call_api(self.client, opts.path, body, opts.errors, once=True)
        except WeimobTokenError:
            raise
        except WeimobError as exc:
            if exc.code in opts.already_shipped_codes:
                return DeliveryResult(item.delivery_id, "delivered", remote_id=waybill)
            raise ItemFailure(f"shipment {item.record_id} of order {order_no}: Weimob refused "
                              f"the delivery (errcode {exc.code or '-'}: "
                              f"{exc.vendor_message or exc})") from None
        if not (isinstance(data, dict) and data.get("success") in (True, "true")):
            raise FatalAPIError(f"POST {opts.path}: the answer does not say success "
                                f"(order {order_no})")
        return DeliveryResult(item.delivery_id, "delivered", remote_id=waybill)
