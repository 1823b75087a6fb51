"""stock_sync through Airflow: an order on one shop changes what the other shop shows."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from synchub.runtime import ConnectionInfo
from tests.airflow.test_dags import _migrate, airflow_env
from tests.stock.test_stock_e2e import World

pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("airflow")]


def conn_json(info: ConnectionInfo) -> str:
    return json.dumps({"conn_type": info.conn_type, "host": info.host, "login": info.login,
                       "password": info.password, "schema": info.schema})


def dags_test(env: dict[str, str], dag_id: str, *args: str) -> str:
    proc = subprocess.run(["airflow", "dags", "test", dag_id, *args], env=env,
                          capture_output=True,
                          text=True, check=False, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{dag_id}: " + output[-4000:]
    return output


def test_orders_on_one_shop_reach_the_other_through_airflow(
        tmp_path: Path, sandbox: Any, pg_url: str) -> None:
    world = World(sandbox, tmp_path, pg_url)
    try:
        env = airflow_env(tmp_path, world.hub.path, pg_url, **{
            f"AIRFLOW_CONN_{name.upper()}": conn_json(info)
            for name, info in world.infos.items()})
        _migrate(env)
        for dag_id in ("sync__odoo", "sync__shop", "sync__woo"):
            dags_test(env, dag_id)
        out = dags_test(env, "stock_sync")
        for info in world.infos.values():
            assert info.password not in out        # no secret reaches the task logs
        sku = world.common_skus()[0]
        free = world.master_free(sku)
        assert (world.shop_shows(sku), world.woo_shows(sku)) == (free, free)

        # an order on Shopify: its sync emits the orders Asset and stock_sync pushes the
        # new figure to WooCommerce
        world.sb.shopify("demo").place_order([{"sku": sku, "quantity": 2}])
        dags_test(env, "sync__shop")
        dags_test(env, "stock_sync")
        assert world.woo_shows(sku) == free - 2

        # and the reverse
        world.sb.woocommerce("demo").place_order([{"sku": sku, "quantity": 1}])
        dags_test(env, "sync__woo")
        dags_test(env, "stock_sync")
        assert world.shop_shows(sku) == free - 3
        assert world.woo_shows(sku) == free - 3

        engine = sa.create_engine(pg_url)
        with engine.connect() as c:
            runs = c.execute(sa.text(
                "select status, summary from stock_runs order by id")).all()
        engine.dispose()
        assert [r.status for r in runs] == ["success"] * 3
        last = {ch["channel"]: ch for ch in runs[-1].summary["channels"]}
        assert last["shop"]["pushed"] == 1 and last["shop"]["write_calls"] == 1
    finally:
        world.close()
