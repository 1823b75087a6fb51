"""The engine's request transports: ``rest`` (GET) and ``graphql`` (POSTed queries)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    """GET requests; params may hold ``{context.x}`` and (store-fed streams) ``{input.x}``."""

    name = "rest"

    def first_request(self, client: ConnectorClient, spec: Any, window: Window | None,
                      values: dict[str, Any]) -> Request:
        """The first page's URL and query."""
        path = fill_path(client, spec.path, window, values)
        params = param_values(client.resolve(spec.params))
        if values:  # a store-fed stream's {input.x} may sit in a query value too
            params = {k: PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), v)
                      if isinstance(v, str) and "{" in v else v for k, v in params.items()}
        return Request(client.url_base(spec.base_url) + path,
                       params={**params, **_page_extras(spec, window)})

    def sender(self, client: ConnectorClient, spec: Any, window: Window | None) -> Sender:
        """GET the request's URL with its params."""
        return lambda request: client.http.get(request.url, request.params or None)

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


REST = RestTransport()
GRAPHQL = GraphQLTransport()
