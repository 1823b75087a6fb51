"""Refunds from Taobao (taobao.refunds.receive.get) and Pinduoduo
(pdd.refund.list.increment.get) into canonical Refunds, against the simulators."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from synchub.pipeline import sync_stream
from synchub.plan import Hub
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.kit.times import parse_beijing
from synchub.store import Store
from tests.systems.cn_gateway.connections import one_connection_hub, shop_connection


def hub(tmp_path: Path, system: str) -> Hub:
    return one_connection_hub(tmp_path, "cn", system)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


def refunds(store: Store) -> dict[str, dict[str, Any]]:
    return {d["external_id"]: d for d in store.read_feed("refund", limit=1000).records}


def test_taobao_refunds_paid_back_land_and_a_later_run_reads_the_new_one(
        tmp_path: Path, store: Store) -> None:
    plan = hub(tmp_path, "taobao")
    sandbox = Sandbox(seed=7)
    shop = sandbox.store("taobao", "demo", orders=60)
    paid = {k: r for k, r in shop.refunds.items() if r["status"] == "SUCCESS"}
    assert paid and len(paid) < len(shop.refunds)     # some are still waiting
    with SandboxServer(sandbox) as server:
        conn = shop_connection("cn", shop, server.url("taobao", "demo"))
        first = sync_stream(plan, "cn", "refunds", store=store, conn_info=conn,
                            window_end=datetime.now(UTC))
        assert first.status == "success"
        got = refunds(store)
        assert set(got) == set(paid)                        # SUCCESS only
        some = next(iter(paid.values()))
        doc = got[some["refund_id"]]
        assert doc["order_external_id"] == str(some["tid"])
        assert doc["amount"] == {"amount": some["refund_fee"], "currency": "CNY"}
        assert doc["lines"][0]["sku"] == some["outer_id"]
        asked = [c for c in shop.calls if c["method"] == "taobao.refunds.receive.get"]
        assert all(c["status"] == "SUCCESS" for c in asked)
        spans = sorted({(parse_beijing(c["start_modified"]), parse_beijing(c["end_modified"]))
                        for c in asked})
        assert all(0 < end - start <= 86_400 for start, end in spans)
        assert all(b[0] == a[1] for a, b in pairwise(spans))

        tid = next(t for t in shop.trades if all(r["tid"] != t for r in shop.refunds.values()))
        new = shop.refund(tid)
        second = sync_stream(plan, "cn", "refunds", store=store, conn_info=conn,
                             window_end=datetime.now(UTC) + timedelta(minutes=4))
        assert second.changed["refund"] == 1
        assert new["refund_id"] in refunds(store)


def test_pinduoduo_refunds_in_thirty_minute_windows(tmp_path: Path, store: Store) -> None:
    plan = hub(tmp_path, "pinduoduo")
    sandbox = Sandbox(seed=7)
    shop = sandbox.store("pinduoduo", "demo", orders=60)
    paid = {str(k): r for k, r in shop.refunds.items() if r["after_sales_status"] == 10}
    assert paid and len(paid) < len(shop.refunds)
    with SandboxServer(sandbox) as server:
        conn = shop_connection("cn", shop, server.url("pinduoduo", "demo"))
        now = datetime.now(UTC)
        first = sync_stream(plan, "cn", "refunds", store=store, conn_info=conn, window_end=now)
        assert first.status == "success"
        got = refunds(store)
        assert set(got) == set(paid)                        # 退款成功 only
        assert sum(Decimal(d["amount"]["amount"]) for d in got.values()) == sum(
            Decimal(r["refund_amount"]) for r in paid.values())
        asked = [c for c in shop.calls if c["type"] == "pdd.refund.list.increment.get"]
        assert {(c["after_sales_status"], c["after_sales_type"]) for c in asked} == {("10", "1")}
        spans = sorted({(int(c["start_updated_at"]), int(c["end_updated_at"])) for c in asked})
        assert all(0 < end - start <= 1800 for start, end in spans)
        assert spans[-1][1] == int((now - timedelta(minutes=3)).timestamp())  # safety lag


def test_jd_approved_refund_applications_by_check_time(tmp_path: Path, store: Store) -> None:
    plan = hub(tmp_path, "jd")
    sandbox = Sandbox(seed=7)
    shop = sandbox.store("jd", "demo", orders=60)
    approved = {k: r for k, r in shop.refunds.items() if r["status"] == "1"}
    assert approved and len(approved) < len(shop.refunds)     # some were refused
    with SandboxServer(sandbox) as server:
        conn = shop_connection("cn", shop, server.url("jd", "demo"))
        first = sync_stream(plan, "cn", "refunds", store=store, conn_info=conn,
                            window_end=datetime.now(UTC))
        assert first.status == "success"
        got = refunds(store)
        assert set(got) == set(approved)                    # the refused ones are no refund
        some = next(iter(approved.values()))
        assert got[some["id"]]["amount"] == {               # fen to yuan, exactly
            "amount": shop.orders[some["orderId"]]["orderPayment"], "currency": "CNY"}
        asked = [c for c in shop.calls
                 if c["method"] == "jingdong.pop.afs.soa.refundapply.queryPageList"]
        assert asked and all('"pageSize":50' in c["360buy_param_json"] for c in asked)
