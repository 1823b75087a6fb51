"""The ``gateway_call`` writer: one signed gateway call per record, its parameters mapped.

The route's write mapping gives the call's business parameters (Taobao's
``taobao.logistics.offline.send``: ``tid``, ``out_sid``, ``company_code``; JD's
``jingdong.pop.order.shipment``: ``orderId``, ``logiCoprId``, ``logiNo``; Pinduoduo's
``pdd.logistics.online.send``: ``order_sn``, ``logistics_id``, ``tracking_number``), so a
carrier's name becomes the vendor's company code in YAML and an unknown carrier is the
mapping's error naming the value. Per record:

- a parameter of ``required`` missing or empty: ``failed``, naming it, no call;
- the vendor's refusal: ``failed`` with its ``sub_code: sub_msg``, unless its code or sub
  code is one of ``done_codes`` (the record is there already, e.g. the order was shipped
  by an earlier attempt whose reply was lost): ``skipped``;
- a success envelope whose flag (``errors.success_path``) is not true: classified the same
  way, with the result's code and message;
- throttles and unavailability: ``retry``; a refused session fails the record with the
  message naming the Connection whose session to renew.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from pydantic import Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.errors import FatalAPIError
from synchub.systems.cn_gateway.calls import GatewayCallOptions, call_gateway
from synchub.systems.cn_gateway.errors import GatewayAuthError, GatewayError


class GatewayCallWriterOptions(GatewayCallOptions):
    """``options`` of a ``gateway_call`` writer."""

    method: str = Field(description="The API called per record, e.g. "
                                    "taobao.logistics.offline.send.")
    remote_id: str = Field(description="The mapped parameter that is the record's id in the "
                                       "sink (the order's: tid, orderId, order_sn).")
    required: list[str] = Field(
        default_factory=list, description="Mapped parameters that must not be empty; a "
                                          "record without one fails naming it.")
    done_codes: list[str] = Field(
        default_factory=list, description="Codes or sub codes (shell-style patterns) of a "
                                          "refusal meaning the sink holds it already: skipped.")


class GatewayCallWriter(PerItemWriter):
    """One signed call per record, the write mapping's output as its business parameters."""

    options_model = GatewayCallWriterOptions

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """Call the method with the record's parameters; refusals fail it alone."""
        opts: GatewayCallWriterOptions = self.options
        params = item.payload
        if not isinstance(params, dict):
            raise ItemFailure(f"{item.entity} {item.record_id}: no parameters (the route needs "
                              f"the write mapping of {opts.method})")
        empty = [name for name in opts.required if params.get(name) in (None, "")]
        if empty:
            raise ItemFailure(f"{item.entity} {item.record_id}: no {', '.join(empty)} for "
                              f"{opts.method} (check the carrier and the order it names)")
        remote = str(params.get(opts.remote_id) or "")
        if self.client is None:
            raise FatalAPIError(f"{self.sink}: the gateway_call writer needs the connection's "
                                "client")
        business = {k: v for k, v in params.items() if v is not None}
        try:
            call_gateway(self.client, self.spec.path or "", opts, opts.method, business)
        except GatewayAuthError:
            raise
        except GatewayError as exc:
            if any(fnmatchcase(code, p) for code in (exc.code, exc.sub_code) if code
                   for p in opts.done_codes):
                return DeliveryResult(item.delivery_id, "skipped", remote_id=remote or None)
            raise ItemFailure(f"{item.entity} {item.record_id} -> {opts.remote_id} {remote}: "
                              f"{exc.refusal}") from None
        return DeliveryResult(item.delivery_id, "delivered", remote_id=remote or None)
