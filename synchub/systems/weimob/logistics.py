"""Weimob: tracking back to the order with ``weimob_shop/fulfill/logistics/update``.

Per shipment one call (商家配送发货): ``orderNo``, ``logistics{deliveryNo,
deliveryCompanyCode, deliveryCompanyName}`` (the write mapping turns the canonical carrier
into Weimob's company code and name), ``basicInfo.vid`` (the organization that ships) and
``isSplitPackage`` false (the whole order in one parcel). The call marks the order shipped,
so it is sent once per shipment (``once``: a timeout is not blindly resent) and a shipment
the hub already delivered with the same waybill is skipped. An order Weimob says is
shipped already (``already_shipped_codes``) counts as delivered. The shared steps are
:mod:`synchub.delivery.tracking_confirm`'s.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, ItemFailure
from synchub.delivery.tracking_confirm import (
    Tracking,
    TrackingConfirmWriter,
    TrackingTerms,
    payload_text,
)
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


class WeimobLogisticsWriter(TrackingConfirmWriter):
    """One ``fulfill/logistics/update`` per shipment with a waybill."""

    options_model = WeimobLogisticsOptions
    terms = TrackingTerms(
        vendor="Weimob", order_key="orderNo", waybill_key="deliveryNo",
        carrier_key="deliveryCompanyCode", carrier_name="company code",
        carrier_table="mappings/weimob/tracking.export.yaml", verb="send",
        call="the delivery", code_label="errcode")

    def check(self, item: DeliveryItem, order: str) -> None:
        """Weimob's order numbers are numbers (``orderNo`` is sent as one)."""
        if not order.isdigit():
            raise ItemFailure(f"shipment {item.record_id}: Weimob order number {order!r} "
                              "is not a number")

    def send(self, item: DeliveryItem, payload: dict[str, Any], tracking: Tracking) -> None:
        """Ship the whole order in one parcel from the Connection's organization (vid)."""
        opts = self.options
        assert self.client is not None
        vid = str(self.client.conn.field(opts.vid_field))
        name = payload_text(payload, "deliveryCompanyName") or tracking.carrier_code
        body: dict[str, Any] = {
            "orderNo": int(tracking.order), "isSplitPackage": False,
            "fulfillMethod": opts.fulfill_method,
            "basicInfo": {"vid": int(vid) if vid.isdigit() else vid},
            "logistics": {"deliveryNo": tracking.waybill,
                          "deliveryCompanyCode": tracking.carrier_code,
                          "deliveryCompanyName": name}}
        _, data = call_api(self.client, opts.path, body, opts.errors, once=True)
        if not (isinstance(data, dict) and data.get("success") in (True, "true")):
            raise FatalAPIError(f"POST {opts.path}: the answer does not say success "
                                f"(order {tracking.order})")

    def refusal(self, exc: FatalAPIError) -> tuple[str | None, str] | None:
        """Weimob's errcode and message; a refused token is no refusal of the shipment."""
        if isinstance(exc, WeimobTokenError) or not isinstance(exc, WeimobError):
            return None
        return exc.code, exc.vendor_message or str(exc)
