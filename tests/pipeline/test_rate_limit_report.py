"""A run's report says how long the vendor's rate limit makes its pages take: the pace
(burst, then one call every N s) and the time the limit alone imposes on that many pages."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from synchub.pipeline import sync_stream
from synchub.pipeline.run import rate_limit_line, rate_limit_report
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.runtime.ratelimit import Pace
from synchub.sandbox import Sandbox, SandboxServer
from synchub.store import Store
from tests.runtime.helpers import FakeClock

ROOT = Path(__file__).resolve().parents[2]


def hub(tmp_path: Path) -> Hub:
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "connections": {"amazon": {"connector": "amazon", "conn_id": "amazon"}}}))
    return load_hub(path)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


def test_the_documented_amazon_plan_makes_10000_orders_take_about_four_hours() -> None:
    report = rate_limit_report(Pace("searchOrders", 0.0056, 20), pages=100, page_size=100)
    assert report["plan_seconds"] == pytest.approx(80 / 0.0056, abs=0.01)
    assert report["seconds_per_page"] == pytest.approx(178.571, abs=0.001)
    assert report["records_per_hour"] == 2016
    assert rate_limit_line(report) == (
        "the API's rate limit (searchOrders: 20 calls at once, then one every 179 s) makes "
        "100 pages take about 4.0 h (past the burst, at most 2,016 records an hour)")
    inside = rate_limit_report(Pace("searchOrders", 0.0056, 20), pages=3, page_size=100)
    assert inside["plan_seconds"] == 0
    assert "makes 3 pages take about 0 s" in rate_limit_line(inside)


def test_a_run_reports_the_pace_its_operation_is_held_to(
        tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    account: Any = sandbox.store("amazon", "paced", orders=450)
    clock = FakeClock()
    account.limit_clock = clock
    account.stated_rates["searchOrders"] = 0.25
    with SandboxServer(sandbox) as server:
        base = server.url("amazon", account.name)
        conn = ConnectionInfo(conn_id="amazon", conn_type="http", host=base,
                              login=account.client_id, password=account.client_secret,
                              extra={"refresh_token": account.refresh_token,
                                     "token_url": f"{base}/auth/o2/token"})
        with ConnectorClient(plan.connection("amazon").connector, conn, clock=clock,
                             sleep=clock.sleep) as client, \
                caplog.at_level(logging.INFO, logger="synchub"):
            summary = sync_stream(plan, "amazon", "orders", store=store, conn_info=conn,
                                  client=client)
    assert (summary.status, summary.pages) == ("success", 5)
    # the header's rate replaced the declared one; the burst is the declared one
    assert summary.rate_limit == {
        "operation": "searchOrders", "rate_per_second": 0.25, "burst": 20, "pages": 5,
        "seconds_per_page": 4.0, "plan_seconds": 0.0, "records_per_hour": 90_000}
    (line,) = [r.getMessage() for r in caplog.records
               if r.getMessage().startswith("amazon.orders: 450 fetched")]
    assert line.endswith("the API's rate limit (searchOrders: 20 calls at once, then one "
                         "every 4 s) makes 5 pages take about 0 s (past the burst, at most "
                         "90,000 records an hour)")
