"""Taobao end to end: the TOP simulator on loopback, the project's connector and mapping,
a hub store on SQLite and on PostgreSQL.

A first run reads the last day in 30-minute windows (every call signed, every window's
pages from the last back), a later run only what changed; trades modified while a window
is being read are neither missed nor stored twice; a ban is waited out to the second it
names; an expired session stops the run naming the Connection.
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
from synchub.sandbox.kit.times import parse_beijing
from synchub.sandbox.taobao.store import TaobaoStore
from synchub.store import Store
from synchub.systems.cn_gateway.errors import GatewayAuthError
from tests.runtime.helpers import FakeClock

ROOT = Path(__file__).resolve().parents[3]


def hub(tmp_path: Path, **stream: Any) -> Hub:
    """A hub with one taobao connection; ``stream`` overrides keys of the orders stream."""
    connectors = ROOT / "connectors"
    if stream:
        connectors = tmp_path / "connectors"
        (connectors / "taobao").mkdir(parents=True)
        spec = yaml.safe_load((ROOT / "connectors/taobao/connector.yaml").read_text())
        orders = spec["streams"]["orders"]
        for key, value in stream.items():
            if isinstance(value, dict) and isinstance(orders.get(key), dict):
                orders[key] = {k: v for k, v in {**orders[key], **value}.items()
                               if v is not None}
            else:
                orders[key] = value
        (connectors / "taobao/connector.yaml").write_text(yaml.safe_dump(spec,
                                                                           allow_unicode=True))
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(connectors), "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"taobao": {"connector": "taobao", "conn_id": "taobao"}}}))
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


def conn_for(server: SandboxServer, shop: TaobaoStore) -> ConnectionInfo:
    c = shop.credentials()
    return ConnectionInfo(conn_id="taobao", conn_type="http", host=server.url("taobao", shop.name),
                          login=c["app_key"], password=c["app_secret"],
                          extra={"session": c["session"]})


def windows_asked(shop: TaobaoStore) -> list[tuple[int, int]]:
    return sorted({(parse_beijing(c["start_modified"]), parse_beijing(c["end_modified"]))
                   for c in shop.calls if "start_modified" in c})


def test_orders_land_and_a_later_run_reads_only_what_changed(tmp_path: Path, store: Store,
                                                             db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: TaobaoStore = sandbox.store("taobao", "demo", orders=90, customers=1, products=7,
                                      poisoned=1)
    assert shop.counts()["not_default_type"] > 0   # listed only when `type` names them
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        now = datetime.now(UTC)
        first = sync_stream(plan, "taobao", "orders", store=store, conn_info=conn,
                            window_end=now)
        assert first.status == "success"
        assert (first.fetched, first.quarantined) == (90, 1)   # the unknown status
        (letter,) = store.dead_letters("taobao")
        assert "TRADE_FROZEN_SANDBOX" in letter["reason"] and "status" in letter["reason"]
        assert sorted(stored_ids(db_url)) == sorted(
            str(t) for t, trade in shop.trades.items() if trade["status"] != "TRADE_FROZEN_SANDBOX")
        spans = windows_asked(shop)
        assert all(0 < end - start <= 1800 for start, end in spans)          # 30-minute windows
        assert spans[0][0] == int((now - timedelta(days=1, minutes=3)).timestamp())  # a day back
        assert spans[-1][1] == int((now - timedelta(minutes=3)).timestamp())  # safety lag
        assert all(b[0] == a[1] for a, b in pairwise(spans))  # no gap
        docs = store.read_feed("order", limit=1000).records
        mismatched = [d for d in docs if d["warnings"]]
        assert mismatched and all(
            [a["reason"] for a in d["adjustments"]] == ["source_total_mismatch"]
            and d["adjustments"][0]["amount"] == {"amount": "-5.00", "currency": "CNY"}
            for d in mismatched)
        assert {d["currency"] for d in docs} == {"CNY"}

        assert {c["sign_method"] for c in shop.calls} == {"hmac-sha256"}
        assert all("step" in c["type"].split(",") for c in shop.calls)
        changed = shop.mutate(orders_created=2, orders_updated=3)
        later = datetime.now(UTC) + timedelta(minutes=4)
        second = sync_stream(plan, "taobao", "orders", store=store, conn_info=conn,
                             window_end=later)
        touched = {str(t) for t in changed["orders_created"] + changed["orders_updated"]}
        assert second.changed["order"] == len(touched)
        assert second.fetched < 15                # what changed, plus the lookback's overlap
        assert len(stored_ids(db_url)) == 89 + 2


def test_trades_modified_during_a_window_read_are_neither_missed_nor_duplicated(
        tmp_path: Path, store: Store, db_url: str) -> None:
    # one window of a day, five trades a page: a long backward read
    plan = hub(tmp_path, page_size=5, incremental={"window_size": "1d"})
    sandbox = Sandbox(seed=11)
    shop: TaobaoStore = sandbox.store("taobao", "busy", orders=60, customers=1, products=7)
    moved: list[int] = []

    def buyers_act(shop: TaobaoStore, page_no: int) -> None:
        # after each page, the trade at the front of the list changes: it leaves the
        # window and every trade behind it slides one place forward
        if len(moved) < 8:
            newest = max((t for t in shop.trades.values() if t["tid"] not in moved),
                         key=lambda t: t["_modified"])
            moved.append(newest["tid"])
            shop.touch(newest["tid"])

    shop.during_read = buyers_act
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        first = sync_stream(plan, "taobao", "orders", store=store, conn_info=conn,
                            window_end=datetime.now(UTC))
        assert len(moved) == 8
        ids = stored_ids(db_url)
        assert len(ids) == len(set(ids)) == first.fetched       # nothing handed on twice
        # every trade still in the window was read
        assert {str(t) for t in shop.trades if t not in moved} <= set(ids)
        shop.during_read = None
        second = sync_stream(plan, "taobao", "orders", store=store, conn_info=conn,
                             window_end=datetime.now(UTC) + timedelta(minutes=4))
        assert second.status == "success"
    assert sorted(stored_ids(db_url)) == sorted(str(t) for t in shop.trades)   # all 60, once


def test_reading_front_to_back_would_miss_them(tmp_path: Path, store: Store,
                                               db_url: str) -> None:
    """The same read with plain page numbers (1, 2, ...) loses trades: why pages go back."""
    plan = hub(tmp_path, page_size=5, incremental={"window_size": "1d"},
               paginator={"type": "page_number", "page_param": "page_no", "total_path": None})
    sandbox = Sandbox(seed=11)
    shop: TaobaoStore = sandbox.store("taobao", "busy", orders=60, customers=1, products=7)
    moved: list[int] = []

    def buyers_act(shop: TaobaoStore, page_no: int) -> None:
        if len(moved) < 8:
            newest = max((t for t in shop.trades.values() if t["tid"] not in moved),
                         key=lambda t: t["_modified"])
            moved.append(newest["tid"])
            shop.touch(newest["tid"])

    shop.during_read = buyers_act
    with SandboxServer(sandbox) as server:
        sync_stream(plan, "taobao", "orders", store=store, conn_info=conn_for(server, shop),
                    window_end=datetime.now(UTC))
    missed = {str(t) for t in shop.trades if t not in moved} - set(stored_ids(db_url))
    assert missed


def test_a_ban_is_waited_out_to_the_second_it_names(tmp_path: Path, store: Store,
                                                    db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: TaobaoStore = sandbox.store("taobao", "banned", orders=20, customers=1, products=7)
    shop.bans = [3]
    clock = FakeClock()
    with SandboxServer(sandbox) as server, ConnectorClient(
            plan.connection("taobao").connector, conn_for(server, shop), clock=clock,
            sleep=clock.sleep) as client:
        summary = sync_stream(plan, "taobao", "orders", store=store,
                              conn_info=conn_for(server, shop), client=client,
                              window_end=datetime.now(UTC))
    assert summary.status == "success" and summary.retries == 1
    assert 4.0 in clock.slept                     # "3 more seconds", and one to be sure
    assert len(stored_ids(db_url)) == 20


def test_an_expired_session_stops_the_run_naming_the_connection(tmp_path: Path,
                                                                store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: TaobaoStore = sandbox.store("taobao", "lapsed", orders=5, customers=1, products=7)
    shop.expire_session()
    with SandboxServer(sandbox) as server, pytest.raises(GatewayAuthError) as caught:
        sync_stream(plan, "taobao", "orders", store=store, conn_info=conn_for(server, shop),
                    window_end=datetime.now(UTC))
    assert "connection 'taobao'" in str(caught.value) and caught.value.code == "27"
    assert caught.value.sub_code == "invalid-sessionkey"
    assert len(shop.requests) == 1                # never retried
