"""Paginators on bare responses: next token, stop conditions, loop detection."""

from __future__ import annotations

from typing import Any

import pytest

from synchub.config.connector import (
    GraphQLCursorPaginatorSpec,
    HeaderLinkPaginatorSpec,
    JsonCursorPaginatorSpec,
    OffsetPaginatorSpec,
    PageNumberPaginatorSpec,
    SinglePaginatorSpec,
)
from synchub.errors import ConfigError, FatalAPIError
from synchub.registry import REGISTRY
from synchub.runtime.paginators import (
    BasePaginator,
    Request,
    create_paginator,
)

from .helpers import response

LINK_NEXT = ('<https://s.example.com/orders.json?limit=2&page_info=p2>; rel="previous", '
             '<https://s.example.com/orders.json?limit=2&page_info=p3>; rel="next"')
LINK_PREV_ONLY = '<https://s.example.com/orders.json?limit=2&page_info=p1>; rel="previous"'

header_link = HeaderLinkPaginatorSpec(type="header_link")
page_number = PageNumberPaginatorSpec(type="page_number", total_pages_header="X-WP-TotalPages")
page_number_no_header = PageNumberPaginatorSpec(type="page_number")
page_total = PageNumberPaginatorSpec(type="page_number", page_param="currentPage",
                                    total_path="total_count")
offset = OffsetPaginatorSpec(type="offset", total_path="meta.total")
json_cursor = JsonCursorPaginatorSpec(type="json_cursor", cursor_path="meta.next",
                                      cursor_param="cursor")
cursor_alone = JsonCursorPaginatorSpec(type="json_cursor", cursor_path="pagination.next",
                                       cursor_param="cursor", cursor_alone=True)
gql = GraphQLCursorPaginatorSpec(type="graphql_cursor", page_info="data.items.pageInfo")
single = SinglePaginatorSpec(type="single")


def gql_body(has_next: bool, cursor: str | None) -> dict[str, Any]:
    return {"data": {"items": {"pageInfo": {"hasNextPage": has_next, "endCursor": cursor}}}}


# spec, page size, headers, body, number of records -> expected token (None = finished)
CASES = [
    ("link: next page", header_link, None, {"Link": LINK_NEXT}, {}, 2,
     "https://s.example.com/orders.json?limit=2&page_info=p3"),
    ("link: only previous", header_link, None, {"Link": LINK_PREV_ONLY}, {}, 2, None),
    ("link: no header", header_link, None, {}, {}, 2, None),
    ("page: more pages", page_number, 2, {"X-WP-TotalPages": "3"}, [], 2, 2),
    ("page: last by header", page_number, 2, {"X-WP-TotalPages": "1"}, [], 2, None),
    ("page: short page", page_number, 2, {"X-WP-TotalPages": "9"}, [], 1, None),
    ("page: empty page", page_number_no_header, 2, {}, [], 0, None),
    ("page: full page, no header", page_number_no_header, 2, {}, [], 2, 2),
    ("page: body total not reached", page_total, 2, {}, {"total_count": 5}, 2, 2),
    ("page: body total reached on a full page", page_total, 2, {}, {"total_count": 2}, 2,
     None),
    ("page: body total as text", page_total, 2, {}, {"total_count": "2"}, 2, None),
    ("page: no total in the body", page_total, 2, {}, {}, 2, 2),
    ("offset: full page", offset, 2, {}, {"meta": {"total": 10}}, 2, 2),
    ("offset: total reached", offset, 2, {}, {"meta": {"total": 2}}, 2, None),
    ("offset: short page", offset, 2, {}, {"meta": {}}, 1, None),
    ("cursor: next", json_cursor, None, {}, {"meta": {"next": "abc"}}, 5, "abc"),
    ("cursor: null", json_cursor, None, {}, {"meta": {"next": None}}, 5, None),
    ("cursor: empty string", json_cursor, None, {}, {"meta": {"next": ""}}, 5, None),
    ("graphql: next", gql, None, {}, gql_body(True, "c2"), 5, "c2"),
    ("graphql: last", gql, None, {}, gql_body(False, "c2"), 5, None),
    ("graphql: no pageInfo", gql, None, {}, {"data": {"items": None}}, 0, None),
    ("single", single, None, {}, {}, 5, None),
]


