"""The ``gateway`` transport: every call a signed form POST to one URL.

The form holds the method (``method_param``), the fixed system parameters, the business
parameters (or, with ``json_param``, the business parameters as one JSON text), the page
and the window; the ``gateway_signed`` auth adds credentials, timestamp and signature. The
answer's envelope is opened and errors answered with HTTP 200 are classified
(:mod:`.errors`).

An incremental stream is read window by window: from the stored cursor (less the
lookback) to the run's end (less the safety lag), in windows of at most ``window_size``,
each read whole (with ``backward_pages``: from its last page back) before its end is
stored as the cursor. A record met twice in one window (moved between pages while they
were read) is handed on once. A stream with ``detail`` reads each page's records again
through a detail API, a batch of ids a call (:mod:`.detail`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import jmespath
import requests

from synchub.errors import ConfigError, FatalAPIError
from synchub.registry import REGISTRY
from synchub.runtime.incremental import Window, format_cursor
from synchub.runtime.paginators import Request, create_paginator
from synchub.runtime.records import RejectedRecord, only_objects, split_objects
from synchub.runtime.transport import Page, RequestTransport, Sender, param_values
from synchub.systems.cn_gateway.calls import gateway_form
from synchub.systems.cn_gateway.detail import detail_stream, read_details
from synchub.systems.cn_gateway.errors import open_envelope, response_key
from synchub.systems.cn_gateway.paging import BackwardPagesPaginator

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient
    from synchub.systems.cn_gateway.specs import GatewayStreamSpec, WindowedIncrementalSpec


def windows(start: datetime, end: datetime, size: timedelta
            ) -> Iterator[tuple[datetime, datetime]]:
    """``[start, end]`` cut into consecutive windows of at most ``size`` (none if empty)."""
    at = start
    while at < end:
        nxt = min(at + size, end)
        yield at, nxt
        at = nxt


def _record_key(record: dict[str, Any], primary_key: str | list[str], cursor: str | None
                ) -> str:
    """The record's id and change time; a dotted key is a path into the record."""
    keys = [primary_key] if isinstance(primary_key, str) else primary_key
    return json.dumps([_value(record, k) for k in keys] + [_value(record, cursor)
                                                           if cursor else None], default=str)


def _value(record: dict[str, Any], key: str) -> Any:
    return jmespath.search(key, record) if "." in key else record.get(key)


