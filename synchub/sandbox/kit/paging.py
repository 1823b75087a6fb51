"""Paging styles of REST APIs: opaque cursor tokens, keyset windows, ``Link`` headers, page
numbers and offsets. (GraphQL Relay connections: :mod:`.relay`; backward time windows:
:mod:`.time_windows`.)

Keyset paging works over rows sorted ascending by (key, id), shown ascending or descending.
A cursor is the (key, id) of the last (or first) row shown, so rows changed between two
requests move behind the cursor instead of shifting every later page.
"""

from __future__ import annotations

import base64
import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

Row = tuple[Any, int]
T = TypeVar("T")


# --- cursor tokens -----------------------------------------------------------------------
def encode_token(data: dict[str, Any]) -> str:
    """An opaque, URL-safe cursor token."""
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any]:
    """Inverse of :func:`encode_token`; ValueError when the token is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc
    if not isinstance(data, dict):
        raise ValueError("invalid cursor")
    return data


# --- keyset windows ----------------------------------------------------------------------
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


# --- Link headers, page numbers, offsets ---------------------------------------------------
def link_header(request: Request, links: Iterable[tuple[str, Mapping[str, str]]]) -> str | None:
    """``<url>; rel="next", ...``: the request's URL with each link's query parameters."""
    parts = [f'<{request.url.replace(query=urlencode(params))}>; rel="{rel}"'
             for rel, params in links]
    return ", ".join(parts) if parts else None


def numbered_page(items: Sequence[T], page: int, per_page: int) -> tuple[Sequence[T], int]:
    """Page ``page`` (from 1) of ``items`` and the number of pages."""
    pages = (len(items) + per_page - 1) // per_page
    return items[(page - 1) * per_page: page * per_page], pages


def page_links(request: Request, page: int, pages: int, param: str = "page"
               ) -> str | None:
    """The ``Link`` header of a numbered page: ``prev`` and ``next`` when they exist, each the
    request's query with ``param`` changed."""
    params = dict(request.query_params)
    links = []
    for rel, target in (("prev", page - 1), ("next", page + 1)):
        if 1 <= target <= pages:
            links.append((rel, {**params, param: str(target)}))
    return link_header(request, links)


def offset_page(items: Sequence[T], offset: int, limit: int) -> tuple[Sequence[T], int | None]:
    """``limit`` items from ``offset``, and the offset of the next page (None at the end)."""
    nxt = offset + limit
    return items[offset:nxt], nxt if nxt < len(items) else None
