"""WooCommerce contract: page/per_page requests, Basic auth, substream variations, context."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from responses import matchers

from synchub.errors import FatalAPIError
from synchub.runtime import ConnectionInfo, ConnectorClient

from .conftest import connector, fixture

HOST = "https://shop.example.com"
API = f"{HOST}/wp-json/wc/v3"
KEY, SECRET = "ck_contract_key", "cs_contract_secret"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()}
END = datetime(2025, 3, 2, 0, 0, tzinfo=UTC)
STATE = {"cursor": "2025-03-01T12:00:00Z"}
WINDOW = {"dates_are_gmt": "true", "per_page": "100", "modified_after": "2025-03-01T11:50:00Z",
          "modified_before": "2025-03-01T23:59:00Z"}


def client() -> ConnectorClient:
    conn = ConnectionInfo(conn_id="woo_demo", conn_type="woocommerce", host=HOST, login=KEY,
                          password=SECRET)
    return ConnectorClient(connector("woocommerce"), conn, sleep=lambda s: None)


def full_page(records: list[dict[str, Any]], first_id: int) -> list[dict[str, Any]]:
    """100 records built from the named fixture records, with distinct ids."""
    return [{**records[i % len(records)], "id": first_id + i} for i in range(100)]


def headers(total: int, pages: int) -> dict[str, str]:
    return {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}


def test_orders_two_pages_by_page_number(mock_http: responses.RequestsMock) -> None:
    orders = fixture("woocommerce", "orders")
    params = {"status": "any", "orderby": "modified", "order": "asc", **WINDOW}
    mock_http.get(f"{API}/orders", json=full_page(orders, 1000), headers=headers(102, 2),
                  match=[matchers.query_param_matcher(params), matchers.header_matcher(AUTH)])
    mock_http.get(f"{API}/orders", json=orders, headers=headers(102, 2),
                  match=[matchers.query_param_matcher({**params, "page": "2"}),
                         matchers.header_matcher(AUTH)])
    pages = list(client().read("orders", state=STATE, window_end=END))
    assert [(len(p.records), p.state, p.number) for p in pages] == [
        (100, {"cursor": "2025-03-01T13:30:00Z"}, 1), (2, {"cursor": "2025-03-01T13:30:00Z"}, 2)]
    assert [r["id"] for r in pages[1].records] == [727, 728]


def test_products_short_page_stops(mock_http: responses.RequestsMock) -> None:
    mock_http.get(f"{API}/products", json=fixture("woocommerce", "products"),
                  headers=headers(2, 1),
                  match=[matchers.query_param_matcher({"orderby": "modified", "order": "asc",
                                                       **WINDOW}),
                         matchers.header_matcher(AUTH)])
    pages = list(client().read("products", state=STATE, window_end=END))
    assert [([r["id"] for r in p.records], p.state) for p in pages] == [
        ([93, 95], {"cursor": "2025-03-01T12:20:00Z"})]


def test_variations_substream_of_variable_products(mock_http: responses.RequestsMock) -> None:
    products = fixture("woocommerce", "products")
    mock_http.get(f"{API}/products", json=products, headers=headers(2, 1),
                  match=[matchers.query_param_matcher({"orderby": "modified", "order": "asc",
                                                       **WINDOW})])
    # only product 93 is variable; the simple product 95 gets no request
    mock_http.get(f"{API}/products/93/variations", json=fixture("woocommerce", "variations_93"),
                  headers=headers(2, 1),
                  match=[matchers.query_param_matcher({"per_page": "100"}),
                         matchers.header_matcher(AUTH)])
    pages = list(client().read("product_variations", state=STATE, window_end=END))
    assert [([r["id"] for r in p.records], p.state, p.number) for p in pages] == [
        ([94, 96], {"cursor": "2025-03-01T12:20:00Z"}, 1)]
    assert all(r["_parent"] == products[0] for r in pages[0].records)
    assert pages[0].records[0]["_parent"]["id"] == 93


def test_customers_full_refresh(mock_http: responses.RequestsMock) -> None:
    customers = fixture("woocommerce", "customers")
    params = {"orderby": "id", "order": "asc", "role": "all", "per_page": "100"}
    mock_http.get(f"{API}/customers", json=full_page(customers, 100), headers=headers(102, 2),
                  match=[matchers.query_param_matcher(params), matchers.header_matcher(AUTH)])
    mock_http.get(f"{API}/customers", json=customers, headers=headers(102, 2),
                  match=[matchers.query_param_matcher({**params, "page": "2"})])
    pages = list(client().read("customers", state=None, window_end=END))
    assert [(len(p.records), p.state, p.number) for p in pages] == [(100, None, 1), (2, None, 2)]
    assert [r["email"] for r in pages[1].records] == ["juergen@example.com", "mei@example.com"]


def test_store_currency_context(mock_http: responses.RequestsMock) -> None:
    mock_http.get(f"{API}/settings/general/woocommerce_currency",
                  json=fixture("woocommerce", "currency"), match=[matchers.header_matcher(AUTH)])
    assert client().context() == {"store_currency": "EUR"}


def test_wrong_credentials_fail_with_vendor_message(mock_http: responses.RequestsMock) -> None:
    mock_http.get(f"{API}/customers", status=401, json={
        "code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
        "data": {"status": 401}})
    with pytest.raises(FatalAPIError, match="Sorry, you cannot list resources") as info:
        list(client().read("customers"))
    assert SECRET not in str(info.value)


def test_order_refunds_substream_only_for_orders_with_refunds(
        mock_http: responses.RequestsMock) -> None:
    orders = fixture("woocommerce", "orders")
    params = {"status": "any", "orderby": "modified", "order": "asc", **WINDOW}
    mock_http.get(f"{API}/orders", json=orders, headers=headers(2, 1),
                  match=[matchers.query_param_matcher(params)])
    # order 727 has no refunds and gets no request; 728 has one
    mock_http.get(f"{API}/orders/728/refunds", json=fixture("woocommerce", "refunds_728"),
                  headers=headers(1, 1),
                  match=[matchers.query_param_matcher({"per_page": "100"}),
                         matchers.header_matcher(AUTH)])
    pages = list(client().read("order_refunds", state=STATE, window_end=END))
    assert [([r["id"] for r in p.records], p.state) for p in pages] == [
        ([730], {"cursor": "2025-03-01T13:30:00Z"})]
    assert pages[0].records[0]["_parent"]["id"] == 728
