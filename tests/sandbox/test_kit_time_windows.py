"""Kit: backward time windows (start inclusive, end exclusive, newest first, capped length)."""

from __future__ import annotations

from typing import Any

import pytest

from synchub.sandbox.kit.errors import ApiError
from synchub.sandbox.kit.http import Reply
from synchub.sandbox.kit.time_windows import BackwardTimeWindows

HOUR = 3600
T0 = 1_750_000_000  # 2025-06-15T15:06:40Z
# (time, id) ascending: two rows share a second, one lies on each window edge
ROWS = sorted([(T0 - 10, 1), (T0, 2), (T0 + 60, 3), (T0 + 60, 4), (T0 + 61, 5),
               (T0 + 1800, 6), (T0 + 3599, 7), (T0 + HOUR, 8), (T0 + HOUR + 5, 9)])
WINDOWS = BackwardTimeWindows(max_seconds=HOUR, max_limit=5, default_limit=2)


def vendor_envelope(status: int, code: str, message: str) -> Reply:
    """How a made-up marketplace words its errors."""
    return Reply(status, {"error": {"code": code.upper(), "detail": message}})


def walk(windows: BackwardTimeWindows, query: dict[str, str]) -> list[list[tuple[Any, int]]]:
    """Every page of a window, following the cursors."""
    pages = []
    page = windows.page(ROWS, query)
    pages.append(page.rows)
    while page.cursor is not None:
        page = windows.page(ROWS, {"cursor": page.cursor, "limit": query.get("limit", "")})
        pages.append(page.rows)
    return pages


def test_a_window_longer_than_allowed_is_refused_in_the_vendor_envelope() -> None:
    with pytest.raises(ApiError) as caught:
        WINDOWS.page(ROWS, {"start_time": str(T0), "end_time": str(T0 + HOUR + 1)})
    reply = caught.value.reply(vendor_envelope)
    assert reply.status == 400
    assert reply.body["error"]["code"] == "WINDOW_TOO_LONG"
    assert str(HOUR) in reply.body["error"]["detail"]
    # exactly the maximum is allowed
    assert WINDOWS.page(ROWS, {"start_time": str(T0), "end_time": str(T0 + HOUR)}).rows


def test_pages_run_newest_first_and_the_cursors_walk_the_whole_window() -> None:
    pages = walk(WINDOWS, {"start_time": str(T0), "end_time": str(T0 + HOUR)})
    assert [len(p) for p in pages] == [2, 2, 2]          # default_limit 2, 6 rows
    flat = [row for page in pages for row in page]
    assert flat == sorted(flat, reverse=True)            # newest first, across pages too
    assert [rid for _t, rid in flat] == [7, 6, 5, 4, 3, 2]
    # rows of the same second are ordered by id and none is lost between pages
    assert [rid for _t, rid in walk(WINDOWS, {"start_time": str(T0),
                                              "end_time": str(T0 + 62), "limit": "1"})[1]] == [4]


def test_start_is_inclusive_end_exclusive_so_windows_tile() -> None:
    first = {r for p in walk(WINDOWS, {"start_time": str(T0), "end_time": str(T0 + 60),
                                       "limit": "5"}) for r in p}
    second = {r for p in walk(WINDOWS, {"start_time": str(T0 + 60),
                                        "end_time": str(T0 + 120), "limit": "5"}) for r in p}
    assert (T0, 2) in first                              # on the start edge: in
    assert (T0 + 60, 3) not in first                     # on the end edge: out ...
    assert {(T0 + 60, 3), (T0 + 60, 4), (T0 + 61, 5)} == second   # ... and in the next one
    assert first.isdisjoint(second)
    whole = {r for p in walk(WINDOWS, {"start_time": str(T0), "end_time": str(T0 + 120),
                                       "limit": "5"}) for r in p}
    assert first | second == whole


def test_times_may_be_iso_and_a_cursor_carries_its_window() -> None:
    page = WINDOWS.page(ROWS, {"start_time": "2025-06-15T15:06:40Z",
                               "end_time": "2025-06-15T16:06:40+00:00", "limit": "1"})
    assert page.rows == [(T0 + 3599, 7)] and (page.start, page.end) == (T0, T0 + HOUR)
    assert page.cursor is not None
    # start and end next to a cursor are not read: the cursor's window holds
    later = WINDOWS.page(ROWS, {"cursor": page.cursor, "limit": "1",
                                "start_time": str(T0 - 99), "end_time": str(T0 + 99)})
    assert later.rows == [(T0 + 1800, 6)] and (later.start, later.end) == (T0, T0 + HOUR)


def test_an_empty_window_is_one_empty_page() -> None:
    page = WINDOWS.page(ROWS, {"start_time": str(T0 + 2 * HOUR),
                               "end_time": str(T0 + 3 * HOUR)})
    assert page.rows == [] and page.cursor is None


@pytest.mark.parametrize(("query", "code"), [
    ({"end_time": str(T0)}, "missing_parameter"),
    ({"start_time": str(T0 + 10), "end_time": str(T0 + 10)}, "invalid_window"),
    ({"start_time": str(T0 + 10), "end_time": str(T0)}, "invalid_window"),
    ({"start_time": "yesterday", "end_time": str(T0)}, "invalid_time"),
    ({"start_time": str(T0), "end_time": str(T0 + 1), "limit": "6"}, "invalid_limit"),
    ({"start_time": str(T0), "end_time": str(T0 + 1), "limit": "0"}, "invalid_limit"),
    ({"cursor": "not-a-cursor"}, "invalid_cursor"),
])
def test_refusals(query: dict[str, str], code: str) -> None:
    with pytest.raises(ApiError) as caught:
        WINDOWS.page(ROWS, query)
    assert (caught.value.status, caught.value.code) == (400, code)


def test_parameter_names_are_the_vendors() -> None:
    windows = BackwardTimeWindows(max_seconds=HOUR, start_param="createdAfter",
                                  end_param="createdBefore", limit_param="pageSize",
                                  cursor_param="nextToken")
    page = windows.page(ROWS, {"createdAfter": str(T0), "createdBefore": str(T0 + 61),
                               "pageSize": "2"})
    assert page.rows == [(T0 + 60, 4), (T0 + 60, 3)]
    assert windows.page(ROWS, {"nextToken": page.cursor or ""}).rows == [(T0, 2)]
    with pytest.raises(ApiError, match="createdAfter and createdBefore are required"):
        windows.page(ROWS, {})
