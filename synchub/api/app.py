"""The hub's status API: latest sync runs and dead letters, for data engineers and monitors.

Served by the Airflow plugin under ``/synchub``. Airflow's login does not cover plugin apps,
so every endpoint but ``/health`` checks a bearer token itself: the SHA-256 of the token must
equal ``SYNCHUB_API_TOKEN_SHA256`` (compared in constant time). With no token configured the
API answers 503 rather than serving anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query

from synchub.errors import redact

TOKEN_ENV = "SYNCHUB_API_TOKEN_SHA256"  # noqa: S105 - a variable name, not a secret


def _require_token(authorization: Annotated[str | None, Header()] = None) -> None:
    expected = os.environ.get(TOKEN_ENV, "").strip().lower()
    if not expected:
        raise HTTPException(503, f"API disabled: set {TOKEN_ENV} to the SHA-256 of a token")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "bearer token required", headers={"WWW-Authenticate": "Bearer"})
    given = hashlib.sha256(token.strip().encode()).hexdigest()
    if not hmac.compare_digest(given, expected):
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})


def create_app(store_factory: Callable[[], Any] | None = None,
               hub_factory: Callable[[], Any] | None = None,
               webhook_router: Any = None) -> FastAPI:
    """Build the API; ``store_factory`` opens the hub store (default: from the hub file).

    ``hub_factory`` returns the loaded hub (default: the hub file, reloaded when it changes).
    ``webhook_router`` serves ``POST /webhooks/{connection}`` (default: over the hub file,
    secrets from ``AIRFLOW_CONN_*``; the Airflow plugin passes one wired to Airflow).
    """

    def default_store() -> Any:
        from synchub.config.hub import default_hub_path
        from synchub.plan import load_hub
        from synchub.store import Store

        return Store.from_url(load_hub(default_hub_path(), load_mappings=False).store_url())

    open_store = store_factory or default_store
    app = FastAPI(title="synchub", version="1", docs_url="/docs", openapi_url="/openapi.json")
    auth = [Depends(_require_token)]

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/runs", dependencies=auth)
    def runs(history: Annotated[int | None, Query(ge=1, le=1000)] = None) -> dict[str, Any]:
        """The latest run of every stream; with ``history``, that many recent runs."""
        store = open_store()
        try:
            rows = store.runs(limit=history) if history else store.last_runs()
        finally:
            store.dispose()
        # status is running, success, failed or abandoned; the error passes redaction again
        return {"runs": [_jsonable({**r, "error": redact(r["error"]) if r["error"] else None})
                         for r in rows]}

    @app.get("/api/v1/deadletters", dependencies=auth)
    def deadletters(connection: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        store = open_store()
        try:
            rows = store.dead_letters(connection=connection, limit=limit)
        finally:
            store.dispose()
        # the raw record may hold PII: the listing gives ids and reasons only
        keep = ("id", "connection", "stream", "entity", "record_id", "field", "reason",
                "attempts", "first_seen_at", "last_seen_at")
        return {"dead_letters": [_jsonable({k: r.get(k) for k in keep}) for r in rows]}

    app.include_router(_feeds_router(open_store, hub_factory))
    if webhook_router is None:
        from synchub.api.webhooks import webhooks_router
        from synchub.runtime import ConnectionInfo

        webhook_router = webhooks_router(resolve=ConnectionInfo.from_env)
    app.include_router(webhook_router)
    return app


def _feeds_router(open_store: Callable[[], Any], hub_factory: Callable[[], Any] | None) -> Any:
    from synchub.config.hub import default_hub_path
    from synchub.feeds.api import HubCache, feeds_router
    from synchub.plan import load_hub

    hubs = hub_factory or HubCache(lambda: load_hub(default_hub_path(), load_mappings=False),
                                   default_hub_path)
    return feeds_router(open_store, hubs)


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
