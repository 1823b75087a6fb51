"""Squarespace end to end: the simulator on loopback, the project's connector and mapping,
a hub store on SQLite and on PostgreSQL.

A first run lists every order without a range (Squarespace takes both bounds or neither)
and pages with the cursor alone; a later run asks for its window and reads only what
changed; a 429 is waited out (the one-minute cooldown) with nothing lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.store import Store
from tests.runtime.helpers import FakeClock

ROOT = Path(__file__).resolve().parents[3]


def hub(tmp_path: Path) -> Hub:
    """A hub with one squarespace connection over the project's connector and mappings."""
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"squarespace": {"connector": "squarespace",
                                        "conn_id": "squarespace"}}}))
    return load_hub(path)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


def rows(db_url: str, table: str) -> int:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"select count(*) from {table}")).scalar_one())
    finally:
        engine.dispose()


def conn_for(server: SandboxServer, site: Any) -> ConnectionInfo:
    return ConnectionInfo(conn_id="squarespace", conn_type="http",
                          host=server.squarespace_url(site.name), password=site.api_key)


def test_orders_land_and_a_later_run_reads_only_what_changed(tmp_path: Path, store: Store,
                                                             db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    site = sandbox.squarespace("demo", orders=230, customers=30, products=12)
    tests_orders = site.counts()["testmode"]
    assert tests_orders > 0
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, site)
        first = sync_stream(plan, "squarespace", "orders", store=store, conn_info=conn)
        assert first.status == "success"
        assert (first.fetched, first.pages, first.quarantined) == (230, 5, 0)
        assert first.skipped == tests_orders                    # test-mode orders
        assert first.changed["order"] == rows(db_url, "orders") == 230 - tests_orders
        asked = [r.query for r in site.requests]
        assert asked[0] == {}                     # a first run: no range, every order
        assert all(list(q) == ["cursor"] for q in asked[1:])    # then the cursor alone
        docs = store.read_feed("order", limit=1000).records
        assert [d for d in docs if d["warnings"]] == []          # every total reconciles
        assert {d["taxes_included"] for d in docs} == {site.interpretation == "INCLUSIVE"}

        changed = site.mutate(orders_created=3, orders_updated=4)
        ids = changed["orders_created"] + changed["orders_updated"]
        real = [oid for oid in ids if not site.records[oid]["testmode"]]
        site.requests.clear()
        # a run a few minutes later: the safety lag leaves the newest minute for the next one
        later = datetime.now(UTC) + timedelta(minutes=3)
        second = sync_stream(plan, "squarespace", "orders", store=store, conn_info=conn,
                             window_end=later)
        assert second.changed["order"] == len(real)
        assert second.fetched < 20                # what changed, plus the lookback's overlap
        (window,) = [r.query for r in site.requests]
        assert sorted(window) == ["modifiedAfter", "modifiedBefore"]
        assert rows(db_url, "orders") == 230 - tests_orders + sum(
            1 for oid in changed["orders_created"] if not site.records[oid]["testmode"])

        third = sync_stream(plan, "squarespace", "orders", store=store, conn_info=conn,
                            window_end=later)
        assert third.stored == 0 and third.cursor == second.cursor


def test_a_429_cooldown_is_waited_out_and_nothing_is_lost(tmp_path: Path, store: Store,
                                                          db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    site = sandbox.squarespace("busy", orders=200, customers=10, products=5)
    clock = FakeClock()
    site.throttle(per_minute=3, clock=clock)        # three requests a minute, then a minute off
    with SandboxServer(sandbox) as server, ConnectorClient(
            plan.connection("squarespace").connector, conn_for(server, site), clock=clock,
            sleep=clock.sleep) as client:
        summary = sync_stream(plan, "squarespace", "orders", store=store,
                              conn_info=conn_for(server, site), client=client)
    assert summary.status == "success" and summary.retries == 1
    assert [r.status for r in site.requests] == [200, 200, 200, 429, 200]
    assert 60 in [round(s) for s in clock.slept]             # the Retry-After of the cooldown
    assert rows(db_url, "orders") == 200 - site.counts()["testmode"]