@pytest.mark.parametrize(("spec", "page_size", "headers", "body", "count", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_next_token_and_finished(spec: Any, page_size: int | None, headers: dict[str, str],
                                 body: Any, count: int, expected: Any) -> None:
    pag = create_paginator(spec, stream="s", page_size=page_size)
    pag.update(response(200, body, headers), body, [{}] * count)
    assert pag.finished is (expected is None)
    if expected is not None:
        assert pag.token == expected


LOOPS = [
    ("link", header_link, {"Link": LINK_NEXT}, {}),
    ("cursor", json_cursor, {}, {"meta": {"next": "same"}}),
    ("graphql", gql, {}, gql_body(True, "same")),
]


@pytest.mark.parametrize(("spec", "headers", "body"), [c[1:] for c in LOOPS],
                         ids=[c[0] for c in LOOPS])
def test_same_token_twice_is_fatal_and_names_the_stream(spec: Any, headers: dict[str, str],
                                                       body: Any) -> None:
    pag = create_paginator(spec, stream="orders")
    pag.update(response(200, body, headers), body, [{}])
    with pytest.raises(FatalAPIError, match=r"'orders'.*same next-page token"):
        pag.update(response(200, body, headers), body, [{}])


def test_graphql_has_next_without_cursor_is_fatal() -> None:
    pag = create_paginator(gql, stream="products")
    body = gql_body(True, None)
    with pytest.raises(FatalAPIError, match="endCursor"):
        pag.update(response(200, body), body, [{}])


@pytest.mark.parametrize(("spec", "token", "expected_params", "expected_vars"), [
    (page_number, 3, {"per_page": 2, "page": 3}, None),
    (offset, 4, {"per_page": 2, "offset": 4}, None),
    (json_cursor, "abc", {"per_page": 2, "cursor": "abc"}, None),
    # an API that refuses filters beside a cursor: the cursor alone
    (cursor_alone, "abc", {"cursor": "abc"}, None),
])
def test_prepare_puts_the_token_into_params(spec: Any, token: Any,
                                            expected_params: dict[str, Any],
                                            expected_vars: Any) -> None:
    pag = create_paginator(spec, stream="s", page_size=2)
    pag.token = token
    req = Request("https://x/items", {"per_page": 2})
    pag.prepare(req)
    assert req.params == expected_params
    assert req.variables == expected_vars


def test_link_prepare_replaces_url_and_drops_filters() -> None:
    pag = create_paginator(header_link, stream="orders")
    pag.update(response(200, {}, {"Link": LINK_NEXT}), {}, [{}])
    req = Request("https://x/orders.json", {"status": "any", "limit": 2})
    pag.prepare(req)
    assert req.url.endswith("page_info=p3")
    assert req.params == {}


def test_graphql_prepare_sets_after_variable() -> None:
    pag = create_paginator(gql, stream="products")
    pag.update(response(200), gql_body(True, "c9"), [{}])
    req = Request("https://x/graphql.json", variables={"first": 5})
    pag.prepare(req)
    assert req.variables == {"first": 5, "after": "c9"}


def test_register_paginator_and_unknown_type() -> None:
    class EveryOther(BasePaginator[int]):
        def next_token(self, response: Any, body: Any, records: list[Any]) -> int | None:
            return None

        def prepare(self, request: Request) -> None:
            return None

    REGISTRY.add("paginator", "every_other", EveryOther)
    try:
        spec = type("S", (), {"type": "every_other"})()
        assert isinstance(create_paginator(spec, stream="s"), EveryOther)
    finally:
        REGISTRY.remove("paginator", "every_other")
    with pytest.raises(ConfigError, match=r"unknown paginator 'every_other'; registered: .*"
                                          r"header_link"):
        create_paginator(spec, stream="s")


def test_body_total_ends_on_the_last_full_page_not_past_it() -> None:
    # 4 records in pages of 2: page 2 is full and the last; a page 3 would be answered
    # with page 2 again by Magento before 2.4
    pag = create_paginator(page_total, stream="orders", page_size=2)
    body = {"total_count": 4}
    pag.update(response(200, body), body, [{"id": 1}, {"id": 2}])
    assert (pag.finished, pag.token) == (False, 2)
    pag.update(response(200, body), body, [{"id": 3}, {"id": 4}])
    assert pag.finished


def test_a_repeated_page_ends_the_stream_and_is_marked() -> None:
    spec = PageNumberPaginatorSpec(type="page_number", stop_on_repeat=True)
    pag = create_paginator(spec, stream="orders", page_size=2)
    page = [{"id": 3}, {"id": 4}]
    pag.update(response(200, []), [], [{"id": 1}, {"id": 2}])
    pag.update(response(200, []), [], page)
    assert (pag.finished, pag.repeated) == (False, False)
    pag.update(response(200, []), [], [dict(r) for r in page])
    assert (pag.finished, pag.repeated) == (True, True)


def test_without_stop_on_repeat_a_repeated_page_goes_on() -> None:
    pag = create_paginator(page_number_no_header, stream="orders", page_size=1)
    pag.update(response(200, []), [], [{"id": 1}])
    pag.update(response(200, []), [], [{"id": 1}])
    assert (pag.finished, pag.repeated, pag.token) == (False, False, 3)
