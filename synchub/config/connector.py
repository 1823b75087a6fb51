"""The models of ``connectors/<system>/connector.yaml`` (loaded by :mod:`.connector_checks`).

A connector file says how to talk to one system: base URL, auth, HTTP limits, context
values fetched once per sync, and streams (path, params, record selector, paginator,
incremental cursor, parent stream). Everything is validated with ``extra="forbid"`` and
discriminated unions, so a typo is an error naming the file, line and key path. The shared
building blocks live in :mod:`synchub.config.connector_parts` and are re-exported here.

:class:`ConnectorSpec` knows the engine's generic auth schemes and transports. A system
that brings its own (a login handshake, a JSON-RPC API) registers their models with the
strategy (:mod:`synchub.registry`); :func:`connector_model` is ConnectorSpec widened by every
registered model, and ``load_connector`` validates with it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field, create_model, field_validator, model_validator

from synchub.config.connector_files import FileIncrementalSpec, FileStreamSpec
from synchub.config.connector_inputs import StoreInputsSpec
from synchub.config.connector_parts import (
    NAME,
    Duration,
    GraphQLCursorPaginatorSpec,
    HeaderLinkPaginatorSpec,
    IncrementalSpec,
    JMESPath,
    JsonCursorPaginatorSpec,
    OffsetPaginatorSpec,
    PageNumberPaginatorSpec,
    PaginatorSpec,
    SinglePaginatorSpec,
    StrictModel,
    parse_duration,
)
from synchub.config.connector_reconcile import ReconcileSpec
from synchub.config.connector_writes import StockPublisherSpec, WriterSpec
from synchub.config.webhooks import WebhookIntakeSpec
from synchub.registry import REGISTRY, Registry

__all__ = [
    "NAME", "PAGINATORS_BY_TRANSPORT", "AuthSpec", "BackoffSpec", "BasicAuthSpec",
    "BearerAuthSpec", "ConnectorSpec", "ContextSpec", "Duration", "FileIncrementalSpec",
    "FileStreamSpec", "GraphQLContextSpec",
    "GraphQLCostSpec", "GraphQLCursorPaginatorSpec", "GraphQLStreamSpec",
    "HeaderLinkPaginatorSpec", "HeaderRateSpec", "HeaderTokenAuthSpec", "HttpSpec",
    "IncrementalSpec", "JMESPath",
    "JsonCursorPaginatorSpec", "LeakyBucketSpec",
    "NoAuthSpec", "OAuth2ClientCredentialsAuthSpec", "OAuth2RefreshTokenAuthSpec",
    "OffsetPaginatorSpec",
    "PageNumberPaginatorSpec", "PaginatorSpec", "ParentSpec", "QueryParamsAuthSpec",
    "RateLimitSpec", "RestContextSpec", "RestStreamSpec", "SinglePaginatorSpec",
    "StockPublisherSpec", "StreamDefaults", "StreamSpec", "TokenBucketSpec", "connector_model",
    "parse_duration",
]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")
ParamValue = str | int | float | bool
_Model = StrictModel


# --- auth -------------------------------------------------------------------------------
# ``*_field`` values name a Connection field: login, password, host, schema, port or extra.<key>.

class HeaderTokenAuthSpec(_Model):
    """A token from the Connection sent in a header (e.g. an X-...-Access-Token)."""

    type: Literal["header_token"]
    header: str
    secret_field: str = "password"  # noqa: S105 - a field name
    prefix: str = Field(default="", description="Written before the token, e.g. 'Token '.")


class BasicAuthSpec(_Model):
    """HTTP Basic with the Connection's login and password (e.g. a consumer key and secret)."""

    type: Literal["basic"]
    login_field: str = "login"
    secret_field: str = "password"  # noqa: S105 - a field name


class BearerAuthSpec(_Model):
    """``Authorization: Bearer <token>`` with a token from the Connection."""

    type: Literal["bearer"]
    secret_field: str = "password"  # noqa: S105 - a field name


