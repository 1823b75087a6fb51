"""The whole outbound loop through Airflow, against the sandbox, on SQLite and PostgreSQL.

An order placed on the Shopify sandbox is pulled by ``sync__shop``, pushed by
``push__odoo`` to the Odoo sandbox as a confirmed sales order (its customer by
``push__crm`` to HubSpot); Odoo ships it with a DHL tracking number, ``sync__odoo`` and
``sync__dhl`` bring the parcel and DHL's tracking in, and ``push__shop`` gives the Shopify
order one fulfillment with that tracking number whose last event is DELIVERED.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.sandbox import SandboxServer
from tests.airflow.test_dags import ROOT, _migrate, airflow_env
from tests.airflow.test_stock_dag import dags_test

pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("airflow")]

STORE = "loop"
TRACKING = "JD014600006281230704"
INSTANT = {"incremental": {"safety_lag": "0s"}}


def write_loop_hub(tmp_path: Path) -> Path:
    hub = {
        "version": 1,
        "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "defaults": {"schedule": None, "retries": 0},
        "connections": {
            "shop": {"connector": "shopify", "conn_id": "shop", "roles": ["channel"],
                     "streams": ["orders", "customers"], **INSTANT},
            "odoo": {"connector": "odoo", "conn_id": "odoo", "roles": ["erp"],
                     "streams": ["parcels"], **INSTANT},
            "crm": {"connector": "hubspot", "conn_id": "crm", "roles": ["crm"],
                    "streams": ["contacts"]},
            "dhl": {"connector": "dhl", "conn_id": "dhl", "roles": ["carrier"],
                    "streams": ["tracking"]},
        },
        "sinks": {
            "odoo": {"orders": {"from": ["shop"]}},
            "crm": {"customers": {"from": ["shop"]}},
            "shop": {"tracking": {"from": ["odoo", "dhl"]}},
        },
    }
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(hub, sort_keys=False))
    return path


def connections(srv: SandboxServer, sb: Any) -> dict[str, str]:
    odoo = sb.odoo(STORE).credentials()
    conns = {
        "shop": {"conn_type": "http", "host": srv.shopify_url(STORE),
                 "password": sb.shopify(STORE).credentials()["access_token"]},
        "odoo": {"conn_type": "http", "host": srv.odoo_url(STORE), "schema": odoo["db"],
                 "login": odoo["login"], "password": odoo["password"]},
        "crm": {"conn_type": "http", "host": srv.hubspot_url(STORE),
                "password": sb.hubspot(STORE).credentials()["access_token"]},
        "dhl": {"conn_type": "http", "host": srv.url("dhl", STORE),
                "password": sb.dhl(STORE).credentials()["api_key"]},
    }
    return {f"AIRFLOW_CONN_{k.upper()}": json.dumps(v) for k, v in conns.items()}


def place_order_with_customer(shop: Any, sku: str) -> tuple[int, str]:
    """Place orders until one has a registered customer (the sandbox makes some guests)."""
    for _ in range(20):
        placed = shop.place_order([{"sku": sku, "quantity": 2}])
        customer = shop.orders.get(placed["id"]).get("customer")
        if customer and customer.get("email"):
            return placed["id"], customer["email"]
    raise AssertionError("the sandbox placed 20 guest orders in a row")


def test_a_shopify_order_reaches_odoo_hubspot_and_comes_back_tracked(
        tmp_path: Path, sandbox: Any, db_url: str) -> None:
    sb, srv = sandbox
    shop = sb.shopify(STORE, orders=0, customers=5, products=5)
    odoo = sb.odoo(STORE, products=5)
    crm = sb.hubspot(STORE, customers=0)
    dhl = sb.dhl(STORE)
    sku = "SKU-00001-1"
    oid, email = place_order_with_customer(shop, sku)

    env = airflow_env(tmp_path, write_loop_hub(tmp_path), db_url, **connections(srv, sb))
    _migrate(env)

    logs = [dags_test(env, "sync__shop"), dags_test(env, "push__odoo"),
            dags_test(env, "push__crm")]

    # the order is a confirmed sales order in Odoo, with its line by SKU and its partner
    orders = [o for o in odoo.sales()["sale_orders"]
              if o["client_order_ref"] == f"shop:{oid}"]
    assert len(orders) == 1
    sale = orders[0]
    assert sale["state"] == "sale"
    assert [line["product_uom_qty"] for line in sale["lines"]
            if sku in str(line["product_id"][1])] == [2]
    # its customer is a HubSpot contact
    contact = crm.find("email", email)
    assert contact is not None

    # Odoo ships it with DHL; DHL delivers it
    odoo.deliver(origin=f"shop:{oid}", lines=[{"sku": sku, "quantity": 2}],
                 carrier="DHL Express", tracking_number=TRACKING)
    dhl.set_status(TRACKING, "delivered")
    logs += [dags_test(env, "sync__odoo"), dags_test(env, "sync__dhl"),
             dags_test(env, "push__shop")]

    fulfillments = shop.fulfillment_book.book(oid).fulfillments
    assert [t["number"] for f in fulfillments for t in f["trackingInfo"]] == [TRACKING]
    assert fulfillments[0]["displayStatus"] == "DELIVERED"

    # a rerun of every push sends nothing again
    for dag_id in ("push__odoo", "push__crm", "push__shop"):
        logs.append(dags_test(env, dag_id))
    # neither the customer's email nor any credential reaches the task logs
    secrets = [email, *(json.loads(v)["password"] for v in connections(srv, sb).values())]
    assert not [s for s in secrets for log in logs if s in log]
    assert len([o for o in odoo.sales()["sale_orders"]
                if o["client_order_ref"] == f"shop:{oid}"]) == 1
    assert len(shop.fulfillment_book.book(oid).fulfillments) == 1

    engine = sa.create_engine(db_url)
    with engine.connect() as c:
        dead = c.execute(sa.text("select count(*) from deliveries where status = 'dead' "
                                 "and record_id in (select id from orders)")).scalar_one()
        shipped = c.execute(sa.text(
            "select count(*) from shipments where connection = 'dhl'")).scalar_one()
    engine.dispose()
    assert dead == 0
    assert shipped == 1
