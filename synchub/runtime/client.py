"""The connector client: reads declared streams page by page, with state safe to commit.

``ConnectorClient(spec, conn).read(stream, state=..., window_end=...)`` yields
:class:`Page` objects. Records are handed on exactly as the API returned them (after the
record selector): the runtime parses each body once and does no per-record work beyond
tracking the cursor maximum (and tagging substream records with their ``_parent``).
``jsonrpc`` streams call Odoo's ``object.execute_kw``: the incremental window becomes domain
terms, paging becomes the ``offset``/``limit`` keyword arguments.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import jmespath
import requests

from synchub.config.connector import (
    ConnectorSpec,
    FileStreamSpec,
    GraphQLStreamSpec,
    JsonRpcContextSpec,
    JsonRpcStreamSpec,
    OffsetPaginatorSpec,
    RestStreamSpec,
)
from synchub.errors import ConfigError, FatalAPIError
from synchub.runtime.auth import OdooJsonRpcAuth
from synchub.runtime.connection import ConnectionInfo
from synchub.runtime.http import ClientStats, HttpClient
from synchub.runtime.incremental import Window
from synchub.runtime.paginators import Request, create_paginator

StreamSpec = RestStreamSpec | GraphQLStreamSpec | JsonRpcStreamSpec
ODOO_TIME = "%Y-%m-%d %H:%M:%S"  # Odoo's server format: naive UTC, whole seconds
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(slots=True)
class Page:
    """One page of raw records and the state to persist once it is committed (None: not yet)."""

    records: list[dict[str, Any]]
    state: dict[str, Any] | None
    number: int


class _Selector:
    """A compiled record selector; a plain key skips JMESPath altogether."""

    __slots__ = ("expr", "key")

    def __init__(self, expression: str) -> None:
        self.key = expression if _PLAIN_KEY.match(expression) else None
        self.expr = None if self.key else jmespath.compile(expression)

    def search(self, body: Any) -> Any:
        if self.key is not None:
            return body.get(self.key) if isinstance(body, dict) else None
        return self.expr.search(body)  # type: ignore[union-attr]


class ConnectorClient:
    """One per connection: session, auth, rate limiter and retries shared by every stream."""

    def __init__(self, spec: ConnectorSpec, conn: ConnectionInfo, *,
                 session: requests.Session | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.spec, self.conn = spec, conn
        self.http = HttpClient(spec, conn, session=session, clock=clock, sleep=sleep)
        self.base_url = _PLACEHOLDER.sub(
            lambda m: conn.base_url if m[1] == "host" else str(conn.field(m[1])),
            spec.base_url).rstrip("/")
        self._context: dict[str, Any] | None = None
        self._context_lock = threading.Lock()
        self._selectors: dict[str, _Selector] = {}

    @property
    def stats(self) -> ClientStats:
        """Requests, retries, throttled seconds and bytes so far."""
        return self.http.stats

    def __enter__(self) -> ConnectorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the HTTP session."""
        self.http.close()

    def _selector(self, expression: str) -> _Selector:
        sel = self._selectors.get(expression)
        if sel is None:
            sel = self._selectors[expression] = _Selector(expression)
        return sel

    def context(self) -> dict[str, Any]:
        """The connector's context values (e.g. the shop currency), fetched once and cached."""
        with self._context_lock:
            if self._context is None:
                values: dict[str, Any] = {}
                for name, ctx in self.spec.context.items():
                    url = self.base_url + ctx.path
                    if isinstance(ctx, JsonRpcContextSpec):
                        _, body = self._jsonrpc_context(ctx)
                    elif ctx.transport == "graphql":
                        _, body = self.http.graphql(url, ctx.query, dict(ctx.variables))
                    else:
                        _, body = self.http.get(url, _param_values(ctx.params) or None)
                    values[name] = self._selector(ctx.select).search(body)
                    if values[name] is None:
                        raise FatalAPIError(f"context {name!r}: nothing found at {ctx.select!r} "
                                            f"in the answer of {ctx.path}")
                self._context = values
            return self._context

    def _jsonrpc_context(self, ctx: JsonRpcContextSpec) -> tuple[requests.Response, Any]:
        kwargs: dict[str, Any] = {}
        if ctx.fields:
            kwargs["fields"] = list(ctx.fields)
        if ctx.order:
            kwargs["order"] = ctx.order
        if ctx.limit:
            kwargs["limit"] = ctx.limit
        return self.execute_kw(ctx.path, ctx.model, ctx.method, [ctx.domain], kwargs)

    def read(self, stream: str, state: dict[str, Any] | None = None,
             window_end: datetime | None = None, full_refresh: bool = False) -> Iterator[Page]:
        """Yield the pages of ``stream`` from ``state`` up to ``window_end``."""
        spec = self.spec.streams.get(stream)
        if spec is None:
            raise ConfigError(f"unknown stream {stream!r} of connector {self.spec.system!r}; "
                              f"streams: {', '.join(sorted(self.spec.streams))}")
        if isinstance(spec, FileStreamSpec):  # files, not requests: same pages, same state
            from synchub.runtime.files import read_files

            return read_files(spec, self.conn, stream=stream, state=state,
                              window_end=window_end, full_refresh=full_refresh)
        if getattr(spec, "parent", None) is not None:
            return self._read_substream(stream, spec, state, window_end, full_refresh)
        return self._read_pages(stream, spec, state, window_end, full_refresh)

    def read_with(self, stream: str, values: dict[str, Any]) -> Iterator[Page]:
        """The pages of one request series of ``stream``, its ``{name}`` placeholders (path
        and params) filled from ``values``; no cursor (used for store-fed streams)."""
        spec = self.spec.streams.get(stream)
        if spec is None:
            raise ConfigError(f"unknown stream {stream!r} of connector {self.spec.system!r}")
        if isinstance(spec, FileStreamSpec):
            raise ConfigError(f"stream {stream!r} reads files: it takes no request values")
        return self._read_pages(stream, spec, None, None, False, values)

    def _resolve(self, values: dict[str, Any]) -> dict[str, Any]:
        """Fill ``{context.name}`` placeholders in param or variable values."""
        out = {}
        for key, value in values.items():
            if isinstance(value, str) and "{context." in value:
                value = _PLACEHOLDER.sub(self._context_value, value)
            out[key] = value
        return out

    def _resolve_domain(self, value: Any) -> Any:
        """Fill ``{context.name}`` placeholders in the string values of a domain, at any depth."""
        if isinstance(value, str) and "{context." in value:
            return _PLACEHOLDER.sub(self._context_value, value)
        if isinstance(value, list):
            return [self._resolve_domain(v) for v in value]
        return value

    def execute_kw(self, path: str, model: str, method: str, args: list[Any],
                   kwargs: dict[str, Any], *, once: bool = False
                   ) -> tuple[requests.Response, Any]:
        """One ``object.execute_kw`` call (logging in first if needed); response and result.

        ``once=True`` for calls that change the database (see :meth:`HttpClient.request`).
        """
        auth = self.http.auth
        if not isinstance(auth, OdooJsonRpcAuth):
            raise ConfigError(f"connector {self.spec.system!r}: transport jsonrpc needs auth "
                              "type odoo_jsonrpc", key="auth.type")
        login_url = self.base_url + auth.path
        prefix = auth.execute_args(
            lambda login_args: self.http.jsonrpc(login_url, "common", "login", login_args)[1])
        return self.http.jsonrpc(self.base_url + path, "object", "execute_kw",
                                 [*prefix, model, method, args, kwargs], once=once)

    def _context_value(self, match: re.Match[str]) -> str:
        name = match[1]
        return str(self.context()[name[8:]]) if name.startswith("context.") else match[0]

    def _first_request(self, s: StreamSpec, window: Window | None,
                       path_values: dict[str, Any] | None) -> Request:
        values = dict(path_values or {})
        # the incremental window may travel in the path too: {window.start}, {window.end}
        in_path = {**window.path_values(), **values} if window is not None else values

        def fill(m: re.Match[str]) -> str:
            name = m[1]
            if name in in_path:
                return quote(str(in_path[name]), safe="")
            if name.startswith("context."):
                return quote(str(self.context()[name[8:]]), safe="")
            return m[0]

        path = _PLACEHOLDER.sub(fill, s.path) if "{" in s.path else s.path
        if isinstance(s, JsonRpcStreamSpec):
            # request.params hold the call's keyword arguments that change from page to page
            paging: dict[str, Any] = {}
            if isinstance(s.paginator, OffsetPaginatorSpec):
                paging[s.paginator.offset_param] = 0
            if s.page_size is not None:
                paging["limit"] = s.page_size
            return Request(self.base_url + path, params=paging)
        extra: dict[str, Any] = {}
        if s.page_size is not None and s.page_size_param:
            extra[s.page_size_param] = s.page_size
        if window is not None:
            extra.update(window.params())
        if isinstance(s, GraphQLStreamSpec):
            return Request(self.base_url + path, variables={**self._resolve(s.variables), **extra})
        params = _param_values(self._resolve(s.params))
        if values:  # a store-fed stream's {input.x} may sit in a query value too
            params = {k: _PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), v)
                      if isinstance(v, str) and "{" in v else v for k, v in params.items()}
        return Request(self.base_url + path, params={**params, **extra})

    def _read_pages(self, name: str, s: StreamSpec, state: dict[str, Any] | None,
                    window_end: datetime | None, full_refresh: bool,
                    path_values: dict[str, Any] | None = None) -> Iterator[Page]:
        window = Window(s.incremental, stream=name, state=state, window_end=window_end,
                        full_refresh=full_refresh) if s.incremental else None
        per_page = window is not None and s.incremental is not None and s.incremental.sorted
        request = self._first_request(s, window, path_values)
        paginator = create_paginator(s.paginator, stream=name, page_size=s.page_size)
        selector = self._selector(s.record_selector)
        query = s.query if isinstance(s, GraphQLStreamSpec) else None
        rpc = _RpcCall.of(self, s, window) if isinstance(s, JsonRpcStreamSpec) else None
        number = 0
        while True:
            if rpc is not None:
                response, body = rpc.send(request.params)
            elif query is not None:
                response, body = self.http.graphql(request.url, query, request.variables)
            else:
                response, body = self.http.get(request.url, request.params or None)
            records = selector.search(body)
            if records is None:
                records = []
            elif not isinstance(records, list):
                raise FatalAPIError(f"stream {name!r}: record_selector {s.record_selector!r} "
                                    f"gave {type(records).__name__}, not a list")
            paginator.update(response, body, records)  # before filtering: page size counts
            if window is not None:
                records = window.consume(records)
            number += 1
            last = paginator.finished
            page_state = window.state() if window is not None and (per_page or last) else None
            yield Page(records, page_state, number)
            if last:
                return
            paginator.prepare(request)

    def _read_substream(self, name: str, s: StreamSpec, state: dict[str, Any] | None,
                        window_end: datetime | None, full_refresh: bool) -> Iterator[Page]:
        """Children of every matching parent; state follows the parent's pages.

        A parent page's state is attached to the last child page read for it, so the
        cursor only moves once every child of that parent page is committed.
        """
        link = getattr(s, "parent", None)
        assert link is not None
        parent_name = link.stream
        when = jmespath.compile(link.when) if link.when else None
        keys = {k: jmespath.compile(v) for k, v in link.path_params.items()}
        parent_spec = self.spec.streams[parent_name]
        if isinstance(parent_spec, FileStreamSpec):
            raise ConfigError(f"stream {name!r}: parent {parent_name!r} reads files; a "
                              "parent stream must be read with requests")
        number = 0
        pending: Page | None = None
        for ppage in self._read_pages(parent_name, parent_spec, state, window_end, full_refresh):
            for parent in ppage.records:
                if when is not None and not when.search(parent):
                    continue
                values = {k: expr.search(parent) for k, expr in keys.items()}
                missing = [k for k, v in values.items() if v is None]
                if missing:
                    raise FatalAPIError(f"stream {name!r}: parent {parent_name!r} record has no "
                                        f"value for {', '.join(missing)}")
                for cpage in self._read_pages(name, s, None, None, False, values):
                    for rec in cpage.records:
                        rec["_parent"] = parent
                    if pending is not None:
                        yield pending
                    number += 1
                    pending = Page(cpage.records, None, number)
            if ppage.state is not None:
                if pending is None:
                    number += 1
                    pending = Page([], None, number)
                pending.state = ppage.state
                yield pending
                pending = None
        if pending is not None:
            yield pending


