"""The DAGs through Airflow itself: DagBag integrity, and a real run against the sandbox.

Airflow runs in subprocesses with their own AIRFLOW_HOME, so its configuration never leaks
into the rest of the suite.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ..e2e.conftest import write_hub

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("airflow")]


def airflow_env(tmp_path: Path, hub: Path, store_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "SYNCHUB_HUB": str(hub),
        "SYNCHUB_STORE_URL": store_url,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    env.update(extra)
    return env


DAGBAG_PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
sys.path.append(sys.argv[1])  # as Airflow's DAG bundle does for the dag processor and workers
bag = DagBag(dag_folder=sys.argv[1])
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "tasks": sorted(t.task_id for t in dag.tasks),
        "pools": sorted({t.pool for t in dag.tasks}),
        "retries": sorted({t.retries for t in dag.tasks if not t.task_id.startswith("emit_")}),
        "outlets": sorted(a.uri for t in dag.tasks for a in t.outlets),
        "schedule": str(getattr(dag.timetable, "description", "")),
        "on_assets": sorted(a.uri for a in (lambda c: [c] if hasattr(c, "uri") else
                                            getattr(c, "objects", []))(
            getattr(dag.timetable, "asset_condition", None))),
        "cron": str(getattr(getattr(dag.timetable, "timetable", None), "expression", "")),
    }
print(json.dumps(out))
"""


