"""The engine's own generic strategies, registered like any system's (entry point ``core``).

Header-token, basic, bearer, query-parameter, OAuth2 refresh-token, OAuth2
client-credentials and no auth; the link,
page-number, offset, JSON-cursor, GraphQL-cursor and single-page paginators; the formats of
an incremental window's bounds (ISO, ISO with milliseconds, naive, date, epoch seconds and
milliseconds); the ``rest``, ``graphql``, ``file`` and ``sql`` transports; the store-fed
``open_parcels`` source; the generic mapping transforms; the generic writers (``http`` for
plain REST write-backs declared in YAML, ``signed_webhook`` for feed consumers). Targets are
import strings, imported on first use.
"""

from __future__ import annotations

from synchub.registry import Registry

_AUTH = {
    "header_token": "HeaderTokenAuth", "basic": "BasicAuth", "bearer": "BearerAuth",
    "query_params": "QueryParamsAuth", "oauth2_refresh_token": "OAuth2RefreshTokenAuth",
    "oauth2_client_credentials": "OAuth2ClientCredentialsAuth",
    "none": "NoAuth",
}
_FORMATS = {   # incremental.param_format -> the function writing a window bound
    "iso_z": "format_cursor", "iso_ms_z": "iso_ms_z", "naive": "naive", "date": "date_only",
    "datetime_space": "datetime_space", "epoch_s": "epoch_s", "epoch_ms": "epoch_ms",
}
_PAGINATORS = {
    "single": "SinglePaginator", "header_link": "HeaderLinkPaginator",
    "page_number": "PageNumberPaginator", "offset": "OffsetPaginator",
    "json_cursor": "JsonCursorPaginator", "graphql_cursor": "GraphQLCursorPaginator",
}


def register(registry: Registry) -> None:
    """Register the generic strategies."""
    from synchub.mapping.transforms import GENERIC

    for name, cls in _AUTH.items():
        registry.add("auth", name, f"synchub.runtime.auth:{cls}.from_spec")
    for name, fn in _FORMATS.items():
        registry.add("incremental", name, f"synchub.runtime.incremental:{fn}")
    for name, cls in _PAGINATORS.items():
        registry.add("paginator", name, f"synchub.runtime.paginators:{cls}")
    registry.add("transport", "rest", "synchub.runtime.transports:REST")
    registry.add("transport", "graphql", "synchub.runtime.transports:GRAPHQL")
    registry.add("transport", "file", "synchub.runtime.files:FILE")
    registry.add("transport", "sql", "synchub.runtime.sql:SQL",
                 spec="synchub.config.connector_sql:SqlStreamSpec")
    registry.add("source", "open_parcels", "synchub.couriers.inputs:open_parcels_source")
    registry.add("writer", "http", "synchub.delivery.writers.http:HttpWriter")
    registry.add("writer", "signed_webhook",
                 "synchub.delivery.writers.webhook:SignedWebhookWriter")
    GENERIC.register_all(registry)
