"""The flat feed views return the right rows for stored records, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from synchub.feeds.views import VIEWS, markdown_table
from synchub.store import Store

from .conftest import (
    line,
    make_customer,
    make_level,
    make_order,
    make_product,
    make_refund,
    make_shipment,
    plain,
)


def rows(store: Store, view: str, order_by: str = "change_seq") -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        result = conn.execute(sa.text(f"SELECT * FROM {view} ORDER BY {order_by}"))
        return [{k: plain(v) for k, v in r._mapping.items()} for r in result]


def seed(store: Store) -> dict[str, Any]:
    order = make_order("1001", lines=[line("L1", "SKU-1", 2, "12.50", discount="1.00"),
                                      line("L2", "SKU-2", 1, "0.10")], email="a@example.com")
    bare = make_order("1002", connection="woo")
    store.write_page(connection="shop", stream="orders", records=[order])
    store.write_page(connection="woo", stream="orders", records=[bare])
    store.write_page(connection="shop", stream="products", records=[make_product("p1", "SKU-1")])
    store.write_page(connection="shop", stream="inventory",
                     records=[make_level("i1", "loc1", 7)])
    store.write_page(connection="shop", stream="customers",
                     records=[make_customer("c1", "c@example.com")])
    store.write_page(connection="shop", stream="shipments",
                     records=[make_shipment("s1", "1001"), make_shipment("s2", "999")])
    store.write_page(connection="shop", stream="refunds",
                     records=[make_refund("r1", "1001", "5.00")])
    return {"order": order, "bare": bare}


def test_every_view_has_its_columns_and_rows(store: Store) -> None:
    got = seed(store)
    order = got["order"]

    orders = rows(store, "feed_orders")
    assert [o["external_id"] for o in orders] == ["1001", "1002"]
    o = orders[0]
    assert {k: o[k] for k in ("id", "connection", "number", "channel", "status",
                              "financial_status", "fulfillment_status", "currency")} == {
        "id": order.id, "connection": "shop", "number": "#1001", "channel": "shopify",
        "status": "open", "financial_status": "paid", "fulfillment_status": "unfulfilled",
        "currency": "EUR"}
    # amounts exact, as decimal text (never a float such as 29.900000000000002)
    assert [str(o[k]) for k in ("subtotal", "discount_total", "shipping_total", "tax_total",
                                "refunded_total", "total")] == [
        "25.10", "1.00", "4.90", "0.00", "0.00", "29.00"]
    # times: ISO 8601 UTC text of fixed width, the same string on both databases
    assert o["placed_at"] == o["updated_at"] == "2025-03-01T10:15:00.000000Z"
    assert o["taxes_included"] in (True, 1) and o["cancelled_at"] is None
    assert (o["customer_external_id"], o["customer_email"]) == ("c-1001", "a@example.com")
    assert o["line_count"] == 2 and orders[1]["line_count"] == 0
    assert o["change_seq"] >= 1 and o["stored_at"] is not None

    lines = rows(store, "feed_order_lines", "change_seq, line_no")
    # one row per line; the order without lines has none
    assert [(x["order_id"], x["line_no"], x["line_external_id"], x["sku"], x["quantity"],
             str(x["unit_price"]), str(x["discount"]), str(x["total"]), x["refunded_quantity"])
            for x in lines] == [
        (order.id, 1, "L1", "SKU-1", 2, "12.50", "1.00", "24.00", 0),
        (order.id, 2, "L2", "SKU-2", 1, "0.10", "0.00", "0.10", 0)]
    assert {x["order_external_id"] for x in lines} == {"1001"}

    (inv,) = rows(store, "feed_inventory")
    assert {k: inv[k] for k in ("sku", "location", "location_name", "on_hand", "reserved",
                                "available", "connection")} == {
        "sku": "SKU-i1", "location": "loc1", "location_name": "Main", "on_hand": 9,
        "reserved": 2, "available": 7, "connection": "shop"}

    (cust,) = rows(store, "feed_customers")
    assert (cust["email"], cust["first_name"], cust["orders_count"], str(cust["total_spent"]),
            cust["total_spent_currency"], cust["updated_at"]) == (
        "c@example.com", "Ada", 3, "120.50", "EUR", "2025-03-01T10:15:00.000000Z")
    assert cust["accepts_marketing"] in (False, 0)

    ships = rows(store, "feed_shipments")
    linked = {s["external_id"]: s for s in ships}
    assert linked["s1"]["order_id"] == order.id and linked["s1"]["order_connection"] == "shop"
    assert linked["s1"]["carrier"] == "DHL" and linked["s1"]["tracking_number"] == "TRKs1"
    assert linked["s1"]["status"] == "in_transit"
    assert linked["s2"]["order_id"] is None  # its order is not in the hub: no link, still a row

    (prod,) = rows(store, "feed_products")
    assert (prod["sku"], prod["title"], prod["variant_title"], str(prod["price"]),
            prod["currency"], prod["status"]) == (
        "SKU-1", "Product SKU-1", "Blue", "19.90", "EUR", "active")
    assert prod["inventory_tracked"] in (True, 1)

    (ref,) = rows(store, "feed_refunds")
    assert (ref["order_external_id"], ref["order_id"], str(ref["amount"]), ref["currency"],
            ref["reason"]) == ("1001", order.id, "5.00", "EUR", "damaged")


def test_views_follow_changes(store: Store) -> None:
    seed(store)
    changed = make_order("1001", lines=[line("L1", "SKU-1", 3, "12.50")])
    store.write_page(connection="shop", stream="orders", records=[changed])
    lines = rows(store, "feed_order_lines")
    assert [(x["line_external_id"], x["quantity"]) for x in lines] == [("L1", 3)]
    orders = rows(store, "feed_orders")
    # the changed order moved to the end of the change order
    assert [o["external_id"] for o in orders] == ["1002", "1001"]


def test_column_docs_cover_every_column() -> None:
    for view in VIEWS:
        table = markdown_table(view)
        for c in view.columns:
            assert c.doc and f"`{c.name}`" in table, (view.name, c.name)
        assert len(set(view.column_names)) == len(view.column_names), view.name


def test_docs_list_every_view_column() -> None:
    from .conftest import ROOT

    docs = (ROOT / "docs" / "feeds.md").read_text()
    for view in VIEWS:
        assert markdown_table(view) in docs, f"docs/feeds.md is out of date for {view.name}"
