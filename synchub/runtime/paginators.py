"""Paginators: where the next page is, and when there is none.

Each paginator keeps a typed ``token`` (a URL, a page number, an offset, a cursor), is
``finished`` when no page follows, and refuses a next token equal to the current one (a
server that keeps answering the same page would otherwise loop forever). They are chosen
by name from the registry (kind ``paginator``): the engine's own are in :data:`GENERIC`.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

import jmespath
import requests

from synchub.errors import FatalAPIError
from synchub.registry import REGISTRY

T = TypeVar("T")


class Request:
    """What a paginator may change between pages: URL, query params, GraphQL variables;
    and what travels unchanged with every page: a JSON body and headers."""

    __slots__ = ("body", "headers", "params", "url", "variables")

    def __init__(self, url: str, params: dict[str, Any] | None = None,
                 variables: dict[str, Any] | None = None, *, body: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        self.url, self.params, self.variables = url, params or {}, variables
        self.body, self.headers = body, headers or {}


class BasePaginator(ABC, Generic[T]):
    """Base of every paginator: token bookkeeping, ``finished`` and loop detection."""

    def __init__(self, spec: Any, *, stream: str, page_size: int | None = None) -> None:
        self.spec, self.stream, self.page_size = spec, stream, page_size
        self.token: T | None = None
        self.finished = False
        # the page just read repeats the one before (the caller drops its records)
        self.repeated = False

    def update(self, response: requests.Response, body: Any, records: list[Any]) -> None:
        """Read the next token from the page just fetched, or mark the stream finished."""
        nxt = self.next_token(response, body, records)
        if nxt is None:
            self.finished = True
            return
        if nxt == self.token:
            raise FatalAPIError(f"stream {self.stream!r}: the API returned the same next-page "
                                f"token twice ({self.__class__.__name__}); stopping to avoid a "
                                "loop", status=response.status_code)
        self.token = nxt

    @abstractmethod
    def next_token(self, response: requests.Response, body: Any, records: list[Any]) -> T | None:
        """The token of the next page, or None when this page was the last."""

    @abstractmethod
    def prepare(self, request: Request) -> None:
        """Put the current token into the next request (not called for the first page)."""

    def _short(self, records: list[Any]) -> bool:
        return not records or (self.page_size is not None and len(records) < self.page_size)


class SinglePaginator(BasePaginator[None]):
    """One page only."""

    def next_token(self, response: requests.Response, body: Any, records: list[Any]) -> None:
        return None

    def prepare(self, request: Request) -> None:
        return None


class HeaderLinkPaginator(BasePaginator[str]):
    """RFC 8288 ``Link: <url>; rel="next"``; the next request is that URL as it stands."""

    def next_token(self, response: requests.Response, body: Any, records: list[Any]) -> str | None:
        link = response.links.get(self.spec.rel) if response.headers.get("Link") else None
        return link.get("url") if link else None

    def prepare(self, request: Request) -> None:
        # the link already encodes filters and page size; some APIs refuse extra filters
        request.url, request.params = self.token or request.url, {}


class PageNumberPaginator(BasePaginator[int]):
    """``page=N``; stops at the total-pages header, at the body's record total, on a page
    repeating the one before (when ``stop_on_repeat``), or on a short or empty page.

    A total in the body is the only safe end for an API that answers a page past the end
    with the last page again (some older commerce APIs do): a full last page there is followed by
    itself forever, and the page number, always new, never trips the loop check.
    """

    def __init__(self, spec: Any, *, stream: str, page_size: int | None = None) -> None:
        super().__init__(spec, stream=stream, page_size=page_size)
        self.token = spec.start_page
        self._total = (jmespath.compile(spec.total_path)
                       if getattr(spec, "total_path", None) else None)
        self._last_digest: str | None = None

    def next_token(self, response: requests.Response, body: Any, records: list[Any]
                   ) -> int | None:
        current = self.token if self.token is not None else self.spec.start_page
        header = self.spec.total_pages_header
        total = response.headers.get(header) if header else None
        if total is not None and total.strip().isdigit() and current >= int(total):
            return None
        if self._repeats(records):
            self.repeated = True
            return None
        if self._total_reached(body, current):
            return None
        if self._short(records):
            return None
        return current + 1

    def _total_reached(self, body: Any, current: int) -> bool:
        if self._total is None or not self.page_size:
            return False
        total = self._total.search(body)
        if isinstance(total, str) and total.strip().isdigit():
            total = int(total)
        if not isinstance(total, int) or isinstance(total, bool):
            return False
        read: int = (current - self.spec.start_page + 1) * self.page_size
        return read >= total

    def _repeats(self, records: list[Any]) -> bool:
        if not getattr(self.spec, "stop_on_repeat", False) or not records:
            return False
        digest = hashlib.sha256(json.dumps(records, sort_keys=True, default=str)
                                .encode()).hexdigest()
        same, self._last_digest = digest == self._last_digest, digest
        return same

    def prepare(self, request: Request) -> None:
        request.params[self.spec.page_param] = self.token


class OffsetPaginator(BasePaginator[int]):
    """``offset=N``; stops on a short page or when the body's total is reached."""

    def __init__(self, spec: Any, *, stream: str, page_size: int | None = None) -> None:
        super().__init__(spec, stream=stream, page_size=page_size)
        self.token = 0
        self._total = jmespath.compile(spec.total_path) if spec.total_path else None

    def next_token(self, response: requests.Response, body: Any, records: list[Any]
                   ) -> int | None:
        nxt = (self.token or 0) + len(records)
        total = self._total.search(body) if self._total is not None else None
        if isinstance(total, int) and nxt >= total:
            return None
        return None if self._short(records) else nxt

    def prepare(self, request: Request) -> None:
        request.params[self.spec.offset_param] = self.token


