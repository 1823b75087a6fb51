"""Transports: how a stream's pages are fetched, chosen by the stream's ``transport`` key.

A transport is a registered strategy (kind ``transport``). The engine's own are ``rest``
(GET), ``graphql`` (POSTed queries) and ``file`` (files in a folder or bucket); a system
adds its own (a JSON-RPC API, a signed single-URL gateway) without touching the runtime.
Most transports send requests page by page and share :class:`RequestTransport`'s loop:
build the first request, send it, select the records, let the paginator find the next
page, move the incremental window. They differ only in how a request is built and sent.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from synchub.errors import ConfigError, FatalAPIError
from synchub.runtime.incremental import Window
from synchub.runtime.paginators import Request, create_paginator
from synchub.runtime.records import RejectedRecord, only_objects, split_objects

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient

PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")
Sender = Callable[[Request], tuple[requests.Response, Any]]


@dataclass(slots=True)
class Page:
    """One page of raw records and the state to persist once it is committed (None: not yet).

    ``rejected`` holds the page's items the runtime set aside (not an object, a cursor value
    that is not a time), to be quarantined in the page's transaction.
    """

    records: list[dict[str, Any]]
    state: dict[str, Any] | None
    number: int
    rejected: list[RejectedRecord] = field(default_factory=list)


class Transport(ABC):
    """How one kind of stream is read. Subclasses implement :meth:`pages`."""

    name = "?"
    supports_parent = False   # whether a stream of this transport may be a substream parent

    @abstractmethod
    def pages(self, client: ConnectorClient, name: str, spec: Any,
              state: dict[str, Any] | None, window_end: datetime | None,
              full_refresh: bool, values: dict[str, Any] | None = None) -> Iterator[Page]:
        """Yield the stream's pages from ``state`` up to ``window_end``."""

    def context(self, client: ConnectorClient, ctx: Any) -> Any:
        """The answer a context value is selected from (a value read once per sync)."""
        raise ConfigError(f"transport {self.name!r} cannot read context values")


class RequestTransport(Transport):
    """A transport that sends one request per page; subclasses say how requests look."""

    supports_parent = True

    @abstractmethod
    def first_request(self, client: ConnectorClient, spec: Any, window: Window | None,
                      values: dict[str, Any]) -> Request:
        """The request of the first page (path placeholders filled, window added)."""

    @abstractmethod
    def sender(self, client: ConnectorClient, spec: Any, window: Window | None) -> Sender:
        """A function that sends one page's request and returns response and body."""

    def pages(self, client: ConnectorClient, name: str, spec: Any,
              state: dict[str, Any] | None, window_end: datetime | None,
              full_refresh: bool, values: dict[str, Any] | None = None) -> Iterator[Page]:
        """Send, select, page and move the window until the paginator is finished."""
        inc: Any = getattr(spec, "incremental", None)
        window = Window(inc, stream=name, state=state, window_end=window_end,
                        full_refresh=full_refresh) if inc is not None else None
        per_page = inc is not None and bool(inc.sorted)
        request = self.first_request(client, spec, window, dict(values or {}))
        paginator = create_paginator(spec.paginator, stream=name, page_size=spec.page_size)
        selector = client.selector(spec.record_selector)
        send = self.sender(client, spec, window)
        number = 0
        while True:
            response, body = send(request)
            records = selector.search(body)
            if records is None:
                records = []
            elif not isinstance(records, list):
                raise FatalAPIError(f"stream {name!r}: record_selector {spec.record_selector!r} "
                                    f"gave {type(records).__name__}, not a list")
            paginator.update(response, body, records)  # before filtering: page size counts
            if paginator.repeated:
                records = []  # the API answered past the end with a page already read
            rejected: list[RejectedRecord] = []
            if not only_objects(records):
                records, rejected = split_objects(records)
            if window is not None:
                records, bad_cursors = window.consume(records)
                rejected += bad_cursors
            number += 1
            last = paginator.finished
            page_state = window.state() if window is not None and (per_page or last) else None
            yield Page(records, page_state, number, rejected)
            if last:
                return
            paginator.prepare(request)


def fill_path(client: ConnectorClient, path: str, window: Window | None,
              values: dict[str, Any]) -> str:
    """Fill ``{window.start}``, ``{context.x}``, ``{conn.extra.key}`` and input
    placeholders in a request path."""
    if "{" not in path:
        return path
    in_path = {**window.path_values(), **values} if window is not None else values

    def fill(m: re.Match[str]) -> str:
        name = m[1]
        if name in in_path:
            return quote(str(in_path[name]), safe="")
        if name.startswith("context."):
            return quote(str(client.context()[name[8:]]), safe="")
        if name.startswith("conn."):
            return quote(client.conn_value(name[5:]), safe="")
        return m[0]

    return PLACEHOLDER.sub(fill, path)


def param_values(params: dict[str, Any]) -> dict[str, Any]:
    """Query values as the APIs expect them: booleans as ``true``/``false``."""
    return {k: ("true" if v else "false") if isinstance(v, bool) else v
            for k, v in params.items()}
