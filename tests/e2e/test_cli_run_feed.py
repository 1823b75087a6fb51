"""`synchub run` syncs without Airflow; `synchub feed` reads it back with a resumable cursor."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from synchub.cli import main

from .conftest import write_hub

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "canonical" / "order.schema.json").read_text())


def no_safety_lag(system: str, doc: dict[str, Any]) -> None:
    """The CLI's window ends now less the safety lag; these tests change data just before."""
    for stream in doc["streams"].values():
        if stream.get("incremental"):
            stream["incremental"]["safety_lag"] = "0s"


def test_run_then_feed_in_pages(tmp_path: Path, sandbox: Any, db_url: str,
                                monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    sb, srv = sandbox
    shop = sb.shopify("demo", orders=40, customers=5, products=3)
    hub = write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop_conn"}},
                    no_safety_lag)
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_CONN", json.dumps(
        {"conn_type": "http", "host": srv.shopify_url("demo"), "password": shop.access_token}))
    monkeypatch.setenv("SYNCHUB_STORE_URL", db_url)
    assert main(["db", "upgrade", "--config", str(hub)]) == 0
    capsys.readouterr()

    assert main(["run", "shop", "--stream", "orders", "--config", str(hub), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip())
    assert summary["changed"]["order"] == 40 and summary["status"] == "success"
    assert shop.access_token not in json.dumps(summary)

    assert main(["feed", "orders", "--limit", "25", "--config", str(hub)]) == 0
    cap = capsys.readouterr()
    first = [json.loads(x) for x in cap.out.splitlines()]
    cursor = json.loads(cap.err.strip().splitlines()[-1])["next_cursor"]
    assert len(first) == 25
    for doc in first:
        jsonschema.validate(doc, SCHEMA)

    assert main(["feed", "orders", "--since", str(cursor), "--config", str(hub)]) == 0
    cap = capsys.readouterr()
    rest = [json.loads(x) for x in cap.out.splitlines()]
    assert len(rest) == 15
    assert {d["id"] for d in first}.isdisjoint({d["id"] for d in rest})

    # a change shows up after the cursor, and only the change
    end = json.loads(cap.err.strip().splitlines()[-1])["next_cursor"]
    shop.mutate(orders_updated=1)
    assert main(["run", "shop", "--stream", "orders", "--config", str(hub)]) == 0
    capsys.readouterr()
    assert main(["feed", "order", "--since", str(end), "--format", "csv",
                 "--config", str(hub)]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(table) == 1
    assert {"external_id", "total_amount", "total_currency", "lines"} <= set(table[0])


def test_run_names_an_unknown_connection_or_stream(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    hub = write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop_conn"}})
    assert main(["run", "shopp", "--config", str(hub)]) == 2
    assert "unknown connection 'shopp'" in capsys.readouterr().err
    assert main(["run", "shop", "--stream", "ordres", "--config", str(hub)]) == 2
    assert "unknown or disabled stream 'ordres'" in capsys.readouterr().err


def test_run_without_the_connection_says_which_variable(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    hub = write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop_conn"}})
    monkeypatch.delenv("AIRFLOW_CONN_SHOP_CONN", raising=False)
    assert main(["run", "shop", "--config", str(hub)]) == 2
    assert "AIRFLOW_CONN_SHOP_CONN" in capsys.readouterr().err


def test_run_holds_back_the_safety_lag(tmp_path: Path, sandbox: Any, db_url: str,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A change made seconds ago waits for the next run (Shopify holds back one minute)."""
    sb, srv = sandbox
    shop = sb.shopify("demo", orders=30, customers=5, products=3)
    hub = write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop_conn"}})
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_CONN", json.dumps(
        {"conn_type": "http", "host": srv.shopify_url("demo"), "password": shop.access_token}))
    monkeypatch.setenv("SYNCHUB_STORE_URL", db_url)
    assert main(["db", "upgrade", "--config", str(hub)]) == 0
    capsys.readouterr()
    assert main(["run", "shop", "--stream", "orders", "--config", str(hub), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"]["order"] == 30
    shop.mutate(orders_created=2)
    assert main(["run", "shop", "--stream", "orders", "--config", str(hub), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stored"] == 0
