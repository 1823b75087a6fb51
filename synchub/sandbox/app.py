"""The ASGI application that serves every simulated store and the control endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from synchub.sandbox.aftership import aftership_router
from synchub.sandbox.control import control_router
from synchub.sandbox.courier_control import courier_control_router
from synchub.sandbox.dhl import dhl_router
from synchub.sandbox.fx import frankfurter_router
from synchub.sandbox.hubspot_api import hubspot_router
from synchub.sandbox.odoo_control import odoo_control_router
from synchub.sandbox.odoo_rpc import odoo_router
from synchub.sandbox.sandbox import Sandbox
from synchub.sandbox.settlements import settlements_router
from synchub.sandbox.shopify_payments_api import payments_control_router
from synchub.sandbox.shopify_rest import shopify_router
from synchub.sandbox.woo_rest import woo_router


def create_app(sandbox: Sandbox) -> FastAPI:
    """A FastAPI app over ``sandbox``; stores are created with default volume on first use."""
    app = FastAPI(title="synchub sandbox", docs_url=None, redoc_url=None, openapi_url=None)

    def shop(name: str) -> Any:
        return sandbox.shopify(name)

    def woo(name: str) -> Any:
        return sandbox.woocommerce(name)

    def odoo(name: str) -> Any:
        return sandbox.odoo(name)

    # before the generic controls, whose /{system}/{store}/{action} would answer these too
    app.include_router(odoo_control_router(odoo))
    app.include_router(payments_control_router(shop))
    app.include_router(settlements_router(woo))
    app.include_router(courier_control_router({"dhl": sandbox.dhl,
                                               "aftership": sandbox.aftership}))
    app.include_router(control_router(sandbox))
    app.include_router(shopify_router(shop))
    app.include_router(woo_router(woo))
    app.include_router(odoo_router(odoo))
    app.include_router(dhl_router(sandbox.dhl))
    app.include_router(aftership_router(sandbox.aftership))
    app.include_router(hubspot_router(sandbox.hubspot))
    app.include_router(frankfurter_router(lambda name: sandbox.store("frankfurter", name)))
    return app
