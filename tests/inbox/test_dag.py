"""The sync DAG of a connection with webhooks, through Airflow itself.

``process_inbox`` joins the stream tasks, and the DAG runs on its cron OR the connection's
inbox Asset, which the plugin's emitter records when a webhook is stored.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from synchub.inbox import WebhookReceiver
from synchub.sandbox.kit.http import dumps
from synchub.store import Store
from synchub.store.delivery_tables import inbox
from tests.airflow.test_dags import _migrate, airflow_env

from .conftest import SHOP_SECRET, secrets, shopify_headers, write_hub

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("airflow")]

PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
sys.path.append(sys.argv[1])
bag = DagBag(dag_folder=sys.argv[1])
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    cond = getattr(dag.timetable, "asset_condition", None)
    out["dags"][dag_id] = {
        "tasks": sorted(t.task_id for t in dag.tasks),
        "on_assets": sorted(a.uri for a in getattr(cond, "objects", [cond] if cond else [])),
        "cron": str(getattr(getattr(dag.timetable, "timetable", None), "expression", "")
                    or getattr(dag.timetable, "_expression", "")),
        "emit_order_upstream": sorted(dag.get_task("emit_order").upstream_task_ids)
        if "emit_order" in dag.task_ids else [],
    }
print(json.dumps(out))
"""


def test_dag_has_process_inbox_and_runs_on_cron_or_inbox_asset(tmp_path: Path) -> None:
    hub = write_hub(tmp_path, shop={"connector": "shopify", "conn_id": "shop",
                                    "schedule": "*/15 * * * *", "webhooks": {}})
    env = airflow_env(tmp_path, hub.path, "sqlite:////nonexistent-dir/never/hub.db")
    proc = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "dags")], env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["errors"] == {}
    shop = out["dags"]["sync__shop"]
    assert "process_inbox" in shop["tasks"]
    assert shop["on_assets"] == ["synchub://inbox/shop"]
    assert shop["cron"] == "*/15 * * * *"
    # the inbox's order changes reach the order Asset, which stock_sync listens to
    assert "process_inbox" in shop["emit_order_upstream"]
    quiet = out["dags"]["sync__quiet"]            # no webhooks: as before
    assert "process_inbox" not in quiet["tasks"] and quiet["on_assets"] == []


def test_sync_run_processes_the_inbox_and_the_plugin_emits_the_inbox_asset(
        tmp_path: Path, sandbox: Any) -> None:
    sb, srv = sandbox
    shop = sb.shopify("demo", orders=0, customers=1, products=3)
    hub = write_hub(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = Store.from_url(db_url)
    store.migrate()
    oid = shop.place_order([{"sku": sorted(shop._by_sku)[0], "quantity": 1}])["id"]
    body = dumps(shop.order(oid))
    rcv = WebhookReceiver(hub, store, resolve=secrets)
    assert rcv.receive("shop", shopify_headers(body), body).outcome == "stored"

    conn = json.dumps({"conn_type": "http", "host": srv.shopify_url("demo"),
                       "password": shop.access_token,
                       "extra": {"webhook_secret": SHOP_SECRET}})
    env = airflow_env(tmp_path, hub.path, db_url, AIRFLOW_CONN_SHOP=conn)
    _migrate(env)
    proc = subprocess.run(["airflow", "dags", "test", "sync__shop"], env=env,
                          capture_output=True, text=True, check=False, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert SHOP_SECRET not in output
    with store.engine.connect() as c:
        assert c.execute(sa.select(inbox.c.status)).scalars().all() == ["processed"]
    assert store.count("order", connection="shop") == 1
    store.dispose()

    # the plugin's emitter records the inbox Asset event the DAG is scheduled on
    emit = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from synchub_plugin import emit_inbox_event; emit_inbox_event('shop')")
    proc = subprocess.run([sys.executable, "-c", emit, str(ROOT / "plugins")], env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "airflow" / "airflow.db")
    events = db.execute("select count(*) from asset_event e join asset a on a.id = e.asset_id "
                        "where a.uri = 'synchub://inbox/shop'").fetchone()[0]
    db.close()
    assert events == 1


@pytest.mark.parametrize(("run_type", "polls"), [("asset_triggered", False),
                                                 ("scheduled", True), ("manual", True)])
def test_a_run_started_by_the_inbox_does_not_poll(monkeypatch: pytest.MonkeyPatch,
                                                  run_type: str, polls: bool) -> None:
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowSkipException

    sys.path.insert(0, str(ROOT / "dags"))
    import synchub_factory

    called: list[tuple[str, str]] = []
    monkeypatch.setattr(synchub_factory, "get_current_context",
                        lambda: {"dag_run": SimpleNamespace(run_type=run_type)})
    monkeypatch.setattr(synchub_factory, "run_stream_task",
                        lambda c, s: called.append((c, s)) or {"stream": s})
    if polls:
        assert synchub_factory.poll_stream_task("shop", "orders") == {"stream": "orders"}
        assert called == [("shop", "orders")]
    else:
        with pytest.raises(AirflowSkipException):
            synchub_factory.poll_stream_task("shop", "orders")
        assert called == []
