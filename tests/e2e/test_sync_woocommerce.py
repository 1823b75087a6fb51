"""A WooCommerce connection synced end to end against the sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from synchub.pipeline import sync_connection, sync_stream
from synchub.plan import Hub

from .conftest import woo_conn
from .test_sync_shopify import rows


def test_every_stream_lands_and_reruns_store_nothing(woo_hub: Hub, sandbox: Any, store: Any,
                                                     db_url: str) -> None:
    sb, srv = sandbox
    woo = sb.woocommerce("demo", orders=230, customers=40, products=20)
    counts = woo.counts()
    conn = woo_conn(srv, sb)
    first = {s.stream: s for s in sync_connection(woo_hub, "woo", store=store, conn_info=conn)}
    assert all(s.status == "success" for s in first.values())
    assert rows(db_url, "orders") == counts["orders"] == 230
    assert rows(db_url, "customers") == counts["customers"]
    # simple products are SKU-level products themselves; variable parents are not, their
    # variations are (with the parent named on each)
    assert rows(db_url, "products") == first["products"].changed.get("product", 0) + counts[
        "variations"]
    variation = next(d for d in store.read_feed("product", limit=10_000).records
                     if d["parent"] is not None)
    assert variation["parent"]["title"]
    assert variation["price"]["currency"] == "EUR"

    # refunds with their lines, one per refund listed on the orders, positive quantities
    orders = store.read_feed("order", limit=10_000).records
    refunds = store.read_feed("refund", limit=10_000).records
    assert len(refunds) == sum(len(o["refunds"]) for o in orders) > 0
    assert all(ln["quantity"] > 0 for r in refunds for ln in r["lines"])
    by_order = {o["external_id"]: o for o in orders}
    for r in refunds:
        assert r["amount"] in [x["amount"] for x in by_order[r["order_external_id"]]["refunds"]]

    second = {s.stream: s for s in sync_connection(woo_hub, "woo", store=store, conn_info=conn)}
    assert sum(s.stored for s in second.values()) == 0
    assert second["customers"].fetched == counts["customers"]     # a full-refresh stream
    assert second["orders"].fetched < 230                          # an incremental one


def test_woo_orders_reconcile_and_times_are_utc(woo_hub: Hub, sandbox: Any, store: Any) -> None:
    sb, srv = sandbox
    sb.woocommerce("demo", orders=60, customers=5, products=5)
    sync_stream(woo_hub, "woo", "orders", store=store, conn_info=woo_conn(srv, sb))
    docs = store.read_feed("order", limit=1000).records
    assert len(docs) == 60
    assert all(d["placed_at"].endswith("Z") for d in docs)
    # the sandbox's figures are consistent, so no order needs an adjustment for a mismatch
    mismatched = [d["external_id"] for d in docs
                  if any(w["code"] == "total_mismatch" for w in d["warnings"])]
    assert mismatched == []
    refunded = [d for d in docs if d["refunds"]]
    assert refunded, "the sandbox seeds refunds"
    assert all(r["amount"]["amount"][0] != "-" for d in refunded for r in d["refunds"])