class QueryParamsAuthSpec(_Model):
    """Credentials as query parameters: param name -> Connection field."""

    type: Literal["query_params"]
    params: dict[str, str] = Field(min_length=1)


class OAuth2RefreshTokenAuthSpec(_Model):
    """OAuth2 refresh-token grant; the access token is cached until it expires."""

    type: Literal["oauth2_refresh_token"]
    token_url: str
    client_id_field: str = "login"
    client_secret_field: str = "password"  # noqa: S105 - a field name
    refresh_token_field: str = "extra.refresh_token"  # noqa: S105 - a field name
    scope: str | None = None
    expiry_margin_seconds: float = Field(default=60, ge=0)


class OAuth2ClientCredentialsAuthSpec(_Model):
    """OAuth2 client-credentials grant: the app's own token, cached until it expires.

    ``client_auth`` says how the app's id and secret reach the token endpoint: ``basic``
    (HTTP Basic, RFC 6749's ``client_secret_basic``) or ``body`` (form fields
    ``client_id``/``client_secret``). ``token_url`` may start with ``{host}``, the
    Connection's base URL, so a test or sandbox host carries its own token endpoint.
    """

    type: Literal["oauth2_client_credentials"]
    token_url: str = Field(description="The token endpoint; '{host}' is the Connection's "
                                       "base URL.")
    client_auth: Literal["basic", "body"] = "body"
    client_id_field: str = "login"
    client_secret_field: str = "password"  # noqa: S105 - a field name
    scope: str | None = None
    default_expires_in: float = Field(
        default=3600, gt=0, description="Lifetime assumed when the answer has no expires_in.")
    expiry_margin_seconds: float = Field(default=60, ge=0)


class NoAuthSpec(_Model):
    """No credentials in requests (file streams: a bucket's keys travel in its options)."""

    type: Literal["none"]


GENERIC_AUTH_SPECS: tuple[type[_Model], ...] = (
    HeaderTokenAuthSpec, BasicAuthSpec, BearerAuthSpec, QueryParamsAuthSpec,
    OAuth2RefreshTokenAuthSpec, OAuth2ClientCredentialsAuthSpec, NoAuthSpec)
AuthSpec = Annotated[
    HeaderTokenAuthSpec | BasicAuthSpec | BearerAuthSpec | QueryParamsAuthSpec
    | OAuth2RefreshTokenAuthSpec | OAuth2ClientCredentialsAuthSpec | NoAuthSpec,
    Field(discriminator="type"),
]

# --- rate limits ------------------------------------------------------------------------


class LeakyBucketSpec(_Model):
    """A request bucket that leaks at a fixed rate, synced from the vendor's usage header."""

    type: Literal["leaky_bucket"]
    capacity: int = Field(gt=0)
    leak_per_second: float = Field(gt=0)
    usage_header: str | None = Field(default=None, description="Header like '12/40'.")
    transports: list[str] | None = Field(
        default=None, description="Transports it limits (default: every one).")


class TokenBucketSpec(_Model):
    """At most ``rate_per_second`` requests on average, bursts up to ``burst``."""

    type: Literal["token_bucket"]
    rate_per_second: float = Field(gt=0)
    burst: int = Field(default=1, gt=0)
    transports: list[str] | None = Field(
        default=None, description="Transports it limits (default: every one).")


class HeaderRateSpec(_Model):
    """A token bucket per operation whose rate the vendor states in a response header.

    The declared ``rate_per_second`` and ``burst`` hold until an answer carries ``header``
    (requests per second); from then on the header's figure paces the bucket. A 429
    empties the bucket, so the retry waits for one token at the stated rate.
    """

    type: Literal["header_rate"]
    header: str = Field(description="Response header with the rate in requests per second.")
    rate_per_second: float = Field(gt=0, description="The documented rate, until a header says.")
    burst: int = Field(default=1, gt=0)
    operation: str | None = Field(
        default=None, description="Name of the operation it limits (for logs and plans).")
    path_pattern: str | None = Field(
        default=None, description="Regex searched in the request path: the requests of the "
                                  "operation (default: every request).")
    transports: list[str] | None = Field(
        default=None, description="Transports it limits (default: every one).")

    @field_validator("path_pattern")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"path_pattern is not a valid regex: {exc}") from None
        return v


