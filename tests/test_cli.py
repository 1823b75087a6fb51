"""The command line: normalize's streams and exit codes, feed's cursor, run without Airflow."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from synchub.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "mapping" / "fixtures"
ORDER_SCHEMA = json.loads((ROOT / "schemas" / "canonical" / "order.schema.json").read_text())


def shopify_orders() -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "shopify" / "orders.json").read_text())["orders"]


def normalize(tmp_path: Path, payload: Any, capsys: pytest.CaptureFixture[str],
              *extra: str) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    f = tmp_path / "payload.json"
    f.write_text(json.dumps(payload))
    code = main(["normalize", "--connector", "shopify", "--entity", "order",
                 "--mappings-dir", str(ROOT / "mappings"), *extra, str(f)])
    cap = capsys.readouterr()
    out = [json.loads(line) for line in cap.out.splitlines() if line.strip()]
    err = [json.loads(line) for line in cap.err.splitlines() if line.startswith("{")]
    return code, out, err


@pytest.mark.parametrize("shape", ["envelope_list", "envelope_single", "bare_list", "bare_object"])
def test_normalize_accepts_every_vendor_shape(shape: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    orders = shopify_orders()
    payload = {"envelope_list": {"orders": orders}, "envelope_single": {"order": orders[0]},
               "bare_list": orders, "bare_object": orders[0]}[shape]
    code, out, err = normalize(tmp_path, payload, capsys)
    assert code == 0 and err == []
    assert len(out) == (len(orders) if "list" in shape else 1)
    for doc in out:
        jsonschema.validate(doc, ORDER_SCHEMA)
        assert doc["source"]["system"] == "shopify"
    assert out[0]["external_id"] == str(orders[0]["id"])


def test_normalize_quarantines_bad_records_and_keeps_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    orders = shopify_orders()
    bad_price = copy.deepcopy(orders[0])
    bad_price["total_price"] = "12,99 EUR"
    no_id = copy.deepcopy(orders[1])
    del no_id["id"]
    code, out, err = normalize(tmp_path, {"orders": [bad_price, *orders[1:], no_id]}, capsys)
    assert code == 3
    assert len(out) == len(orders) - 1
    assert len(err) == 2
    by_id = {e["record_id"]: e for e in err}
    assert str(bad_price["id"]) in by_id
    assert "total" in by_id[str(bad_price["id"])]["reason"]
    assert "12,99 EUR" in by_id[str(bad_price["id"])]["reason"]
    assert None in by_id and "id" in by_id[None]["reason"]


@pytest.mark.parametrize(("args", "message"), [
    (["--connector", "shopiffy", "--entity", "order"], "unknown connector 'shopiffy'"),
    (["--connector", "shopify", "--entity", "widget"], "unknown entity 'widget'"),
])
def test_normalize_usage_errors_exit_2(args: list[str], message: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "p.json"
    f.write_text("{}")
    code = main(["normalize", *args, "--mappings-dir", str(ROOT / "mappings"), str(f)])
    assert code == 2
    assert message in capsys.readouterr().err


def test_normalize_rejects_non_json_with_position(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "p.json"
    f.write_text('{"orders": [1, 2,]}')
    code = main(["normalize", "--connector", "shopify", "--entity", "order",
                 "--mappings-dir", str(ROOT / "mappings"), str(f)])
    assert code == 2
    assert "not JSON" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
