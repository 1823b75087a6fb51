"""Odoo as the sandbox serves it: one JSON-RPC endpoint, proxy-style errors for injected
statuses, credentials checked in the call body (no rate limit)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Route
from synchub.sandbox.odoo.controls import odoo_control_router
from synchub.sandbox.odoo.rpc import handle
from synchub.sandbox.odoo.store import OdooStore


class OdooAPI(VendorAPI):
    """Credentials travel in the JSON-RPC body, so the pipeline has nothing to check."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """What a proxy in front of Odoo answers for an injected status."""
        text = {429: "Too Many Requests", 502: "Bad Gateway", 503: "Service Unavailable",
                504: "Gateway Timeout"}.get(status, "Internal Server Error")
        headers = {"Retry-After": "1"} if status in (429, 503) else {}
        return Reply(status, {"message": text, "code": status}, headers)

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Always passes: ``common.login`` and ``execute_kw`` check the body's credentials."""
        return None


SYSTEM = System("odoo", OdooStore, OdooAPI(), (Route("POST", "/odoo/{store}/jsonrpc", handle),),
                controls=odoo_control_router)
