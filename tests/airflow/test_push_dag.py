"""push__<sink> and synchub_replay through Airflow: DAG shape, and a real run on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from synchub.store import Store
from tests.airflow.test_dags import DAGBAG_PROBE, ROOT, _migrate, airflow_env
from tests.delivery.conftest import FAKE_WRITERS, write_push_hub
from tests.store.conftest import make_customer, make_order

pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("airflow")]

SINKS = {"erp": {"customers": {"from": ["shop"]}, "orders": {"from": ["shop"]}}}
FEEDS = {"consumers": {"bi": {"entities": ["order"], "schedule": "0 6 * * *",
                              "webhook": {"conn_id": "bi_hook"}}}}

# Runs in a fresh interpreter with the test's Airflow environment: registers the fake
# writers (no HTTP) and runs the DAG in-process with dag.test().
RUN_DAG = f"""
import json, sys
sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "dags")!r}]
from synchub.registry import REGISTRY
for name, target in {FAKE_WRITERS!r}.items():
    REGISTRY.add("writer", name, target, replace=True)
from synchub_factory import build_dags
from tests.delivery import fakes
run = build_dags()[sys.argv[1]].test()
box = fakes.sink("erp")
print("RESULT " + json.dumps({{"state": str(run.state), "creates": box.creates,
                              "order": [e for e, _ in box.order]}}))
"""


# the hub names the fake writers: registered before the DAG files are parsed
FAKE_DAGBAG_PROBE = ("from synchub.registry import REGISTRY\n"
                     f"for name, target in {FAKE_WRITERS!r}.items():\n"
                     "    REGISTRY.add('writer', name, target, replace=True)\n"
                     + DAGBAG_PROBE)


def test_dagbag_has_a_push_dag_per_sink_and_the_replay_dag(tmp_path: Path) -> None:
    hub = write_push_hub(tmp_path, SINKS, FEEDS)
    env = airflow_env(tmp_path, hub, "sqlite:////nonexistent-dir/never/hub.db")
    proc = subprocess.run([sys.executable, "-c", FAKE_DAGBAG_PROBE, str(ROOT / "dags")],
                          env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["errors"] == {}
    assert {"push__erp", "push__bi", "synchub_replay"} <= set(out["dags"])
    erp = out["dags"]["push__erp"]
    assert erp["tasks"] == ["drain", "report", "route"]
    assert erp["on_assets"] == ["synchub://canonical/customers", "synchub://canonical/orders"]
    assert erp["cron"] == "0 * * * *"                  # the hub default, @hourly
    assert erp["pools"] == ["synchub__erp"]
    bi = out["dags"]["push__bi"]
    assert bi["on_assets"] == ["synchub://canonical/orders"] and bi["cron"] == "0 6 * * *"
    assert out["dags"]["synchub_replay"]["tasks"] == ["replay"]


def test_push_dag_delivers_through_airflow_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    store = Store.from_url(pg_url)
    store.migrate()
    store.write_page(connection="shop", stream="test",
                     records=[make_order(1), make_order(2), make_customer(7, "a@example.com")])
    store.dispose()
    hub = write_push_hub(tmp_path, SINKS)
    conn = json.dumps({"conn_type": "http", "host": "http://127.0.0.1:9", "login": "u",
                       "password": "p", "schema": "db"})
    env = airflow_env(tmp_path, hub, pg_url, AIRFLOW_CONN_ERP=conn)
    _migrate(env)
    proc = subprocess.run([sys.executable, "-c", RUN_DAG, "push__erp"], env=env,
                          capture_output=True, text=True, check=False, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    result = json.loads(output.split("RESULT ", 1)[1].splitlines()[0])
    assert result["state"].endswith("success"), output[-4000:]
    assert result == {"state": result["state"], "creates": 3,
                      "order": ["customer", "order", "order"]}

    engine = sa.create_engine(pg_url)
    with engine.connect() as c:
        statuses = c.execute(sa.text("select status, count(*) from deliveries "
                                     "group by status")).all()
        runs = c.execute(sa.text("select run_id, status, summary from delivery_runs")).all()
        cursor = c.execute(sa.text("select state from sync_state where connection = 'erp' "
                                   "and stream = 'route:orders'")).scalar_one()
    engine.dispose()
    assert dict(statuses) == {"delivered": 3}
    assert len(runs) == 1 and runs[0].status == "success"
    assert runs[0].summary["routes"]["orders"] == {"routed": 2, "delivered": 2, "skipped": 0,
                                                   "retried": 0, "deferred": 0, "dead": 0}
    assert cursor == {"cursor": 2}
