"""Webhook subscription endpoints: Shopify ``/admin/api/<v>/webhooks.json``, WooCommerce
``/wp-json/wc/v3/webhooks``. They go through the same pipeline as every other call (faults,
auth, limits); the deliveries themselves come from :mod:`synchub.sandbox.webhooks_out`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from synchub.sandbox.http_common import Reply, VendorAPI, serve
from synchub.sandbox.webhooks_out import (
    SHOPIFY_TOPICS,
    WOO_EVENTS,
    WOO_RESOURCES,
    shopify_json,
    woo_json,
)


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def shopify_create(store: Any, raw: bytes, version: str) -> Reply:
    """``POST webhooks.json`` with ``{"webhook": {topic, address, format}}``."""
    data = _json_object(raw)
    hook = data.get("webhook") if data else None
    if not isinstance(hook, dict):
        return Reply(400, {"errors": {"webhook": "Required parameter missing or invalid"}})
    topic, address = hook.get("topic"), hook.get("address")
    errors: dict[str, list[str]] = {}
    if topic not in SHOPIFY_TOPICS:
        errors["topic"] = ["Invalid topic specified."]
    if not _is_url(address):
        errors["address"] = ["can't be blank" if not address else "is invalid"]
    if hook.get("format", "json") != "json":
        errors["format"] = ["is not supported in this sandbox (json only)"]
    if not errors and any(s.topic == topic and s.address == address
                          for s in store.webhooks.subscriptions.values()):
        errors["address"] = ["for this topic has already been taken"]
    if errors:
        return Reply(422, {"errors": errors})
    sub = store.webhooks.subscribe(topic, address, api_version=version)
    return Reply(201, {"webhook": shopify_json(sub, store.tz)})


def woo_create(store: Any, raw: bytes, source: str) -> Reply:
    """``POST webhooks`` with ``{name, topic, delivery_url, secret, status}``."""
    data = _json_object(raw)
    if data is None:
        return Reply(400, {"code": "rest_invalid_json", "message": "Invalid JSON body passed.",
                           "data": {"status": 400}})
    topic, url = data.get("topic"), data.get("delivery_url")
    resource, _, event = str(topic or "").partition(".")
    status = data.get("status", "active")
    problem = None
    if resource not in WOO_RESOURCES or event not in WOO_EVENTS:
        problem = ("topic", "Webhook topic is invalid.")
    elif not _is_url(url):
        problem = ("delivery_url", "Webhook delivery URL must be a valid URL.")
    elif status not in ("active", "paused", "disabled"):
        problem = ("status", "status is not one of active, paused, disabled.")
    if problem:
        return Reply(400, {"code": "rest_invalid_param",
                           "message": f"Invalid parameter(s): {problem[0]}",
                           "data": {"status": 400, "params": {problem[0]: problem[1]}}})
    secret = data.get("secret")
    sub = store.webhooks.subscribe(str(topic), str(url), name=str(data.get("name") or ""),
                                   secret=secret if isinstance(secret, str) and secret
                                   else None, status=status, source=source)
    return Reply(201, woo_json(sub, store.tz))


def shopify_webhooks_router(get_store: Any, api: VendorAPI) -> APIRouter:
    """Routes under ``/shopify/{store}/admin/api/{version}/webhooks``."""
    router = APIRouter()
    base = "/shopify/{store}/admin/api/{version}"

    @router.get(base + "/webhooks.json")
    async def listing(store: str, version: str, request: Request) -> Response:
        s = get_store(store)
        return await serve(api, s, request, lambda: Reply(200, {"webhooks": [
            shopify_json(w, s.tz) for w in s.webhooks.subscriptions.values()]}))

    @router.post(base + "/webhooks.json")
    async def create(store: str, version: str, request: Request) -> Response:
        s = get_store(store)
        raw = await request.body()
        return await serve(api, s, request, lambda: shopify_create(s, raw, version))

    @router.delete(base + "/webhooks/{sid}.json")
    async def delete(store: str, version: str, sid: str, request: Request) -> Response:
        s = get_store(store)

        def handler() -> Reply:
            gone = s.webhooks.remove(int(sid)) if sid.isdigit() else None
            return Reply(200, {}) if gone else Reply(404, {"errors": "Not Found"})
        return await serve(api, s, request, handler)

    return router


def woo_webhooks_router(get_store: Any, api: VendorAPI) -> APIRouter:
    """Routes under ``/woocommerce/{store}/wp-json/wc/v3/webhooks``."""
    router = APIRouter()
    base = "/woocommerce/{store}/wp-json/wc/v3"
    not_found = {"code": "woocommerce_rest_webhook_invalid_id", "message": "Invalid ID.",
                 "data": {"status": 404}}

    @router.get(base + "/webhooks")
    async def listing(store: str, request: Request) -> Response:
        s = get_store(store)
        return await serve(api, s, request, lambda: Reply(200, [
            woo_json(w, s.tz) for w in s.webhooks.subscriptions.values()]))

    @router.post(base + "/webhooks")
    async def create(store: str, request: Request) -> Response:
        s = get_store(store)
        raw = await request.body()
        source = f"{str(request.base_url).rstrip('/')}/woocommerce/{store}/"
        return await serve(api, s, request, lambda: woo_create(s, raw, source))

    @router.get(base + "/webhooks/{sid}")
    async def one(store: str, sid: str, request: Request) -> Response:
        s = get_store(store)

        def handler() -> Reply:
            found = s.webhooks.subscriptions.get(int(sid)) if sid.isdigit() else None
            return Reply(200, woo_json(found, s.tz)) if found else Reply(404, not_found)
        return await serve(api, s, request, handler)

    @router.delete(base + "/webhooks/{sid}")
    async def delete(store: str, sid: str, request: Request) -> Response:
        s = get_store(store)
        force = request.query_params.get("force", "").lower() in ("true", "1")

        def handler() -> Reply:
            if not force:
                return Reply(501, {"code": "woocommerce_rest_trash_not_supported",
                                   "message": "Webhooks do not support trashing.",
                                   "data": {"status": 501}})
            found = s.webhooks.subscriptions.get(int(sid)) if sid.isdigit() else None
            if found is None:
                return Reply(404, not_found)
            s.webhooks.remove(found.id)
            return Reply(200, woo_json(found, s.tz))
        return await serve(api, s, request, handler)

    return router
