"""Shopify GraphQL through real HTTP: connections, search filter, cost extension, THROTTLED."""

from __future__ import annotations

import pytest

from synchub.sandbox.kit.limits import TokenBucket
from tests.sandbox.conftest import API

PRODUCTS = """query($first: Int!, $after: String, $q: String) {
  products(first: $first, after: $after, query: $q, sortKey: UPDATED_AT) {
    edges { cursor node { id title status tags updatedAt
      variants(first: 100) { edges { node { id sku price selectedOptions { name value }
        inventoryItem { id tracked } } } } } }
    pageInfo { hasNextPage endCursor } } }"""
ITEMS = """query($first: Int!, $after: String, $q: String) {
  inventoryItems(first: $first, after: $after, query: $q) {
    edges { node { id sku tracked updatedAt variant { id product { id } }
      inventoryLevels(first: 10) { edges { node { id location { id name }
        quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } } } }
    pageInfo { hasNextPage endCursor } } }"""


def gql(http, server, store, query, **variables):
    resp = http.post(server.shopify_url(store) + API + "/graphql.json",
                     json={"query": query, "variables": variables},
                     headers={"X-Shopify-Access-Token": f"shpat_sandbox_{store}"}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def walk(http, server, query, field, first, **variables):
    nodes, after, pages = [], None, 0
    while True:
        body = gql(http, server, "demo", query, first=first, after=after, **variables)
        assert "errors" not in body, body
        cost = body["extensions"]["cost"]
        assert cost["requestedQueryCost"] >= cost["actualQueryCost"] > 0
        assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
        conn = body["data"][field]
        nodes += [e["node"] for e in conn["edges"]]
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes, pages
        after = conn["pageInfo"]["endCursor"]


def test_products_walk_with_variants(http, server, sandbox) -> None:
    counts = sandbox.shopify("demo").counts()
    products, pages = walk(http, server, PRODUCTS, "products", 3)
    assert len({p["id"] for p in products}) == counts["products"] and pages > 1
    variants = [v["node"] for p in products for v in p["variants"]["edges"]]
    assert len(variants) == counts["variants"]
    assert all(p["id"].startswith("gid://shopify/Product/") for p in products)
    stamps = [p["updatedAt"] for p in products]
    assert stamps == sorted(stamps)
    later, _ = walk(http, server, PRODUCTS, "products", 3, q=f"updated_at:>'{stamps[5]}'")
    assert [p["id"] for p in later] == [p["id"] for p in products if p["updatedAt"] > stamps[5]]


def test_inventory_items_walk_with_levels(http, server, sandbox) -> None:
    counts = sandbox.shopify("demo").counts()
    items, _ = walk(http, server, ITEMS, "inventoryItems", 20)
    assert len({i["id"] for i in items}) == counts["inventory_items"]
    levels = [lv["node"] for i in items for lv in i["inventoryLevels"]["edges"]]
    assert len(levels) == counts["inventory_levels"]
    q = {x["name"]: x["quantity"] for x in levels[0]["quantities"]}
    assert q["available"] == q["on_hand"] - q["committed"]


def test_inventory_change_is_found_by_updated_at_query(http, server, sandbox) -> None:
    store = sandbox.shopify("demo")
    before = max(i["updatedAt"] for i in walk(http, server, ITEMS, "inventoryItems", 20)[0])
    changed = store.mutate(inventory_changed=2)["inventory_changed"]
    items, _ = walk(http, server, ITEMS, "inventoryItems", 20, q=f"updated_at:>'{before}'")
    assert sorted(i["id"] for i in items) == sorted(changed)


@pytest.mark.parametrize(("query", "code"), [
    ("{ products(first: 250) { edges { node { id "
     "variants(first: 100) { edges { node { id } } } } } } }", "MAX_COST_EXCEEDED"),
    ("{ products(first: 251) { edges { node { id } } } }", None),
    ("{ products { edges { node { id } } } }", None),
    ("{ products(first: 1) { edges { node { nope } } } }", None),
])
def test_query_errors_are_http_200_with_errors(http, server, query, code) -> None:
    body = gql(http, server, "demo", query)
    assert body["errors"] and not body.get("data")
    if code:
        assert body["errors"][0]["extensions"]["code"] == code


def test_throttled_is_http_200_and_recovers(http, server, sandbox) -> None:
    store = sandbox.shopify("gqlthrottle", orders=1, customers=1, products=2)
    # restoring 1 point a second (not 100), so the request below finds it still short
    store.cost_bucket = TokenBucket(2000.0, 1.0)
    assert store.cost_bucket.try_spend(1990)  # another client drained the bucket
    body = gql(http, server, "gqlthrottle", "{ products(first: 10) { edges { node { id } } } }")
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["requestedQueryCost"] == 12
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 12
    assert "data" not in body
    store.cost_bucket.refund(2000)
    ok = gql(http, server, "gqlthrottle", "{ shop { currencyCode } }")
    assert ok["data"]["shop"]["currencyCode"] in {"EUR", "USD", "GBP", "CAD"}
