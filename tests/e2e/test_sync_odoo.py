"""Odoo as the stock master, synced end to end from the sandbox over JSON-RPC on SQLite and
PostgreSQL: products, stock quants and deliveries; then only what changed in the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import synchub.systems.odoo.transforms  # noqa: F401 - registers the Odoo transforms
from synchub.errors import ConfigError
from synchub.pipeline import sync_connection, sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.sandbox import Sandbox, SandboxServer

from .conftest import write_hub

STREAMS = ["products", "stock_quants", "deliveries"]


@pytest.fixture
def erp_hub(tmp_path: Path) -> Hub:
    return load_hub(write_hub(tmp_path, {"erp": {"connector": "odoo", "conn_id": "erp",
                                                 "roles": ["erp"]}}))


def odoo_conn(srv: SandboxServer, sb: Sandbox, store: str = "demo",
              password: str | None = None) -> ConnectionInfo:
    creds = sb.odoo(store).credentials()
    return ConnectionInfo(conn_id="erp", conn_type="odoo", host=srv.odoo_url(store),
                          schema=creds["db"], login=creds["login"],
                          password=password or creds["password"])


def rows(db_url: str, table: str, where: str = "") -> int:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"select count(*) from {table} {where}")).scalar_one())
    finally:
        engine.dispose()


def feed(store: Any, entity: str) -> dict[str, dict[str, Any]]:
    return {d["external_id"]: d for d in store.read_feed(entity, limit=10_000).records}


def test_three_streams_then_only_the_warehouse_changes(erp_hub: Hub, sandbox: Any, store: Any,
                                                       db_url: str) -> None:
    sb, srv = sandbox
    odoo = sb.odoo("demo", products=150)   # 600 SKUs: more than one 500-record page
    conn = odoo_conn(srv, sb)
    counts = odoo.counts()

    first = {s.stream: s for s in sync_connection(erp_hub, "erp", store=store, conn_info=conn,
                                                  streams=STREAMS)}
    assert all(s.status == "success" and s.quarantined == 0 for s in first.values())
    assert first["products"].pages == 2 and first["stock_quants"].pages == 2
    assert rows(db_url, "products") == counts["products_with_sku"] == first["products"].stored
    statuses = [p["status"] for p in feed(store, "product").values()]
    assert statuses.count("archived") == counts["archived"] > 0
    assert rows(db_url, "inventory_levels") == counts["quants"] == first["stock_quants"].stored
    assert rows(db_url, "shipments") == counts["deliveries"] == first["deliveries"].stored
    # the seeded deliveries come from Odoo's own sales orders: no channel order to point at
    assert all(s["order_connection"] is None for s in feed(store, "shipment").values())
    levels = feed(store, "inventory_level")
    assert any(lv["available"] < 0 for lv in levels.values())
    # the two European warehouses, and the China warehouse stocking the Chinese shops' codes
    assert {lv["location_name"] for lv in levels.values()} == {"WH/Stock", "WH2/Stock",
                                                                "CN/Stock"}
    assert feed(store, "product")[str(next(iter(odoo.records["product.product"])))][
        "price"]["currency"] == "EUR"

    # nothing changed: the overlap re-reads a little, nothing is stored again
    again = sync_stream(erp_hub, "erp", "stock_quants", store=store, conn_info=conn)
    assert again.stored == 0 and again.fetched < counts["quants"]

    quant = odoo.set_stock("SKU-00007-3", 42, "WH2/Stock")
    changed = sync_stream(erp_hub, "erp", "stock_quants", store=store, conn_info=conn)
    assert changed.changed == {"inventory_level": 1}
    assert changed.fetched < 50
    level = feed(store, "inventory_level")[str(quant["id"])]
    assert (level["sku"], level["on_hand"], level["location_name"]) == (
        "SKU-00007-3", 42, "WH2/Stock")
    assert level["available"] == 42 - int(quant["reserved_quantity"])

    shipped = odoo.deliver("shop_eu:1001", [{"sku": "SKU-00007-3", "quantity": 2,
                                             "location": "WH2/Stock"},
                                            {"sku": "SKU-00001-1", "quantity": 1}])
    deliveries = sync_stream(erp_hub, "erp", "deliveries", store=store, conn_info=conn)
    assert deliveries.changed == {"shipment": 2}
    new = [feed(store, "shipment")[f"move:{m}"] for m in shipped["moves"]]
    assert {(s["order_connection"], s["order_external_id"]) for s in new} == {
        ("shop_eu", "1001")}
    assert [s["lines"][0]["sku"] for s in new] == ["SKU-00007-3", "SKU-00001-1"]
    stock = sync_stream(erp_hub, "erp", "stock_quants", store=store, conn_info=conn)
    assert stock.changed == {"inventory_level": 2}
    assert feed(store, "inventory_level")[str(quant["id"])]["on_hand"] == 40
    assert rows(db_url, "shipments") == counts["deliveries"] + 2


def test_transient_faults_are_retried_without_loss(erp_hub: Hub, sandbox: Any, store: Any,
                                                   db_url: str) -> None:
    sb, srv = sandbox
    odoo = sb.odoo("demo", products=20)
    odoo.faults(fail_next=[503, 502])
    odoo.rpc_faults(["psycopg2.errors.SerializationFailure"])
    summary = sync_stream(erp_hub, "erp", "stock_quants", store=store,
                          conn_info=odoo_conn(srv, sb))
    assert summary.status == "success" and summary.retries == 3
    assert rows(db_url, "inventory_levels") == odoo.counts()["quants"]
    logins = [c for c in odoo.rpc_log if c.method == "login"]
    assert len(logins) == 1   # one login per client, retries or not


def test_wrong_password_fails_the_run_without_advancing(erp_hub: Hub, sandbox: Any,
                                                        store: Any) -> None:
    sb, srv = sandbox
    sb.odoo("demo", products=5)
    bad = odoo_conn(srv, sb, password="not-the-key-123")
    with pytest.raises(ConfigError, match="Odoo refused the login") as info:
        sync_stream(erp_hub, "erp", "products", store=store, conn_info=bad)
    assert "not-the-key-123" not in str(info.value)
    assert store.get_state("erp", "products") is None
    assert store.runs(connection="erp")[0]["status"] == "failed"
    assert len(sb.odoo("demo").rpc_log) == 1   # the login, never retried
