"""Connector models of the ``sql`` transport: records read straight from a database's tables.

Some systems have no usable API, only their database. A ``sql`` stream names a ``table`` or
a ``select`` (one SELECT statement, no parameters of its own) and is read in keyset pages:
ordered by the cursor column (when ``incremental``) and the primary key, each page asking
for the rows after the last one read, so a row inserted or changed while the stream is read
never shifts a page the way OFFSET paging would. The Airflow Connection names the database
(its type picks the SQLAlchemy driver); the runtime lives in :mod:`synchub.runtime.sql`.

Times may be stored as Unix seconds (``unix_seconds``) or as naive DATETIME values
(``datetime``); both are read in ``time_zone``: for Unix seconds, the zone whose UTC offset
the writer subtracted (PHP shops writing ``time() - date('Z')`` store Unix seconds shifted by
their zone; true Unix seconds say ``UTC``), for DATETIME values the zone of the wall clock.
Columns listed in ``unix_time_columns`` reach the mapping as ISO 8601 UTC text; a value that is
not a time there sets the row aside naming its column.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from synchub.config.connector_parts import Duration, StrictModel

# a plain (optionally schema-qualified) identifier: quoted by the dialect when used
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$"
COLUMN = r"^[A-Za-z_][A-Za-z0-9_$]*$"
_CONN_ZONE = re.compile(r"^\{conn\.extra\.[A-Za-z_][A-Za-z0-9_]*\}$")
_SELECT = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


class SqlIncrementalSpec(StrictModel):
    """Read the rows whose cursor column moved since the last run, with an overlap window.

    A table without a modified column can still be read incrementally from the newest of
    its change times (a ``select`` computing it): the ``lookback`` re-reads a window of
    rows each run, and the store's content hash keeps those that did not change from
    counting as changes.
    """

    cursor_column: str = Field(pattern=COLUMN, description="Column ordered and compared on.")
    cursor_type: Literal["unix_seconds", "datetime"] = "unix_seconds"
    lookback: Duration = Field(
        default=timedelta(0), description="Overlap: each run starts this long before the "
                                          "stored cursor (re-read rows are skipped by hash).")
    safety_lag: Duration = Field(
        default=timedelta(0), description="Rows this close to the window end are left for "
                                          "the next run (their transaction may be open).")


class SqlChildSpec(StrictModel):
    """Rows of another table attached to each record as a list (an order's lines)."""

    table: str = Field(pattern=IDENTIFIER)
    key: str = Field(pattern=COLUMN, description="The child table's column holding the "
                                                 "parent's key.")
    parent_key: str = Field(pattern=COLUMN, description="The parent row's column it matches.")
    order_by: str | None = Field(default=None, pattern=COLUMN,
                                 description="Column the children are sorted by.")


class SqlStreamSpec(StrictModel):
    """A stream read from a database table or SELECT in keyset pages."""

    transport: Literal["sql"]
    table: str | None = Field(default=None, pattern=IDENTIFIER)
    select: str | None = Field(default=None, description="One SELECT (or WITH) statement; "
                                                         "the transport pages around it.")
    primary_key: str = Field(pattern=COLUMN, description="Unique column: the keyset's "
                                                         "tie-break and the record id.")
    page_size: int = Field(default=1000, gt=0, le=50_000, description="Rows per page "
                                                                      "(one commit).")
    incremental: SqlIncrementalSpec | None = None
    time_zone: str = Field(
        default="UTC", description="IANA zone of the stored times (see the module), or "
                                   "'{conn.extra.<key>}' to read it from the Connection.")
    unix_time_columns: list[str] = Field(
        default_factory=list, description="Unix-seconds columns handed on as ISO 8601 UTC; "
                                          "0 is no time (null), a value that is not a time "
                                          "sets the row aside naming the column.")
    children: dict[str, SqlChildSpec] = Field(
        default_factory=dict, description="Lists attached to each record, by key name.")
    mappings: list[str] = []

    @field_validator("select")
    @classmethod
    def _one_select(cls, v: str | None) -> str | None:
        if v is None:
            return v
        body = v.strip().rstrip(";").strip()
        if not _SELECT.match(body):
            raise ValueError("select must be a SELECT (or WITH ... SELECT) statement")
        if ";" in body:
            raise ValueError("select must be one statement (no ';' inside)")
        if ":" in re.sub(r"'[^']*'", "", body):
            raise ValueError("select may not hold ':' bind parameters; the transport binds "
                             "the window and the keyset itself")
        return body

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        if _CONN_ZONE.match(v):
            return v
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as "
                             "Asia/Shanghai, or '{conn.extra.<key>}'") from None
        return v

    @field_validator("unix_time_columns")
    @classmethod
    def _columns(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if not re.match(COLUMN, c)]
        if bad:
            raise ValueError(f"not column names: {bad}")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> SqlStreamSpec:
        if (self.table is None) == (self.select is None):
            raise ValueError("a sql stream names exactly one of table and select")
        return self