def test_dagbag_has_one_dag_per_connection_and_no_import_errors(tmp_path: Path) -> None:
    env = airflow_env(tmp_path, ROOT / "hub.yaml",
                      # an unusable store: parsing must not touch it (no I/O at parse time)
                      "sqlite:////nonexistent-dir/never/hub.db")
    proc = subprocess.run([sys.executable, "-c", DAGBAG_PROBE, str(ROOT / "dags")], env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["errors"] == {}
    syncs = {f"sync__{c}" for c in ("shopify_demo", "woo_demo", "odoo_demo", "hubspot_demo",
                                    "dhl_demo", "aftership_demo", "woo_settlements",
                                    "ecb_rates", "ebay_demo", "amazon_demo", "taobao_demo",
                                    "jd_demo", "pinduoduo_demo", "youzan_demo",
                                    "weimob_demo", "weidian_demo", "udesk_demo",
                                    "sf_express_demo")}
    pushes = {f"push__{c}" for c in ("odoo_demo", "hubspot_demo", "shopify_demo", "woo_demo",
                                     "aftership_demo", "ebay_demo", "youzan_demo",
                                     "weimob_demo", "weidian_demo", "udesk_demo",
                                     "sf_express_demo")}
    assert set(out["dags"]) == syncs | pushes | {"stock_sync", "feed__bi", "synchub_replay",
                                                 "ledger"}
    ledger = out["dags"]["ledger"]
    assert ledger["tasks"] == ["build", "reconcile", "settle", "summary"]
    assert "synchub://canonical/ledger_entries" in ledger["outlets"]
    shop = out["dags"]["sync__shopify_demo"]
    assert shop["tasks"] == sorted(["orders", "customers", "products", "inventory_levels",
                                    "payouts", "balance_transactions",
                                    "process_inbox", "emit_order", "emit_refund",
                                    "emit_customer", "emit_product", "emit_inventory_level",
                                    "emit_payout", "emit_balance_transaction"])
    # webhooks: the inbox Asset or the cron
    assert shop["on_assets"] == ["synchub://inbox/shopify_demo"]
    assert shop["cron"] == "*/15 * * * *"
    odoo_push = out["dags"]["push__odoo_demo"]
    assert odoo_push["tasks"] == ["drain", "report", "route"]
    assert odoo_push["on_assets"] == ["synchub://canonical/ledger_entries",
                                      "synchub://canonical/orders", "synchub://canonical/refunds"]
    shop_push = out["dags"]["push__shopify_demo"]
    assert shop_push["on_assets"] == ["synchub://canonical/shipments"]
    assert shop["pools"] == ["synchub__shopify_demo"]
    assert shop["retries"] == [3]
    assert "synchub://canonical/orders" in shop["outlets"]
    assert "synchub://canonical/inventory_levels" in shop["outlets"]
    woo = out["dags"]["sync__woo_demo"]
    assert {"orders", "customers", "products", "product_variations"} <= set(woo["tasks"])
    stock = out["dags"]["stock_sync"]
    assert stock["tasks"] == ["compute_and_push", "prepare", "report"]
    # scheduled on the Assets of orders, inventory and shipments, or the fallback cron
    assert stock["on_assets"] == ["synchub://canonical/inventory_levels",
                                  "synchub://canonical/orders", "synchub://canonical/shipments"]
    assert stock["cron"] == "*/30 * * * *"


def test_a_broken_hub_file_is_an_import_error_naming_the_key(tmp_path: Path) -> None:
    hub = tmp_path / "hub.yaml"
    hub.write_text("version: 1\nconnections:\n  shop:\n    connector: shopify\n")
    env = airflow_env(tmp_path, hub, f"sqlite:///{tmp_path / 'hub.db'}")
    proc = subprocess.run([sys.executable, "-c", DAGBAG_PROBE, str(ROOT / "dags")], env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["dags"] == {}
    message = " ".join(out["errors"].values())
    assert "conn_id" in message and "required" in message


def _migrate(env: dict[str, str]) -> None:
    """The deploy's two migrations: Airflow's metadata database, then the hub store.

    Tasks never migrate the hub store; they fail unless it was upgraded (what ``synchub db
    upgrade`` does, done here on the environment's store URL whatever the hub file holds).
    """
    proc = subprocess.run(["airflow", "db", "migrate"], env=env, capture_output=True, text=True,
                          check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    from synchub.store import Store

    store = Store.from_url(env["SYNCHUB_STORE_URL"])
    try:
        store.upgrade()
    finally:
        store.dispose()


def test_a_task_on_a_store_behind_the_code_fails_with_the_fix_and_does_not_migrate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from synchub.store import StoreNotCurrentError
    from tests.feeds.conftest import write_hub as write_feed_hub

    hub = write_feed_hub(tmp_path)
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    monkeypatch.setenv("SYNCHUB_HUB", str(hub.path))
    monkeypatch.setenv("SYNCHUB_STORE_URL", url)
    monkeypatch.syspath_prepend(str(ROOT / "dags"))
    import synchub_outbound

    monkeypatch.setattr(synchub_outbound, "get_current_context", lambda: {"run_id": "r1"})
    with pytest.raises(StoreNotCurrentError, match="run `synchub db upgrade`"):
        synchub_outbound.feed_export_task("erp")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == []     # nothing was migrated
    engine.dispose()


def test_tasks_resolve_connections_through_airflow(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    monkeypatch.setenv("AIRFLOW_CONN_ERP_TEST", json.dumps({
        "conn_type": "http", "host": "erp.example", "login": "api", "password": "s3cret-pw",
        "port": 8069, "schema": "prod", "extra": {"timeout": 5}}))
    monkeypatch.syspath_prepend(str(ROOT / "dags"))
    from synchub_airflow import airflow_connection

    from synchub.runtime import ConnectionInfo

    assert airflow_connection("erp_test") == ConnectionInfo(
        conn_id="erp_test", conn_type="http", host="erp.example", login="api",
        password="s3cret-pw", port=8069, schema="prod", extra={"timeout": 5})


def test_every_secret_of_a_connection_is_registered_with_airflows_masker(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    monkeypatch.syspath_prepend(str(ROOT / "dags"))
    from airflow.sdk import Connection
    from airflow.sdk._shared.secrets_masker import redact
    from synchub_airflow import masked_connection_info

    conn = Connection(conn_id="shop_masked", conn_type="http",
                      host="https://shop-admin:host-pass-4711@shop.example", login="api",
                      password="conn-password-123", extra=json.dumps({
                          "timeout": 30, "token_url": "https://auth.example/token",
                          "webhook": {"signingKey": "whsec-nested-0815"},
                          "oauth": {"Client_Secret": "cs-deep-42a", "scopes": ["read"]},
                          "API-TOKEN": "tok-upper-9000"}))
    info = masked_connection_info(conn)
    assert info.host == "https://shop-admin:host-pass-4711@shop.example"
    secrets = ["conn-password-123", "host-pass-4711", "shop-admin", "whsec-nested-0815",
               "cs-deep-42a", "tok-upper-9000"]
    line = "sent " + " and ".join(secrets)
    assert redact(line) == "sent " + " and ".join(["***"] * len(secrets))
    # what is no secret stays readable
    assert redact("https://shop.example api read 30") == "https://shop.example api read 30"


def test_sync_dag_runs_through_airflow_against_the_sandbox(tmp_path: Path, sandbox: Any,
                                                           db_url: str) -> None:
    sb, srv = sandbox
    sb.shopify("demo", orders=260, customers=40, products=12)
    hub = write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop_conn"}})
    shop = sb.shopify("demo")
    conn = json.dumps({"conn_type": "http", "host": srv.shopify_url("demo"),
                       "password": shop.access_token})
    env = airflow_env(tmp_path, hub, db_url, AIRFLOW_CONN_SHOP_CONN=conn)
    _migrate(env)
    proc = subprocess.run(["airflow", "dags", "test", "sync__shop"], env=env,
                          capture_output=True, text=True, check=False, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert shop.access_token not in output          # the secret never reaches the task log

    engine = sa.create_engine(db_url)
    with engine.connect() as c:
        count = dict(c.execute(sa.text(
            "select 'orders', count(*) from orders union all "
            "select 'customers', count(*) from customers union all "
            "select 'products', count(*) from products")).all())
        runs = c.execute(sa.text("select stream, status from sync_runs")).all()
    engine.dispose()
    assert count == {"orders": 260, "customers": 40, "products": shop.counts()["variants"]}
    assert {s for s, st in runs if st == "success"} == {"orders", "customers", "products",
                                                         "inventory_levels", "payouts",
                                                         "balance_transactions"}

    # every entity that changed got an Asset event, for downstream DAGs to schedule on
    db = sqlite3.connect(tmp_path / "airflow" / "airflow.db")
    uris = {r[0] for r in db.execute(
        "select a.uri from asset_event e join asset a on a.id = e.asset_id")}
    db.close()
    assert {"synchub://canonical/orders", "synchub://canonical/customers",
            "synchub://canonical/products"} <= uris

    # a second run with nothing changed stores nothing and emits no order event
    proc = subprocess.run(["airflow", "dags", "test", "sync__shop"], env=env,
                          capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    db = sqlite3.connect(tmp_path / "airflow" / "airflow.db")
    n_events = db.execute("select count(*) from asset_event e join asset a on a.id = e.asset_id "
                          "where a.uri = 'synchub://canonical/orders'").fetchone()[0]
    db.close()
    assert n_events == 1
