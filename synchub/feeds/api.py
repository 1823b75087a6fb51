"""The change-feed API: ``GET /api/v1/feeds`` and ``GET /api/v1/feeds/{entity}``.

A business system reads with its API key (``Authorization: Bearer <key>`` or
``X-API-Key``) every record it may see that changed after its cursor, oldest change first:

    GET /synchub/api/v1/feeds/order?since=<cursor>&limit=500[&connection=shopify_demo]
    -> {"entity": "order", "records": [...], "next_cursor": "1234", "has_more": true}

Scopes are the key's consumer in hub.yaml: its ``entities`` and ``connections``. Every call,
allowed or refused, leaves one ``api_access_log`` row (never the key, never a record).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from synchub.errors import ConfigError
from synchub.feeds.keys import InvalidKeyError, KeyIdentity, key_prefix, verify_key
from synchub.feeds.reader import FEEDS, has_connection, read_page
from synchub.store.delivery_tables import api_access_log

if TYPE_CHECKING:
    from synchub.config.feeds import FeedConsumer
    from synchub.plan import Hub
    from synchub.store import Store

log = logging.getLogger("synchub.feeds")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class _Refused(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers


_UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="synchub feeds"'}


def _presented_key(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    key = request.headers.get("x-api-key", "").strip()
    return key or None


def consumers_of(hub: Hub) -> dict[str, FeedConsumer]:
    """The feed consumers of a hub (none when it has no ``feeds:`` section)."""
    return dict(hub.file.feeds.consumers) if hub.file.feeds else {}


class _Lazy:
    """Calls a factory once, on first use (the plugin builds the app at import time)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory, self._value, self._lock = factory, None, threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            if self._value is None:
                self._value = self._factory()
            return self._value


def feeds_router(open_store: Callable[[], Store], open_hub: Callable[[], Hub]) -> APIRouter:
    """The feed routes; ``open_store`` is called once, ``open_hub`` on every call (cache it)."""
    router = APIRouter()
    store_of = _Lazy(open_store)

    class _Call:
        """One request: authentication, scope, and its access-log row."""

        def __init__(self, request: Request, entity: str | None) -> None:
            self.request, self.entity = request, entity
            self.started = time.perf_counter()
            self.identity: KeyIdentity | None = None
            self.prefix: str | None = None
            self.records: int | None = None
            self.cursor: str | None = None

        def authenticate(self) -> KeyIdentity:
            key = _presented_key(self.request)
            if key is None:
                raise _Refused(401, "API key required (Authorization: Bearer <key> or "
                                    "X-API-Key)", _UNAUTHORIZED)
            self.prefix = key_prefix(key)
            try:
                consumers = consumers_of(open_hub())
            except ConfigError as exc:
                # an edit broke hub.yaml: refuse everyone rather than guess at scopes
                log.error("feed API: hub file invalid: %s", exc)
                raise _Refused(503, "the hub configuration is invalid; see the logs") from None
            try:
                self.identity = verify_key(store_of(), key, consumers)
            except InvalidKeyError as exc:
                raise _Refused(401, exc.reason, _UNAUTHORIZED) from None
            return self.identity

        def finish(self, status: int, body: dict[str, Any],
                   headers: dict[str, str] | None = None) -> JSONResponse:
            client = self.request.client.host if self.request.client else None
            row = {
                "at": datetime.now(UTC), "method": self.request.method,
                "path": self.request.url.path[:1024], "status": status,
                "consumer": self.identity.consumer if self.identity else None,
                "key_prefix": self.prefix, "entity": self.entity, "records": self.records,
                "cursor": self.cursor, "client": client[:64] if client else None,
                "duration_ms": int((time.perf_counter() - self.started) * 1000),
            }
            try:
                with store_of().transaction() as conn:
                    conn.execute(sa.insert(api_access_log).values(**row))
            except sa.exc.SQLAlchemyError as exc:  # a log failure must not hide the answer
                log.error("could not write the feed access log: %s", exc.__class__.__name__)
            return JSONResponse(body, status_code=status, headers=headers)

    def serve(request: Request, entity: str | None, work: Callable[[_Call], dict[str, Any]]
              ) -> JSONResponse:
        call = _Call(request, entity)
        try:
            body = work(call)
        except _Refused as exc:
            return call.finish(exc.status, {"detail": exc.detail}, exc.headers)
        return call.finish(200, body)

    @router.get("/api/v1/feeds")
    def list_feeds(request: Request) -> JSONResponse:
        def work(call: _Call) -> dict[str, Any]:
            ident = call.authenticate()
            entities = [e for e in ident.config.entities if e in FEEDS]
            return {"consumer": ident.consumer, "connections": ident.config.connections,
                    "feeds": [{"entity": e, "path": f"api/v1/feeds/{e}"} for e in entities]}
        return serve(request, None, work)

    @router.get("/api/v1/feeds/{entity}")
    def read_feed(request: Request, entity: str) -> JSONResponse:
        def work(call: _Call) -> dict[str, Any]:
            ident = call.authenticate()
            if entity not in FEEDS:
                call.entity = None  # not a feed: keep arbitrary path text out of the column
                raise _Refused(404, f"unknown feed {entity[:64]!r}; known: "
                                    f"{', '.join(sorted(FEEDS))}")
            if entity not in ident.config.entities:
                raise _Refused(403, f"consumer {ident.consumer!r} may not read {entity!r}")
            params = request.query_params
            since = _cursor(params.get("since"))
            call.cursor = str(since)
            limit = _limit(params.get("limit"))
            allowed = ident.config.connections
            connection = params.get("connection")
            scope: list[str] | None = allowed
            if connection is not None:
                if not has_connection(entity):
                    raise _Refused(400, f"feed {entity!r} is not per connection")
                if allowed is not None and connection not in allowed:
                    raise _Refused(403, f"consumer {ident.consumer!r} may not read "
                                        f"connection {connection[:64]!r}")
                scope = [connection]
            with store_of().engine.connect() as conn:
                page = read_page(conn, entity, since=since, limit=limit, connections=scope)
            call.records = len(page.records)
            return {"entity": entity, "records": page.records,
                    "next_cursor": str(page.next_cursor), "has_more": page.has_more}
        return serve(request, entity, work)

    return router


def _cursor(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isdigit() or len(value) > 19:
        raise _Refused(400, "since must be a next_cursor returned by this API")
    return int(value)


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise _Refused(400, f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(value)


class HubCache:
    """hub.yaml loaded once and again only when the file changes (keys follow edits)."""

    def __init__(self, load: Callable[[], Hub], path: Callable[[], Any]) -> None:
        self._load, self._path = load, path
        self._hub: Hub | None = None
        self._stamp: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Hub:
        import os

        with self._lock:
            try:
                stamp: float | None = os.stat(self._path()).st_mtime
            except OSError:
                stamp = None
            if self._hub is None or stamp != self._stamp:
                self._hub, self._stamp = self._load(), stamp
            return self._hub
