"""Courier control endpoint ``POST /_sandbox/<dhl|aftership>/<store>/track`` (never faulted).

Body ``{"tracking_number": "...", "status": "delivered"}`` moves a parcel on: a stage of
:data:`synchub.sandbox.parcels.STAGES`, or (DHL only) ``not_found`` to make DHL forget it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from synchub.sandbox.control import json_body


def courier_control_router(stores: dict[str, Callable[[str], Any]]) -> APIRouter:
    """``track`` for each courier system in ``stores`` (system -> store getter)."""
    router = APIRouter(prefix="/_sandbox")

    for system, get_store in stores.items():
        def make(get: Callable[[str], Any]) -> Callable[..., Any]:
            async def track(store: str, request: Request) -> JSONResponse:
                try:
                    body = await json_body(request, {"tracking_number", "status"})
                    number, status = body.get("tracking_number"), body.get("status")
                    if not isinstance(number, str) or not isinstance(status, str):
                        raise ValueError("tracking_number and status must be strings")
                    return JSONResponse(get(store).set_status(number, status))
                except KeyError as exc:
                    return JSONResponse({"error": str(exc.args[0])}, status_code=404)
                except (ValueError, TypeError) as exc:
                    return JSONResponse({"error": str(exc)}, status_code=400)
            return track

        router.add_api_route(f"/{system}/{{store}}/track", make(get_store), methods=["POST"])
    return router
