"""The change-feed API: ``GET /api/v1/feeds`` and ``GET /api/v1/feeds/{entity}``.

A business system reads with its API key (``Authorization: Bearer <key>`` or
``X-API-Key``) every record it may see that changed after its cursor, oldest change first:

    GET /synchub/api/v1/feeds/order?since=<cursor>&limit=500[&connection=shopify_demo]
    -> {"entity": "order", "records": [...], "next_cursor": "1234", "has_more": true}

Scopes are the key's consumer in hub.yaml: its ``entities`` and ``connections``. Every call,
allowed, refused, invalid (400) or failed (500), leaves one ``api_access_log`` row (never
the key, never a record).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BeforeValidator
from starlette.concurrency import run_in_threadpool

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
MAX_CURSOR = 2**63 - 1  # change_seq is a signed 64-bit integer on both databases

# what each query parameter accepts, as the 400 answer words it
ALLOWED = {
    "since": f"a next_cursor returned by this API: an integer from 0 to {MAX_CURSOR}",
    "limit": f"an integer from 1 to {MAX_LIMIT}",
    "connection": "the name of a connection in the consumer's scope",
}

_UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="synchub feeds"'}


def _absent_is_zero(value: Any) -> Any:
    # ``since=`` (empty) reads from the start, as an absent ``since`` does
    return 0 if value == "" else value


Cursor = Annotated[int, Query(ge=0, le=MAX_CURSOR, description=ALLOWED["since"]),
                   BeforeValidator(_absent_is_zero)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=ALLOWED["limit"])]


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


@dataclass
class _Access:
    """One call: where to check its key, and what its access-log row says (the route's
    dependencies fill that in)."""

    started: float
    store: Callable[[], Store]
    hub: Callable[[], Hub]
    consumer: str | None = None
    prefix: str | None = None
    entity: str | None = None
    records: int | None = None
    cursor: str | None = None


def _access(request: Request) -> _Access:
    found: _Access = request.state.feed_access
    return found


def identify(request: Request) -> KeyIdentity:
    """The verified key of the call (401 without one, 503 when hub.yaml is broken)."""
    access = _access(request)
    key = _presented_key(request)
    if key is None:
        raise HTTPException(401, "API key required (Authorization: Bearer <key> or "
                                 "X-API-Key)", headers=_UNAUTHORIZED)
    access.prefix = key_prefix(key)
    try:
        consumers = consumers_of(access.hub())
    except ConfigError as exc:
        # an edit broke hub.yaml: refuse everyone rather than guess at scopes
        log.error("feed API: hub file invalid: %s", exc)
        raise HTTPException(503, "the hub configuration is invalid; see the logs") from None
    try:
        identity = verify_key(access.store(), key, consumers)
    except InvalidKeyError as exc:
        raise HTTPException(401, exc.reason, headers=_UNAUTHORIZED) from None
    access.consumer = identity.consumer
    return identity


Identity = Annotated[KeyIdentity, Depends(identify)]


def feed_of(request: Request, entity: str, ident: Identity) -> tuple[str, KeyIdentity]:
    """The feed asked for, once the key may read it (404 unknown, 403 out of scope).

    A dependency, so that it answers before the query parameters are validated: a caller
    without a key learns nothing from a 400.
    """
    if entity not in FEEDS:
        raise HTTPException(404, f"unknown feed {entity[:64]!r}; known: "
                                 f"{', '.join(sorted(FEEDS))}")
    _access(request).entity = entity
    if entity not in ident.config.entities:
        raise HTTPException(403, f"consumer {ident.consumer!r} may not read {entity!r}")
    return entity, ident


Feed = Annotated[tuple[str, KeyIdentity], Depends(feed_of)]


def bad_parameters(exc: RequestValidationError) -> str:
    """The 400 message of invalid query parameters: each one's name, what it accepts, and
    (shortened) what was sent."""
    parts: list[str] = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if p not in ("query", "path")]
        name = loc[0] if loc else "request"
        given = error.get("input")
        sent = f", got {str(given)[:40]!r}" if isinstance(given, str | int) else ""
        allowed = ALLOWED.get(name, str(error.get("msg", "invalid")).lower())
        part = f"{name} must be {allowed}{sent}"
        if part not in parts:
            parts.append(part)
    return "; ".join(parts) or "invalid request"


def feeds_router(open_store: Callable[[], Store], open_hub: Callable[[], Hub]) -> APIRouter:
    """The feed routes; ``open_store`` is called once, ``open_hub`` on every call (cache it).

    Every answer of these routes, whatever its status (a refused key, an invalid parameter,
    an unexpected error), writes one ``api_access_log`` row: the routes use
    :class:`_LoggedRoute`, which wraps validation, the handler and its errors.
    """
    store_of = _Lazy(open_store)

    def write_log(request: Request, access: _Access, status: int) -> None:
        client = request.client.host if request.client else None
        row = {
            "at": datetime.now(UTC), "method": request.method[:8],
            "path": request.url.path[:1024], "status": status,
            "consumer": access.consumer, "key_prefix": access.prefix,
            "entity": access.entity, "records": access.records,
            "cursor": access.cursor, "client": client[:64] if client else None,
            "duration_ms": int((time.perf_counter() - access.started) * 1000),
        }
        try:
            with store_of().transaction() as conn:
                conn.execute(sa.insert(api_access_log).values(**row))
        except Exception as exc:  # a log failure must not hide the answer
            log.error("could not write the feed access log: %s", exc.__class__.__name__)

    class _LoggedRoute(APIRoute):
        """A route whose every answer is logged, bad parameters answering 400."""

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def logged(request: Request) -> Response:
                access = _Access(time.perf_counter(), store_of, open_hub)
                request.state.feed_access = access
                response: Response
                try:
                    response = await handler(request)
                except RequestValidationError as exc:
                    response = JSONResponse({"detail": bad_parameters(exc)}, status_code=400)
                except HTTPException as exc:
                    response = JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                            headers=exc.headers)
                except Exception as exc:  # answered 500 and logged, never raised
                    # the class only: a message may carry record values or SQL parameters
                    log.error("feed API: %s answering %s %s", exc.__class__.__name__,
                              request.method, request.url.path)
                    response = JSONResponse(
                        {"detail": "internal error; the hub's logs have the cause"},
                        status_code=500)
                await run_in_threadpool(write_log, request, access, response.status_code)
                return response

            return logged

    router = APIRouter(route_class=_LoggedRoute)

    @router.get("/api/v1/feeds")
    def list_feeds(ident: Identity) -> dict[str, Any]:
        entities = [e for e in ident.config.entities if e in FEEDS]
        return {"consumer": ident.consumer, "connections": ident.config.connections,
                "feeds": [{"entity": e, "path": f"api/v1/feeds/{e}"} for e in entities]}

    @router.get("/api/v1/feeds/{entity}")
    def read_feed(request: Request,
                  feed: Feed,
                  since: Cursor = 0, limit: Limit = DEFAULT_LIMIT,
                  connection: Annotated[str | None, Query(max_length=255)] = None
                  ) -> dict[str, Any]:
        entity, ident = feed
        access = _access(request)
        access.cursor = str(since)
        allowed = ident.config.connections
        scope: list[str] | None = allowed
        if connection is not None:
            if not has_connection(entity):
                raise HTTPException(400, f"feed {entity!r} is not per connection")
            if allowed is not None and connection not in allowed:
                raise HTTPException(403, f"consumer {ident.consumer!r} may not read "
                                         f"connection {connection[:64]!r}")
            scope = [connection]
        with store_of().engine.connect() as conn:
            page = read_page(conn, entity, since=since, limit=limit, connections=scope)
        access.records = len(page.records)
        return {"entity": entity, "records": page.records,
                "next_cursor": str(page.next_cursor), "has_more": page.has_more}

    return router


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
