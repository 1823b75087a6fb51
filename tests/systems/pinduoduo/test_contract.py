"""Pinduoduo end to end: the PDD simulator on loopback, the project's connector and mapping,
a hub store on SQLite and on PostgreSQL.

A first run reads the last day in 30-minute windows (epoch seconds, every call signed,
every window's pages from the last back), a later run only what changed; orders updated
while a window is being read are neither missed nor stored twice; the rate-limit refusal
is retried; an expired access_token stops the run naming the Connection; a wrong secret
answers the vendor's signature error and nothing is trusted.
"""

from __future__ import annotations

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
from synchub.sandbox.kit.times import BEIJING
from synchub.sandbox.pinduoduo.store import PinduoduoStore
from synchub.store import Store
from synchub.systems.cn_gateway.errors import GatewayAuthError, GatewayError
from tests.runtime.helpers import FakeClock

ROOT = Path(__file__).resolve().parents[3]


def hub(tmp_path: Path, **stream: Any) -> Hub:
    """A hub with one pinduoduo connection; ``stream`` overrides keys of the orders stream."""
    connectors = ROOT / "connectors"
    if stream:
        connectors = tmp_path / "connectors"
        (connectors / "pinduoduo").mkdir(parents=True)
        spec = yaml.safe_load((ROOT / "connectors/pinduoduo/connector.yaml").read_text())
        orders = spec["streams"]["orders"]
        for key, value in stream.items():
            orders[key] = ({k: v for k, v in {**orders[key], **value}.items() if v is not None}
                           if isinstance(value, dict) and isinstance(orders.get(key), dict)
                           else value)
        (connectors / "pinduoduo/connector.yaml").write_text(
            yaml.safe_dump(spec, allow_unicode=True))
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(connectors), "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"pdd": {"connector": "pinduoduo", "conn_id": "pdd"}}}))
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


def conn_for(server: SandboxServer, shop: PinduoduoStore, secret: str | None = None
             ) -> ConnectionInfo:
    c = shop.credentials()
    return ConnectionInfo(conn_id="pdd", conn_type="http", host=server.url("pinduoduo", shop.name),
                          login=c["client_id"], password=secret or c["client_secret"],
                          extra={"session": c["access_token"]})


def windows_asked(shop: PinduoduoStore) -> list[tuple[int, int]]:
    return sorted({(int(c["start_updated_at"]), int(c["end_updated_at"]))
                   for c in shop.calls if "start_updated_at" in c})


