"""Youzan: tracking back to the order with ``youzan.logistics.online.confirm``.

Per shipment one call: ``tid`` (the Youzan order), ``is_no_express`` 0, ``out_stype`` (the
express company's id in Youzan's table, ``youzan.logistics.express.get``; the write
mapping turns the canonical carrier into it) and ``out_sid`` (the waybill number); ``oids``
names the order's items when only some of them ship. The confirm marks the order shipped,
so it is sent once per shipment (``once``: a timeout is not blindly resent) and a shipment
the hub already confirmed with the same waybill is skipped. An order Youzan says is
already shipped (``already_shipped_codes``) counts as delivered: the waybill the shop
shows is kept as it is.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
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


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return str(value).strip()


class YouzanLogisticsWriter(PerItemWriter):
    """One ``youzan.logistics.online.confirm`` per shipment with a waybill."""

    options_model = YouzanLogisticsOptions

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """Confirm the shipment of one order; refusals fail the item by name."""
        payload = item.payload if isinstance(item.payload, dict) else {}
        tid, sid = _text(payload, "tid"), _text(payload, "out_sid")
        stype = _text(payload, "out_stype")
        if tid is None or sid is None:
            raise ItemFailure(f"shipment {item.record_id}: no Youzan order (tid) or no "
                              "waybill number (out_sid) to confirm")
        if stype is None:
            carrier = item.document.get("carrier")
            raise ItemFailure(f"shipment {item.record_id}: carrier {carrier!r} has no "
                              "Youzan express company id (out_stype); add it to the "
                              "carrier table of mappings/youzan/tracking.export.yaml")
        if item.remote_id == sid:
            return DeliveryResult(item.delivery_id, "skipped", remote_id=sid)
        body: dict[str, Any] = {"tid": tid, "is_no_express": 0, "out_stype": stype,
                                "out_sid": sid}
        oids = payload.get("oids")
        if isinstance(oids, list) and oids:
            body["oids"] = ",".join(str(o) for o in oids)
        opts = self.options
        assert self.client is not None
        try:
            call_api(self.client, opts.method, opts.version, body, opts.errors, once=True)
        except YouzanTokenError:
            raise
        except YouzanError as exc:
            if exc.code in opts.already_shipped_codes:
                return DeliveryResult(item.delivery_id, "delivered", remote_id=sid)
            raise ItemFailure(f"shipment {item.record_id} of order {tid}: Youzan refused "
                              f"the confirm (code {exc.code or '-'}: "
                              f"{exc.vendor_message or exc})") from None
        return DeliveryResult(item.delivery_id, "delivered", remote_id=sid)
