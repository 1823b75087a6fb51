"""Odoo-only control endpoints under ``/_sandbox/odoo/<store>/`` (never faulted, not logged).

``set_stock`` and ``deliver`` act on the warehouse as Odoo users would; ``rpc_faults``
queues Odoo errors (a serialization failure, an AccessError...) for the next ``object``
calls; ``GET sales`` lists the sale orders (with lines), partners and credit notes
the database holds, ``GET journals`` its journal entries with their lines and totals.
The generic ``mutate``/``faults``/``reset``/``stats`` stay with the shared router.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from synchub.sandbox.kit.control import answer, error, json_body
from synchub.sandbox.odoo.accounting import journals_view
from synchub.sandbox.odoo.store import OdooStore


def odoo_control_router(get_store: Callable[[str], OdooStore]) -> APIRouter:
    """``set_stock``, ``deliver``, ``sales``, ``journals`` and ``rpc_faults``."""
    router = APIRouter(prefix="/_sandbox/odoo")

    @router.post("/{store}/set_stock")
    async def set_stock(store: str, request: Request) -> JSONResponse:
        try:
            body = await json_body(request, {"sku", "location", "quantity"})
        except ValueError as exc:
            return error(str(exc))
        qty = body.get("quantity")
        if not isinstance(qty, int | float) or isinstance(qty, bool) or "sku" not in body:
            return error("sku and a numeric quantity are required")
        s = get_store(store)
        return answer(lambda: s.set_stock(str(body["sku"]), qty,
                                          body.get("location", "WH/Stock")))

    @router.post("/{store}/deliver")
    async def deliver(store: str, request: Request) -> JSONResponse:
        try:
            body = await json_body(request, {"origin", "lines", "carrier", "tracking_number"})
        except ValueError as exc:
            return error(str(exc))
        s = get_store(store)
        return answer(lambda: s.deliver(body.get("origin", ""), body.get("lines", []),
                                        body.get("carrier"), body.get("tracking_number")))

    @router.get("/{store}/sales")
    async def sales(store: str) -> JSONResponse:
        # what the hub wrote: sale orders with lines, partners, credit notes (.writes)
        return JSONResponse(get_store(store).sales())

    @router.get("/{store}/journals")
    async def journals(store: str) -> JSONResponse:
        # journal entries with their lines and totals (.accounting)
        s = get_store(store)
        with s.lock:
            return JSONResponse(journals_view(s.records, s.currency))

    @router.post("/{store}/rpc_faults")
    async def rpc_faults(store: str, request: Request) -> JSONResponse:
        try:
            body = await json_body(request, {"fail_next"})
        except ValueError as exc:
            return error(str(exc))
        s = get_store(store)
        return answer(lambda: s.rpc_faults(body.get("fail_next") or []))

    return router
