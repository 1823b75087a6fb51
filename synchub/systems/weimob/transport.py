"""The ``weimob`` transport: each WOS API its own path, the parameters a nested JSON body.

``POST <host>/apigw/<product>/<version>/<action>?accesstoken=...`` with the body the
stream declares, the page (``pageNum``/``pageSize``) and the window set at dotted paths
into it (``queryParameter.queryTime.startTime``: epoch milliseconds, sent as numbers).
Windows and pages are read as the Chinese gateways read them (:class:`GatewayTransport`):
each window whole, with ``backward_pages`` from its last page back, because a search by
update time moves an order updated during the read to the front.

A stream with ``detail`` calls the detail API for every listed record that lacks what
``detail.missing`` names (an order listed without its lines) and takes the detail's data in
place of the listed one. A token the API refuses is taken anew once and the call sent again.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

import jmespath
import requests

from synchub.errors import FatalAPIError
from synchub.runtime.connection import ConnectionInfo
from synchub.runtime.incremental import Window
from synchub.runtime.paginators import Request
from synchub.systems.cn_gateway.transport import GatewayTransport
from synchub.systems.weimob.auth import WeimobAuth
from synchub.systems.weimob.errors import WeimobTokenError, open_envelope
from synchub.systems.weimob.specs import WeimobErrorsSpec

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient
    from synchub.systems.weimob.specs import WeimobStreamSpec

PLACEHOLDER = re.compile(r"\{connection\.([A-Za-z0-9_.]+)\}")


def fill(value: Any, conn: ConnectionInfo) -> Any:
    """``value`` with ``{connection.<field>}`` strings replaced by the Connection's field.

    A string that is only a placeholder takes the field's value as a number when it is one
    (ids such as ``vid`` are numbers in the JSON).
    """
    if isinstance(value, dict):
        return {k: fill(v, conn) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, conn) for v in value]
    if not isinstance(value, str) or "{connection." not in value:
        return value
    whole = PLACEHOLDER.fullmatch(value)
    if whole:
        found = str(conn.field(whole[1]))
        return int(found) if found.isdigit() else found
    return PLACEHOLDER.sub(lambda m: str(conn.field(m[1])), value)


def put(body: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at the dotted ``path`` of ``body``, making the objects on the way."""
    *parents, last = path.split(".")
    at = body
    for name in parents:
        nxt = at.get(name)
        if not isinstance(nxt, dict):
            nxt = at[name] = {}
        at = nxt
    at[last] = int(value) if isinstance(value, str) and value.isdigit() else value


def call_api(client: ConnectorClient, path: str, body: dict[str, Any],
             errors: WeimobErrorsSpec, *, once: bool = False
             ) -> tuple[requests.Response, Any]:
    """One API call: the ``data`` of its answer; a refused token renewed once."""
    url = client.base_url + path

    def unwrap(answer: Any, at: str) -> Any:
        return open_envelope(answer, errors=errors, url=url, conn_id=client.conn.conn_id)

    try:
        return client.http.request("weimob", "POST", url, json=body, unwrap=unwrap, once=once)
    except WeimobTokenError:
        auth = client.http.auth
        if not isinstance(auth, WeimobAuth):
            raise
        auth.renew()
        return client.http.request("weimob", "POST", url, json=body, unwrap=unwrap, once=once)


class WeimobTransport(GatewayTransport):
    """JSON POSTs, one path per API; windows read whole, pages possibly backwards."""

    name = "weimob"

    def detail_spec(self, spec: Any) -> None:
        """None: a Weimob stream's detail is read in :meth:`call`."""
        return None

    def first_request(self, client: ConnectorClient, spec: WeimobStreamSpec,  # type: ignore[override]
                      window: Window | None, values: dict[str, Any]) -> Request:
        """The page and its size (the body and window added when the call is made)."""
        params: dict[str, Any] = {}
        if spec.page_size is not None and spec.page_size_param:
            params[spec.page_size_param] = spec.page_size
        if spec.paginator.type != "single":
            params[spec.paginator.page_param] = spec.paginator.start_page
        return Request(client.base_url + spec.path, params=params)

    def call(self, client: ConnectorClient, spec: WeimobStreamSpec,  # type: ignore[override]
             request: Request) -> tuple[requests.Response, Any]:
        """One call: the declared body with the page and window put at their paths."""
        body = fill(copy.deepcopy(spec.body), client.conn)
        for path, value in request.params.items():
            if value is not None:
                put(body, path, value)
        response, data = call_api(client, spec.path, body, spec.errors)
        if spec.detail is not None:
            self._complete(client, spec, data)
        return response, data

    def _complete(self, client: ConnectorClient, spec: WeimobStreamSpec, data: Any) -> None:
        """Listed records lacking ``detail.missing`` replaced by their detail's data."""
        detail = spec.detail
        assert detail is not None
        records = client.selector(spec.record_selector).search(data)
        if not isinstance(records, list):
            return
        missing, key = jmespath.compile(detail.missing), jmespath.compile(detail.key)
        for record in records:
            if not isinstance(record, dict) or missing.search(record):
                continue
            ident = key.search(record)
            if ident in (None, ""):
                raise FatalAPIError(f"POST {spec.path}: a listed record without "
                                    f"{detail.key!r}: cannot ask {detail.path} for it")
            _, found = call_api(client, detail.path, {detail.key_param: ident}, spec.errors)
            if not isinstance(found, dict):
                raise FatalAPIError(f"POST {detail.path} for {ident}: the answer has no data")
            record.update(found)


WEIMOB = WeimobTransport()