@dataclass(slots=True)
class _RpcCall:
    """The fixed part of a jsonrpc stream's ``search_read`` calls: domain, fields, order."""

    client: ConnectorClient
    spec: JsonRpcStreamSpec
    domain: list[Any]
    kwargs: dict[str, Any]

    @classmethod
    def of(cls, client: ConnectorClient, s: JsonRpcStreamSpec, window: Window | None
           ) -> _RpcCall:
        """Resolve context placeholders and add the incremental window as domain terms."""
        domain = list(client._resolve_domain(s.domain))
        if window is not None and s.incremental is not None:
            inc = s.incremental
            # appended terms are AND-ed with the declared domain (Odoo's implicit '&')
            if inc.start_param and window.start is not None:
                domain.append([inc.start_param, ">", odoo_time(window.start)])
            if inc.end_param and window.end is not None:
                domain.append([inc.end_param, "<=", odoo_time(window.end)])
        kwargs: dict[str, Any] = dict(s.kwargs)
        if s.fields:
            kwargs["fields"] = list(s.fields)
        if s.order:
            kwargs["order"] = s.order
        return cls(client, s, domain, kwargs)

    def send(self, paging: dict[str, Any]) -> tuple[requests.Response, Any]:
        """One page: the fixed keyword arguments plus this page's offset and limit."""
        return self.client.execute_kw(self.spec.path, self.spec.model, self.spec.method,
                                      [self.domain], {**self.kwargs, **paging})


def odoo_time(dt: datetime) -> str:
    """An aware time as Odoo compares datetime fields: naive UTC, whole seconds.

    Dropping the fraction moves a start earlier and an end earlier, never losing a record:
    what the end leaves out, the next window starts from.
    """
    return dt.astimezone(UTC).strftime(ODOO_TIME)


def _param_values(params: dict[str, Any]) -> dict[str, Any]:
    """Query values as the APIs expect them: booleans as ``true``/``false``."""
    return {k: ("true" if v else "false") if isinstance(v, bool) else v
            for k, v in params.items()}
