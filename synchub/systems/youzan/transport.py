"""The ``youzan`` transport: each API its own URL, the parameters a JSON body.

``POST <host>/api/<method>/<version>?access_token=...`` with the business parameters, the
page and the window as JSON (the official SDKs send ``application/json``). Windows and
pages are read as the Chinese gateways read them (:class:`GatewayTransport`): the window
cut to ``window_size`` and each read whole, with ``backward_pages`` from its last page
back, because Youzan's update-time search is dynamic: an order updated during the read
moves to the front. A token the API refuses is taken anew once and the call sent again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

from synchub.runtime.incremental import Window
from synchub.runtime.paginators import Request
from synchub.systems.cn_gateway.transport import GatewayTransport
from synchub.systems.youzan.auth import YouzanTokenAuth
from synchub.systems.youzan.errors import YouzanTokenError, open_envelope
from synchub.systems.youzan.specs import YouzanErrorsSpec

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient
    from synchub.systems.cn_gateway.specs import GatewayStreamSpec
    from synchub.systems.youzan.specs import YouzanStreamSpec


def api_url(base_url: str, method: str, version: str) -> str:
    """``<base>/api/<method>/<version>``."""
    return f"{base_url}/api/{method}/{version}"


def call_api(client: ConnectorClient, method: str, version: str, body: dict[str, Any],
             errors: YouzanErrorsSpec, *, once: bool = False
             ) -> tuple[requests.Response, Any]:
    """One API call: the payload of its answer; a refused token renewed once."""
    url = api_url(client.base_url, method, version)

    def unwrap(answer: Any, at: str) -> Any:
        return open_envelope(answer, errors=errors, url=url, method=method,
                             conn_id=client.conn.conn_id)

    auth = client.http.auth
    try:
        return client.http.request("youzan", "POST", url, json=body, unwrap=unwrap,
                                   once=once)
    except YouzanTokenError:
        if not isinstance(auth, YouzanTokenAuth):
            raise
        auth.renew()
        return client.http.request("youzan", "POST", url, json=body, unwrap=unwrap,
                                   once=once)


class YouzanTransport(GatewayTransport):
    """JSON POSTs to one URL per API; windows read whole, pages possibly backwards."""

    name = "youzan"

    def detail_call(self, spec: GatewayStreamSpec) -> GatewayStreamSpec | None:
        """None: a Youzan stream makes no gateway detail call."""
        return None

    def first_request(self, client: ConnectorClient, spec: YouzanStreamSpec,  # type: ignore[override]
                      window: Window | None, values: dict[str, Any]) -> Request:
        """The business parameters of the first page (the window added by :meth:`pages`)."""
        params: dict[str, Any] = dict(client.resolve(spec.params))
        if spec.page_size is not None and spec.page_size_param:
            params[spec.page_size_param] = spec.page_size
        if spec.paginator.type != "single":
            params[spec.paginator.page_param] = spec.paginator.start_page
        return Request(api_url(client.base_url, spec.method, spec.version), params=params)

    def call(self, client: ConnectorClient, spec: YouzanStreamSpec,  # type: ignore[override]
             request: Request) -> tuple[requests.Response, Any]:
        """One call with the request's parameters as the JSON body."""
        body = {k: v for k, v in request.params.items() if v is not None}
        return call_api(client, spec.method, spec.version, body, spec.errors)


YOUZAN = YouzanTransport()
