"""``POST /webhooks/{connection}``: where Shopify and WooCommerce deliver their webhooks.

Mounted in the hub's API, which the Airflow plugin serves under ``/synchub``, so a shop is
pointed at ``https://<airflow>/synchub/webhooks/<connection>``. No bearer token here: the
vendor proves itself with the body's HMAC signature, checked by
:class:`synchub.inbox.WebhookReceiver`. The body is read up to the connection's limit and
never logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from synchub.inbox.receive import OnStored, SecretResolver, WebhookReceiver

log = logging.getLogger("synchub.inbox")
ReceiverFactory = Callable[[], WebhookReceiver]


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes without reading them all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def hub_receiver_factory(resolve: SecretResolver,
                         on_stored: OnStored | None = None) -> ReceiverFactory:
    """A receiver over the hub file (``$SYNCHUB_HUB``), reloaded when a config file changes.

    ``resolve(conn_id)`` reads the signing secrets (the Airflow plugin passes Airflow's
    lookup). One store (connection pool) is kept per store URL for the life of the process.
    """
    lock = threading.Lock()
    cached: dict[str, Any] = {}

    def files(hub: Any) -> list[Path]:
        out = [hub.path]
        for plan in hub.connections.values():
            out.append(hub.root / hub.file.connectors_dir / plan.system / "connector.yaml")
        return out

    def stamp(paths: list[Path]) -> list[float]:
        return [p.stat().st_mtime if p.exists() else -1.0 for p in paths]

    def factory() -> WebhookReceiver:
        from synchub.config.hub import default_hub_path
        from synchub.plan import load_hub
        from synchub.store import Store

        with lock:
            hub = cached.get("hub")
            if hub is None or stamp(cached["files"]) != cached["stamps"] \
                    or Path(default_hub_path()).resolve() != hub.path:
                hub = load_hub(default_hub_path(), load_mappings=False)
                cached.update(hub=hub, files=files(hub), stamps=stamp(files(hub)))
                url = hub.store_url()
                if cached.get("url") != url:
                    if cached.get("store") is not None:
                        cached["store"].dispose()
                    cached.update(url=url, store=Store.from_url(url))
                cached["receiver"] = WebhookReceiver(hub, cached["store"], resolve=resolve,
                                                     on_stored=on_stored)
            receiver: WebhookReceiver = cached["receiver"]
            return receiver

    return factory


def webhooks_router(receiver: ReceiverFactory | None = None, *,
                    on_stored: OnStored | None = None,
                    resolve: SecretResolver | None = None) -> APIRouter:
    """The intake route; ``receiver`` defaults to one over the hub file.

    That default receiver reads the signing secrets through ``resolve`` (conn id ->
    ConnectionInfo), which the caller passes: the Airflow plugin its Airflow lookup.
    """
    if receiver is None:
        if resolve is None:
            raise TypeError("webhooks_router() needs a receiver or the resolve function that "
                            "reads the signing secrets")
        receiver = hub_receiver_factory(resolve, on_stored)
    get_receiver = receiver
    router = APIRouter()

    @router.post("/webhooks/{connection}", include_in_schema=True)
    async def receive(connection: str, request: Request) -> JSONResponse:
        rcv = await run_in_threadpool(get_receiver)
        if rcv.intake(connection) is None:
            return JSONResponse({"status": "refused",
                                 "detail": f"connection {connection!r} takes no webhooks"},
                                status_code=404)
        try:
            body = await _read_body(request, rcv.max_body(connection))
        except _TooLarge:
            return JSONResponse({"status": "refused", "detail": "body too large"},
                                status_code=413)
        # database work off the event loop, so slow storage never blocks other deliveries
        receipt = await run_in_threadpool(rcv.receive, connection, request.headers, body,
                                          dict(request.query_params))
        # a system with its own success answer (it retries until it reads it) gets it
        if receipt.reply is not None:
            return JSONResponse(receipt.reply, status_code=receipt.status)
        answer = {"status": receipt.outcome, "detail": receipt.detail}
        if receipt.status == 200:   # some vendors read their own acknowledgement
            answer = {**rcv.ack_body(connection), **answer}
        return JSONResponse(answer, status_code=receipt.status)

    return router
