"""The ``weidian`` transport: one URL, the method in ``public``, the parameters in ``param``.

``GET <host>/api?public={"method","version","format":"json"}&param={...}`` (the token is
written into ``public`` by the ``weidian_token`` auth); a write is the same pair as a
form POST. Windows and pages are read as the Chinese gateways read them
(:class:`GatewayTransport`): the window cut to ``window_size`` and each read whole, with
``backward_pages`` from its last page back, because the update-time search is dynamic.
A token the API refuses is taken anew once and the call sent again.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import requests

from synchub.runtime.incremental import Window
from synchub.runtime.paginators import Request
from synchub.systems.cn_gateway.transport import GatewayTransport
from synchub.systems.weidian.auth import WeidianTokenAuth
from synchub.systems.weidian.errors import WeidianTokenError, open_envelope
from synchub.systems.weidian.specs import WeidianErrorsSpec

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient
    from synchub.systems.weidian.specs import WeidianStreamSpec

API_PATH = "/api"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def call_api(client: ConnectorClient, method: str, version: str, param: dict[str, Any],
             errors: WeidianErrorsSpec, *, path: str = API_PATH, write: bool = False,
             once: bool = False) -> tuple[requests.Response, Any]:
    """One API call: the ``result`` of its answer; a refused token renewed once.

    A read is a GET with ``public`` and ``param`` in the query; a write (``write``) a form
    POST of the same two.
    """
    url = client.base_url + path
    pair = {"public": _json({"method": method, "version": version, "format": "json"}),
            "param": _json(param)}
    where = f"{'POST' if write else 'GET'} {url} {method}"

    def unwrap(answer: Any, at: str) -> Any:
        return open_envelope(answer, errors=errors, where=where, url=url,
                             conn_id=client.conn.conn_id)

    def send() -> tuple[requests.Response, Any]:
        if write:
            return client.http.request("weidian", "POST", url, data=pair, unwrap=unwrap,
                                       once=once)
        return client.http.request("weidian", "GET", url, params=pair, unwrap=unwrap,
                                   once=once)

    try:
        return send()
    except WeidianTokenError:
        auth = client.http.auth
        if not isinstance(auth, WeidianTokenAuth):
            raise
        auth.renew()
        return send()


class WeidianTransport(GatewayTransport):
    """``public``/``param`` calls to one URL; windows read whole, pages possibly backwards."""

    name = "weidian"

    def detail_spec(self, spec: Any) -> None:
        """Weidian streams make no second call per page (the list carries what is mapped)."""
        return None

    def first_request(self, client: ConnectorClient, spec: WeidianStreamSpec,  # type: ignore[override]
                      window: Window | None, values: dict[str, Any]) -> Request:
        """The business parameters of the first page (the window added by :meth:`pages`)."""
        params: dict[str, Any] = dict(client.resolve(spec.params))
        if spec.page_size is not None and spec.page_size_param:
            params[spec.page_size_param] = spec.page_size
        if spec.paginator.type != "single":
            params[spec.paginator.page_param] = spec.paginator.start_page
        return Request(client.base_url + spec.path, params=params)

    def call(self, client: ConnectorClient, spec: WeidianStreamSpec,  # type: ignore[override]
             request: Request) -> tuple[requests.Response, Any]:
        """One call with the request's parameters as ``param``."""
        param = {k: v for k, v in request.params.items() if v is not None}
        return call_api(client, spec.method, spec.version, param, spec.errors,
                        path=spec.path)


WEIDIAN = WeidianTransport()
