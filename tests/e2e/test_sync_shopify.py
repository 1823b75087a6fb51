"""A Shopify connection synced end to end against the sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from synchub.pipeline import sync_stream
from synchub.plan import Hub

from .conftest import shopify_conn


def changes(db_url: str, *entities: str) -> int:
    """Change numbers handed out for the entities: one per stored change (ADR 0007)."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(
                sa.select(sa.func.sum(sa.column("value"))).select_from(sa.table("change_counters"))
                .where(sa.column("entity").in_(entities))).scalar_one())
    finally:
        engine.dispose()


def stored_orders(summary: Any) -> int:
    return int(summary.changed.get("order", 0))


def rows(db_url: str, table: str, where: str = "") -> int:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"select count(*) from {table} {where}")).scalar_one())
    finally:
        engine.dispose()


def test_full_then_incremental_then_changes(shop_hub: Hub, sandbox: Any, store: Any,
                                            db_url: str) -> None:
    sb, srv = sandbox
    shop = sb.shopify("demo", orders=300, customers=20, products=5)
    conn = shopify_conn(srv, sb)

    first = sync_stream(shop_hub, "shop", "orders", store=store, conn_info=conn)
    assert first.status == "success"
    assert first.fetched == 300 and stored_orders(first) == 300 and first.quarantined == 0
    assert first.cursor is not None
    assert rows(db_url, "orders") == 300
    assert changes(db_url, "order") == 300

    # nothing changed: the overlap window re-reads a few records, none is stored again
    again = sync_stream(shop_hub, "shop", "orders", store=store, conn_info=conn)
    assert again.stored == 0 and again.fetched < 300
    assert changes(db_url, "order") == 300

    changed = shop.mutate(orders_created=3, orders_updated=2)
    assert changed
    third = sync_stream(shop_hub, "shop", "orders", store=store, conn_info=conn)
    assert stored_orders(third) == 5
    assert third.fetched < 50       # only what changed (plus the overlap), not the whole shop
    assert rows(db_url, "orders") == 303
    assert changes(db_url, "order") == 305
    assert third.cursor >= again.cursor


def test_same_sync_twice_stores_each_record_once(shop_hub: Hub, sandbox: Any, store: Any,
                                                 db_url: str) -> None:
    sb, srv = sandbox
    sb.shopify("demo", orders=120, customers=30, products=5)
    conn = shopify_conn(srv, sb)
    for _ in range(2):
        sync_stream(shop_hub, "shop", "orders", store=store, conn_info=conn, full_refresh=True)
        sync_stream(shop_hub, "shop", "customers", store=store, conn_info=conn,
                    full_refresh=True)
    assert rows(db_url, "orders") == 120
    assert rows(db_url, "customers") == 30
    refunds = rows(db_url, "refunds")
    assert refunds > 0
    # every record once: one change number and one binding each, however often it is synced
    assert changes(db_url, "order", "customer", "refund") == 150 + refunds
    assert rows(db_url, "bindings") == 150 + refunds


def test_poisoned_records_are_quarantined_and_the_rest_stored(
        shop_hub: Hub, sandbox: Any, store: Any, db_url: str) -> None:
    sb, srv = sandbox
    sb.shopify("demo", orders=100, customers=5, products=5, poisoned=2)
    summary = sync_stream(shop_hub, "shop", "orders", store=store, conn_info=shopify_conn(srv, sb))
    dead = [d for d in store.dead_letters(connection="shop") if d["entity"] == "order"]
    assert stored_orders(summary) == 98
    assert len(dead) == 2
    reasons = " ".join(d["reason"] for d in dead)
    assert "total" in reasons or "price" in reasons
    assert any(d["record_id"] is None for d in dead) or any("id" in d["reason"] for d in dead)
    assert all(d["raw"] for d in dead)          # the raw record is kept for replay
    # a re-run quarantines the same records again without duplicating them
    sync_stream(shop_hub, "shop", "orders", store=store, conn_info=shopify_conn(srv, sb),
                full_refresh=True)
    again = [d for d in store.dead_letters(connection="shop") if d["entity"] == "order"]
    assert len(again) == 2 and all(d["attempts"] == 2 for d in again)


def test_faults_are_ridden_out_with_no_loss(shop_hub: Hub, sandbox: Any, store: Any,
                                            db_url: str) -> None:
    sb, srv = sandbox
    shop = sb.shopify("demo", orders=600, customers=5, products=5)
    shop.faults(fail_next=[429, 503, 500, 502], truncate_rate=0.0)
    summary = sync_stream(shop_hub, "shop", "orders", store=store, conn_info=shopify_conn(srv, sb))
    assert summary.status == "success"
    assert stored_orders(summary) == 600
    assert summary.retries >= 4
    assert rows(db_url, "orders") == 600


