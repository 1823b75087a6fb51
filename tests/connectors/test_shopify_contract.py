"""Shopify contract: the exact requests each stream makes, page by page, and what it yields."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import responses
from responses import matchers

from synchub.runtime import ConnectionInfo, ConnectorClient

from .conftest import connector, fixture

HOST = "https://demo.myshopify.com"
TOKEN = "shpat_contract_test_token"
AUTH = {"X-Shopify-Access-Token": TOKEN}
API = f"{HOST}/admin/api/2025-07"
GQL = f"{API}/graphql.json"
END = datetime(2025, 3, 2, 0, 0, tzinfo=UTC)
STATE = {"cursor": "2025-03-01T12:00:00Z"}
CALLS = {"X-Shopify-Shop-Api-Call-Limit": "1/40"}


def client() -> ConnectorClient:
    conn = ConnectionInfo(conn_id="shopify_demo", conn_type="shopify", host=HOST, password=TOKEN)
    return ConnectorClient(connector("shopify"), conn, sleep=lambda s: None)


def link(page_info: str, rel: str = "next") -> str:
    return f'<{API}/orders.json?limit=250&page_info={page_info}>; rel="{rel}"'


def summary(pages: list[Any], key: str = "id") -> list[tuple[list[Any], Any, int]]:
    return [([r[key] for r in p.records], p.state, p.number) for p in pages]


def test_orders_two_pages_by_link(mock_http: responses.RequestsMock) -> None:
    first = {"status": "any", "order": "updated_at asc", "limit": "250",
             "updated_at_min": "2025-03-01T11:50:00Z", "updated_at_max": "2025-03-01T23:59:00Z"}
    mock_http.get(f"{API}/orders.json", json=fixture("shopify", "orders_page1"),
                  headers={**CALLS, "Link": link("cDI")},
                  match=[matchers.query_param_matcher(first), matchers.header_matcher(AUTH)])
    # the follow-up carries only limit and page_info, as Shopify requires
    mock_http.get(f"{API}/orders.json", json=fixture("shopify", "orders_page2"),
                  headers={**CALLS, "Link": link("cDE", "previous")},
                  match=[matchers.query_param_matcher({"limit": "250", "page_info": "cDI"}),
                         matchers.header_matcher(AUTH)])
    pages = list(client().read("orders", state=STATE, window_end=END))
    assert summary(pages) == [
        ([9007199254740993, 9007199254740994], {"cursor": "2025-03-01T14:30:00Z"}, 1),
        ([1003], {"cursor": "2025-03-01T16:45:00Z"}, 2),
    ]
    assert pages[0].records[0]["line_items"][0]["sku"] == "TEE-RED-M"  # raw, untouched


def test_customers_first_run_without_start(mock_http: responses.RequestsMock) -> None:
    mock_http.get(f"{API}/customers.json", json=fixture("shopify", "customers_page1"),
                  headers={"Link": f'<{API}/customers.json?limit=250&page_info=Y3Uy>; rel="next"'},
                  match=[matchers.query_param_matcher({"order": "updated_at asc", "limit": "250",
                                                       "updated_at_max": "2025-03-01T23:59:00Z"}),
                         matchers.header_matcher(AUTH)])
    mock_http.get(f"{API}/customers.json", json=fixture("shopify", "customers_page2"),
                  match=[matchers.query_param_matcher({"limit": "250", "page_info": "Y3Uy"}),
                         matchers.header_matcher(AUTH)])
    pages = list(client().read("customers", state=None, window_end=END))
    assert summary(pages) == [([6201], {"cursor": "2025-03-01T12:05:00Z"}, 1),
                              ([6202], {"cursor": "2025-03-01T14:00:00Z"}, 2)]


def gql_match(query_name: str, variables: dict[str, Any]) -> Any:
    def match(request: Any) -> tuple[bool, str]:
        body = json.loads(request.body)
        ok = query_name in body["query"] and body["variables"] == variables
        return ok, "" if ok else f"unexpected GraphQL request {body['variables']}"
    return match


def test_products_graphql_pages_with_search_string(mock_http: responses.RequestsMock) -> None:
    search = "updated_at:>'2025-03-01T11:50:00Z'"
    mock_http.post(GQL, json=fixture("shopify", "products_page1"),
                   match=[gql_match("sortKey: UPDATED_AT", {"first": 3, "query": search}),
                          matchers.header_matcher(AUTH)])
    mock_http.post(GQL, json=fixture("shopify", "products_page2"),
                   match=[gql_match("sortKey: UPDATED_AT", {"first": 3, "query": search,
                                                            "after": "eyJsYXN0X2lkIjo4MDAyfQ=="}),
                          matchers.header_matcher(AUTH)])
    pages = list(client().read("products", state=STATE, window_end=END))
    assert summary(pages) == [
        (["gid://shopify/Product/8001", "gid://shopify/Product/8002"],
         {"cursor": "2025-03-01T13:00:00Z"}, 1),
        (["gid://shopify/Product/8003"], {"cursor": "2025-03-01T14:00:00Z"}, 2),
    ]
    assert len(pages[0].records[0]["variants"]["edges"]) == 2


def test_inventory_unsorted_state_only_on_last_page(mock_http: responses.RequestsMock) -> None:
    search = "updated_at:>'2025-03-01T11:50:00Z'"
    mock_http.post(GQL, json=fixture("shopify", "inventory_page1"),
                   match=[gql_match("inventoryItems(", {"first": 6, "query": search})])
    mock_http.post(GQL, json=fixture("shopify", "inventory_page2"),
                   match=[gql_match("inventoryItems(", {"first": 6, "query": search,
                                                        "after": "aW52LTk3MDE="})])
    pages = list(client().read("inventory_levels", state=STATE, window_end=END))
    # item 9704 changed after the window end (minus safety lag) and waits for the next run
    assert summary(pages) == [
        (["gid://shopify/InventoryItem/9701"], None, 1),
        (["gid://shopify/InventoryItem/9702"], {"cursor": "2025-03-01T16:00:00Z"}, 2),
    ]


def test_shop_currency_context_fetched_once(mock_http: responses.RequestsMock) -> None:
    mock_http.post(GQL, json=fixture("shopify", "shop"),
                   match=[gql_match("shop { currencyCode }", {}), matchers.header_matcher(AUTH)])
    c = client()
    assert c.context() == {"shop_currency": "EUR"}
    assert c.context() == {"shop_currency": "EUR"}
    assert c.stats.requests == 1