class GraphQLCostSpec(_Model):
    """GraphQL query-cost bucket, fed by ``extensions.cost.throttleStatus``."""

    type: Literal["graphql_cost"]
    maximum_available: float = Field(default=1000, gt=0)
    restore_rate: float = Field(default=50, gt=0)
    default_cost: float = Field(default=50, ge=0, description="Assumed before the first answer.")


RateLimitSpec = Annotated[
    LeakyBucketSpec | TokenBucketSpec | HeaderRateSpec | GraphQLCostSpec,
    Field(discriminator="type")
]


class BackoffSpec(_Model):
    """Exponential backoff with jitter between retries."""

    initial_seconds: float = Field(default=0.5, ge=0)
    max_seconds: float = Field(default=60, ge=0)


class HttpSpec(_Model):
    """Timeouts, retries and rate limits of one connection."""

    timeout_seconds: float = Field(default=30, gt=0)
    max_retries: int = Field(default=5, ge=0)
    backoff: BackoffSpec = BackoffSpec()
    rate_limit: RateLimitSpec | list[RateLimitSpec] | None = None
    headers: dict[str, str] = {}
    pool_size: int = Field(default=10, gt=0)

    def rate_limits(self) -> list[LeakyBucketSpec | TokenBucketSpec | HeaderRateSpec
                                  | GraphQLCostSpec]:
        """The declared limiters as a list."""
        if self.rate_limit is None:
            return []
        return list(self.rate_limit) if isinstance(self.rate_limit, list) else [self.rate_limit]


# --- paginators -------------------------------------------------------------------------

PAGINATORS_BY_TRANSPORT: dict[str, set[str]] = {
    "rest": {"header_link", "page_number", "offset", "json_cursor", "single"},
    "graphql": {"graphql_cursor", "json_cursor", "single"},
}
_NEEDS_PAGE_SIZE = {"page_number", "offset"}


# --- streams ----------------------------------------------------------------------------

class ParentSpec(_Model):
    """A substream: one request series per parent record that passes ``when``."""

    stream: str
    when: JMESPath | None = None
    path_params: dict[str, JMESPath] = Field(min_length=1)


class _StreamBase(_Model):
    path: str
    base_url: str | None = Field(
        default=None, description="Another host for this stream, with the same "
                                  "placeholders as the connector's base_url (e.g. "
                                  "'{extra.finances_host}'); default the connector's.")
    params: dict[str, ParamValue] = {}
    record_selector: JMESPath
    primary_key: str | list[str] = "id"
    paginator: PaginatorSpec = SinglePaginatorSpec(type="single")
    page_size: int | None = Field(default=None, gt=0)
    page_size_param: str | None = None
    incremental: IncrementalSpec | None = None
    parent: ParentSpec | None = None
    mappings: list[str] = []
    inputs: StoreInputsSpec | None = Field(
        default=None, description="Feed the stream from the hub's store, one request series "
                                  "per input (e.g. per open tracking number).")


class RestStreamSpec(_StreamBase):
    """A stream read with GET requests, or POSTs with a JSON body (a search by body).

    ``body`` and ``headers`` take the placeholders of ``params``; ``{request_id}`` in a
    header is a new random id for every request (APIs that want one per call), and in a
    ``body`` a ``{for_each_input: <template>}`` becomes one template per input of a batched
    store-fed stream (``inputs.batch_size``).
    """

    transport: Literal["rest"] = "rest"
    http_method: Literal["GET", "POST"] = Field(
        default="GET", description="POST sends ``body`` as JSON, with ``params`` in the query.")
    body: dict[str, Any] | None = Field(
        default=None, description="POST: the JSON body, with placeholders.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Headers of this stream's requests, with "
                                          "placeholders ({request_id}: a new id per request).")

    @model_validator(mode="after")
    def _body_needs_post(self) -> RestStreamSpec:
        if self.body is not None and self.http_method != "POST":
            raise ValueError("body is sent only with http_method: POST")
        return self