class GatewayTransport(RequestTransport):
    """Signed form POSTs to one URL; windows read whole, pages possibly backwards."""

    name = "gateway"
    supports_parent = False   # one URL: no path to fill from a parent record

    def first_request(self, client: ConnectorClient, spec: GatewayStreamSpec,
                      window: Window | None, values: dict[str, Any]) -> Request:
        """The business parameters of the first page (the window added by :meth:`pages`)."""
        params: dict[str, Any] = dict(param_values(client.resolve(spec.params)))
        if spec.page_size is not None and spec.page_size_param:
            params[spec.page_size_param] = spec.page_size
        if spec.paginator.type != "single":
            params[spec.paginator.page_param] = spec.paginator.start_page
        return Request(client.base_url + spec.path, params=params)

    def detail_spec(self, spec: GatewayStreamSpec) -> GatewayStreamSpec | None:
        """The stream's detail call as a stream spec of this transport (None: it has none).
        A system whose stream spec is its own, without a ``detail`` of this shape, answers
        it itself (or None, completing records in its ``call``)."""
        return detail_stream(spec)

    def detail_url(self, client: ConnectorClient, detail: GatewayStreamSpec) -> str:
        """Where a detail call goes: the gateway's one URL."""
        return client.base_url + detail.path

    def sender(self, client: ConnectorClient, spec: GatewayStreamSpec,
               window: Window | None) -> Sender:
        """POST the form; open the envelope."""
        return partial(self.call, client, spec)

    def call(self, client: ConnectorClient, spec: GatewayStreamSpec, request: Request
             ) -> tuple[requests.Response, Any]:
        """One signed call with the request's business parameters."""
        business = {k: v for k, v in request.params.items() if v is not None}
        form = gateway_form(spec.method_param, spec.method, param_values(spec.system_params),
                            business, spec.json_param)
        unwrap = partial(_unwrap, key=response_key(spec.response_key, spec.method,
                                                      spec.response_drop_prefix),
                         spec=spec, conn_id=client.conn.conn_id)
        return client.http.request(self.name, "POST", request.url, data=form, unwrap=unwrap)

    def pages(self, client: ConnectorClient, name: str, spec: Any,
              state: dict[str, Any] | None, window_end: datetime | None,
              full_refresh: bool, values: dict[str, Any] | None = None) -> Iterator[Page]:
        """Each window read whole; its end stored as the cursor once its last page is in."""
        inc: WindowedIncrementalSpec | None = spec.incremental
        if inc is None:
            yield from self._read(client, name, spec, {}, values, None, 0)
            return
        window = Window(inc, stream=name, state=state, window_end=window_end,
                        full_refresh=full_refresh)
        if window.start is None or window.end is None:
            raise ConfigError(f"stream {name!r}: a windowed read needs a start and an end; "
                              "declare incremental.initial_lookback",
                              key=f"streams.{name}.incremental")
        render: Callable[[datetime], str] = REGISTRY.get(
            "incremental", inc.param_format, key=f"streams.{name}.incremental.param_format")
        number = 0
        for start, end in windows(window.start, window.end, inc.window_size):
            bounds = {inc.start_param: render(start), inc.end_param: render(end)}
            state_after = {"cursor": format_cursor(end)}
            for page in self._read(client, name, spec, bounds, values, state_after, number):
                number = page.number
                yield page

    def _read(self, client: ConnectorClient, name: str, spec: GatewayStreamSpec,
              bounds: dict[str | None, str], values: dict[str, Any] | None,
              state_after: dict[str, Any] | None, number: int) -> Iterator[Page]:
        """One window's pages; the last one carries ``state_after``."""
        request = self.first_request(client, spec, None, dict(values or {}))
        request.params.update({k: v for k, v in bounds.items() if k})
        paginator = create_paginator(spec.paginator, stream=name, page_size=spec.page_size)
        selector = client.selector(spec.record_selector)
        cursor = spec.incremental.cursor_field if spec.incremental else None
        detail = self.detail_spec(spec)
        seen: set[str] = set()
        while True:
            response, body = self.call(client, spec, request)
            records = selector.search(body)
            if records is None:
                records = []
            elif not isinstance(records, list):
                raise FatalAPIError(f"stream {name!r}: record_selector {spec.record_selector!r} "
                                    f"gave {type(records).__name__}, not a list")
            paginator.update(response, body, records)
            keep = not isinstance(paginator, BackwardPagesPaginator) or paginator.keep
            rejected: list[RejectedRecord] = []
            if not keep:
                records = []
            elif not only_objects(records):
                records, rejected = split_objects(records)
            fresh = []
            for record in records:
                key = _record_key(record, spec.primary_key, cursor)
                if key not in seen:
                    seen.add(key)
                    fresh.append(record)
            if detail is not None and spec.detail is not None and fresh:
                fresh, unnamed = read_details(self.call, client, name, spec.detail, detail,
                                              self.detail_url(client, detail), fresh)
                rejected = [*rejected, *unnamed]
            number += 1
            last = paginator.finished
            yield Page(fresh, state_after if last else None, number, rejected)
            if last:
                return
            paginator.prepare(request)


def _unwrap(body: Any, url: str, *, key: str, spec: GatewayStreamSpec, conn_id: str) -> Any:
    return open_envelope(body, key=key, errors=spec.errors, url=url, method=spec.method,
                         conn_id=conn_id)


GATEWAY = GatewayTransport()
