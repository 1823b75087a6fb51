"""``feed__<consumer>`` through Airflow: parsed from hub.yaml, run, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from synchub.store import Store
from tests.airflow.test_dags import DAGBAG_PROBE, ROOT, _migrate, airflow_env

from .conftest import make_order, write_hub

pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("airflow")]

CONSUMERS = """\
    erp:
      entities: [order, customer, stock_alert]
      connections: [shop]
      schedule: "0 * * * *"
      export: {to: exports/erp, formats: [jsonl, csv]}
    bi:
      entities: [order]
"""


def test_feed_dag_is_built_for_consumers_with_an_export(tmp_path: Path) -> None:
    hub = write_hub(tmp_path, CONSUMERS)
    env = airflow_env(tmp_path, hub.path, "sqlite:////nonexistent-dir/never/hub.db")
    proc = subprocess.run([sys.executable, "-c", DAGBAG_PROBE, str(ROOT / "dags")], env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["errors"] == {}
    assert "feed__bi" not in out["dags"]  # no export: the API alone serves it
    feed = out["dags"]["feed__erp"]
    assert feed["tasks"] == ["export"]
    assert feed["on_assets"] == ["synchub://canonical/customers", "synchub://canonical/orders"]
    assert feed["cron"] == "0 * * * *"


def test_feed_dag_exports_through_airflow(tmp_path: Path, pg_url: str) -> None:
    hub = write_hub(tmp_path, CONSUMERS)
    store = Store.from_url(pg_url)
    store.migrate()
    store.write_page(connection="shop", stream="orders", records=[make_order("1")])
    store.write_page(connection="woo", stream="orders", records=[make_order("2", "woo")])
    store.dispose()
    env = airflow_env(tmp_path, hub.path, pg_url)
    _migrate(env)
    proc = subprocess.run(["airflow", "dags", "test", "feed__erp"], env=env,
                          capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    folder = tmp_path / "exports" / "erp"
    files = sorted(p.relative_to(folder).parts[0] + "/" + p.suffix
                   for p in folder.rglob("*") if p.is_file())
    assert files == ["order/.csv", "order/.jsonl", "order_line/.csv"]
    (jsonl,) = (folder / "order").glob("*.jsonl")
    assert [json.loads(x)["external_id"] for x in jsonl.read_text().splitlines()] == ["1"]