class GraphQLStreamSpec(_StreamBase):
    """A stream read with POSTed GraphQL queries."""

    transport: Literal["graphql"]
    query: str
    variables: dict[str, Any] = {}


StreamSpec = Annotated[RestStreamSpec | GraphQLStreamSpec | FileStreamSpec,
                      Field(discriminator="transport")]


class StreamDefaults(_Model):
    """Keys every stream inherits unless it sets them itself.

    Its JSON Schema also describes each entry of ``streams`` for editors, since a stream
    may leave any of these keys to ``stream_defaults``. :func:`connector_model` adds the
    keys of the transports systems register.
    """

    transport: str | None = None
    path: str | None = None
    base_url: str | None = None
    params: dict[str, ParamValue] | None = None
    record_selector: JMESPath | None = None
    primary_key: str | list[str] | None = None
    paginator: PaginatorSpec | None = None
    page_size: int | None = Field(default=None, gt=0)
    page_size_param: str | None = None
    incremental: IncrementalSpec | FileIncrementalSpec | None = None
    mappings: list[str] | None = None
    http_method: Literal["GET", "POST"] | None = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    query: str | None = None
    variables: dict[str, Any] | None = None
    format: Literal["csv", "tsv", "json", "jsonl"] | None = Field(
        default=None, description="file: the files' format.")
    delimiter: str | None = Field(default=None, description="file (csv, tsv): the delimiter.")
    encoding: str | None = Field(default=None, description="file: the text encoding.")
    parent: ParentSpec | None = Field(default=None, description="Only in a stream.")
    inputs: StoreInputsSpec | None = Field(default=None, description="Only in a stream.")


class RestContextSpec(_Model):
    """A value fetched once per sync with a GET."""

    transport: Literal["rest"] = "rest"
    path: str
    params: dict[str, ParamValue] = {}
    select: JMESPath


class GraphQLContextSpec(_Model):
    """A value fetched once per sync with a GraphQL query."""

    transport: Literal["graphql"]
    path: str
    query: str
    variables: dict[str, Any] = {}
    select: JMESPath


ContextSpec = Annotated[RestContextSpec | GraphQLContextSpec, Field(discriminator="transport")]
GENERIC_STREAM_SPECS: dict[str, type[_Model]] = {
    "rest": RestStreamSpec, "graphql": GraphQLStreamSpec, "file": FileStreamSpec}
GENERIC_CONTEXT_SPECS: dict[str, type[_Model]] = {
    "rest": RestContextSpec, "graphql": GraphQLContextSpec}


