"""``synchub push``, ``synchub deadletters`` and ``synchub replay`` on a real store."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from synchub.cli import main
from synchub.store import DeadLetterIn
from tests.delivery.conftest import PushWorld
from tests.store.conftest import make_order

ERP = {"erp": {"orders": {"from": ["shop"]}}}


def run(capsys: pytest.CaptureFixture[str], w: PushWorld, *argv: str) -> tuple[int, str, str]:
    code = main([argv[0], "--config", str(w.hub.path), "--store",
                 str(w.store.engine.url.render_as_string(hide_password=False)), *argv[1:]])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_push_list_and_replay_from_the_command_line(
        push_world: Callable[..., PushWorld], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ERP", json.dumps({
        "conn_type": "http", "host": "http://127.0.0.1:9", "login": "u", "password": "p",
        "schema": "db"}))
    w = push_world(ERP)
    w.put(make_order(1), make_order(2))
    w.sink().refuse = {make_order(2).id}
    w.store.write_page(connection="crm", stream="contacts", records=[], dead_letters=[
        DeadLetterIn(entity="customer", record_id="9", reason="bad email", raw={"id": "9"})])

    code, out, _ = run(capsys, w, "push", "erp", "--json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["delivered"], summary["dead"]) == (1, 1)

    code, out, _ = run(capsys, w, "deadletters")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["kind"], r["id"][:2]) for r in rows] == [("quarantined", "dl"),
                                                         ("undelivered", "d-")]
    assert rows[1]["reason"] == "field x is invalid" and rows[1]["connection"] == "erp"
    code, out, _ = run(capsys, w, "deadletters", "--connection", "erp")
    assert [json.loads(line)["kind"] for line in out.splitlines()] == ["undelivered"]

    w.sink().refuse = set()
    code, out, _ = run(capsys, w, "replay", rows[1]["id"])
    assert code == 0 and "deliveries queued again: 1" in out
    code, out, _ = run(capsys, w, "push", "erp")
    assert code == 0 and "erp.orders" in out and "delivered      1" in out
    assert w.sink().creates == 2


def test_clear_errors_for_unknown_sinks_and_ids(
        push_world: Callable[..., PushWorld], capsys: pytest.CaptureFixture[str]) -> None:
    w = push_world(ERP)
    code, _, err = run(capsys, w, "push", "nope")
    assert code == 2 and "unknown sink 'nope'; sinks: erp" in err
    code, _, err = run(capsys, w, "replay", "d-77")
    assert code == 2 and "no delivery d-77" in err
    code, _, err = run(capsys, w, "replay", "x-1")
    assert code == 2 and "unknown id 'x-1'" in err
    code, _, err = run(capsys, w, "replay")
    assert code == 2 and "say what to replay" in err
