"""Taobao's initial backfill: taobao.trades.sold.get by creation time, the last three
months, in week windows, against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy as sa

from synchub.pipeline import sync_stream
from synchub.runtime import ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.kit.times import parse_beijing
from synchub.store import Store
from synchub.systems.cn_gateway.calls import GatewayCallOptions, call_gateway
from synchub.systems.cn_gateway.errors import GatewayError
from tests.systems.cn_gateway.connections import one_connection_hub, shop_connection


def test_backfill_reads_three_months_by_creation_time(tmp_path: Path, db_url: str) -> None:
    plan = one_connection_hub(tmp_path, "tb", "taobao")
    sandbox = Sandbox(seed=7)
    shop = sandbox.store("taobao", "demo", orders=40, poisoned=0)
    store = Store.from_url(db_url)
    store.migrate()
    try:
        with SandboxServer(sandbox) as server:
            conn = shop_connection("tb", shop, server.url("taobao", "demo"))
            now = datetime.now(UTC)
            done = sync_stream(plan, "tb", "orders_backfill", store=store, conn_info=conn,
                               window_end=now)
            assert done.status == "success"
            with store.engine.connect() as c:
                stored = {r[0] for r in c.execute(sa.text("select external_id from orders"))}
            # every trade, the types TOP leaves out without `type` included
            assert stored == {str(t) for t in shop.trades}
            asked = [c for c in shop.calls if c["method"] == "taobao.trades.sold.get"]
            spans = sorted({(parse_beijing(c["start_created"]), parse_beijing(c["end_created"]))
                            for c in asked})
            assert spans[0][0] == int((now - timedelta(days=89, minutes=3)).timestamp())
            assert all(0 < b - a <= 7 * 86_400 for a, b in spans)
            assert all(b[0] == a[1] for a, b in pairwise(spans))
            assert len(spans) == 13                 # 89 days in week windows
            # further back than three months, the simulator answers TOP's refusal
            client = ConnectorClient(plan.connection("tb").connector, conn,
                                     sleep=lambda _s: None)
            with client, pytest.raises(GatewayError, match="三个月"):
                call_gateway(client, "/router/rest",
                             GatewayCallOptions(response_drop_prefix="taobao."),
                             "taobao.trades.sold.get",
                             {"fields": "tid", "start_created": "2020-01-01 00:00:00"})
    finally:
        store.dispose()
