"""Building blocks shared by the connector models: durations, JMESPath, paginators, cursors.

They live apart from :mod:`synchub.config.connector` so that transport-specific modules
(:mod:`synchub.systems.odoo.specs`) can build on them without an import cycle.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

NAME = r"^[a-z][a-z0-9_]*$"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> Any:
    """``"10m"``, ``"30s"``, ``"1h"``, ``"2d"``, ``"250ms"`` or a number of seconds -> timedelta."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 10m, 1h or 2d, not a boolean")
    if isinstance(value, timedelta):
        out = value
    elif isinstance(value, int | float):
        out = timedelta(seconds=value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        out = timedelta(seconds=float(m[1]) * _UNITS[m[2]])
    else:
        raise ValueError("expected a duration such as 30s, 10m, 1h or 2d")
    if out < timedelta(0):
        raise ValueError("a duration cannot be negative")
    return out


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


class StrictModel(BaseModel):
    """Base of every connector model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenCacheSpec(StrictModel):
    """Mixed into an auth scheme that fetches a token: where the token is kept (ADR 0020)."""

    cache: Literal["memory", "store"] = Field(
        default="memory",
        description="memory: shared by the clients of one process; store: kept encrypted in "
                    "the hub's store and shared by every worker (for vendors that limit how "
                    "often a token may be fetched). store needs SYNCHUB_TOKEN_KEY or "
                    "AIRFLOW__CORE__FERNET_KEY.")


# --- paginators -------------------------------------------------------------------------

class HeaderLinkPaginatorSpec(StrictModel):
    """RFC 8288 ``Link`` header; the next page is the URL with ``rel`` (default next)."""

    type: Literal["header_link"]
    rel: str = "next"


class PageNumberPaginatorSpec(StrictModel):
    """``page=1,2,...``; stops at the total-pages header, at the body's record total, on a
    repeated page (when asked) or on a short or empty page."""

    type: Literal["page_number"]
    page_param: str = "page"
    start_page: int = 1
    total_pages_header: str | None = None
    total_path: JMESPath | None = Field(
        default=None, description="Where the body holds the number of records of the whole "
                                  "listing (a total_count): the last page is the one "
                                  "where pages read x page_size reaches it, never a page past "
                                  "the end. Needs page_size.")
    stop_on_repeat: bool = Field(
        default=False, description="A page with exactly the records of the page before is the "
                                   "API answering a page past the end with the last page "
                                   "again: end there, the repeat not stored.")


class OffsetPaginatorSpec(StrictModel):
    """``offset=0,n,2n...``; stops on a short page or at the total found at ``total_path``."""

    type: Literal["offset"]
    offset_param: str = "offset"
    total_path: JMESPath | None = None


class JsonCursorPaginatorSpec(StrictModel):
    """The next token is found in the body at ``cursor_path`` and sent as ``cursor_param``."""

    type: Literal["json_cursor"]
    cursor_path: JMESPath
    cursor_param: str
    cursor_alone: bool = Field(
        default=False, description="Ask for the next page with the cursor alone, every "
                                   "other query param dropped (APIs that refuse filters "
                                   "beside a cursor: the cursor carries them).")


class GraphQLCursorPaginatorSpec(StrictModel):
    """Relay ``pageInfo {hasNextPage endCursor}`` at ``page_info``; sent as ``cursor_variable``."""

    type: Literal["graphql_cursor"]
    page_info: JMESPath
    cursor_variable: str = "after"


class SinglePaginatorSpec(StrictModel):
    """One request, no paging."""

    type: Literal["single"]


PaginatorSpec = Annotated[
    HeaderLinkPaginatorSpec | PageNumberPaginatorSpec | OffsetPaginatorSpec
    | JsonCursorPaginatorSpec | GraphQLCursorPaginatorSpec | SinglePaginatorSpec,
    Field(discriminator="type"),
]


# --- incremental cursors ----------------------------------------------------------------

class IncrementalSpec(StrictModel):
    """Read only what changed since the stored cursor, with overlap and a safety lag."""

    cursor_field: str = Field(description="Top-level record field holding the change time.")
    start_param: str | None = Field(
        default=None, description="Param (REST), variable (GraphQL) or domain field (JSON-RPC).")
    end_param: str | None = None
    start_template: str | None = Field(default=None, description="e.g. updated_at:>'{value}'")
    end_template: str | None = None
    bounds_separator: str = Field(
        default=" AND ", description="Between the start and end clauses when both go in one "
                                     "param, e.g. '' for a range written "
                                     "lastmodifieddate:[{start}..{end}].")
    param_format: str = Field(
        default="iso_z", description="A registered format (kind incremental). iso_z: "
                                    "2025-03-01T10:15:00Z; iso_ms_z: 2025-03-01T10:15:00.000Z; "
                                    "naive: UTC without offset; date: "
                                    "2025-03-01 (UTC day); datetime_space: 2025-03-01 "
                                    "10:15:00 (UTC); epoch_s, epoch_ms: unix time.")
    cursor_timezone: str | None = Field(default=None, description="Zone of naive cursor values.")
    lookback: Duration = timedelta(0)
    safety_lag: Duration = timedelta(0)
    sorted: bool = False
    initial_lookback: Duration | None = Field(
        default=None, description="Without a stored cursor, start this long before the "
                                  "window end (APIs that need a start, e.g. in the path).")
    start_with: dict[str, str | int] = Field(
        default_factory=dict,
        description="REST params sent beside the start, and only when a start is sent (the "
                    "field and condition of a filter written as several params): without "
                    "a start the filter is left out whole.")
    end_with: dict[str, str | int] = Field(
        default_factory=dict,
        description="REST params sent beside the end, and only when an end is sent.")
    paired_bounds: bool = Field(
        default=False, description="The API takes start and end together or not at all: a "
                                   "run without an end ends now (less the safety lag), and "
                                   "a window without a start sends neither bound and drops "
                                   "records past the end itself.")

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
