"""Money end to end through Airflow, against the sandbox, on SQLite and PostgreSQL.

A US shop (USD) sells through Shopify Payments; the books are in EUR. ``sync__rates`` loads
ECB rates, ``sync__shop`` the orders, refunds, balance movements and the payout,
``push__odoo`` the orders; the ``ledger`` DAG builds balanced journals, matches the payout
and reconciles the day; ``push__odoo`` again posts the journals in Odoo, where every entry
balances and the bank line carries the payout in USD. The report's figures equal what the
sandboxes hold.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
import yaml

from synchub.sandbox import SandboxServer
from tests.airflow.test_dags import ROOT, _migrate, airflow_env
from tests.airflow.test_stock_dag import dags_test

pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("airflow")]

SHOP = "ledgerus"       # the sandbox gives this shop USD
ERP = "accounts"        # and this Odoo company EUR
INSTANT = {"incremental": {"safety_lag": "0s"}}


def write_ledger_hub(tmp_path: Path) -> Path:
    hub = {
        "version": 1,
        "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),      # with mappings/ledger/chart.yaml
        "defaults": {"schedule": None, "retries": 0},
        "connections": {
            "shop": {"connector": "shopify", "conn_id": "shop", "roles": ["channel"],
                     "streams": ["orders", "payouts", "balance_transactions"], **INSTANT},
            "odoo": {"connector": "odoo", "conn_id": "odoo", "roles": ["erp"],
                     "streams": ["products"]},
            "rates": {"connector": "frankfurter", "conn_id": "rates", "roles": ["rates"],
                      "streams": ["rates"]},
        },
        "sinks": {"odoo": {"orders": {"from": ["shop"]}, "journals": {"from": ["shop"]}}},
        "ledger": {
            "functional_currency": "EUR",
            "channels": {"shop": {"clearing": "121100",
                                  "gateways": {"shopify_payments": "121110"}}},
            "rates": {"providers": ["ecb"], "max_age_days": 5},
            "reports": {"to": str(tmp_path / "reports"),
                        "journals_to": str(tmp_path / "journals")},
        },
    }
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(hub, sort_keys=False))
    return path


def connections(srv: SandboxServer, sb: Any) -> dict[str, str]:
    odoo = sb.odoo(ERP).credentials()
    conns = {
        "shop": {"conn_type": "http", "host": srv.shopify_url(SHOP),
                 "password": sb.shopify(SHOP).credentials()["access_token"]},
        "odoo": {"conn_type": "http", "host": srv.odoo_url(ERP), "schema": odoo["db"],
                 "login": odoo["login"], "password": odoo["password"]},
        "rates": {"conn_type": "http", "host": srv.url("frankfurter", "ecb")},
    }
    return {f"AIRFLOW_CONN_{k.upper()}": json.dumps(v) for k, v in conns.items()}


def test_sales_refunds_fees_and_a_payout_end_as_balanced_journals_in_odoo(
        tmp_path: Path, sandbox: Any, db_url: str) -> None:
    sb, srv = sandbox
    shop = sb.shopify(SHOP, orders=0, customers=5, products=5)
    odoo = sb.odoo(ERP, products=5)
    assert (shop.currency, odoo.currency) == ("USD", "EUR")
    placed = [shop.place_order([{"sku": "SKU-00001-1", "quantity": q}], status="closed")
              for q in (1, 2, 3)]
    refund = requests.post(f"{srv.base_url}/_sandbox/shopify/{SHOP}/orders/"
                           f"{placed[1]['id']}/refund", json={"amount": "5.00"}, timeout=10)
    assert refund.status_code == 200, refund.text
    payout = requests.post(f"{srv.base_url}/_sandbox/shopify/{SHOP}/payouts/run", timeout=10)
    assert payout.status_code == 200 and payout.json()["payout"], payout.text
    paid = payout.json()["payout"]
    today = datetime.now(UTC).date().isoformat()

    env = airflow_env(tmp_path, write_ledger_hub(tmp_path), db_url, **connections(srv, sb))
    _migrate(env)
    logs = [dags_test(env, "sync__rates"), dags_test(env, "sync__shop"),
            dags_test(env, "push__odoo")]
    conf = json.dumps({"first_day": today, "last_day": today})
    logs.append(dags_test(env, "ledger", "-c", conf))
    logs.append(dags_test(env, "push__odoo"))

    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            entries = conn.execute(sa.text(
                "select external_id, kind, currency, functional_currency, total_debit, "
                "total_credit, functional_total_debit, functional_total_credit, channel "
                "from ledger_entries")).all()
            report = {(r.metric, r.currency): r for r in conn.execute(sa.text(
                "select metric, currency, channel_value, hub_value, erp_value, status "
                "from reconciliation_rows where channel = 'shop'")).all()}
            items = conn.execute(sa.text(
                "select kind, status from settlement_items where channel = 'shop'")).all()
    finally:
        engine.dispose()

    # the hub's journals: a sale per order, the refund, the fees, the payout; all balanced
    kinds = sorted(e.kind for e in entries)
    assert kinds.count("sale") == 3 and kinds.count("refund") == 1
    assert "fees" in kinds and "payout" in kinds
    for e in entries:
        assert (e.currency, e.functional_currency) == ("USD", "EUR")
        assert Decimal(str(e.total_debit)) == Decimal(str(e.total_credit))
        assert Decimal(str(e.functional_total_debit)) == Decimal(str(e.functional_total_credit))

    # ... and in Odoo: every one posted once, balanced, by reference
    books = odoo_journals(srv)
    refs = {e["ref"]: e for e in books["entries"]}
    assert set(refs) == {f"shop/{e.external_id}" for e in entries}
    for entry in books["entries"]:
        assert entry["state"] == "posted" and entry["totals"]["balanced"], entry
    bank = [ln for ln in refs[f"shop/payout/{paid['id']}"]["lines"] if ln["account"] == "101402"]
    assert [(ln["currency"], Decimal(str(ln["amount_currency"])).quantize(Decimal("0.01")))
            for ln in bank] == [("USD", Decimal(paid["net"]))]
    for entry in entries:  # the functional totals reached Odoo as they are in the hub
        odoo_entry = refs[f"shop/{entry.external_id}"]
        assert Decimal(str(odoo_entry["totals"]["debit"])).quantize(Decimal("0.01")) == \
            Decimal(str(entry.functional_total_debit)).quantize(Decimal("0.01"))

    # the reconciliation report says what the sandboxes hold
    totals = [Decimal(shop.orders.get(p["id"])["total_price"]) for p in placed]
    assert report[("orders_count", "USD")].channel_value == 3
    assert report[("orders_count", "USD")].hub_value == 3
    assert report[("orders_count", "USD")].erp_value == 3
    assert Decimal(str(report[("orders_amount", "USD")].channel_value)) == sum(totals)
    assert Decimal(str(report[("orders_amount", "USD")].hub_value)) == sum(totals)
    assert Decimal(str(report[("payouts_amount", "USD")].hub_value)) == Decimal(paid["net"])
    assert report[("payouts_amount", "USD")].status == "ok"
    assert {s for k, s in items if k == "charge"} == {"matched"}
    assert (tmp_path / "reports" / f"{today}.csv").is_file()
    assert (tmp_path / "reports" / f"{today}.html").is_file()
    # and the day's journals as a file accountants import: the same entries, balanced
    with (tmp_path / "journals" / f"{today}.csv").open() as f:
        lines = list(csv.DictReader(f))
    assert {ln["reference"] for ln in lines} == set(refs)
    for reference in refs:
        mine = [ln for ln in lines if ln["reference"] == reference]
        assert sum(Decimal(ln["debit"]) for ln in mine) == \
            sum(Decimal(ln["credit"]) for ln in mine)

    # a rebuild and a push again change nothing
    logs.append(dags_test(env, "ledger", "-c", conf))
    logs.append(dags_test(env, "push__odoo"))
    assert odoo_journals(srv)["totals"]["entries"] == books["totals"]["entries"]
    secrets = [json.loads(v).get("password") for v in connections(srv, sb).values()]
    assert not [s for s in secrets if s for log in logs if s in log]


def odoo_journals(srv: SandboxServer) -> dict[str, Any]:
    reply = requests.get(f"{srv.base_url}/_sandbox/odoo/{ERP}/journals", timeout=10)
    reply.raise_for_status()
    result: dict[str, Any] = reply.json()
    return result
