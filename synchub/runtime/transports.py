"""The engine's request transports: ``rest`` (GET, or POST with a JSON body) and ``graphql``
(POSTed queries)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import requests

from synchub.runtime.incremental import Window
from synchub.runtime.paginators import Request
from synchub.runtime.transport import (
    PLACEHOLDER,
    RequestTransport,
    Sender,
    fill_path,
    param_values,
)

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient


def _page_extras(spec: Any, window: Window | None) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if spec.page_size is not None and spec.page_size_param:
        extra[spec.page_size_param] = spec.page_size
    if window is not None:
        extra.update(window.params())
    return extra


class RestTransport(RequestTransport):
    """GET requests, or POSTs with a JSON body; params, body and headers may hold
    ``{context.x}``, ``{conn.extra.x}`` and (store-fed streams) ``{input.x}``."""

    name = "rest"

    def first_request(self, client: ConnectorClient, spec: Any, window: Window | None,
                      values: dict[str, Any]) -> Request:
        """The first page's URL, query, body and headers."""
        path = fill_path(client, spec.path, window, values)
        params = param_values(client.resolve(spec.params))
        if values:  # a store-fed stream's {input.x} may sit in a query value too
            params = {k: _fill(v, values) for k, v in params.items()}
        body = getattr(spec, "body", None)
        headers = getattr(spec, "headers", None) or {}
        return Request(client.url_base(spec.base_url) + path,
                       params={**params, **_page_extras(spec, window)},
                       body=fill_body(client, body, values) if body is not None else None,
                       headers={k: _fill(v, values) for k, v in
                                client.resolve(headers).items()})

    def sender(self, client: ConnectorClient, spec: Any, window: Window | None) -> Sender:
        """GET (or POST) the request's URL with its params, body and headers."""
        method = getattr(spec, "http_method", "GET")

        def send(request: Request) -> tuple[requests.Response, Any]:
            headers = {k: v.replace(REQUEST_ID, uuid.uuid4().hex)
                       for k, v in request.headers.items()} or None
            if method == "GET" and headers is None:
                return client.http.get(request.url, request.params or None)
            return client.http.request("rest", method, request.url,
                                       params=request.params or None, json=request.body,
                                       headers=headers)
        return send

    def context(self, client: ConnectorClient, ctx: Any) -> Any:
        """GET the context path."""
        return client.http.get(client.base_url + ctx.path,
                               param_values(ctx.params) or None)[1]


class GraphQLTransport(RequestTransport):
    """POSTed GraphQL queries; the paginator and the window travel in the variables."""

    name = "graphql"

    def first_request(self, client: ConnectorClient, spec: Any, window: Window | None,
                      values: dict[str, Any]) -> Request:
        """The first page's URL and variables."""
        path = fill_path(client, spec.path, window, values)
        return Request(client.url_base(spec.base_url) + path,
                       variables={**client.resolve(spec.variables),
                                  **_page_extras(spec, window)})

    def sender(self, client: ConnectorClient, spec: Any, window: Window | None) -> Sender:
        """POST the stream's query with the request's variables."""
        return lambda request: client.http.graphql(request.url, spec.query, request.variables)

    def context(self, client: ConnectorClient, ctx: Any) -> Any:
        """POST the context query."""
        return client.http.graphql(client.base_url + ctx.path, ctx.query,
                                   dict(ctx.variables))[1]


REQUEST_ID = "{request_id}"
EACH_INPUT = "for_each_input"


def _fill(value: Any, values: dict[str, Any]) -> Any:
    """``value`` with its ``{input.x}`` placeholders filled (others left as written)."""
    if not isinstance(value, str) or "{" not in value or not values:
        return value
    return PLACEHOLDER.sub(lambda m: str(values[m[1]]) if isinstance(
        values.get(m[1]), str | int | float) else m[0], value)


def fill_body(client: ConnectorClient, template: Any, values: dict[str, Any]) -> Any:
    """A JSON body from its template: placeholders filled in every string, and each
    ``{for_each_input: <template>}`` replaced by the list of that template filled once per
    input of the batch (``values["inputs"]``; a stream of single inputs has a batch of one)."""
    if isinstance(template, dict):
        if set(template) == {EACH_INPUT}:
            batch = values.get("inputs") or [values]
            return [fill_body(client, template[EACH_INPUT], one) for one in batch]
        return {k: fill_body(client, v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill_body(client, v, values) for v in template]
    if isinstance(template, str):
        return _fill(client.resolve({"v": template})["v"], values)
    return template


REST = RestTransport()
GRAPHQL = GraphQLTransport()
