"""Incremental windows: what to ask for, which records to keep, what cursor to store.

start = stored cursor - lookback (the overlap re-reads records that changed while the last
run was reading); end = window end (Airflow's data interval end) - safety lag (the source
may still be writing the latest seconds). Cursors are compared as aware UTC datetimes and
stored as ISO 8601 with ``Z``. An API that needs a start on the first run too (a path
such as ``/{window.start}..{window.end}``) declares ``initial_lookback``; one that takes
both bounds or neither declares ``paired_bounds``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from synchub.config.connector import IncrementalSpec
from synchub.errors import ConfigError
from synchub.registry import REGISTRY
from synchub.runtime.records import RejectedRecord


def parse_cursor(value: Any, naive_zone: tzinfo | None = None) -> datetime:
    """An ISO 8601 string (offset, ``Z`` or naive in ``naive_zone``) -> aware UTC datetime."""
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {str(value)[:40]!r}") from None
    if dt.tzinfo is None:
        if naive_zone is None:
            raise ValueError(f"time {str(value)[:40]!r} has no offset; declare "
                             "incremental.cursor_timezone")
        dt = dt.replace(tzinfo=naive_zone)
    try:
        return dt.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first UTC day
        raise ValueError(f"time {str(value)[:40]!r} is out of range in UTC") from None


def format_cursor(dt: datetime) -> str:
    """Aware datetime -> ``2025-03-01T10:15:00Z`` (microseconds kept only when present)."""
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Window:
    """One read's incremental window and the running maximum cursor."""

    def __init__(self, spec: IncrementalSpec, *, stream: str, state: dict[str, Any] | None,
                 window_end: datetime | None, full_refresh: bool) -> None:
        self.spec, self.stream = spec, stream
        self.zone = ZoneInfo(spec.cursor_timezone) if spec.cursor_timezone else None
        stored = None if full_refresh or not state else state.get("cursor")
        try:
            self.stored = parse_cursor(stored, UTC) if stored else None
        except ValueError as exc:
            raise ConfigError(f"stream {stream!r}: stored cursor is not a time: {exc}") from None
        self.start = self.stored - spec.lookback if self.stored else None
        if window_end is not None and window_end.tzinfo is None:
            raise ConfigError(f"stream {stream!r}: window_end must be timezone-aware")
        self.end = window_end - spec.safety_lag if window_end is not None else None
        if self.end is None and spec.paired_bounds:
            # the API refuses one bound without the other: a run without an end ends now
            self.end = datetime.now(UTC) - spec.safety_lag
        if self.start is None and spec.initial_lookback is not None:
            # a run without an end (the CLI's) still needs a start: count back from now
            self.start = (self.end or datetime.now(UTC)) - spec.initial_lookback
        if self.start is not None and self.end is not None and self.end < self.start:
            # a re-run of an old interval: read nothing newer than the end, keep the overlap
            self.start = self.end - spec.lookback
        self.max_seen: datetime | None = self.stored
        # paired bounds without a start (a first run): neither is sent, the API lists all
        self.send_bounds = not (spec.paired_bounds and self.start is None)
        # without an end filter in the API, records past the end are dropped here
        self.filter_end = self.end is not None and (spec.end_param is None
                                                    or not self.send_bounds)

    def _render(self, dt: datetime) -> str:
        render: Callable[[datetime], str] = REGISTRY.get(
            "incremental", self.spec.param_format, key=f"streams.{self.stream}.incremental")
        return render(dt)

    def path_values(self) -> dict[str, str]:
        """``window.start`` / ``window.end`` for path placeholders ("" when open)."""
        return {"window.start": "" if self.start is None else self._render(self.start),
                "window.end": "" if self.end is None else self._render(self.end)}

    def params(self) -> dict[str, str]:
        """The start/end params or variables of the first request (templates applied)."""
        out: dict[str, str] = {}
        if not self.send_bounds:
            return out
        pairs = ((self.spec.start_param, self.spec.start_template, self.start,
                  self.spec.start_with),
                 (self.spec.end_param, self.spec.end_template, self.end, self.spec.end_with))
        for name, template, dt, companions in pairs:
            if name is None or dt is None:
                continue
            # a filter's other parts (field, condition) travel only with its value
            out.update({k: str(v) for k, v in companions.items()})
            text = self._render(dt)
            if template:
                text = template.replace("{value}", text)
            # start and end may share one search-string variable: join the clauses
            out[name] = (f"{out[name]}{self.spec.bounds_separator}{text}" if name in out
                         else text)
        return out

    def consume(self, records: list[dict[str, Any]]
                ) -> tuple[list[dict[str, Any]], list[RejectedRecord]]:
        """Track the max cursor of a page; drop records past the end when the API cannot.

        Returns the records to keep and those whose cursor value is not a time the window
        can compare (naive without ``cursor_timezone``, or not a time at all): these are
        set aside and do not move the cursor, so one bad record does not stop the stream.
        """
        field = self.spec.cursor_field
        try:
            if self.filter_end:
                end = self.end
                records = [rec for rec in records if (v := rec.get(field)) is None
                           or parse_cursor(v, self.zone) <= end]  # type: ignore[operator]
            cursors = _cursors(records, field, self.zone)
        except ValueError:
            # the rare page holding a bad value: go through it record by record
            records, cursors, rejected = self._sort_out(records)
        else:
            rejected = []
        if cursors:
            top = max(cursors)
            if self.max_seen is None or top > self.max_seen:
                self.max_seen = top
        return records, rejected

    def _sort_out(self, records: list[dict[str, Any]]
                  ) -> tuple[list[dict[str, Any]], list[datetime], list[RejectedRecord]]:
        field = self.spec.cursor_field
        kept: list[dict[str, Any]] = []
        cursors: list[datetime] = []
        rejected: list[RejectedRecord] = []
        for rec in records:
            v = rec.get(field)
            if v is None:
                kept.append(rec)
                continue
            try:
                at = parse_cursor(v, self.zone)
            except ValueError as exc:
                rejected.append(RejectedRecord(rec, f"cursor field {field!r}: {exc}", field))
                continue
            if self.filter_end and at > self.end:  # type: ignore[operator]
                continue
            kept.append(rec)
            cursors.append(at)
        return kept, cursors, rejected

    def state(self) -> dict[str, Any] | None:
        """The state covering everything consumed so far, or None when nothing was seen."""
        return {"cursor": format_cursor(self.max_seen)} if self.max_seen else None


def _cursors(records: Iterable[dict[str, Any]], field: str, zone: tzinfo | None
             ) -> list[datetime]:
    return [parse_cursor(v, zone) for rec in records if (v := rec.get(field)) is not None]


# how a window bound is written in requests (incremental.param_format), registered by the
# ``core`` entry point (kind ``incremental``) beside format_cursor (``iso_z``)


def iso_ms_z(dt: datetime) -> str:
    """2025-03-01T10:15:00.000Z (UTC, milliseconds always written, finer parts cut)."""
    utc = dt.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def naive(dt: datetime) -> str:
    """2025-03-01T10:15:00 (UTC, no offset)."""
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat()


def date_only(dt: datetime) -> str:
    """2025-03-01 (the UTC day)."""
    return dt.astimezone(UTC).date().isoformat()


def datetime_space(dt: datetime) -> str:
    """2025-03-01 10:15:00 (UTC, whole seconds)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def epoch_s(dt: datetime) -> str:
    """Unix seconds."""
    return str(int(dt.timestamp()))


def epoch_ms(dt: datetime) -> str:
    """Unix milliseconds."""
    return str(int(dt.timestamp() * 1000))
