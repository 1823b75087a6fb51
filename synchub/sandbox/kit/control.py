"""Control endpoints under ``/_sandbox`` for scripts and other processes (never faulted).

The generic actions (health, mutate, faults, order, reset, webhooks, stats) work on any
registered system; vendors add their own under ``/_sandbox/<system>/...`` with
:func:`json_body` and :func:`answer`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from synchub.sandbox.kit.registry import StoreRegistry

MUTATE_KEYS = {"orders_created", "orders_updated", "customers_created", "customers_updated",
               "products_updated", "inventory_changed"}
ORDER_KEYS = {"lines", "status"}  # plus every system's order_options
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


def error(message: str, status: int = 400) -> JSONResponse:
    """``{"error": message}`` with a status."""
    return JSONResponse({"error": message}, status_code=status)


def answer(action: Callable[[], Any]) -> JSONResponse:
    """The action's result as JSON; KeyError (unknown record) 404, ValueError or TypeError
    (bad input) 400."""
    try:
        return JSONResponse(action())
    except KeyError as exc:
        return error(str(exc.args[0]), 404)
    except (ValueError, TypeError) as exc:
        return error(str(exc))


def control_router(registry: StoreRegistry) -> APIRouter:
    """Health, mutate, faults, reset, order, webhooks and stats."""
    router = APIRouter(prefix="/_sandbox")
    systems = registry.systems
    options = {o: sorted(s for s, cls in systems.items() if o in cls.order_options)
               for cls in systems.values() for o in cls.order_options}

    @router.get("/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok", "seed": registry.seed,
                             "rate_limits": registry.rate_limits,
                             "stores": [f"{s.system}:{s.name}" for s in registry.stores()]})

    @router.post("/{system}/{store}/{action}")
    async def act(system: str, store: str, action: str, request: Request) -> JSONResponse:
        if system not in systems:
            return error(f"unknown system {system}", 404)
        keys = {"mutate": MUTATE_KEYS, "faults": FAULT_KEYS, "order": ORDER_KEYS | set(options),
                "reset": {"orders", "customers", "products", "poisoned"},
                "webhooks": WEBHOOK_KEYS}.get(action)
        if keys is None:
            return error(f"unknown action {action}", 404)
        try:
            body = await json_body(request, keys)
            if action == "reset":
                fresh = registry.reset(system, store, **body)
                return JSONResponse({"counts": fresh.counts()})
            target = registry.store(system, store)
            if action == "webhooks":
                if not hasattr(target, "webhooks"):
                    return error(f"{system} stores send no webhooks", 404)
                return JSONResponse(target.webhooks.control(**{k: int(v) for k, v in
                                                                body.items()}))
            if action == "mutate":
                return JSONResponse(target.mutate(**{k: int(v) for k, v in body.items()}))
            if action == "order":
                if not hasattr(target, "place_order"):
                    return error(f"{system} stores do not take orders here", 404)
                status = body.get("status")
                if status is not None and not isinstance(status, str):
                    raise ValueError("status must be a string")
                extra = {k: v for k, v in body.items() if k in options}
                for key in extra:
                    if key not in target.order_options:
                        raise ValueError(f"{key} applies to {', '.join(options[key])} orders")
                return JSONResponse(target.place_order(body.get("lines"), status=status,
                                                       **extra))
            return JSONResponse(target.faults(**body))
        except (ValueError, TypeError) as exc:
            return error(str(exc))

    @router.get("/{system}/{store}/stats")
    async def stats(system: str, store: str) -> JSONResponse:
        if system not in systems:
            return error(f"unknown system {system}", 404)
        return JSONResponse(registry.store(system, store).stats())

    return router
