"""Youzan: tracking back to the order with ``youzan.logistics.online.confirm``.

Per shipment one call: ``tid`` (the Youzan order), ``is_no_express`` 0, ``out_stype`` (the
express company's id in Youzan's table, ``youzan.logistics.express.get``; the write
mapping turns the canonical carrier into it) and ``out_sid`` (the waybill number); ``oids``
names the order's items when only some of them ship. The confirm marks the order shipped,
so it is sent once per shipment (``once``: a timeout is not blindly resent) and a shipment
the hub already confirmed with the same waybill is skipped. An order Youzan says is
already shipped (``already_shipped_codes``) counts as delivered: the waybill the shop
shows is kept as it is. The shared steps are :mod:`synchub.delivery.tracking_confirm`'s.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem
from synchub.delivery.tracking_confirm import Tracking, TrackingConfirmWriter, TrackingTerms
from synchub.errors import FatalAPIError
from synchub.systems.youzan.errors import YouzanError, YouzanTokenError
from synchub.systems.youzan.specs import YouzanErrorsSpec
from synchub.systems.youzan.transport import call_api


class YouzanLogisticsOptions(BaseModel):
    """``options`` of a ``youzan_logistics_confirm`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = "youzan.logistics.online.confirm"
    version: str = "3.0.0"
    already_shipped_codes: list[str] = Field(
        default_factory=list, description="Refusal codes that say the order is shipped "
                                          "already (the shipment counts as delivered).")
    errors: YouzanErrorsSpec = Field(default_factory=YouzanErrorsSpec)


class YouzanLogisticsWriter(TrackingConfirmWriter):
    """One ``youzan.logistics.online.confirm`` per shipment with a waybill."""

    options_model = YouzanLogisticsOptions
    terms = TrackingTerms(
        vendor="Youzan", order_key="tid", waybill_key="out_sid", carrier_key="out_stype",
        carrier_name="express company id",
        carrier_table="mappings/youzan/tracking.export.yaml", verb="confirm",
        call="the confirm", code_label="code")

    def send(self, item: DeliveryItem, payload: dict[str, Any], tracking: Tracking) -> None:
        """Confirm the order shipped; ``oids`` when the mapping names the items."""
        body: dict[str, Any] = {"tid": tracking.order, "is_no_express": 0,
                                "out_stype": tracking.carrier_code, "out_sid": tracking.waybill}
        oids = payload.get("oids")
        if isinstance(oids, list) and oids:
            body["oids"] = ",".join(str(o) for o in oids)
        opts = self.options
        assert self.client is not None
        call_api(self.client, opts.method, opts.version, body, opts.errors, once=True)

    def refusal(self, exc: FatalAPIError) -> tuple[str | None, str] | None:
        """Youzan's code and message; a refused token is no refusal of the shipment."""
        if isinstance(exc, YouzanTokenError) or not isinstance(exc, YouzanError):
            return None
        return exc.code, exc.vendor_message or str(exc)
