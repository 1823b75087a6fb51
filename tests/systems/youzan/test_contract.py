"""Youzan end to end: the simulator on loopback, the project's connector and mappings, a
hub store on SQLite and on PostgreSQL.

A first run takes a token and reads the last day of orders (windows read from their last
page back) and refunds; a later run only what changed; orders updated while a window is
being read are neither missed nor stored twice; a token that lapses is taken anew once; a
call-rate refusal is waited out; bad client credentials stop the run naming the
Connection.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from synchub.errors import FatalAPIError
from synchub.pipeline import sync_stream
from synchub.plan import Hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.kit.times import parse_beijing
from synchub.sandbox.youzan.store import UNKNOWN_STATUS, YouzanStore
from synchub.store import Store
from tests.runtime.helpers import FakeClock
from tests.systems.shop_runs import hub_for, stored_ids


def hub(tmp_path: Path, **stream: Any) -> Hub:
    """A hub with one youzan connection; ``stream`` overrides keys of the orders stream."""
    return hub_for(tmp_path, "youzan", **stream)


def conn_for(server: SandboxServer, shop: YouzanStore, **change: str) -> ConnectionInfo:
    c = {**shop.credentials(), **change}
    return ConnectionInfo(conn_id="youzan", conn_type="http", host=server.url("youzan", shop.name),
                          login=c["client_id"], password=c["client_secret"],
                          extra={"kdt_id": c["kdt_id"]})


def windows_asked(shop: YouzanStore) -> list[tuple[int, int]]:
    return sorted({(parse_beijing(b["start_update"]), parse_beijing(b["end_update"]))
                   for m, _v, b in shop.calls if m == "youzan.trades.sold.get"})


def test_orders_and_refunds_land_and_a_later_run_reads_only_what_changed(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: YouzanStore = sandbox.store("youzan", "demo", orders=90, customers=1, products=7,
                                      poisoned=1)
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        now = datetime.now(UTC)
        first = sync_stream(plan, "youzan", "orders", store=store, conn_info=conn,
                            window_end=now)
        assert first.status == "success"
        assert (first.fetched, first.quarantined) == (90, 1)   # the unknown status
        (letter,) = store.dead_letters("youzan")
        assert UNKNOWN_STATUS in letter["reason"] and "status" in letter["reason"]
        assert sorted(stored_ids(db_url)) == sorted(
            tid for tid, t in shop.trades.items()
            if t["order_info"]["status"] != UNKNOWN_STATUS)
        assert shop.token_requests == 1                          # one token for the run
        spans = windows_asked(shop)
        assert spans[0][0] == int((now - timedelta(days=1, minutes=2)).timestamp())
        assert spans[-1][1] == int((now - timedelta(minutes=2)).timestamp())  # safety lag
        docs = store.read_feed("order", limit=1000).records
        assert {d["currency"] for d in docs} == {"CNY"}
        mismatched = [d for d in docs if d["warnings"]]
        assert mismatched and all(
            d["adjustments"][0]["amount"] == {"amount": "-5.00", "currency": "CNY"}
            for d in mismatched)
        encrypted = [d for d in docs if "receiver_encrypted" in d["tags"]]
        assert encrypted and all(d["shipping_address"]["name"].startswith("$")
                                 for d in encrypted)
        a_doc = next(d for d in docs if d["external_id"] in shop.trades)
        created = shop.trades[a_doc["external_id"]]["order_info"]["created"]
        assert datetime.fromisoformat(a_doc["placed_at"].replace("Z", "+00:00")) == \
            datetime.fromtimestamp(parse_beijing(created), UTC)      # Beijing time in UTC

        refunds = sync_stream(plan, "youzan", "refunds", store=store, conn_info=conn,
                              window_end=now)
        assert refunds.status == "success"
        assert sorted(stored_ids(db_url, "refunds")) == sorted(
            r["refund_id"] for r in shop.refunds.values() if r["status"] == "SUCCESS")

        changed = shop.mutate(orders_created=2, orders_updated=3)
        later = datetime.now(UTC) + timedelta(minutes=3)
        second = sync_stream(plan, "youzan", "orders", store=store, conn_info=conn,
                             window_end=later)
        touched = set(changed["orders_created"] + changed["orders_updated"])
        assert second.changed["order"] == len(touched - {letter["record_id"]})
        assert second.fetched < 15                # what changed, plus the lookback's overlap
        assert len(stored_ids(db_url)) == 89 + 2


def test_orders_updated_during_a_window_read_are_neither_missed_nor_duplicated(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path, page_size=5)            # one day's window, five orders a page
    sandbox = Sandbox(seed=11)
    shop: YouzanStore = sandbox.store("youzan", "busy", orders=60, customers=1, products=7)
    moved: list[str] = []

    def buyers_act(shop: YouzanStore, page_no: int) -> None:
        # after each page the newest order changes: it leaves the window and every order
        # behind it slides one place forward
        if len(moved) < 8:
            newest = max((t for t in shop.trades.values()
                          if t["order_info"]["tid"] not in moved), key=lambda t: t["_updated"])
            moved.append(newest["order_info"]["tid"])
            shop.touch(newest["order_info"]["tid"])

    shop.during_read = buyers_act
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        first = sync_stream(plan, "youzan", "orders", store=store, conn_info=conn,
                            window_end=datetime.now(UTC))
        assert len(moved) == 8
        ids = stored_ids(db_url)
        assert len(ids) == len(set(ids)) == first.fetched       # nothing handed on twice
        assert {t for t in shop.trades if t not in moved} <= set(ids)
        shop.during_read = None
        second = sync_stream(plan, "youzan", "orders", store=store, conn_info=conn,
                             window_end=datetime.now(UTC) + timedelta(minutes=3))
        assert second.status == "success"
    assert sorted(stored_ids(db_url)) == sorted(shop.trades)   # all 60, once


def test_a_lapsed_token_is_taken_anew_once(tmp_path: Path, store: Store,
                                           db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: YouzanStore = sandbox.store("youzan", "lapse", orders=12, customers=1, products=7)
    with SandboxServer(sandbox) as server, ConnectorClient(
            plan.connection("youzan").connector, conn_for(server, shop)) as client:
        sync_stream(plan, "youzan", "orders", store=store, conn_info=conn_for(server, shop),
                    client=client, window_end=datetime.now(UTC))
        assert shop.token_requests == 1
        shop.expire_tokens()                      # Youzan answers gw_err_resp 10003
        shop.mutate(orders_updated=2)
        again = sync_stream(plan, "youzan", "orders", store=store,
                            conn_info=conn_for(server, shop), client=client,
                            window_end=datetime.now(UTC) + timedelta(minutes=3))
    assert again.status == "success" and shop.token_requests == 2
    assert len(stored_ids(db_url)) == 12


def test_a_token_about_to_lapse_is_renewed_before_the_call(tmp_path: Path,
                                                           store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: YouzanStore = sandbox.store("youzan", "short", orders=3, customers=1, products=7)
    shop.token_seconds = 200                      # inside the 300-second margin
    with SandboxServer(sandbox) as server:
        sync_stream(plan, "youzan", "orders", store=store, conn_info=conn_for(server, shop),
                    window_end=datetime.now(UTC))
    # every call asked for a fresh token first: none was sent about to lapse
    calls = len([c for c in shop.calls if c[0] == "youzan.trades.sold.get"])
    assert shop.token_requests == calls


def test_the_call_rate_refusal_is_waited_out(tmp_path: Path, store: Store,
                                             db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: YouzanStore = sandbox.store("youzan", "busy", orders=20, customers=1, products=7)
    shop.limited = [1, 1]
    clock = FakeClock()
    with SandboxServer(sandbox) as server, ConnectorClient(
            plan.connection("youzan").connector, conn_for(server, shop), clock=clock,
            sleep=clock.sleep) as client:
        summary = sync_stream(plan, "youzan", "orders", store=store,
                              conn_info=conn_for(server, shop), client=client,
                              window_end=datetime.now(UTC))
    assert summary.status == "success" and summary.retries == 2
    assert len(stored_ids(db_url)) == 20


def test_bad_client_credentials_stop_the_run_naming_the_connection(tmp_path: Path,
                                                                   store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: YouzanStore = sandbox.store("youzan", "wrong", orders=5, customers=1, products=7)
    with SandboxServer(sandbox) as server, pytest.raises(FatalAPIError) as caught:
        sync_stream(plan, "youzan", "orders", store=store,
                    conn_info=conn_for(server, shop, client_secret="not-the-secret"),
                    window_end=datetime.now(UTC))
    assert "connection 'youzan'" in str(caught.value) and "10001" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)
    assert shop.calls == []                       # no API was called without a token
