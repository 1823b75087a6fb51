"""SF Express: a waybill for an order through ``EXP_RECE_CREATE_ORDER``.

One call per order. The request's ``orderId`` is the hub's order id, which SF keeps unique
per customer code: a second create with it is refused with ``8016`` (重复下单). That makes
the create safe to repeat: when a reply is lost after SF accepted the order, the retry's
8016 is answered by looking the order up (``EXP_RECE_SEARCH_ORDER_RESP``) and taking the
waybill SF already gave. The waybill number comes back as the delivery's remote id, which
the hub keeps as the order's binding in this sink (``synchub.store`` bindings): the order
operations and the tracking stream read it there. An order that has a waybill already is
skipped (SF's orders are not updated through this service).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.errors import FatalAPIError
from synchub.systems.sf_express.errors import SfServiceError
from synchub.systems.sf_express.transport import SF_SERVICE

if TYPE_CHECKING:
    from synchub.runtime import ConnectorClient

CREATE, SEARCH = "EXP_RECE_CREATE_ORDER", "EXP_RECE_SEARCH_ORDER_RESP"
DUPLICATE = "8016"
MAX_ORDER_ID = 64


class SenderSpec(BaseModel):
    """The shipper's contact (contactType 1): the warehouse that hands the parcel to SF."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact: str
    mobile: str | None = None
    tel: str | None = None
    company: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    address: str
    postCode: str | None = None   # SF's field name
    country: str = "CN"


class SfCreateOrderOptions(BaseModel):
    """``options`` of a ``sf_express_create_order`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sender: SenderSpec
    express_type_id: int = Field(default=2, ge=1,
                                 description="SF's product: 1 顺丰特快, 2 顺丰标快 ...")
    pay_method: int = Field(default=1, ge=1, le=3,
                            description="1 the sender pays, 2 the recipient, 3 a third party.")
    language: str = "zh-CN"
    monthly_card_field: str | None = Field(
        default="extra.monthly_card",
        description="The Connection field holding the monthly account (月结卡号); null: none.")


def waybill_of(answer: Any) -> str | None:
    """The main waybill number (``waybillType`` 1) of an order answer."""
    data = answer.get("msgData") if isinstance(answer, dict) else None
    for info in (data or {}).get("waybillNoInfoList") or []:
        if isinstance(info, dict) and str(info.get("waybillType", 1)) == "1" \
                and info.get("waybillNo"):
            return str(info["waybillNo"])
    return None


class SfCreateOrderWriter(PerItemWriter):
    """Asks SF for a waybill per order; the number becomes the order's id in this sink."""

    options_model = SfCreateOrderOptions

    @property
    def _client(self) -> ConnectorClient:
        if self.client is None:
            raise FatalAPIError(f"{self.sink}: the sf_express_create_order writer needs the "
                                "connection's client")
        return self.client

    def request(self, item: DeliveryItem) -> dict[str, Any]:
        """The ``msgData`` of the create (ItemFailure naming what is missing)."""
        p = item.payload
        if not isinstance(p, dict):
            raise ItemFailure(f"order {item.record_id}: no payload (the route needs the "
                              "waybills write mapping)")
        recipient = {k: v for k, v in (p.get("recipient") or {}).items()
                     if v not in (None, "")}
        missing = [k for k in ("contact", "address") if not recipient.get(k)]
        if not recipient.get("mobile"):
            missing.append("mobile")
        if missing:
            raise ItemFailure(f"order {item.record_id}: the recipient has no "
                              f"{', '.join(missing)} (shipping_address)")
        # a line removed from the order (quantity 0) ships nothing
        cargo = [c for c in p.get("cargo") or [] if isinstance(c, dict) and c.get("name")
                 and c.get("count")]
        if not cargo:
            raise ItemFailure(f"order {item.record_id}: no line with a title or SKU to "
                              "declare as cargo")
        opts = self.options
        sender = opts.sender.model_dump(exclude_none=True)
        msg: dict[str, Any] = {
            "language": opts.language, "orderId": item.record_id[:MAX_ORDER_ID],
            "contactInfoList": [{**sender, "contactType": 1},
                                {**recipient, "contactType": 2}],
            "cargoDetails": cargo, "expressTypeId": opts.express_type_id,
            "payMethod": opts.pay_method, "parcelQty": 1, "isReturnRoutelabel": 1}
        if opts.monthly_card_field:
            card = self._client.conn.extra.get(opts.monthly_card_field.removeprefix("extra."))
            if card:
                msg["monthlyCard"] = str(card)
        if p.get("remark"):
            msg["remark"] = str(p["remark"])[:100]
        return msg

    def _send(self, service: str, msg: dict[str, Any]) -> Any:
        client = self._client
        return SF_SERVICE.call(client, service, self.spec.path or "/std/service",
                               json.dumps(msg, ensure_ascii=False, separators=(",", ":")))

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """One order: created (or found, after a lost reply), its waybill the remote id."""
        if item.remote_id:
            return DeliveryResult(item.delivery_id, "skipped", remote_id=item.remote_id)
        msg = self.request(item)
        try:
            answer = self._send(CREATE, msg)
        except SfServiceError as exc:
            if exc.code != DUPLICATE:
                raise ItemFailure(f"order {item.record_id}: SF refused the waybill: "
                                  f"{exc.message}") from None
            answer = self._send(SEARCH, {"orderId": msg["orderId"], "searchType": "1",
                                         "language": msg["language"]})
        number = waybill_of(answer)
        if number is None:
            raise ItemFailure(f"order {item.record_id}: SF answered without a waybill number")
        return DeliveryResult(item.delivery_id, "delivered", remote_id=number)
