"""One signed write to a gateway, outside a stream: the form, the envelope, the refusal.

Stock publishers and shipment writers call one method at a time with their own business
parameters. :class:`GatewayCallOptions` holds what a connector's ``options`` say about the
gateway (the same keys as a gateway stream's), :func:`gateway_form` builds the form the
``gateway_signed`` auth signs, and :func:`call_gateway` sends it and opens the answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.systems.cn_gateway.errors import open_envelope, response_key
from synchub.systems.cn_gateway.specs import GatewayErrorsSpec

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient


class GatewayCallOptions(BaseModel):
    """How one gateway takes a call: the keys a gateway stream declares, for a write."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method_param: str = Field(default="method", description="PDD: type.")
    system_params: dict[str, str] = Field(
        default_factory=lambda: {"v": "2.0", "format": "json"},
        description="Fixed system parameters (PDD: {data_type: JSON, version: V1}).")
    json_param: str | None = Field(
        default=None, description="Business parameters as one JSON text parameter of this "
                                  "name (JD: 360buy_param_json).")
    response_key: str = Field(default="{method}_response",
                              description="The answer's envelope (JD: {method}_responce).")
    response_drop_prefix: str | None = Field(
        default=None, description="Left off the method in {method} (TOP: 'taobao.').")
    errors: GatewayErrorsSpec = Field(default_factory=GatewayErrorsSpec)


def gateway_form(method_param: str, method: str, system_params: Mapping[str, Any],
                 business: Mapping[str, Any], json_param: str | None) -> dict[str, Any]:
    """The unsigned form: method, system parameters, business parameters (or their JSON)."""
    form: dict[str, Any] = {method_param: method, **system_params}
    if json_param:
        form[json_param] = json.dumps(dict(business), ensure_ascii=False,
                                      separators=(",", ":"), sort_keys=True)
    else:
        form.update(business)
    return form


def call_gateway(client: ConnectorClient, path: str, options: GatewayCallOptions,
                 method: str, business: Mapping[str, Any]) -> Any:
    """One signed call; the payload inside the answer's envelope.

    Raises the classified error of :mod:`.errors` (a refusal is a ``GatewayError`` whose
    ``refusal`` is the vendor's own words); throttles are retried by the client.
    """
    url = client.base_url + path
    json_param = options.json_param
    values = business if json_param else {k: str(v) for k, v in business.items()}
    form = gateway_form(options.method_param, method, options.system_params, values,
                        json_param)
    key = response_key(options.response_key, method, options.response_drop_prefix)

    def unwrap(body: Any, at: str) -> Any:
        return open_envelope(body, key=key, errors=options.errors, url=at, method=method,
                             conn_id=client.conn.conn_id)

    _, answer = client.http.request("gateway", "POST", url, data=form, unwrap=unwrap)
    return answer
