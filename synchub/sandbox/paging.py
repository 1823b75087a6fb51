"""Keyset paging over rows sorted ascending by (key, id), shown ascending or descending.

A cursor is the (key, id) of the last (or first) row shown, so rows changed between two
requests move behind the cursor instead of shifting every later page.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

Row = tuple[Any, int]


@dataclass(frozen=True, slots=True)
class Window:
    """One page of rows in display order, and whether there are rows on either side."""

    rows: list[Row]
    has_previous: bool
    has_next: bool


def window(
    rows: list[Row], limit: int, *, descending: bool = False, after: Row | None = None,
    before: Row | None = None,
) -> Window:
    """The ``limit`` rows right after ``after`` (or right before ``before``) in display order."""
    n = len(rows)
    if before is not None:
        end = n - bisect_right(rows, before) if descending else bisect_left(rows, before)
        start = max(0, end - limit)
    else:
        if after is None:
            start = 0
        else:
            start = n - bisect_left(rows, after) if descending else bisect_right(rows, after)
        end = min(n, start + limit)
    page = rows[n - end: n - start][::-1] if descending else rows[start:end]
    return Window(page, has_previous=start > 0, has_next=end < n)


def as_row(value: Any) -> Row:
    """A cursor's (key, id) pair from its JSON form; ValueError when malformed."""
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], int):
        raise ValueError("invalid cursor position")
    key = value[0]
    if not isinstance(key, int | str):
        raise ValueError("invalid cursor position")
    return key, value[1]
