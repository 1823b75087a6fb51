"""The models of ``connectors/<system>/connector.yaml`` and :func:`load_connector`.

A connector file says how to talk to one system: base URL, auth, HTTP limits, context
values fetched once per sync, and streams (path, params, record selector, paginator,
incremental cursor, parent stream). Everything is validated with ``extra="forbid"`` and
discriminated unions, so a typo is an error naming the file, line and key path.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from synchub.config.loader import (
    ConfigErrors,
    KeyPath,
    format_key_path,
    load_yaml,
    validation_errors,
)
from synchub.errors import ConfigError

NAME = r"^[a-z][a-z0-9_]*$"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")
ParamValue = str | int | float | bool


def parse_duration(value: Any) -> Any:
    """``"10m"``, ``"30s"``, ``"1h"``, ``"2d"``, ``"250ms"`` or a number of seconds -> timedelta."""
    if isinstance(value, timedelta | bool):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if isinstance(value, str) and (m := _DURATION.match(value)):
        return timedelta(seconds=float(m[1]) * _UNITS[m[2]])
    raise ValueError("expected a duration such as 30s, 10m, 1h or 2d")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _check_jmespath(value: str) -> str:
    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        raise ValueError(f"invalid JMESPath expression: {exc}") from None
    return value


JMESPath = Annotated[
    str, BeforeValidator(lambda v: _check_jmespath(v) if isinstance(v, str) else v)
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- auth -------------------------------------------------------------------------------
# ``*_field`` values name a Connection field: login, password, host, schema, port or extra.<key>.

class HeaderTokenAuthSpec(_Model):
    """A token from the Connection sent in a header (Shopify's X-Shopify-Access-Token)."""

    type: Literal["header_token"]
    header: str
    secret_field: str = "password"  # noqa: S105 - a field name
    prefix: str = Field(default="", description="Written before the token, e.g. 'Token '.")


class BasicAuthSpec(_Model):
    """HTTP Basic with the Connection's login and password (Woo consumer key and secret)."""

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
    client_secret_field: str = "password"  # noqa: S105 - a field name  # noqa: S105 - a field name
    refresh_token_field: str = "extra.refresh_token"  # noqa: S105 - a field name
    scope: str | None = None
    expiry_margin_seconds: float = Field(default=60, ge=0)


AuthSpec = Annotated[
    HeaderTokenAuthSpec | BasicAuthSpec | BearerAuthSpec | QueryParamsAuthSpec
    | OAuth2RefreshTokenAuthSpec,
    Field(discriminator="type"),
]

# --- rate limits ------------------------------------------------------------------------
Transport = Literal["rest", "graphql"]


class LeakyBucketSpec(_Model):
    """A request bucket that leaks at a fixed rate, synced from the vendor's usage header."""

    type: Literal["leaky_bucket"]
    capacity: int = Field(gt=0)
    leak_per_second: float = Field(gt=0)
    usage_header: str | None = Field(default=None, description="Header like '12/40'.")
    transports: list[Transport] = ["rest", "graphql"]


class TokenBucketSpec(_Model):
    """At most ``rate_per_second`` requests on average, bursts up to ``burst``."""

    type: Literal["token_bucket"]
    rate_per_second: float = Field(gt=0)
    burst: int = Field(default=1, gt=0)
    transports: list[Transport] = ["rest", "graphql"]


class GraphQLCostSpec(_Model):
    """GraphQL query-cost bucket, fed by ``extensions.cost.throttleStatus``."""

    type: Literal["graphql_cost"]
    maximum_available: float = Field(default=1000, gt=0)
    restore_rate: float = Field(default=50, gt=0)
    default_cost: float = Field(default=50, ge=0, description="Assumed before the first answer.")


RateLimitSpec = Annotated[
    LeakyBucketSpec | TokenBucketSpec | GraphQLCostSpec, Field(discriminator="type")
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

    def rate_limits(self) -> list[LeakyBucketSpec | TokenBucketSpec | GraphQLCostSpec]:
        """The declared limiters as a list."""
        if self.rate_limit is None:
            return []
        return list(self.rate_limit) if isinstance(self.rate_limit, list) else [self.rate_limit]


# --- paginators -------------------------------------------------------------------------

class HeaderLinkPaginatorSpec(_Model):
    """RFC 8288 ``Link`` header; the next page is the URL with ``rel`` (default next)."""

    type: Literal["header_link"]
    rel: str = "next"


class PageNumberPaginatorSpec(_Model):
    """``page=1,2,...``; stops at the total-pages header or on a short or empty page."""

    type: Literal["page_number"]
    page_param: str = "page"
    start_page: int = 1
    total_pages_header: str | None = None


class OffsetPaginatorSpec(_Model):
    """``offset=0,n,2n...``; stops on a short page or at the total found at ``total_path``."""

    type: Literal["offset"]
    offset_param: str = "offset"
    total_path: JMESPath | None = None


class JsonCursorPaginatorSpec(_Model):
    """The next token is found in the body at ``cursor_path`` and sent as ``cursor_param``."""

    type: Literal["json_cursor"]
    cursor_path: JMESPath
    cursor_param: str


class GraphQLCursorPaginatorSpec(_Model):
    """Relay ``pageInfo {hasNextPage endCursor}`` at ``page_info``; sent as ``cursor_variable``."""

    type: Literal["graphql_cursor"]
    page_info: JMESPath
    cursor_variable: str = "after"


class SinglePaginatorSpec(_Model):
    """One request, no paging."""

    type: Literal["single"]


PaginatorSpec = Annotated[
    HeaderLinkPaginatorSpec | PageNumberPaginatorSpec | OffsetPaginatorSpec
    | JsonCursorPaginatorSpec | GraphQLCursorPaginatorSpec | SinglePaginatorSpec,
    Field(discriminator="type"),
]
PAGINATORS_BY_TRANSPORT: dict[str, set[str]] = {
    "rest": {"header_link", "page_number", "offset", "json_cursor", "single"},
    "graphql": {"graphql_cursor", "json_cursor", "single"},
}
_NEEDS_PAGE_SIZE = {"page_number", "offset"}


# --- streams ----------------------------------------------------------------------------

class IncrementalSpec(_Model):
    """Read only what changed since the stored cursor, with overlap and a safety lag."""

    cursor_field: str = Field(description="Top-level record field holding the change time.")
    start_param: str | None = Field(default=None, description="Param (REST) or variable (GraphQL).")
    end_param: str | None = None
    start_template: str | None = Field(default=None, description="e.g. updated_at:>'{value}'")
    end_template: str | None = None
    param_format: Literal["iso_z", "naive"] = "iso_z"
    cursor_timezone: str | None = Field(default=None, description="Zone of naive cursor values.")
    lookback: Duration = timedelta(0)
    safety_lag: Duration = timedelta(0)
    sorted: bool = False

    @field_validator("start_template", "end_template")
    @classmethod
    def _has_value(cls, v: str | None) -> str | None:
        if v is not None and "{value}" not in v:
            raise ValueError("must contain {value}")
        return v

    @field_validator("cursor_timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {v!r}") from None
        return v


class ParentSpec(_Model):
    """A substream: one request series per parent record that passes ``when``."""

    stream: str
    when: JMESPath | None = None
    path_params: dict[str, JMESPath] = Field(min_length=1)


class _StreamBase(_Model):
    path: str
    params: dict[str, ParamValue] = {}
    record_selector: JMESPath
    primary_key: str | list[str] = "id"
    paginator: PaginatorSpec = SinglePaginatorSpec(type="single")
    page_size: int | None = Field(default=None, gt=0)
    page_size_param: str | None = None
    incremental: IncrementalSpec | None = None
    parent: ParentSpec | None = None
    mappings: list[str] = []


class RestStreamSpec(_StreamBase):
    """A stream read with GET requests."""

    transport: Literal["rest"] = "rest"


class GraphQLStreamSpec(_StreamBase):
    """A stream read with POSTed GraphQL queries."""

    transport: Literal["graphql"]
    query: str
    variables: dict[str, Any] = {}


StreamSpec = Annotated[RestStreamSpec | GraphQLStreamSpec, Field(discriminator="transport")]


class StreamDefaults(_Model):
    """Keys every stream inherits unless it sets them itself.

    Its JSON Schema also describes each entry of ``streams`` for editors, since a stream
    may leave any of these keys to ``stream_defaults``.
    """

    transport: Transport | None = None
    path: str | None = None
    params: dict[str, ParamValue] | None = None
    record_selector: JMESPath | None = None
    primary_key: str | list[str] | None = None
    paginator: PaginatorSpec | None = None
    page_size: int | None = Field(default=None, gt=0)
    page_size_param: str | None = None
    incremental: IncrementalSpec | None = None
    mappings: list[str] | None = None
    query: str | None = None
    variables: dict[str, Any] | None = None
    parent: ParentSpec | None = Field(default=None, description="Only in a stream.")


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

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The schema for editors: a stream's required keys may come from stream_defaults."""
        schema = super().model_json_schema(*args, **kwargs)
        streams = schema.get("properties", {}).get("streams")
        if isinstance(streams, dict) and "StreamDefaults" in schema.get("$defs", {}):
            streams["additionalProperties"] = {"$ref": "#/$defs/StreamDefaults"}
        return schema

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
                inherited = {k: v for k, v in defaults.items() if v is not None and k != "parent"}
                stream = {**inherited, **stream}
                stream.setdefault("transport", "rest")
                # keys that only make sense for the other transport are not inherited
                if stream["transport"] == "rest" and "query" not in streams[name]:
                    stream.pop("query", None)
                    stream.pop("variables", None)
            merged[name] = stream
        return {**data, "streams": merged}


# --- loading and cross-checks -------------------------------------------------------------

def load_connector(path: Path) -> ConnectorSpec:
    """Load, validate and cross-check a connector file; ConfigErrors names every problem."""
    doc = load_yaml(path)
    try:
        spec = ConnectorSpec.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigErrors(validation_errors(cast(ValidationError, _TagFree(exc, doc.data)),
                                             doc, str(doc.path))) from None
    problems = [ConfigError(msg, file=str(doc.path), key=format_key_path(keys),
                            line=doc.line_of(keys))
                for keys, msg in cross_check(spec)]
    if problems:
        raise ConfigErrors(problems)
    return spec


class _TagFree:
    """A ValidationError view without the discriminator tags pydantic puts in ``loc``."""

    def __init__(self, exc: ValidationError, data: Any) -> None:
        self._exc, self._data = exc, data

    def errors(self, include_url: bool = False) -> list[dict[str, Any]]:
        out = []
        for err in self._exc.errors(include_url=include_url):
            out.append({**err, "loc": _strip_tags(err["loc"], self._data)})
        return out


def _strip_tags(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    kept: list[Any] = []
    node = data
    for k in loc:
        if isinstance(node, dict) and k not in node and k in (node.get("type"),
                                                             node.get("transport", "rest")):
            continue  # a union tag, not a key of the file
        kept.append(k)
        node = node.get(k) if isinstance(node, dict) else (
            node[k] if isinstance(node, list) and isinstance(k, int) and k < len(node) else None)
    return tuple(kept)


def placeholders(text: str) -> list[str]:
    """Names in ``{name}`` placeholders of a path or parameter value."""
    return _PLACEHOLDER.findall(text)


def _context_refs(values: dict[str, Any]) -> list[tuple[str, str]]:
    refs = []
    for key, value in values.items():
        if isinstance(value, str):
            refs += [(key, n.split(".", 1)[1]) for n in placeholders(value)
                     if n.startswith("context.")]
    return refs


def cross_check(spec: ConnectorSpec) -> list[tuple[KeyPath, str]]:
    """Problems the models alone cannot see, each with the key path it concerns."""
    out: list[tuple[KeyPath, str]] = []
    if spec.stream_defaults is not None and spec.stream_defaults.parent is not None:
        out.append((("stream_defaults", "parent"), "parent belongs in a stream, not in defaults"))
    for name, ctx in spec.context.items():
        if ctx.transport == "graphql" and "{" not in ctx.query:
            out.append((("context", name, "query"), "a GraphQL query must have a selection"))
    for name, s in spec.streams.items():
        where: KeyPath = ("streams", name)
        ptype = s.paginator.type
        if ptype not in PAGINATORS_BY_TRANSPORT[s.transport]:
            out.append(((*where, "paginator", "type"),
                        f"paginator {ptype!r} does not fit transport {s.transport!r}; use one of "
                        f"{sorted(PAGINATORS_BY_TRANSPORT[s.transport])}"))
        if ptype in _NEEDS_PAGE_SIZE and not (s.page_size and s.page_size_param):
            out.append(((*where, "page_size"),
                        f"paginator {ptype!r} needs page_size and page_size_param"))
        if s.page_size is not None and s.page_size_param is None:
            out.append(((*where, "page_size_param"), "page_size is set but page_size_param is not"))
        values = s.params if s.transport == "rest" else s.variables
        for key, ref in _context_refs(values):
            if ref not in spec.context:
                out.append(((*where, "params" if s.transport == "rest" else "variables", key),
                            f"unknown context {ref!r}; declared: {sorted(spec.context) or 'none'}"))
        if s.transport == "graphql":
            out += _check_graphql_variables(where, s)
        out += _check_incremental(where, s)
        out += _check_parent(where, name, s, spec)
    return out


def _check_graphql_variables(where: KeyPath, s: GraphQLStreamSpec) -> list[tuple[KeyPath, str]]:
    wanted = {s.page_size_param, *(s.variables or {})}
    if s.paginator.type == "graphql_cursor":
        wanted.add(s.paginator.cursor_variable)
    if s.incremental:
        wanted |= {s.incremental.start_param, s.incremental.end_param}
    return [((*where, "query"), f"the query does not declare variable ${v}")
            for v in sorted(v for v in wanted if v) if f"${v}" not in s.query]


def _check_incremental(where: KeyPath, s: RestStreamSpec | GraphQLStreamSpec
                       ) -> list[tuple[KeyPath, str]]:
    inc = s.incremental
    if inc is None:
        return []
    out: list[tuple[KeyPath, str]] = []
    at = (*where, "incremental")
    if s.parent is not None:
        out.append((at, "a substream follows its parent's cursor; remove incremental"))
    if inc.start_param is None:
        out.append(((*at, "start_param"), "an incremental stream needs start_param"))
    if inc.end_param is not None and inc.end_param == inc.start_param and not (
            inc.start_template and inc.end_template):
        out.append(((*at, "end_param"), "start and end share one param only with both templates"))
    if inc.end_template and not inc.end_param:
        out.append(((*at, "end_template"), "end_template needs end_param"))
    if inc.start_template and not inc.start_param:
        out.append(((*at, "start_template"), "start_template needs start_param"))
    if s.transport == "rest":
        for p in (inc.start_param, inc.end_param):
            if p and p in s.params:
                out.append(((*where, "params", p), f"{p!r} is set by incremental; remove it here"))
    return out


def _check_parent(where: KeyPath, name: str, s: RestStreamSpec | GraphQLStreamSpec,
                  spec: ConnectorSpec) -> list[tuple[KeyPath, str]]:
    needed = {n for n in placeholders(s.path) if not n.startswith("context.")}
    if s.parent is None:
        return [((*where, "path"), f"path placeholder {{{n}}} needs a parent stream")
                for n in sorted(needed)]
    out: list[tuple[KeyPath, str]] = []
    parent = spec.streams.get(s.parent.stream)
    if parent is None or s.parent.stream == name:
        out.append(((*where, "parent", "stream"),
                    f"unknown parent stream {s.parent.stream!r}; streams: {sorted(spec.streams)}"))
    elif parent.parent is not None:
        out.append(((*where, "parent", "stream"), "a parent stream cannot itself be a substream"))
    given = set(s.parent.path_params)
    for n in sorted(needed - given):
        out.append(((*where, "parent", "path_params"), f"missing {n!r} for path {s.path!r}"))
    for n in sorted(given - needed):
        out.append(((*where, "parent", "path_params", n), f"{{{n}}} does not appear in the path"))
    return out
