"""The request pipeline every simulated API shares: faults, auth, limits, handler, log.

A vendor implements :class:`VendorAPI` (its error envelope for injected statuses, its
credential check, its rate limit) and answers each request with a :class:`Reply`;
:func:`serve` runs the rest.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from synchub.sandbox.kit.store import BaseStore, RequestLog

JSON = "application/json; charset=utf-8"
INVALID: Any = object()  # what json_value answers for a body that is not JSON, by default


def dumps(payload: Any) -> bytes:
    """Compact, deterministic JSON bytes (non-ASCII escaped: same JSON, faster to encode)."""
    return json.dumps(payload, separators=(",", ":")).encode()


def json_value(raw: bytes, empty: Any = None, invalid: Any = None) -> Any:
    """The JSON value of a request body: ``empty`` for an empty body, ``invalid`` when the
    bytes are not JSON. (Strip the body first to treat whitespace as empty.)"""
    if not raw:
        return empty
    try:
        return json.loads(raw)
    except ValueError:
        return invalid


@dataclass(slots=True)
class Reply:
    """A response before it is sent: status, JSON payload (or ready bytes), headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """The body as bytes."""
        return self.body if isinstance(self.body, bytes) else dumps(self.body)


class VendorAPI(ABC):
    """Vendor hooks the pipeline calls: one subclass per simulated API."""

    @abstractmethod
    def error_reply(self, store: Any, status: int) -> Reply:
        """A vendor-shaped error for an injected status."""

    @abstractmethod
    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """None when the credentials are right, else the vendor's 401."""

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """Rate limiting before the handler: a refusal, and headers for every answer."""
        return None, {}


def relative_path(request: Request, store: BaseStore) -> str:
    """The request path under the store's base URL (``/admin/api/...``, ``/wp-json/...``)."""
    prefix = f"/{store.system}/{store.name}"
    path = request.url.path
    return path[len(prefix):] if path.startswith(prefix) else path


async def serve(
    api: VendorAPI, store: BaseStore, request: Request, handler: Callable[[], Reply]
) -> Response:
    """Run one API request through faults, auth, rate limits and the handler; log it."""
    with store.lock:
        decision = store.fault_plan.decide(request.method)
    if decision.latency:
        await asyncio.sleep(decision.latency)
    if decision.hang:
        await asyncio.sleep(decision.hang)
    truncate = False
    if decision.status is not None:
        reply = api.error_reply(store, decision.status)
    else:
        denied = api.authenticate(store, request)
        extra: dict[str, str] = {}
        if denied is not None:
            reply = denied
        else:
            with store.lock:
                refusal, extra = api.admit(store, request)
                reply = refusal or handler()
            truncate = decision.truncate and reply.status == 200
            if decision.lose_reply:
                # committed above; the caller never learns it
                reply = Reply(504, {"error": "gateway timeout (sandbox: reply lost after "
                                             "the write was applied)"})
        reply.headers.update(extra)
    body = reply.to_bytes()
    if truncate:
        body = body[: len(body) // 2]  # status 200 with a body that is not valid JSON
    store.log(RequestLog(request.method, relative_path(request, store),
                         dict(request.query_params), reply.status))
    return Response(content=body, status_code=reply.status, headers=reply.headers, media_type=JSON)
