"""Amazon SP-API end to end: the connector, the LWA auth, the mapping and the simulator agree.

The sandbox serves ``synchub/sandbox/amazon/`` on loopback; the ``orders`` stream is synced
through the project's connector and mapping files into SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.errors import FatalAPIError
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.store import Store
from tests.runtime.helpers import FakeClock

ROOT = Path(__file__).resolve().parents[3]
SEARCH = "/orders/2026-01-01/orders"


def hub(tmp_path: Path) -> Hub:
    """A hub with one amazon connection over the project's connector and mappings."""
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"amazon": {"connector": "amazon", "conn_id": "amazon"}}}))
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


def conn_for(server: SandboxServer, account: Any) -> ConnectionInfo:
    """The Connection as documented: login = client id, password = client secret, extra."""
    base = server.url("amazon", account.name)
    return ConnectionInfo(conn_id="amazon", conn_type="http", host=base,
                          login=account.client_id, password=account.client_secret,
                          extra={"refresh_token": account.refresh_token,
                                 "token_url": f"{base}/auth/o2/token"})


def test_orders_land_and_a_later_run_reads_only_what_changed(tmp_path: Path, store: Store,
                                                             db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    account: Any = sandbox.store("amazon", "demo", orders=230)
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, account)
        first = sync_stream(plan, "amazon", "orders", store=store, conn_info=conn)
        assert first.status == "success"
        assert (first.fetched, first.pages, first.quarantined) == (230, 3, 0)  # 100+100+30
        assert first.changed["order"] == rows(db_url, "orders") == 230
        paths = [r.path for r in account.requests]
        assert paths == ["/auth/o2/token", "/sellers/v1/marketplaceParticipations",
                         SEARCH, SEARCH, SEARCH]
        asked = [r.query for r in account.requests if r.path == SEARCH]
        assert asked[0]["marketplaceIds"] == "A1PA6795UKMFR9,A13V1IB3VIYZZH,A1F83G8C2ARO7P"
        assert asked[0]["includedData"] == "BUYER,RECIPIENT,PROCEEDS,FULFILLMENT,PACKAGES"
        assert asked[0]["maxResultsPerPage"] == "100"
        # the window ends at least two minutes before the request (the sandbox refuses less)
        end = datetime.fromisoformat(asked[0]["lastUpdatedBefore"].replace("Z", "+00:00"))
        assert end <= datetime.now(UTC) - timedelta(minutes=2)
        assert "paginationToken" not in asked[0]
        assert all("paginationToken" in q for q in asked[1:])
        docs = store.read_feed("order", limit=1000).records
        assert [d["external_id"] for d in docs if d["warnings"]] == []   # totals reconcile
        assert {d["currency"] for d in docs} == {"EUR", "GBP"}
        assert {t for d in docs for t in d["tags"] if t.startswith("fulfilled_by:")} == {
            "fulfilled_by:MERCHANT", "fulfilled_by:AMAZON"}
        assert all(d["customer"]["email"].endswith(("amazon.de", "amazon.fr", "amazon.gb"))
                   for d in docs)

        changed = account.mutate(orders_created=2, orders_updated=3)
        account.requests.clear()
        later = datetime.now(UTC) + timedelta(minutes=4)
        account.clock = lambda: later.timestamp()       # the sandbox lives four minutes on
        second = sync_stream(plan, "amazon", "orders", store=store, conn_info=conn,
                             window_end=later)
        assert second.changed["order"] == len(changed["orders_created"]) + len(
            changed["orders_updated"]) == 5
        assert second.fetched < 20                # what changed, plus the lookback's overlap
        assert rows(db_url, "orders") == 232


def test_without_the_pii_role_orders_map_without_buyer_or_street(
        tmp_path: Path, store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=3)
    account: Any = sandbox.store("amazon", "masked", orders=40)
    account.pii = False
    with SandboxServer(sandbox) as server:
        summary = sync_stream(plan, "amazon", "orders", store=store,
                              conn_info=conn_for(server, account))
    assert (summary.status, summary.fetched, summary.quarantined) == ("success", 40, 0)
    docs = store.read_feed("order", limit=100).records
    assert all(d["customer"] is None for d in docs)
    assert all(d["shipping_address"]["line1"] is None and d["shipping_address"]["postal_code"]
               for d in docs)


def test_a_429_beyond_the_burst_is_waited_out_at_the_stated_rate(
        tmp_path: Path, store: Store, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    account: Any = sandbox.store("amazon", "busy", orders=250)
    clock = FakeClock()
    account.limit_clock = clock
    account.plans["searchOrders"] = (0.5, 2)        # this seller's plan: burst 2, 0.5/s
    with SandboxServer(sandbox) as server, ConnectorClient(
            plan.connection("amazon").connector, conn_for(server, account), clock=clock,
            sleep=clock.sleep) as client, caplog.at_level(logging.INFO, logger="synchub"):
        summary = sync_stream(plan, "amazon", "orders", store=store,
                              conn_info=conn_for(server, account), client=client)
    assert summary.status == "success" and summary.retries == 1
    statuses = [r.status for r in account.requests if r.path == SEARCH]
    assert statuses == [200, 200, 429, 200]
    # after the 429 the client's bucket is empty: the retry goes no sooner than one token at
    # the stated 0.5/s (2 s), whatever the jittered backoff drew
    assert sum(clock.slept) >= 2.0 - 1e-9
    # the run's report says how much of it the vendor's limits took
    (report,) = [r.getMessage() for r in caplog.records if "amazon.orders: 250 fetched" in
                 r.getMessage()]
    assert f"{sum(clock.slept):.1f}s of it waiting for the API's rate limits" in report
    assert rows(db_url, "orders") == 250


def test_an_expired_pagination_token_fails_the_run_and_the_next_starts_from_the_cursor(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=5)
    account: Any = sandbox.store("amazon", "slow", orders=150)
    account.pagination_ttl = -1                      # every token is already stale
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, account)
        with pytest.raises(FatalAPIError, match="paginationToken has expired"):
            sync_stream(plan, "amazon", "orders", store=store, conn_info=conn)
        assert (store.get_state("amazon", "orders") or {}).get("cursor") is None
        account.pagination_ttl = 86_400
        account.requests.clear()
        again = sync_stream(plan, "amazon", "orders", store=store, conn_info=conn)
    assert again.status == "success" and rows(db_url, "orders") == 150
    first = next(r.query for r in account.requests if r.path == SEARCH)
    assert "paginationToken" not in first and "lastUpdatedAfter" in first


def test_an_order_whose_items_cannot_be_mapped_is_quarantined_and_the_rest_land(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=9)
    account: Any = sandbox.store("amazon", "odd", orders=30)
    unpriced, unknown = sorted(account.records)[:2]
    account.records[unpriced]["orderItems"][0]["product"].pop("price")   # no unit price
    account.records[unknown]["fulfillment"]["fulfillmentStatus"] = "ON_THE_MOON"
    with SandboxServer(sandbox) as server:
        summary = sync_stream(plan, "amazon", "orders", store=store,
                              conn_info=conn_for(server, account))
    assert (summary.status, summary.fetched, summary.quarantined) == ("success", 30, 2)
    assert rows(db_url, "orders") == 28
    letters = {d["record_id"]: d["reason"] for d in store.dead_letters("amazon")}
    assert set(letters) == {unpriced, unknown}
    assert "unit_price" in letters[unpriced]
    assert "ON_THE_MOON" in letters[unknown]
