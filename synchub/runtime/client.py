"""The connector client: reads declared streams page by page, with state safe to commit.

``ConnectorClient(spec, conn).read(stream, state=..., window_end=...)`` yields
:class:`Page` objects. Records are handed on exactly as the API returned them (after the
record selector): the runtime parses each body once and does no per-record work beyond
tracking the cursor maximum (and tagging substream records with their ``_parent``). Items
that are not objects, and records whose cursor value is not a time, are set aside in
``page.rejected`` for the pipeline to quarantine: one bad record never stops a stream. How a
stream's requests are made is its transport's business (:mod:`synchub.runtime.transport`),
looked up in the registry by the stream's ``transport`` key.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jmespath
import requests

from synchub.config.connector import ConnectorSpec
from synchub.errors import ConfigError, FatalAPIError
from synchub.registry import REGISTRY
from synchub.runtime.connection import ConnectionInfo, is_secret_name
from synchub.runtime.http import ClientStats, HttpClient
from synchub.runtime.ratelimit import Pace
from synchub.runtime.records import RejectedRecord
from synchub.runtime.tokens import TokenCache
from synchub.runtime.transport import PLACEHOLDER, Page, Transport

__all__ = ["ConnectorClient", "Page", "RejectedRecord", "transport_of"]
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def transport_of(spec: Any) -> Transport:
    """The registered transport a stream or context spec names."""
    name = getattr(spec, "transport", "rest")
    transport: Transport = REGISTRY.get("transport", name, key="transport")
    return transport


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
                 sleep: Callable[[float], None] = time.sleep,
                 tokens: TokenCache | None = None) -> None:
        # tokens: the store's token cache, for an auth declaring ``cache: store`` (ADR 0020)
        self.spec, self.conn = spec, conn
        self.http = HttpClient(spec, conn, session=session, clock=clock, sleep=sleep,
                               tokens=tokens)
        self.base_url = self.url_base(spec.base_url)
        self._context: dict[str, Any] | None = None
        self._context_lock = threading.Lock()
        self._selectors: dict[str, _Selector] = {}

    def url_base(self, template: str | None) -> str:
        """A base URL with ``{host}`` and ``{<connection field>}`` filled in (None: the
        connector's own)."""
        if template is None:
            return self.base_url
        conn = self.conn
        return PLACEHOLDER.sub(
            lambda m: conn.base_url if m[1] == "host" else str(conn.field(m[1])),
            template).rstrip("/")

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

    def pace(self, stream: str) -> Pace | None:
        """The pace the connection's rate limits hold ``stream``'s page requests to."""
        spec = self._stream(stream)
        path = urlsplit(f"{self.base_url}{getattr(spec, 'path', None) or ''}").path
        return self.http.pace_of(getattr(spec, "transport", None) or "rest", path)

    def selector(self, expression: str) -> _Selector:
        """The compiled record selector for ``expression`` (cached per client)."""
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
                    body = transport_of(ctx).context(self, ctx)
                    values[name] = self.selector(ctx.select).search(body)
                    if values[name] is None:
                        raise FatalAPIError(f"context {name!r}: nothing found at {ctx.select!r} "
                                            f"in the answer of {ctx.path}")
                self._context = values
            return self._context

    def read(self, stream: str, state: dict[str, Any] | None = None,
             window_end: datetime | None = None, full_refresh: bool = False) -> Iterator[Page]:
        """Yield the pages of ``stream`` from ``state`` up to ``window_end``."""
        spec = self._stream(stream)
        if getattr(spec, "parent", None) is not None:
            return self._read_substream(stream, spec, state, window_end, full_refresh)
        return transport_of(spec).pages(self, stream, spec, state, window_end, full_refresh)

    def read_with(self, stream: str, values: dict[str, Any]) -> Iterator[Page]:
        """The pages of one request series of ``stream``, its ``{name}`` placeholders (path
        and params) filled from ``values``; no cursor (used for store-fed streams)."""
        spec = self._stream(stream)
        transport = transport_of(spec)
        if not transport.supports_parent:
            raise ConfigError(f"stream {stream!r} (transport {transport.name!r}) takes no "
                              "request values")
        return transport.pages(self, stream, spec, None, None, False, values)

    def _stream(self, stream: str) -> Any:
        spec = self.spec.streams.get(stream)
        if spec is None:
            raise ConfigError(f"unknown stream {stream!r} of connector {self.spec.system!r}; "
                              f"streams: {', '.join(sorted(self.spec.streams))}")
        return spec

    def resolve(self, values: dict[str, Any]) -> dict[str, Any]:
        """Fill ``{context.name}`` and ``{conn.extra.key}`` placeholders in param or
        variable values."""
        out = {}
        for key, value in values.items():
            if isinstance(value, str) and ("{context." in value or "{conn." in value):
                value = PLACEHOLDER.sub(self._context_value, value)
            out[key] = value
        return out

    def resolve_nested(self, value: Any) -> Any:
        """Fill ``{context.name}`` placeholders in the strings of a nested list."""
        if isinstance(value, str) and "{context." in value:
            return PLACEHOLDER.sub(self._context_value, value)
        if isinstance(value, list):
            return [self.resolve_nested(v) for v in value]
        return value

    def _context_value(self, match: re.Match[str]) -> str:
        name = match[1]
        if name.startswith("context."):
            return str(self.context()[name[8:]])
        if name.startswith("conn."):
            return self.conn_value(name[5:])
        return match[0]

    def conn_value(self, name: str) -> str:
        """A ``{conn.extra.<key>}`` placeholder's value: a Connection's ``extra`` value that
        identifies the account (a seller id, a marketplace), never a secret, since it
        travels in URLs that logs and errors show."""
        if not name.startswith("extra.") or is_secret_name(name[6:]):
            raise ConfigError(f"placeholder {{conn.{name}}}: only a non-secret "
                              "extra.<key> of the Connection may be filled into a request")
        return str(self.conn.field(name))

    def _read_substream(self, name: str, s: Any, state: dict[str, Any] | None,
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
        parent_transport, child_transport = transport_of(parent_spec), transport_of(s)
        if not parent_transport.supports_parent:
            raise ConfigError(f"stream {name!r}: parent {parent_name!r} (transport "
                              f"{parent_transport.name!r}) cannot be a parent stream")
        number = 0
        pending: Page | None = None
        for ppage in parent_transport.pages(self, parent_name, parent_spec, state, window_end,
                                            full_refresh):
            for parent in ppage.records:
                if when is not None and not when.search(parent):
                    continue
                values = {k: expr.search(parent) for k, expr in keys.items()}
                missing = [k for k, v in values.items() if v is None]
                if missing:
                    raise FatalAPIError(f"stream {name!r}: parent {parent_name!r} record has no "
                                        f"value for {', '.join(missing)}")
                for cpage in child_transport.pages(self, name, s, None, None, False, values):
                    for rec in cpage.records:
                        rec["_parent"] = parent
                    if pending is not None:
                        yield pending
                    number += 1
                    pending = Page(cpage.records, None, number, cpage.rejected)
            if ppage.state is not None or ppage.rejected:
                if pending is None:
                    number += 1
                    pending = Page([], None, number)
                # parents set aside are quarantined with this stream's records
                pending.rejected += ppage.rejected
                if ppage.state is not None:
                    pending.state = ppage.state
                    yield pending
                    pending = None
        if pending is not None:
            yield pending
