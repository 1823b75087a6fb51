"""Taobao's initial backfill: taobao.trades.sold.get by creation time, the last three
months, in week windows, against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from synchub.pipeline import sync_stream
from synchub.plan import load_hub
from synchub.runtime import ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.kit.times import parse_beijing
from synchub.store import Store
from synchub.systems.cn_gateway.calls import GatewayCallOptions, call_gateway
from synchub.systems.cn_gateway.errors import GatewayError
from tests.systems.cn_gateway.connections import shop_connection

ROOT = Path(__file__).resolve().parents[3]


def test_backfill_reads_three_months_by_creation_time(tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"tb": {"connector": "taobao", "conn_id": "tb"}}}))
    plan = load_hub(path)
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
