"""Route tables: a vendor's API as a list of (method, path, handler).

A handler is a plain function ``handler(store, call) -> Reply`` that runs under the store's
lock once the pipeline (:func:`.http.serve`: faults, auth, rate limit) let the request
through. :func:`api_router` turns a table into FastAPI routes; the store is the one the
path's ``{store}`` names (or the route's fixed ``store``). Routes match in table order, so a
literal path (``/orders/count.json``) goes before a pattern that would also match it
(``/orders/{id}.json``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from synchub.sandbox.kit.http import Reply, VendorAPI, serve

StoreGetter = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class Call:
    """One API request as a handler sees it: the request and its body, read beforehand."""

    request: Request
    body: bytes

    @property
    def path(self) -> dict[str, Any]:
        """The path parameters (``{"store": "demo", "oid": "50001"}``)."""
        return self.request.path_params

    @property
    def query(self) -> QueryParams:
        """The query parameters."""
        return self.request.query_params


Handler = Callable[[Any, Call], Reply]


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint: methods, full path (with ``{store}`` unless ``store`` is fixed), handler."""

    methods: str | tuple[str, ...]
    path: str
    handler: Handler
    store: str | None = None


def api_router(api: VendorAPI, get_store: StoreGetter, routes: Iterable[Route]) -> APIRouter:
    """FastAPI routes for a route table, each served through the pipeline with ``api``."""
    router = APIRouter()
    for route in routes:
        methods = [route.methods] if isinstance(route.methods, str) else list(route.methods)
        router.add_api_route(route.path, _endpoint(api, get_store, route), methods=methods)
    return router


def _endpoint(api: VendorAPI, get_store: StoreGetter, route: Route
              ) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        store = get_store(route.store or request.path_params["store"])
        call = Call(request, await request.body())
        return await serve(api, store, request, lambda: route.handler(store, call))
    endpoint.__name__ = route.handler.__name__
    return endpoint
