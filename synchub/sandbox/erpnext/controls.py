"""ERPNext-only control endpoint under ``/_sandbox/erpnext/<store>/`` (never faulted).

``ship`` acts as the site's warehouse staff: it makes the submitted Delivery Note of the
submitted sales order whose ``po_no`` is the given reference, with a transporter and its
receipt number (``lr_no``), the way a courier's parcel leaves the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from synchub.sandbox.erpnext.store import ErpNextStore
from synchub.sandbox.kit.control import answer, error, json_body


def erpnext_control_router(get_store: Callable[[str], ErpNextStore]) -> APIRouter:
    """``POST ship`` with ``{"po_no", "carrier", "tracking_number"}``."""
    router = APIRouter(prefix="/_sandbox/erpnext")

    @router.post("/{store}/ship")
    async def ship(store: str, request: Request) -> JSONResponse:
        try:
            body = await json_body(request, {"po_no", "carrier", "tracking_number"})
        except ValueError as exc:
            return error(str(exc))
        if not isinstance(body.get("po_no"), str):
            return error("po_no (the sales order's reference) is required")
        s = get_store(store)
        return answer(lambda: s.ship_origin(body["po_no"], body.get("carrier"),
                                            body.get("tracking_number")))

    return router
