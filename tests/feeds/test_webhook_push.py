"""A feed consumer's signed webhooks through the delivery engine, to a loopback receiver."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from synchub.delivery.engine import run_push
from synchub.store import Store

from .conftest import make_customer, make_order, write_hub
from .test_webhook import SECRET, Receiver, receiver  # noqa: F401 - the fixture

CONSUMER = """\
    erp:
      entities: [order, customer]
      connections: [shop]
      webhook: {conn_id: erp_hook, batch_size: 2, max_attempts: 3}
"""


def test_changes_reach_the_receiver_signed_once_each(
        store: Store, tmp_path: Path, receiver: Receiver,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ERP_HOOK", json.dumps({
        "conn_type": "http", "host": "127.0.0.1", "schema": "http", "port": receiver.port,
        "password": SECRET}))
    hub = write_hub(tmp_path, CONSUMER)
    store.write_page(connection="shop", stream="orders",
                     records=[make_order("1"), make_order("2"), make_order("3")])
    store.write_page(connection="woo", stream="orders", records=[make_order("9", "woo")])
    store.write_page(connection="shop", stream="customers",
                     records=[make_customer("c1", "c@example.com")])
    now = datetime.now(UTC)

    receiver.fail_next = 1  # the first call meets a 503: that batch is retried later
    first = run_push(store, hub, "erp", run_id="r1", now=now)
    assert first["retried"] >= 1 and first["dead"] == 0
    second = run_push(store, hub, "erp", run_id="r2", now=now + timedelta(hours=2))
    assert first["delivered"] + second["delivered"] == 4 and second["dead"] == 0

    got = [(p["entity"], r["external_id"]) for p in receiver.processed for r in p["records"]]
    assert sorted(got) == [("customer", "c1"), ("order", "1"), ("order", "2"), ("order", "3")]
    assert all(p["consumer"] == "erp" and len(p["records"]) <= 2 for p in receiver.processed)

    # nothing changed: nothing is sent again
    third = run_push(store, hub, "erp", run_id="r3", now=now + timedelta(hours=3))
    assert third["delivered"] == 0
    assert sum(len(p["records"]) for p in receiver.processed) == 4


def test_the_engine_hands_the_runners_resolver_to_the_webhook_writer(
        store: Store, tmp_path: Path, receiver: Receiver,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside Airflow the push job passes Airflow's lookup; no environment variable needed."""
    from synchub.runtime import ConnectionInfo

    monkeypatch.delenv("AIRFLOW_CONN_ERP_HOOK", raising=False)
    asked: list[str] = []

    def resolve(conn_id: str) -> ConnectionInfo:
        asked.append(conn_id)
        return ConnectionInfo(conn_id=conn_id, host="127.0.0.1", schema="http",
                              port=receiver.port, password=SECRET)

    hub = write_hub(tmp_path, CONSUMER)
    store.write_page(connection="shop", stream="orders", records=[make_order("1")])
    summary = run_push(store, hub, "erp", run_id="r1", resolve=resolve)
    assert summary["delivered"] == 1 and asked == ["erp_hook"]
    assert [r["external_id"] for p in receiver.processed for r in p["records"]] == ["1"]
