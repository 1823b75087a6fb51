"""GraphQL Relay connections: ``first``/``after``, ``last``/``before``, ``reverse``;
``edges { cursor node }``, ``nodes`` and ``pageInfo``. Cursors are keyset positions
(:mod:`.paging`), so a row changed between two pages does not shift the later ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from graphql import GraphQLError

from synchub.sandbox.kit.paging import Row, as_row, decode_token, encode_token, window

MAX_PAGE = 250


def _page_args(args: dict[str, Any], max_page: int) -> tuple[int, Row | None, Row | None]:
    """Page size, ``after`` and ``before`` positions; GraphQLError when they are wrong."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError("You must provide one of first or last")
    size = int(first if first is not None else last or 0)
    if size < 0 or size > max_page:
        raise GraphQLError(f"The page size must be between 0 and {max_page} (got {size})")
    try:
        after = as_row(decode_token(args["after"])["k"]) if args.get("after") else None
        before = as_row(decode_token(args["before"])["k"]) if args.get("before") else None
    except (ValueError, KeyError):
        raise GraphQLError("Invalid cursor") from None
    return size, after, before


def _shape(picked: list[tuple[Row, Any]], has_next: bool, has_previous: bool
           ) -> dict[str, Any]:
    edges = [{"cursor": encode_token({"k": list(k)}), "node": node} for k, node in picked]
    return {"edges": edges, "nodes": [e["node"] for e in edges], "pageInfo": {
        "hasNextPage": has_next, "hasPreviousPage": has_previous,
        "startCursor": edges[0]["cursor"] if edges else None,
        "endCursor": edges[-1]["cursor"] if edges else None}}


def connection(items: list[Any], key: Callable[[Any], Any], args: dict[str, Any], *,
               reverse: bool = False, max_page: int = MAX_PAGE) -> dict[str, Any]:
    """A connection over in-memory ``items`` (dicts with ``_id``) sorted by ``key(item)``
    then ``_id``."""
    size, after, before = _page_args(args, max_page)
    by_pos = {}
    rows = []
    for item in items:
        row = (key(item), item["_id"])
        rows.append(row)
        by_pos[row] = item
    rows.sort()
    if args.get("last") is not None and args.get("first") is None:
        win = window(rows, size, descending=reverse, before=before)
    else:
        win = window(rows, size, descending=reverse, after=after)
    return _shape([(r, by_pos[r]) for r in win.rows], win.has_next, win.has_previous)


def lazy_connection(rows: Callable[[Row | None], Iterator[tuple[Row, Any]]],
                    render: Callable[[Any], dict[str, Any]], args: dict[str, Any], *,
                    max_page: int = MAX_PAGE) -> dict[str, Any]:
    """A connection over rows ascending by (key, id), read only as far as a forward page
    needs: ``rows(after)`` yields (position, item) after ``after``. ``reverse``, ``last``
    and ``before`` read the whole list."""
    size, after, before = _page_args(args, max_page)
    first, last = args.get("first"), args.get("last")
    reverse = bool(args.get("reverse"))
    if reverse or before is not None or (last is not None and first is None):
        everything = dict(rows(None))
        shown = list(everything)[::-1] if reverse else list(everything)
        # positions in display order: after the `after` row, before the `before` row
        def beyond(k: Any, c: Any) -> bool:
            return bool(k < c) if reverse else bool(k > c)

        start = next((i for i, k in enumerate(shown) if after is None or beyond(k, after)),
                     len(shown))
        end = next((i for i, k in enumerate(shown) if before is not None
                    and not beyond(before, k)), len(shown))
        if first is not None:
            end = min(end, start + size)
        else:
            start = max(start, end - size)
        picked = [(k, everything[k]) for k in shown[start:end]]
        has_next, has_prev = end < len(shown), start > 0
    else:
        picked = list(islice(rows(after), size + 1))
        has_next, has_prev = len(picked) > size, after is not None
        picked = picked[:size]
    return _shape([(k, render(item)) for k, item in picked], has_next, has_prev)
