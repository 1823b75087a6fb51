"""Shopify inventorySetQuantities and order commits through real HTTP against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

SET = """mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } } }
    userErrors { field message code } } }"""
CHANGED_SINCE = """query($q: String) { inventoryItems(first: 50, query: $q) {
  nodes { id updatedAt inventoryLevels(first: 5) { nodes { id updatedAt location { id }
    quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } } } }"""


def gql(http, server, store: str, query: str, **variables: Any) -> dict[str, Any]:
    resp = http.post(server.shopify_url(store) + "/admin/api/2026-04/graphql.json",
                     json={"query": query, "variables": variables},
                     headers={"X-Shopify-Access-Token": f"shpat_sandbox_{store}"}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def levels(store: Any, count: int, *, tracked: bool | None = None) -> list[dict[str, Any]]:
    """The first ``count`` levels (of tracked items when asked) with at least 10 available."""
    found = [lv for p in store.products for v in p["_variants"]
             for lv in v["inventoryItem"]["_levels"]
             if lv["_q"]["available"] >= 10 and (tracked is None or
                                                v["inventoryItem"]["tracked"] == tracked)]
    assert len(found) >= count
    return found[:count]


def orderable(store: Any, count: int) -> list[dict[str, Any]]:
    """Levels an order draws from: tracked items with a SKU, at their first location."""
    found = [lv for lv in levels_all(store) if lv is lv["_item"]["_levels"][0]
             and lv["_item"]["sku"] and lv["_item"]["tracked"]]
    assert len(found) >= count
    return found[:count]


def levels_all(store: Any) -> list[dict[str, Any]]:
    return [lv for p in store.products for v in p["_variants"]
            for lv in v["inventoryItem"]["_levels"] if lv["_q"]["available"] >= 10]


def entry(level: dict[str, Any], quantity: int, compare: Any = "current") -> dict[str, Any]:
    return {"inventoryItemId": level["_item"]["id"], "locationId": level["location"]["id"],
            "quantity": quantity,
            "changeFromQuantity": level["_q"]["available"] if compare == "current" else compare}


def set_input(*quantities: dict[str, Any], name: str = "available") -> dict[str, Any]:
    return {"name": name, "reason": "correction", "referenceDocumentUri": "synchub://stock_sync/t",
            "quantities": list(quantities)}


def snapshot(store: Any) -> list[dict[str, int]]:
    return [dict(lv["_q"]) for p in store.products for v in p["_variants"]
            for lv in v["inventoryItem"]["_levels"]]


def test_set_available_moves_on_hand_and_shows_on_later_reads(http, server, sandbox) -> None:
    store = sandbox.shopify("inv-set", orders=2, customers=1, products=6)
    a, b = levels(store, 2)
    before_a, before_b = dict(a["_q"]), dict(b["_q"])
    stamp = max(lv["updatedAt"] for p in store.products for v in p["_variants"]
                for lv in v["inventoryItem"]["_levels"])
    body = gql(http, server, "inv-set", SET, key="k-set",
               input=set_input(entry(a, 50), entry(b, 0, compare=None)))
    payload = body["data"]["inventorySetQuantities"]
    assert payload["userErrors"] == []
    group = payload["inventoryAdjustmentGroup"]
    assert group["id"].startswith("gid://shopify/InventoryAdjustmentGroup/")
    assert group["referenceDocumentUri"] == "synchub://stock_sync/t"
    delta = 50 - before_a["available"]
    assert {(c["name"], c["delta"], c["quantityAfterChange"]) for c in group["changes"]
            if c["item"]["id"] == a["_item"]["id"]} == {
        ("available", delta, 50), ("on_hand", delta, before_a["on_hand"] + delta)}
    assert a["_q"]["committed"] == before_a["committed"]
    assert b["_q"]["available"] == 0
    assert b["_q"]["on_hand"] == before_b["on_hand"] - before_b["available"]
    # a later incremental read finds exactly the two written items, with the new figures
    later = gql(http, server, "inv-set", CHANGED_SINCE, q=f"updated_at:>'{stamp}'")
    items = {i["id"]: i for i in later["data"]["inventoryItems"]["nodes"]}
    assert set(items) == {a["_item"]["id"], b["_item"]["id"]}
    shown = {lv["id"]: {q["name"]: q["quantity"] for q in lv["quantities"]}
             for i in items.values() for lv in i["inventoryLevels"]["nodes"]}
    assert shown[a["id"]] == {"available": 50, "on_hand": before_a["on_hand"] + delta,
                              "committed": before_a["committed"]}
    assert shown[b["id"]]["available"] == 0


def test_set_on_hand_moves_available(http, server, sandbox) -> None:
    store = sandbox.shopify("inv-onhand", orders=2, customers=1, products=4)
    (a,) = levels(store, 1)
    committed = a["_q"]["committed"]
    body = gql(http, server, "inv-onhand", SET, key="k-oh", input=set_input(
        {**entry(a, 70), "changeFromQuantity": a["_q"]["on_hand"]}, name="on_hand"))
    assert body["data"]["inventorySetQuantities"]["userErrors"] == []
    assert a["_q"]["on_hand"] == 70 and a["_q"]["available"] == 70 - committed


def test_stale_compare_changes_nothing_and_names_the_stale_entries(http, server,
                                                                    sandbox) -> None:
    store = sandbox.shopify("inv-stale", orders=2, customers=1, products=8)
    a, b, c, d = levels(store, 4)
    before = snapshot(store)
    body = gql(http, server, "inv-stale", SET, key="k-stale", input=set_input(
        entry(a, 1), entry(b, 2, compare=b["_q"]["available"] + 1), entry(c, 3),
        entry(d, 4, compare=d["_q"]["available"] - 1)))
    payload = body["data"]["inventorySetQuantities"]
    assert payload["inventoryAdjustmentGroup"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("CHANGE_FROM_QUANTITY_STALE", ["input", "quantities", "1", "changeFromQuantity"]),
        ("CHANGE_FROM_QUANTITY_STALE", ["input", "quantities", "3", "changeFromQuantity"])]
    assert snapshot(store) == before


@pytest.mark.parametrize(("mangle", "code", "field"), [
    (lambda q: {**q, "inventoryItemId": "gid://shopify/InventoryItem/1"},
     "INVALID_INVENTORY_ITEM", ["input", "quantities", "0", "inventoryItemId"]),
    (lambda q: {**q, "locationId": "gid://shopify/Location/2"},
     "INVALID_LOCATION", ["input", "quantities", "0", "locationId"]),
    (lambda q: {k: v for k, v in q.items() if k != "changeFromQuantity"},
     "COMPARE_QUANTITY_REQUIRED", ["input", "quantities", "0", "changeFromQuantity"]),
    (lambda q: {**q, "quantity": -1},
     "INVALID_QUANTITY_NEGATIVE", ["input", "quantities", "0", "quantity"]),
])
def test_invalid_entries_are_user_errors(http, server, sandbox, mangle, code, field) -> None:
    store = sandbox.shopify("inv-bad", orders=2, customers=1, products=4)
    a, b = levels(store, 2)
    before = snapshot(store)
    body = gql(http, server, "inv-bad", SET, key=f"k-{code}",
               input=set_input(mangle(entry(a, 5)), entry(b, 6)))
    payload = body["data"]["inventorySetQuantities"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert snapshot(store) == before


def test_name_must_be_available_or_on_hand(http, server, sandbox) -> None:
    store = sandbox.shopify("inv-name", orders=2, customers=1, products=3)
    (a,) = levels(store, 1)
    body = gql(http, server, "inv-name", SET, key="k-name",
               input=set_input(entry(a, 5), name="committed"))
    errors = body["data"]["inventorySetQuantities"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_NAME", ["input", "name"])]


def test_more_than_250_quantities_is_an_error(http, server, sandbox) -> None:
    store = sandbox.shopify("inv-big", orders=2, customers=1, products=3)
    (a,) = levels(store, 1)
    before = snapshot(store)
    body = gql(http, server, "inv-big", SET, key="k-big",
               input=set_input(*[entry(a, 5)] * 251))
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert "251" in body["errors"][0]["message"] and not body.get("data")
    assert snapshot(store) == before


def test_idempotent_key_replays_the_first_result(http, server, sandbox) -> None:
    store = sandbox.shopify("inv-idem", orders=2, customers=1, products=6)
    (a,) = orderable(store, 1)
    (b,) = [lv for lv in levels_all(store) if lv is not a][:1]
    job = set_input(entry(a, 40))
    first = gql(http, server, "inv-idem", SET, key="k-1", input=job)
    # an order takes two units; a replayed write must not put them back
    store.place_order([{"sku": a["_item"]["sku"], "quantity": 2}])
    assert a["_q"]["available"] == 38
    again = gql(http, server, "inv-idem", SET, key="k-1", input=job)
    assert again["data"] == first["data"]
    assert a["_q"]["available"] == 38 and store.adjustment_groups == 1
    # the same key for another input is refused; a new key runs the compare again
    other = gql(http, server, "inv-idem", SET, key="k-1", input=set_input(entry(b, 3)))
    assert [e["code"] for e in other["data"]["inventorySetQuantities"]["userErrors"]] == [
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"]
    fresh = gql(http, server, "inv-idem", SET, key="k-2", input=job)
    assert [e["code"] for e in fresh["data"]["inventorySetQuantities"]["userErrors"]] == [
        "CHANGE_FROM_QUANTITY_STALE"]


def test_the_idempotent_directive_is_required(http, server, sandbox) -> None:
    store = sandbox.shopify("inv-nokey", orders=2, customers=1, products=3)
    (a,) = levels(store, 1)
    before = snapshot(store)
    query = SET.replace(" @idempotent(key: $key)", "").replace(", $key: String!", "")
    body = gql(http, server, "inv-nokey", query, input=set_input(entry(a, 5)))
    assert "@idempotent" in body["errors"][0]["message"]
    assert snapshot(store) == before


def test_mutations_spend_cost_points_and_are_throttled(http, server, sandbox) -> None:
    store = sandbox.shopify("inv-cost", orders=2, customers=1, products=3)
    (a,) = levels(store, 1)
    body = gql(http, server, "inv-cost", SET, key="k-c1", input=set_input(entry(a, 5)))
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] >= cost["actualQueryCost"] >= 10
    assert cost["throttleStatus"]["currentlyAvailable"] <= 2000 - cost["actualQueryCost"] + 5
    assert store.cost_bucket.try_spend(store.cost_bucket.available - 0.5)  # drained elsewhere
    throttled = gql(http, server, "inv-cost", SET, key="k-c2", input=set_input(entry(a, 9)))
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert a["_q"]["available"] == 5
    store.cost_bucket.refund(2000)


def test_nodes_reads_levels_by_id(http, server, sandbox) -> None:
    store = sandbox.shopify("inv-nodes", orders=2, customers=1, products=3)
    (a,) = levels(store, 1)
    body = gql(http, server, "inv-nodes", """query($ids: [ID!]!) { nodes(ids: $ids) {
      id ... on InventoryLevel { quantities(names: ["available"]) { name quantity } } } }""",
               ids=[a["id"], "gid://shopify/InventoryLevel/1?inventory_item_id=2"])
    assert body["data"]["nodes"] == [
        {"id": a["id"], "quantities": [{"name": "available", "quantity": a["_q"]["available"]}]},
        None]


def test_placed_order_commits_units_at_the_first_location(http, server, sandbox) -> None:
    store = sandbox.shopify("inv-order", orders=2, customers=1, products=8)
    (a,) = orderable(store, 1)
    sku, before, stamp = a["_item"]["sku"], dict(a["_q"]), a["_item"]["updatedAt"]
    resp = http.post(server.base_url + "/_sandbox/shopify/inv-order/order",
                     json={"lines": [{"sku": sku, "quantity": 3}]})
    assert resp.status_code == 200, resp.text
    placed = store.order(resp.json()["id"])
    assert [(li["sku"], li["quantity"]) for li in placed["line_items"]] == [(sku, 3)]
    assert resp.json()["number"] == placed["order_number"]
    assert a["_q"]["available"] == before["available"] - 3
    assert a["_q"]["committed"] == before["committed"] + 3
    assert a["_q"]["on_hand"] == before["on_hand"]
    assert a["_item"]["updatedAt"] > stamp and a["updatedAt"] == a["_item"]["updatedAt"]
    closed = store.place_order([{"sku": sku, "quantity": 1}], status="closed")
    assert store.order(closed["id"])["fulfillment_status"] == "fulfilled"
    assert a["_q"]["on_hand"] == before["on_hand"] - 1
    assert a["_q"]["available"] == before["available"] - 4


def test_unknown_sku_is_a_400_naming_it(http, server) -> None:
    resp = http.post(server.base_url + "/_sandbox/shopify/inv-order/order",
                     json={"lines": [{"sku": "NOPE-1", "quantity": 1}]})
    assert resp.status_code == 400 and "NOPE-1" in resp.json()["error"]
    resp = http.post(server.base_url + "/_sandbox/shopify/inv-order/order",
                     json={"lines": [{"sku": "SKU-00001-1", "quantity": 0}]})
    assert resp.status_code == 400 and "quantity" in resp.json()["error"]


def test_generated_new_orders_take_stock_too(sandbox) -> None:
    store = sandbox.shopify("inv-mutate", orders=2, customers=1, products=10)

    def committed() -> int:
        return sum(lv["_q"]["committed"] for p in store.products for v in p["_variants"]
                   for lv in v["inventoryItem"]["_levels"])

    start = committed()
    created = store.mutate(orders_created=5)["orders_created"]
    units = 0
    for oid in created:
        for li in store.order(oid)["line_items"]:
            item = store.variants_by_id[li["variant_id"]]["inventoryItem"]
            units += li["quantity"] if item["tracked"] and item["_levels"] else 0
    assert units > 0 and committed() == start + units
