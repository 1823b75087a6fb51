"""The ASGI application that serves every registered system and the control endpoints."""

from __future__ import annotations

from fastapi import FastAPI

from synchub.sandbox.kit.control import control_router
from synchub.sandbox.kit.registry import StoreRegistry
from synchub.sandbox.kit.routes import api_router


def create_app(registry: StoreRegistry) -> FastAPI:
    """A FastAPI app over ``registry``; stores are created with default volume on first use."""
    app = FastAPI(title="synchub sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    # vendors' controls before the generic ones, whose /{system}/{store}/{action} would
    # answer these too
    for system in registry.simulated:
        if system.controls is not None:
            app.include_router(system.controls(registry.getter(system.store_system)))
    app.include_router(control_router(registry))
    for system in registry.simulated:
        if system.routes:
            if system.api is None:
                raise ValueError(f"system {system.name} has routes but no VendorAPI")
            app.include_router(api_router(system.api, registry.getter(system.store_system),
                                          system.routes))
    return app