class JsonCursorPaginator(BasePaginator[str]):
    """The next token sits in the body at ``cursor_path``; empty or missing means the end."""

    def __init__(self, spec: Any, *, stream: str, page_size: int | None = None) -> None:
        super().__init__(spec, stream=stream, page_size=page_size)
        self._path = jmespath.compile(spec.cursor_path)

    def next_token(self, response: requests.Response, body: Any, records: list[Any]
                   ) -> str | None:
        token = self._path.search(body)
        return str(token) if token not in (None, "") else None

    def prepare(self, request: Request) -> None:
        if request.variables is not None:
            request.variables[self.spec.cursor_param] = self.token
        elif getattr(self.spec, "cursor_alone", False):
            request.params = {self.spec.cursor_param: self.token}
        else:
            request.params[self.spec.cursor_param] = self.token


class GraphQLCursorPaginator(BasePaginator[str]):
    """Relay connections: ``pageInfo { hasNextPage endCursor }`` -> ``after`` variable."""

    def __init__(self, spec: Any, *, stream: str, page_size: int | None = None) -> None:
        super().__init__(spec, stream=stream, page_size=page_size)
        self._path = jmespath.compile(spec.page_info)

    def next_token(self, response: requests.Response, body: Any, records: list[Any]
                   ) -> str | None:
        info = self._path.search(body)
        if not isinstance(info, dict) or not info.get("hasNextPage"):
            return None
        cursor = info.get("endCursor")
        if not cursor:
            raise FatalAPIError(f"stream {self.stream!r}: hasNextPage is true but endCursor "
                                "is empty", status=response.status_code)
        return str(cursor)

    def prepare(self, request: Request) -> None:
        if request.variables is None:
            request.variables = {}
        request.variables[self.spec.cursor_variable] = self.token


GENERIC: dict[str, type[BasePaginator[Any]]] = {
    "single": SinglePaginator,
    "header_link": HeaderLinkPaginator,
    "page_number": PageNumberPaginator,
    "offset": OffsetPaginator,
    "json_cursor": JsonCursorPaginator,
    "graphql_cursor": GraphQLCursorPaginator,
}
"""The engine's paginators (registered by the ``core`` entry point)."""


def create_paginator(spec: Any, *, stream: str, page_size: int | None = None
                     ) -> BasePaginator[Any]:
    """A fresh paginator for one read of a stream (a registered ``paginator`` strategy)."""
    cls: type[BasePaginator[Any]] = REGISTRY.get(
        "paginator", spec.type, key=f"streams.{stream}.paginator.type")
    return cls(spec, stream=stream, page_size=page_size)