def test_orders_land_and_a_later_run_reads_only_what_changed(tmp_path: Path, store: Store,
                                                             db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: PinduoduoStore = sandbox.store("pinduoduo", "demo", orders=90, customers=1,
                                         products=6, poisoned=1)
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        now = datetime.now(UTC)
        first = sync_stream(plan, "pdd", "orders", store=store, conn_info=conn, window_end=now)
        assert first.status == "success"
        assert (first.fetched, first.quarantined) == (90, 1)     # the unknown order_status
        (letter,) = store.dead_letters("pdd")
        assert "'9' is not one of" in letter["reason"] and "status" in letter["reason"]
        assert sorted(stored_ids(db_url)) == sorted(
            sn for sn, o in shop.orders.items() if o["order_status"] != 9)
        spans = windows_asked(shop)
        assert all(0 < end - start <= 1800 for start, end in spans)        # 30-minute windows
        assert spans[0][0] == int((now - timedelta(days=1, minutes=3)).timestamp())
        assert spans[-1][1] == int((now - timedelta(minutes=3)).timestamp())  # safety lag
        assert all(b[0] == a[1] for a, b in pairwise(spans))               # no gap
        docs = store.read_feed("order", limit=1000).records
        mismatched = [d for d in docs if d["warnings"]]
        assert mismatched and all(
            d["adjustments"][-1] == {"reason": "source_total_mismatch",
                                     "amount": {"amount": "-3.00", "currency": "CNY"}}
            for d in mismatched)
        platform = [d for d in docs if any(a["reason"] == "platform_discount"
                                           for a in d["adjustments"])]
        assert platform and all(not d["warnings"] for d in platform
                                if len(d["adjustments"]) == 1)
        masked = [d for d in docs if "receiver_masked" in d["tags"]]
        assert masked and all("****" in d["shipping_address"]["phone"] for d in masked)
        assert {d["currency"] for d in docs} == {"CNY"}

        changed = shop.mutate(orders_created=2, orders_updated=3)
        second = sync_stream(plan, "pdd", "orders", store=store, conn_info=conn,
                             window_end=datetime.now(UTC) + timedelta(minutes=4))
        touched = set(changed["orders_created"] + changed["orders_updated"])
        assert second.changed["order"] == len(touched)
        assert second.fetched < 15
        assert len(stored_ids(db_url)) == 89 + 2


def crowd_and_churn(shop: PinduoduoStore, end: datetime) -> list[str]:
    """Crowd the orders into one 30-minute window of a run ending at ``end`` (many pages);
    after each page served, the newest order in it changes: it jumps out and every order
    behind it slides one place forward. The order_sn moved, filled in as the read goes."""
    first = int((end - timedelta(days=1, minutes=3)).timestamp())   # the first window's start
    window = first + 40 * 1800
    base = window + 60                       # one minute into the 41st window, 20 minutes long
    for k, sn in enumerate(sorted(shop.orders)):
        order = shop.orders[sn]
        order["_updated"] = base + k * 20
        order["updated_at"] = datetime.fromtimestamp(order["_updated"], BEIJING).strftime(
            "%Y-%m-%d %H:%M:%S")
    moved: list[str] = []

    def buyers_act(shop: PinduoduoStore, page: int) -> None:
        # only while the crowded window is read (the empty ones before it are calls too)
        if len(moved) < 8 and int(shop.calls[-1]["start_updated_at"]) == window:
            newest = max((o for o in shop.orders.values() if o["order_sn"] not in moved),
                         key=lambda o: o["_updated"])
            moved.append(newest["order_sn"])
            shop.touch(newest["order_sn"])

    shop.during_read = buyers_act
    return moved


def test_orders_updated_during_a_window_read_are_neither_missed_nor_duplicated(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path, page_size=5)                      # five orders a page
    sandbox = Sandbox(seed=11)
    shop: PinduoduoStore = sandbox.store("pinduoduo", "busy", orders=60, customers=1,
                                         products=6)
    end = datetime.now(UTC)
    moved = crowd_and_churn(shop, end)
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        first = sync_stream(plan, "pdd", "orders", store=store, conn_info=conn,
                            window_end=end)
        assert len(moved) == 8
        ids = stored_ids(db_url)
        assert len(ids) == len(set(ids)) == first.fetched          # nothing handed on twice
        assert {sn for sn in shop.orders if sn not in moved} <= set(ids)   # none missed
        shop.during_read = None
        second = sync_stream(plan, "pdd", "orders", store=store, conn_info=conn,
                             window_end=datetime.now(UTC) + timedelta(minutes=4))
        assert second.status == "success"
    assert sorted(stored_ids(db_url)) == sorted(shop.orders)             # all 60, once


def test_reading_front_to_back_would_miss_them(tmp_path: Path, store: Store,
                                               db_url: str) -> None:
    """The same read with plain page numbers (1, 2, ...) loses orders: why pages go back."""
    plan = hub(tmp_path, page_size=5, paginator={"type": "page_number", "page_param": "page",
                                                  "total_path": None})
    sandbox = Sandbox(seed=11)
    shop: PinduoduoStore = sandbox.store("pinduoduo", "busy", orders=60, customers=1,
                                         products=6)
    end = datetime.now(UTC)
    moved = crowd_and_churn(shop, end)
    with SandboxServer(sandbox) as server:
        sync_stream(plan, "pdd", "orders", store=store, conn_info=conn_for(server, shop),
                    window_end=end)
    assert {sn for sn in shop.orders if sn not in moved} - set(stored_ids(db_url))


def test_the_rate_limit_refusal_is_retried(tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: PinduoduoStore = sandbox.store("pinduoduo", "limited", orders=20, customers=1,
                                         products=6)
    shop.bans = [30]
    clock = FakeClock()
    with SandboxServer(sandbox) as server, ConnectorClient(
            plan.connection("pdd").connector, conn_for(server, shop), clock=clock,
            sleep=clock.sleep) as client:
        summary = sync_stream(plan, "pdd", "orders", store=store,
                              conn_info=conn_for(server, shop), client=client,
                              window_end=datetime.now(UTC))
    assert summary.status == "success" and summary.retries == 1
    assert len(stored_ids(db_url)) == 20


def test_an_expired_token_stops_the_run_naming_the_connection(tmp_path: Path,
                                                              store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: PinduoduoStore = sandbox.store("pinduoduo", "lapsed", orders=5, customers=1,
                                         products=6)
    shop.expire_token()
    with SandboxServer(sandbox) as server, pytest.raises(GatewayAuthError) as caught:
        sync_stream(plan, "pdd", "orders", store=store, conn_info=conn_for(server, shop),
                    window_end=datetime.now(UTC))
    assert "connection 'pdd'" in str(caught.value) and caught.value.code == "10019"
    assert len(shop.requests) == 1                # never retried


def test_a_wrong_secret_gets_the_signature_error_and_nothing_is_stored(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: PinduoduoStore = sandbox.store("pinduoduo", "wrong", orders=5, customers=1,
                                         products=6)
    with SandboxServer(sandbox) as server, pytest.raises(GatewayError) as caught:
        sync_stream(plan, "pdd", "orders", store=store,
                    conn_info=conn_for(server, shop, secret="not-the-secret"),
                    window_end=datetime.now(UTC))
    assert caught.value.code == "20004" and "签名校验失败" in str(caught.value)
    assert stored_ids(db_url) == []


def test_a_too_wide_window_answers_the_vendors_error(tmp_path: Path, store: Store) -> None:
    plan = hub(tmp_path, incremental={"window_size": "1h"})
    sandbox = Sandbox(seed=7)
    shop: PinduoduoStore = sandbox.store("pinduoduo", "wide", orders=5, customers=1,
                                         products=6)
    with SandboxServer(sandbox) as server, pytest.raises(GatewayError) as caught:
        sync_stream(plan, "pdd", "orders", store=store, conn_info=conn_for(server, shop),
                    window_end=datetime.now(UTC))
    assert (caught.value.code, caught.value.sub_code) == ("10000", "invalid_time_range")
    assert "30分钟" in str(caught.value)


def test_a_placed_order_is_read_by_the_next_window_with_its_outer_id(
        tmp_path: Path, store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=5)
    shop: PinduoduoStore = sandbox.store("pinduoduo", "demo", orders=0)
    sn = shop.place_order("PUER-357", 2)
    with SandboxServer(sandbox) as server:
        run = sync_stream(plan, "pdd", "orders", store=store, conn_info=conn_for(server, shop),
                          window_end=datetime.now(UTC) + timedelta(minutes=4))
    assert (run.status, run.fetched) == ("success", 1)
    (doc,) = store.read_feed("order", limit=10).records
    assert (doc["external_id"], doc["status"], doc["warnings"]) == (sn, "open", [])
    assert [(line["sku"], line["quantity"]) for line in doc["lines"]] == [("PUER-357", 2)]
    assert doc["total"] == {"amount": "176.00", "currency": "CNY"}   # 2 x 88.00, free postage
