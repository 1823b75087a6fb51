"""Control endpoints under ``/_sandbox`` for scripts and other processes (never faulted)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from synchub.sandbox.sandbox import SYSTEMS, Sandbox

MUTATE_KEYS = {"orders_created", "orders_updated", "customers_created", "customers_updated",
               "products_updated", "inventory_changed"}
ORDER_KEYS = {"lines", "status", "gateway"}
WEBHOOK_KEYS = {"drop_next", "duplicate_next"}
FAULT_KEYS = {"rate_429", "rate_5xx", "latency_ms", "timeout_rate", "truncate_rate",
              "fail_next", "hang_seconds", "lost_reply_rate", "lost_reply_next"}


async def json_body(request: Request, allowed: set[str]) -> dict[str, Any]:
    """The request's JSON object, refusing keys outside ``allowed``."""
    raw = await request.body()
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
    return data


def control_router(sandbox: Sandbox) -> APIRouter:
    """Health, mutate, faults, reset, order and stats."""
    router = APIRouter(prefix="/_sandbox")

    def bad(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @router.get("/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok", "seed": sandbox.seed,
                             "rate_limits": sandbox.rate_limits,
                             "stores": [f"{s.system}:{s.name}" for s in sandbox.stores()]})

    @router.post("/{system}/{store}/{action}")
    async def act(system: str, store: str, action: str, request: Request) -> JSONResponse:
        if system not in SYSTEMS:
            return bad(f"unknown system {system}", 404)
        keys = {"mutate": MUTATE_KEYS, "faults": FAULT_KEYS, "order": ORDER_KEYS,
                "reset": {"orders", "customers", "products", "poisoned"},
                "webhooks": WEBHOOK_KEYS}.get(action)
        if keys is None:
            return bad(f"unknown action {action}", 404)
        try:
            body = await json_body(request, keys)
            if action == "reset":
                fresh = sandbox.reset(system, store, **body)
                return JSONResponse({"counts": fresh.counts()})
            target = sandbox.store(system, store)
            if action == "webhooks":
                if not hasattr(target, "webhooks"):
                    return bad(f"{system} stores send no webhooks", 404)
                return JSONResponse(target.webhooks.control(**{k: int(v) for k, v in
                                                                body.items()}))
            if action == "mutate":
                return JSONResponse(target.mutate(**{k: int(v) for k, v in body.items()}))
            if action == "order":
                if not hasattr(target, "place_order"):
                    return bad(f"{system} stores do not take orders here", 404)
                status = body.get("status")
                if status is not None and not isinstance(status, str):
                    raise ValueError("status must be a string")
                # how the order is paid: Shopify only (payment_gateway_names)
                extra = {"gateway": body["gateway"]} if "gateway" in body else {}
                if extra and system != "shopify":
                    raise ValueError("gateway applies to shopify orders")
                return JSONResponse(target.place_order(body.get("lines"), status=status,
                                                       **extra))
            return JSONResponse(target.faults(**body))
        except (ValueError, TypeError) as exc:
            return bad(str(exc))

    @router.get("/{system}/{store}/stats")
    async def stats(system: str, store: str) -> JSONResponse:
        if system not in SYSTEMS:
            return bad(f"unknown system {system}", 404)
        return JSONResponse(sandbox.store(system, store).stats())

    return router
