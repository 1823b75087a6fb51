"""Backward time windows: list what happened between two times, newest first, page by page.

Some APIs (marketplace order and settlement feeds) take no "since" cursor but a window: the
client names ``start`` and ``end`` times no further apart than a maximum (say 15 days) and
walks the window's rows from the newest back to the oldest; a longer period is asked for
window by window. :class:`BackwardTimeWindows` reads such a request and cuts its page:

- The window is **half-open: ``start`` inclusive, ``end`` exclusive** (``start <= t < end``),
  so the windows ``[a, b)`` and ``[b, c)`` tile a period without overlap or gap.
- ``end - start`` must be positive and at most ``max_seconds`` (a window of exactly
  ``max_seconds`` is allowed).
- Rows come newest first: descending by time, then by id. A page holds ``limit`` rows
  (1..``max_limit``, default ``default_limit``). The page's ``cursor`` names the window and
  the last row shown; the next page holds the rows strictly older than it (in (time, id)
  order) within the same window. The last page has no cursor. With a cursor, the
  request's start and end are not read (the cursor carries its window).
- Times are epoch seconds (digits) or ISO 8601 (``Z``, an offset, or naive UTC).

Every refusal is an :class:`~.errors.ApiError` (HTTP 400) that the vendor words with its
envelope: ``missing_parameter``, ``invalid_time``, ``invalid_window`` (end not after
start), ``window_too_long``, ``invalid_limit``, ``invalid_cursor``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from synchub.sandbox.kit.errors import ApiError
from synchub.sandbox.kit.paging import Row, as_row, decode_token, encode_token
from synchub.sandbox.kit.times import parse_time


def _time_of(row: Row) -> int:
    return int(row[0])


@dataclass(frozen=True, slots=True)
class TimePage:
    """One page of a window: rows newest first, and the cursor of the next (older) page."""

    rows: list[Row]
    cursor: str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class BackwardTimeWindows:
    """The paging rules of one endpoint: window length, page size and parameter names."""

    max_seconds: int
    max_limit: int = 100
    default_limit: int = 50
    start_param: str = "start_time"
    end_param: str = "end_time"
    limit_param: str = "limit"
    cursor_param: str = "cursor"

    def page(self, rows: Sequence[Row], query: Mapping[str, str]) -> TimePage:
        """The page ``query`` asks for, from ``rows`` sorted ascending by (time, id)."""
        limit = self._limit(query)
        token = query.get(self.cursor_param)
        if token:
            start, end, below = self._cursor(token)
        else:
            start, end = self._window(query)
            below = None
        lo = bisect_left(rows, start, key=_time_of)   # first row with time >= start
        hi = bisect_left(rows, end, key=_time_of)     # first row with time >= end
        if below is not None:
            hi = min(hi, bisect_left(rows, below))  # rows strictly before the cursor row
        first = max(lo, hi - limit)
        shown = list(reversed(rows[first:hi]))
        cursor = (encode_token({"w": [start, end], "k": list(shown[-1])})
                  if first > lo and shown else None)
        return TimePage(shown, cursor, start, end)

    def _limit(self, query: Mapping[str, str]) -> int:
        raw = query.get(self.limit_param)
        if raw is None or raw == "":
            return self.default_limit
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_limit:
            raise ApiError(400, "invalid_limit",
                           f"{self.limit_param} must be an integer from 1 to {self.max_limit}")
        return int(raw)

    def _window(self, query: Mapping[str, str]) -> tuple[int, int]:
        raw_start, raw_end = query.get(self.start_param), query.get(self.end_param)
        if not raw_start or not raw_end:
            raise ApiError(400, "missing_parameter",
                           f"{self.start_param} and {self.end_param} are required")
        start = self._time(self.start_param, raw_start)
        end = self._time(self.end_param, raw_end)
        if end <= start:
            raise ApiError(400, "invalid_window",
                           f"{self.end_param} must be after {self.start_param}")
        if end - start > self.max_seconds:
            raise ApiError(400, "window_too_long",
                           f"the window from {self.start_param} to {self.end_param} may be at "
                           f"most {self.max_seconds} seconds long, not {end - start}")
        return start, end

    @staticmethod
    def _time(name: str, raw: str) -> int:
        try:
            return int(raw) if raw.isdigit() else parse_time(raw)
        except ValueError:
            raise ApiError(400, "invalid_time", f"{name} is not a time: {raw!r}") from None

    def _cursor(self, token: str) -> tuple[int, int, Row]:
        try:
            data = decode_token(token)
            start, end = data["w"]
            below = as_row(data["k"])
            if not isinstance(start, int) or not isinstance(end, int):
                raise ValueError("bad window")
        except (ValueError, KeyError, TypeError):
            raise ApiError(400, "invalid_cursor", f"{self.cursor_param} is invalid") from None
        return start, end, below