class ConnectorSpec(_Model):
    """A whole ``connector.yaml``."""

    system: str = Field(pattern=NAME)
    title: str
    base_url: str = Field(default="{host}", description="'{host}' is the Connection's base URL.")
    auth: AuthSpec
    http: HttpSpec = HttpSpec()
    context: dict[str, ContextSpec] = {}
    stream_defaults: StreamDefaults | None = None
    streams: dict[str, StreamSpec] = Field(min_length=1)
    stock_publisher: StockPublisherSpec | None = Field(
        default=None, description="How the hub pushes available quantities to this channel.")
    writers: dict[Annotated[str, Field(pattern=NAME)], WriterSpec] = Field(
        default_factory=dict, description="How the hub writes records to this system, by "
                                          "route name (the names hub.yaml's sinks use).")
    webhooks: WebhookIntakeSpec | None = Field(
        default=None, description="Webhooks this system can push to the hub.")
    reconcile: ReconcileSpec | None = Field(
        default=None, description="Where the daily reconciliation report reads the "
                                  "channel's own figures (streams read live, never stored).")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The schema for editors: a stream's required keys may come from stream_defaults."""
        schema = super().model_json_schema(*args, **kwargs)
        streams = schema.get("properties", {}).get("streams")
        if isinstance(streams, dict) and "StreamDefaults" in schema.get("$defs", {}):
            streams["additionalProperties"] = {"$ref": "#/$defs/StreamDefaults"}
        return schema

    # the keys a stream of each transport may hold; others are not inherited from defaults
    stream_keys: ClassVar[dict[str, frozenset[str]]] = {
        name: frozenset(model.model_fields) for name, model in GENERIC_STREAM_SPECS.items()}

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, data: Any) -> Any:
        """Merge ``stream_defaults`` into each stream (the stream's own keys win)."""
        if not isinstance(data, dict):
            return data
        if isinstance(data.get("context"), dict):  # transport defaults to rest
            data = {**data, "context": {k: {"transport": "rest", **v} if isinstance(v, dict) else v
                                        for k, v in data["context"].items()}}
        defaults = data.get("stream_defaults") or {}
        streams = data.get("streams")
        if not isinstance(defaults, dict) or not isinstance(streams, dict):
            return data
        merged = {}
        for name, stream in streams.items():
            if isinstance(stream, dict):
                inherited = {k: v for k, v in defaults.items()
                             if v is not None and k not in ("parent", "inputs")}
                stream = {**inherited, **stream}
                stream.setdefault("transport", "rest")
                # keys that only make sense for another transport are not inherited
                allowed = cls.stream_keys.get(stream["transport"])
                if allowed is not None:
                    stream = {k: v for k, v in stream.items()
                              if k in allowed or k in streams[name]}
            merged[name] = stream
        return {**data, "streams": merged}


_models: dict[int, tuple[int, type[ConnectorSpec]]] = {}


def connector_model(registry: Registry = REGISTRY) -> type[ConnectorSpec]:
    """ConnectorSpec widened by the auth, stream and context models systems registered."""
    registry.load()
    cached = _models.get(id(registry))
    if cached is not None and cached[0] == registry.generation:
        return cached[1]
    auth = [m for n, m in registry.specs("auth").items()
            if n not in {s.model_fields["type"].default for s in GENERIC_AUTH_SPECS}]
    streams = {**GENERIC_STREAM_SPECS, **registry.specs("transport")}
    contexts = {**GENERIC_CONTEXT_SPECS, **registry.specs("transport", "context_spec")}
    if not auth and streams == GENERIC_STREAM_SPECS and contexts == GENERIC_CONTEXT_SPECS:
        model: type[ConnectorSpec] = ConnectorSpec
    else:
        def union(models: list[Any], tag: str) -> Any:
            return Annotated[Union[tuple(models)], Field(discriminator=tag)]  # noqa: UP007

        base_keys = set(StreamDefaults.model_fields)
        more: dict[str, Any] = {
            k: (Any, Field(default=None, description=f"{n}: see its stream keys."))
                for n, m in streams.items() for k in m.model_fields if k not in base_keys}
        defaults = create_model("StreamDefaults", __base__=StreamDefaults,
                                __module__=__name__, **more)
        fields: dict[str, Any] = {
            "stream_defaults": (defaults | None, None),
            "auth": (union([*GENERIC_AUTH_SPECS, *auth], "type"), ...),
            "streams": (dict[str, union(list(streams.values()), "transport")],  # type: ignore[misc]
                        Field(min_length=1)),
            "context": (dict[str, union(list(contexts.values()), "transport")], {}),  # type: ignore[misc]
        }
        model = create_model("ConnectorSpec", __base__=ConnectorSpec, __module__=__name__,
                             **fields)
        model.stream_keys = {n: frozenset(m.model_fields) for n, m in streams.items()}
    _models[id(registry)] = (registry.generation, model)
    return model
