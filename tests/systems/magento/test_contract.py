"""Magento end to end: the simulator on loopback, the project's connector and mappings,
a hub store on SQLite and on PostgreSQL.

Paging ends on ``total_count`` even when the store answers a page past the end with the
last page again (Magento before 2.4); a later run sends the ``updated_at`` filter and reads
only what changed; each auth scheme the Connection may choose reaches the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from synchub.errors import FatalAPIError
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.magento.store import MagentoStore
from synchub.sandbox.magento.system import refund
from synchub.store import Store

ROOT = Path(__file__).resolve().parents[3]
FILTER = "searchCriteria[filter_groups][0][filters][0]"


def hub(tmp_path: Path) -> Hub:
    """A hub with one magento connection over the project's connector and mappings."""
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"magento": {"connector": "magento", "conn_id": "magento"}}}))
    return load_hub(path)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


def conn_for(server: SandboxServer, shop: MagentoStore, scheme: str = "bearer"
             ) -> ConnectionInfo:
    c = shop.credentials()
    host = server.url("magento", shop.name)
    if scheme == "oauth1":
        return ConnectionInfo(conn_id="magento", host=host, extra={
            "auth_scheme": "oauth1", "consumer_key": c["consumer_key"],
            "consumer_secret": c["consumer_secret"], "access_token": c["access_token"],
            "access_token_secret": c["access_token_secret"]})
    if scheme == "admin_token":
        return ConnectionInfo(conn_id="magento", host=host, login=c["admin_user"],
                              password=c["admin_password"],
                              extra={"auth_scheme": "admin_token"})
    return ConnectionInfo(conn_id="magento", host=host, password=c["access_token"])


@pytest.mark.parametrize("repeat_last_page", [False, True], ids=["2.4", "pre-2.4"])
def test_orders_page_to_total_count_and_a_later_run_filters(
        tmp_path: Path, store: Store, repeat_last_page: bool) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=11)
    shop: MagentoStore = sandbox.store("magento", "demo", orders=200, customers=20,
                                       products=15)
    shop.repeat_last_page = repeat_last_page
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        first = sync_stream(plan, "magento", "orders", store=store, conn_info=conn)
        assert first.status == "success"
        # 200 orders in pages of 100: two full pages and no third request, even when the
        # store would answer page 3 with page 2 again
        assert (first.fetched, first.pages, first.quarantined) == (200, 2, 0)
        asked = [dict(r.query) for r in shop.requests]
        # the first page goes without currentPage (Magento starts at 1), then page 2 only
        assert [q.get("searchCriteria[currentPage]") for q in asked] == [None, "2"]
        assert not any(k.startswith("searchCriteria[filter_groups][0]") for k in asked[0])
        docs = store.read_feed("order", limit=1000).records
        assert [d["external_id"] for d in docs if d["warnings"]] == []  # all add up
        lines = [ln for d in docs for ln in d["lines"]]
        assert lines and all(ln["sku"] for ln in lines)

        changed = shop.mutate(orders_created=2, orders_updated=3)
        shop.requests.clear()
        later = datetime.now(UTC) + timedelta(minutes=3)
        second = sync_stream(plan, "magento", "orders", store=store, conn_info=conn,
                             window_end=later)
        assert second.status == "success"
        q = dict(shop.requests[0].query)
        assert q[f"{FILTER}[field]"] == "updated_at"
        assert q[f"{FILTER}[condition_type]"] == "gteq"
        datetime.strptime(q[f"{FILTER}[value]"], "%Y-%m-%d %H:%M:%S")
        assert second.fetched >= len(changed["orders_created"] + changed["orders_updated"])
        assert second.fetched < 20


def test_a_full_last_page_without_total_path_would_repeat_and_is_stopped(
        tmp_path: Path, store: Store) -> None:
    # the same store and connector with total_path dropped: stop_on_repeat still ends it
    connectors = tmp_path / "connectors" / "magento"
    connectors.mkdir(parents=True)
    spec = yaml.safe_load((ROOT / "connectors/magento/connector.yaml").read_text())
    del spec["stream_defaults"]["paginator"]["total_path"]
    (connectors / "connector.yaml").write_text(yaml.safe_dump(spec))
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(tmp_path / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"magento": {"connector": "magento", "conn_id": "magento"}}}))
    sandbox = Sandbox(seed=3)
    shop: MagentoStore = sandbox.store("magento", "demo", orders=200, customers=5,
                                       products=5)
    shop.repeat_last_page = True
    with SandboxServer(sandbox) as server:
        result = sync_stream(load_hub(path), "magento", "orders", store=store,
                             conn_info=conn_for(server, shop))
    assert result.status == "success"
    assert (result.fetched, result.pages) == (200, 3)   # page 3 repeated page 2: dropped


@pytest.mark.parametrize("scheme", ["oauth1", "admin_token"])
def test_the_connection_chooses_the_auth_scheme(tmp_path: Path, store: Store,
                                                scheme: str) -> None:
    sandbox = Sandbox(seed=5)
    shop: MagentoStore = sandbox.store("magento", "demo", orders=30, customers=5,
                                       products=5)
    shop.bearer_allowed = False   # 2.4.4+: integration tokens are not Bearer tokens
    with SandboxServer(sandbox) as server:
        result = sync_stream(hub(tmp_path), "magento", "orders", store=store,
                             conn_info=conn_for(server, shop, scheme))
        assert (result.status, result.fetched) == ("success", 30)
        with pytest.raises(FatalAPIError, match="HTTP 401"):   # the bare token is refused
            sync_stream(hub(tmp_path), "magento", "orders", store=store,
                        conn_info=conn_for(server, shop), full_refresh=True)


def test_credit_memos_and_source_items_land(tmp_path: Path, store: Store) -> None:
    sandbox = Sandbox(seed=9)
    shop: MagentoStore = sandbox.store("magento", "demo", orders=10, customers=5,
                                       products=4)
    refund(shop, 1, 1250)
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        memos = sync_stream(hub(tmp_path), "magento", "credit_memos", store=store,
                            conn_info=conn)
        items = sync_stream(hub(tmp_path), "magento", "source_items", store=store,
                            conn_info=conn)
    assert (memos.status, memos.fetched, memos.changed.get("refund")) == ("success", 1, 1)
    assert (items.status, items.fetched) == ("success", 8)
    assert items.changed.get("inventory_level") == 8
