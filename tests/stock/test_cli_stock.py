"""`synchub stock ...` against the sandbox: sync, explain, drift, alerts, exceptions, feeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from synchub.cli import main
from tests.airflow.test_stock_dag import conn_json
from tests.stock.test_stock_e2e import World


def test_stock_commands(sandbox: Any, tmp_path: Path, sqlite_url: str,
                        monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    world = World(sandbox, tmp_path, sqlite_url)
    try:
        for name, info in world.infos.items():
            monkeypatch.setenv(f"AIRFLOW_CONN_{name.upper()}", conn_json(info))
        for conn in ("odoo", "shop", "woo"):
            world.sync(conn)
        sku = world.common_skus()[0]
        world.sb.shopify("demo").place_order([{"sku": sku, "quantity": 1}])
        world.sync("shop")
        base = ["--config", str(world.hub.path), "--store", sqlite_url]

        assert main(["stock", "sync", *base, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        shop = next(c for c in out["shards"][0]["channels"] if c["channel"] == "shop")
        assert shop["pushed"] > 0 and shop["write_calls"] == shop["min_calls"]
        assert "missing_on_channel" in out["drift"]["shop"]

        assert main(["stock", "explain", sku, "--channel", "woo", *base]) == 0
        text = capsys.readouterr().out
        assert f"SKU {sku}" in text
        assert "reserved by channel orders in the hub: 1" in text
        assert "WH/Stock: on hand" in text and "=>  figure" in text
        assert f"published {world.woo_shows(sku)}" in text
        assert "reserved     1 of" in text  # the order holding the unit

        assert main(["stock", "explain", sku, "--json", *base]) == 0
        info = json.loads(capsys.readouterr().out)
        assert {c["channel"] for c in info["channels"]} == {"shop", "woo"}

        assert main(["stock", "drift", "--channel", "shop", *base]) == 0
        kinds = {json.loads(line)["kind"] for line in capsys.readouterr().out.splitlines()}
        assert kinds <= {"missing_on_channel", "missing_in_master", "quantity_mismatch"}
        assert "missing_on_channel" in kinds

        assert main(["stock", "alerts", "--all", *base]) == 0
        alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert alerts and all(a["kind"] in {"stock_out", "low_stock", "low_cover"}
                              for a in alerts)

        assert main(["feed", "stock_alerts", *base[2:], "--config", str(world.hub.path)]) == 0
        fed = capsys.readouterr()
        assert len(fed.out.splitlines()) == len(alerts)
        assert json.loads(fed.err.splitlines()[-1])["next_cursor"] == len(alerts)

        assert main(["stock", "exceptions", *base]) == 0
        assert capsys.readouterr().out == ""

        assert main(["stock", "explain", sku, "--channel", "nope", *base]) == 2
        assert "'nope' is not a stock channel" in capsys.readouterr().err
    finally:
        world.close()
