"""Connector models of the ``file`` transport: records read from files in a folder or bucket.

A file stream lists the files matching ``path`` (a glob relative to the location the
Airflow Connection names: a local folder or any fsspec URL such as ``s3://bucket/prefix``)
and reads them as CSV, TSV, JSON or JSON Lines. Each record gains ``_file`` (its file's name
relative to the location) and ``_line`` (the 1-based data row, JSON Lines line or array
position), so a bad row can be traced to its place. The runtime lives in
:mod:`synchub.runtime.files`.
"""

from __future__ import annotations

import codecs
from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from synchub.config.connector_parts import Duration, JMESPath, StrictModel

FileFormat = Literal["csv", "tsv", "json", "jsonl"]
DEFAULT_DELIMITERS = {"csv": ",", "tsv": "\t"}


class FileIncrementalSpec(StrictModel):
    """Read every file once, by modified time.

    The state keeps the newest modified time read and the names read at that time: a file
    replaced with new content (a newer modified time) is read again, an older one never.
    """

    by: Literal["modified_time"] = "modified_time"
    safety_lag: Duration = Field(
        default=timedelta(0), description="Files modified this close to the window end (or "
                                          "now) are left for the next run: they may still be "
                                          "being written.")


class FileStreamSpec(StrictModel):
    """A stream read from files: one record per CSV/TSV row, JSON Lines line or JSON item."""

    transport: Literal["file"]
    path: str = Field(min_length=1, description="Glob relative to the Connection's location, "
                                                "e.g. '*.csv' or 'reports/**/*.jsonl'.")
    format: FileFormat = "csv"
    delimiter: str | None = Field(default=None, description="csv/tsv only; default ',' for "
                                                            "csv and a tab for tsv.")
    encoding: str = Field(default="utf-8-sig", description="Text encoding; the default "
                                                           "also drops a byte-order mark.")
    record_selector: JMESPath | None = Field(
        default=None, description="json only: where the list of records is in the document "
                                  "(default '@', the document itself).")
    primary_key: str | list[str] = "id"
    page_size: int = Field(default=1000, gt=0, description="Records per page (one commit).")
    incremental: FileIncrementalSpec | None = Field(
        default=None, description="Read each file once (by modified time); without it every "
                                  "run reads every matching file.")
    mappings: list[str] = []

    @field_validator("path")
    @classmethod
    def _relative(cls, v: str) -> str:
        parts = v.replace("\\", "/").split("/")
        if v.startswith("/") or "://" in v or ".." in parts:
            raise ValueError("path is a glob relative to the Connection's location; it may "
                             "not be absolute, a URL or climb out with '..'")
        return v

    @field_validator("encoding")
    @classmethod
    def _codec(cls, v: str) -> str:
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown encoding {v!r}") from None
        return v

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str | None) -> str | None:
        if v is not None and len(v) != 1:
            raise ValueError("a delimiter is one character")
        return v

    @model_validator(mode="after")
    def _fits_format(self) -> FileStreamSpec:
        if self.delimiter is not None and self.format not in DEFAULT_DELIMITERS:
            raise ValueError(f"delimiter applies to csv and tsv, not {self.format}")
        if self.record_selector is not None and self.format != "json":
            raise ValueError(f"record_selector applies to json, not {self.format}")
        return self

    @property
    def field_delimiter(self) -> str:
        """The delimiter of a csv/tsv file."""
        return self.delimiter or DEFAULT_DELIMITERS.get(self.format, ",")
