"""JD end to end: the JOS simulator on loopback, the project's connector and mapping, a
hub store on SQLite and on PostgreSQL.

A first run reads the last day in one-hour windows (every call signed, the business
parameters one JSON text, every window's pages from the last back), a later run only what
changed; orders modified while a window is being read are neither missed nor stored twice;
the call limit is retried; an expired token stops the run naming the Connection; a wrong
secret answers JD's signature error; a window wider than a month answers a false success,
which stops the run with JD's reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.jd.store import JdStore
from synchub.sandbox.kit.times import beijing, parse_beijing
from synchub.store import Store
from synchub.systems.cn_gateway.errors import GatewayAuthError, GatewayError
from tests.runtime.helpers import FakeClock

ROOT = Path(__file__).resolve().parents[3]


def hub(tmp_path: Path, **stream: Any) -> Hub:
    """A hub with one jd connection; ``stream`` overrides keys of the orders stream."""
    connectors = ROOT / "connectors"
    if stream:
        connectors = tmp_path / "connectors"
        (connectors / "jd").mkdir(parents=True)
        spec = yaml.safe_load((ROOT / "connectors/jd/connector.yaml").read_text())
        orders = spec["streams"]["orders"]
        for key, value in stream.items():
            orders[key] = ({**orders[key], **value} if isinstance(value, dict)
                           and isinstance(orders.get(key), dict) else value)
        (connectors / "jd/connector.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True))
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(connectors), "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"jd": {"connector": "jd", "conn_id": "jd"}}}))
    return load_hub(path)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


def stored_ids(db_url: str) -> list[str]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [str(r[0]) for r in conn.execute(sa.text("select external_id from orders"))]
    finally:
        engine.dispose()


def conn_for(server: SandboxServer, shop: JdStore, secret: str | None = None) -> ConnectionInfo:
    c = shop.credentials()
    return ConnectionInfo(conn_id="jd", conn_type="http", host=server.url("jd", shop.name),
                          login=c["app_key"], password=secret or c["app_secret"],
                          extra={"session": c["access_token"]})


def windows_asked(shop: JdStore) -> list[tuple[int, int]]:
    out = set()
    for c in shop.calls:
        b = json.loads(c.get("360buy_param_json") or "{}")
        if "start_date" in b:
            out.add((parse_beijing(b["start_date"]), parse_beijing(b["end_date"])))
    return sorted(out)


def test_orders_land_and_a_later_run_reads_only_what_changed(tmp_path: Path, store: Store,
                                                             db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: JdStore = sandbox.store("jd", "demo", orders=90, customers=1, products=5, poisoned=1)
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        now = datetime.now(UTC)
        first = sync_stream(plan, "jd", "orders", store=store, conn_info=conn, window_end=now)
        assert first.status == "success"
        assert (first.fetched, first.quarantined) == (90, 1)       # the unknown orderState
        (letter,) = store.dead_letters("jd")
        assert "SANDBOX_FROZEN" in letter["reason"] and "status" in letter["reason"]
        assert sorted(stored_ids(db_url)) == sorted(
            oid for oid, o in shop.orders.items() if o["orderState"] != "SANDBOX_FROZEN")
        spans = windows_asked(shop)
        assert all(0 < end - start <= 3600 for start, end in spans)
        assert spans[0][0] == int((now - timedelta(days=1, minutes=3)).timestamp())
        assert spans[-1][1] == int((now - timedelta(minutes=3)).timestamp())
        assert all(b[0] == a[1] for a, b in pairwise(spans))
        docs = store.read_feed("order", limit=1000).records
        mismatched = [d for d in docs if d["warnings"]]
        assert mismatched and all(
            d["adjustments"] == [{"reason": "source_total_mismatch",
                                  "amount": {"amount": "-10.00", "currency": "CNY"}}]
            for d in mismatched)
        assert all("receiver_masked" in d["tags"] for d in docs)
        assert {d["currency"] for d in docs} == {"CNY"}

        changed = shop.mutate(orders_created=2, orders_updated=3)
        second = sync_stream(plan, "jd", "orders", store=store, conn_info=conn,
                             window_end=datetime.now(UTC) + timedelta(minutes=4))
        touched = set(changed["orders_created"] + changed["orders_updated"])
        assert second.changed["order"] == len(touched)
        assert second.fetched < 15
        assert len(stored_ids(db_url)) == 89 + 2


def test_orders_modified_during_a_window_read_are_neither_missed_nor_duplicated(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path, page_size=5)
    sandbox = Sandbox(seed=11)
    shop: JdStore = sandbox.store("jd", "busy", orders=60, customers=1, products=5)
    end = datetime.now(UTC)
    # crowd them into one one-hour window of the run (many pages): 20 minutes, a minute in
    window = int((end - timedelta(days=1, minutes=3)).timestamp()) + 20 * 3600
    base = window + 60
    for k, oid in enumerate(sorted(shop.orders)):
        order = shop.orders[oid]
        order["_modified"] = base + k * 20
        order["modified"] = beijing(order["_modified"])
    moved: list[str] = []

    def buyers_act(shop: JdStore, page: int) -> None:
        # only while the crowded window is read (the empty ones before it are calls too)
        asked = json.loads(shop.calls[-1]["360buy_param_json"])["start_date"]
        if len(moved) < 8 and asked == beijing(window):
            newest = max((o for o in shop.orders.values() if o["orderId"] not in moved),
                         key=lambda o: o["_modified"])
            moved.append(newest["orderId"])
            shop.touch(newest["orderId"])

    shop.during_read = buyers_act
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        first = sync_stream(plan, "jd", "orders", store=store, conn_info=conn,
                            window_end=end)
        assert len(moved) == 8
        ids = stored_ids(db_url)
        assert len(ids) == len(set(ids)) == first.fetched
        assert {oid for oid in shop.orders if oid not in moved} <= set(ids)
        shop.during_read = None
        second = sync_stream(plan, "jd", "orders", store=store, conn_info=conn,
                             window_end=datetime.now(UTC) + timedelta(minutes=4))
        assert second.status == "success"
    assert sorted(stored_ids(db_url)) == sorted(shop.orders)


def test_the_call_limit_is_retried(tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: JdStore = sandbox.store("jd", "limited", orders=20, customers=1, products=5)
    shop.bans = [30]
    clock = FakeClock()
    with SandboxServer(sandbox) as server, ConnectorClient(
            plan.connection("jd").connector, conn_for(server, shop), clock=clock,
            sleep=clock.sleep) as client:
        summary = sync_stream(plan, "jd", "orders", store=store,
                              conn_info=conn_for(server, shop), client=client,
                              window_end=datetime.now(UTC))
    assert summary.status == "success" and summary.retries == 1
    assert len(stored_ids(db_url)) == 20


def test_an_expired_token_stops_the_run_naming_the_connection(tmp_path: Path,
                                                              store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: JdStore = sandbox.store("jd", "lapsed", orders=5, customers=1, products=5)
    shop.expire_token()
    with SandboxServer(sandbox) as server, pytest.raises(GatewayAuthError) as caught:
        sync_stream(plan, "jd", "orders", store=store, conn_info=conn_for(server, shop),
                    window_end=datetime.now(UTC))
    assert "connection 'jd'" in str(caught.value) and caught.value.code == "19"
    assert len(shop.requests) == 1


def test_a_wrong_secret_gets_the_signature_error(tmp_path: Path, store: Store,
                                                 db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: JdStore = sandbox.store("jd", "wrong", orders=5, customers=1, products=5)
    with SandboxServer(sandbox) as server, pytest.raises(GatewayError) as caught:
        sync_stream(plan, "jd", "orders", store=store,
                    conn_info=conn_for(server, shop, secret="not-the-secret"),
                    window_end=datetime.now(UTC))
    assert caught.value.code == "12" and "无效签名" in str(caught.value)
    assert stored_ids(db_url) == []


def test_a_window_wider_than_a_month_is_a_false_success_and_stops_the_run(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path, incremental={"window_size": "40d", "initial_lookback": "40d"})
    sandbox = Sandbox(seed=7)
    shop: JdStore = sandbox.store("jd", "wide", orders=5, customers=1, products=5)
    with SandboxServer(sandbox) as server, pytest.raises(GatewayError) as caught:
        sync_stream(plan, "jd", "orders", store=store, conn_info=conn_for(server, shop),
                    window_end=datetime.now(UTC))
    assert caught.value.code == "date.range.error" and "一个月" in str(caught.value)
    assert len(shop.requests) == 1 and stored_ids(db_url) == []


def test_a_placed_order_is_read_by_the_next_window_with_its_outer_sku(
        tmp_path: Path, store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=5)
    shop: JdStore = sandbox.store("jd", "demo", orders=0)
    oid = shop.place_order("JLY-5L", 3)
    with SandboxServer(sandbox) as server:
        run = sync_stream(plan, "jd", "orders", store=store, conn_info=conn_for(server, shop),
                          window_end=datetime.now(UTC) + timedelta(minutes=4))
    assert (run.status, run.fetched) == ("success", 1)
    (doc,) = store.read_feed("order", limit=10).records
    assert (doc["external_id"], doc["status"], doc["warnings"]) == (oid, "open", [])
    assert [(line["sku"], line["quantity"]) for line in doc["lines"]] == [("JLY-5L", 3)]
    assert doc["total"] == {"amount": "239.70", "currency": "CNY"}   # 3 x 79.90, free freight