def test_truncated_bodies_are_retried(shop_hub: Hub, sandbox: Any, store: Any,
                                      db_url: str) -> None:
    sb, srv = sandbox
    shop = sb.shopify("demo", orders=300, customers=5, products=5)
    shop.faults(truncate_rate=0.4)
    summary = sync_stream(shop_hub, "shop", "orders", store=store, conn_info=shopify_conn(srv, sb))
    assert stored_orders(summary) == 300
    assert rows(db_url, "orders") == 300


def test_killed_mid_run_resumes_from_last_committed_page(
        shop_hub: Hub, sandbox: Any, store: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb, srv = sandbox
    sb.shopify("demo", orders=700, customers=5, products=5)   # 3 pages of 250
    conn = shopify_conn(srv, sb)
    real_write = store.write_page
    calls = {"n": 0}

    def dying_write(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("worker killed")   # the process dies mid-run
        return real_write(**kwargs)

    monkeypatch.setattr(store, "write_page", dying_write)
    with pytest.raises(KeyboardInterrupt):
        sync_stream(shop_hub, "shop", "orders", store=store, conn_info=conn)
    assert rows(db_url, "orders") == 250
    committed = store.get_state("shop", "orders")
    assert committed and committed.get("cursor")

    monkeypatch.setattr(store, "write_page", real_write)
    resumed = sync_stream(shop_hub, "shop", "orders", store=store, conn_info=conn)
    assert resumed.status == "success"
    assert resumed.fetched < 700           # it did not start over
    assert rows(db_url, "orders") == 700
    assert changes(db_url, "order") == 700   # nothing written twice


def test_products_and_inventory_through_graphql(shop_hub: Hub, sandbox: Any, store: Any,
                                                db_url: str) -> None:
    sb, srv = sandbox
    shop = sb.shopify("demo", orders=5, customers=5, products=30)
    conn = shopify_conn(srv, sb)
    products = sync_stream(shop_hub, "shop", "products", store=store, conn_info=conn)
    inventory = sync_stream(shop_hub, "shop", "inventory_levels", store=store, conn_info=conn)
    counts = shop.counts()
    assert rows(db_url, "products") == counts["variants"]
    assert products.stored == counts["variants"]
    assert inventory.stored == rows(db_url, "inventory_levels") > 0
    doc = store.read_feed("product", limit=1).records[0]
    assert doc["price"]["currency"] == "EUR"
    assert doc["parent"]["external_id"].isdigit()


def test_a_hanging_request_times_out_and_is_retried(sandbox: Any, store: Any, db_url: str,
                                                    tmp_path: Any) -> None:
    from synchub.plan import load_hub

    from .conftest import write_hub

    def short_timeout(system: str, doc: dict[str, Any]) -> None:
        doc["http"]["timeout_seconds"] = 1
        doc["http"]["backoff"] = {"initial_seconds": 0.1, "max_seconds": 0.5}

    hub = load_hub(write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop"}},
                             short_timeout))
    sb, srv = sandbox
    shop = sb.shopify("demo", orders=500, customers=5, products=5)
    shop.faults(timeout_rate=0.5, hang_seconds=3)
    summary = sync_stream(hub, "shop", "orders", store=store, conn_info=shopify_conn(srv, sb))
    assert summary.status == "success"
    assert summary.retries >= 1
    assert rows(db_url, "orders") == 500


def test_fatal_auth_error_fails_the_run_without_advancing(shop_hub: Hub, sandbox: Any,
                                                          store: Any) -> None:
    from synchub.errors import FatalAPIError
    from synchub.runtime import ConnectionInfo

    sb, srv = sandbox
    sb.shopify("demo", orders=10, customers=5, products=5)
    bad = ConnectionInfo(conn_id="shop", conn_type="http", host=srv.shopify_url("demo"),
                         password="shpat_wrong_token_0000")
    with pytest.raises(FatalAPIError) as info:
        sync_stream(shop_hub, "shop", "orders", store=store, conn_info=bad)
    assert info.value.status == 401
    assert "shpat_wrong_token_0000" not in str(info.value)
    assert store.get_state("shop", "orders") is None
    run = store.runs(connection="shop")[0]
    assert run["status"] == "failed"
    assert "401" in run["error"] or "Invalid API key" in run["error"]


def test_refunds_on_orders_become_refund_records(shop_hub: Hub, sandbox: Any, store: Any
                                                 ) -> None:
    sb, srv = sandbox
    sb.shopify("demo", orders=150, customers=5, products=5)
    sync_stream(shop_hub, "shop", "orders", store=store, conn_info=shopify_conn(srv, sb))
    orders = {o["external_id"]: o for o in store.read_feed("order", limit=1000).records}
    refunds = store.read_feed("refund", limit=1000).records
    assert len(refunds) == sum(len(o["refunds"]) for o in orders.values()) > 0
    for r in refunds:
        embedded = {x["external_id"]: x for x in orders[r["order_external_id"]]["refunds"]}
        assert embedded[r["external_id"]]["amount"] == r["amount"]
        assert all(ln["quantity"] > 0 for ln in r["lines"])
