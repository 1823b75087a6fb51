"""Weidian end to end: the simulator on loopback, the project's connector and mappings, a
hub store on SQLite and on PostgreSQL, the token shared through the store.

A first run takes one token (kept encrypted in the store) and reads the last day of
orders, windows from their last page back; a later run only what changed; several
clients starting together fetch one token; a token refused before its expiry is replaced
once; the day's token fetches used up stop the run with Weidian's reason; listings land
as inventory levels; stock and tracking go back to the shop.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from cryptography.fernet import Fernet

from synchub.errors import ConfigError, FatalAPIError
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.kit.times import parse_beijing
from synchub.sandbox.weidian.store import ITEM_BASE, SKU_BASE, UNKNOWN_STATUS, WeidianStore
from synchub.stock.publish import create_publisher
from synchub.stock.publish.base import ListingChange
from synchub.store import Store
from synchub.store.token_tables import auth_tokens

ROOT = Path(__file__).resolve().parents[3]


def hub(tmp_path: Path, **orders: Any) -> Hub:
    """A hub with one weidian connection; ``orders`` overrides keys of the orders stream."""
    connectors = ROOT / "connectors"
    if orders:
        connectors = tmp_path / "connectors"
        (connectors / "weidian").mkdir(parents=True)
        spec = yaml.safe_load((ROOT / "connectors/weidian/connector.yaml").read_text())
        spec["streams"]["orders"].update(orders)
        (connectors / "weidian/connector.yaml").write_text(
            yaml.safe_dump(spec, allow_unicode=True))
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(connectors),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"weidian": {"connector": "weidian", "conn_id": "weidian"}}}))
    return load_hub(path)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCHUB_MAP_WORKERS", "0")
    monkeypatch.setenv("SYNCHUB_TOKEN_KEY", Fernet.generate_key().decode())


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.upgrade()
    yield s
    s.dispose()


@pytest.fixture
def shop_server() -> Iterator[tuple[WeidianStore, SandboxServer]]:
    sandbox = Sandbox(seed=11)
    shop: WeidianStore = sandbox.store("weidian", "demo", orders=80, customers=1, products=7,
                                       poisoned=1)
    with SandboxServer(sandbox) as server:
        yield shop, server


def conn_for(server: SandboxServer, shop: WeidianStore, **change: str) -> ConnectionInfo:
    c = {**shop.credentials(), **change}
    return ConnectionInfo(conn_id="weidian", conn_type="http",
                          host=server.url("weidian", shop.name), login=c["appkey"],
                          password=c["secret"])


def stored_ids(db_url: str, table: str = "orders") -> list[str]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [str(r[0]) for r in conn.execute(sa.text(f"select external_id from {table}"))]
    finally:
        engine.dispose()


def test_orders_land_with_one_stored_token_and_a_later_run_reads_only_what_changed(
        tmp_path: Path, store: Store, db_url: str,
        shop_server: tuple[WeidianStore, SandboxServer]) -> None:
    shop, server = shop_server
    plan, conn = hub(tmp_path), conn_for(server, shop)
    now = datetime.now(UTC)
    first = sync_stream(plan, "weidian", "orders", store=store, conn_info=conn, window_end=now)
    assert first.status == "success"
    assert (first.fetched, first.quarantined) == (80, 1)     # the unknown order type
    (letter,) = store.dead_letters("weidian")
    assert UNKNOWN_STATUS in letter["reason"]
    assert sorted(stored_ids(db_url)) == sorted(
        oid for oid, o in shop.orders_by_id.items() if o["status"] != UNKNOWN_STATUS)
    assert shop.token_requests == 1
    with store.engine.connect() as conn_:
        row = conn_.execute(sa.select(auth_tokens)).one()
    assert row.connection == "weidian" and row.fetches == 1
    assert row.token not in shop.tokens                       # encrypted, not the token
    # windows in Beijing time, a day back, ending at the safety lag; pages backwards
    asked = [(m, p) for m, _v, p in shop.calls if m == "vdian.order.list.get"]
    starts = sorted({parse_beijing(p["update_start"]) for _m, p in asked})
    assert starts[0] == int((now - timedelta(days=1, minutes=2)).timestamp())
    assert {p["page_size"] for _m, p in asked} == {30} and asked[0][1]["order_type"] == "all"
    docs = {d["external_id"]: d for d in store.read_feed("order", limit=1000).records}
    assert {d["currency"] for d in docs.values()} == {"CNY"}
    assert all(not d["warnings"] for d in docs.values())      # every sandbox order adds up

    changed = shop.mutate(orders_created=2, orders_updated=3)
    shop.calls.clear()
    later = sync_stream(plan, "weidian", "orders", store=store, conn_info=conn,
                        window_end=datetime.now(UTC) + timedelta(minutes=3))
    assert later.status == "success"
    assert set(changed["orders_created"]) <= set(stored_ids(db_url))
    assert later.fetched < 20
    assert shop.token_requests == 1                            # the stored token again


def test_orders_updated_during_a_window_read_are_neither_missed_nor_duplicated(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path, page_size=5)            # one day's window, five orders a page
    sandbox = Sandbox(seed=13)
    shop: WeidianStore = sandbox.store("weidian", "busy", orders=60, customers=1, products=7)
    moved: list[str] = []

    def buyers_act(shop: WeidianStore, page_num: int) -> None:
        # after each page the newest order changes: it leaves the window and every order
        # behind it slides one place forward
        if len(moved) < 8:
            newest = max((o for o in shop.orders_by_id.values() if o["order_id"] not in moved),
                         key=lambda o: o["_updated"])
            moved.append(newest["order_id"])
            shop.touch(newest["order_id"])

    shop.during_read = buyers_act
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        first = sync_stream(plan, "weidian", "orders", store=store, conn_info=conn,
                            window_end=datetime.now(UTC))
        assert len(moved) == 8
        ids = stored_ids(db_url)
        assert len(ids) == len(set(ids)) == first.fetched       # nothing handed on twice
        assert {o for o in shop.orders_by_id if o not in moved} <= set(ids)
        shop.during_read = None
        second = sync_stream(plan, "weidian", "orders", store=store, conn_info=conn,
                             window_end=datetime.now(UTC) + timedelta(minutes=3))
        assert second.status == "success"
    assert sorted(stored_ids(db_url)) == sorted(shop.orders_by_id)   # all 60, once


def test_clients_starting_together_fetch_one_token(
        tmp_path: Path, store: Store, db_url: str,
        shop_server: tuple[WeidianStore, SandboxServer]) -> None:
    shop, server = shop_server
    plan, conn = hub(tmp_path), conn_for(server, shop)
    stores = [Store.from_url(db_url) for _ in range(5)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(stores))

    def worker(st: Store) -> None:
        client = ConnectorClient(plan.connection("weidian").connector, conn, tokens=st.tokens)
        barrier.wait()
        try:
            next(iter(client.read("listings")))
        except BaseException as exc:
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(st,)) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for st in stores:
        st.dispose()
    assert not errors
    assert shop.token_requests == 1


def test_a_token_refused_before_its_expiry_is_replaced_once(
        tmp_path: Path, store: Store, shop_server: tuple[WeidianStore, SandboxServer]) -> None:
    shop, server = shop_server
    plan, conn = hub(tmp_path), conn_for(server, shop)
    spec = plan.connection("weidian").connector
    a = ConnectorClient(spec, conn, tokens=store.tokens)
    b = ConnectorClient(spec, conn, tokens=store.tokens)
    try:
        next(iter(a.read("listings")))
        next(iter(b.read("listings")))
        assert shop.token_requests == 1
        shop.revoke_tokens()                   # 10016 from now on, 25 hours early
        next(iter(a.read("listings")))          # a renews ...
        next(iter(b.read("listings")))          # ... b takes a's new token from the store
        assert shop.token_requests == 2
    finally:
        a.close()
        b.close()


def test_the_days_token_fetches_used_up_stop_the_run_with_the_reason(
        tmp_path: Path, store: Store, shop_server: tuple[WeidianStore, SandboxServer]) -> None:
    shop, server = shop_server
    shop.tokens_per_day = 0
    plan, conn = hub(tmp_path), conn_for(server, shop)
    with pytest.raises(FatalAPIError, match="status_code 10040") as caught:
        sync_stream(plan, "weidian", "orders", store=store, conn_info=conn,
                    window_end=datetime.now(UTC))
    assert "'weidian'" in str(caught.value)


def test_bad_app_credentials_name_the_connection(
        tmp_path: Path, store: Store, shop_server: tuple[WeidianStore, SandboxServer]) -> None:
    shop, server = shop_server
    plan, conn = hub(tmp_path), conn_for(server, shop, secret="wrong")
    with pytest.raises(FatalAPIError, match=r"connection .weidian.*status_code 10001"):
        sync_stream(plan, "weidian", "orders", store=store, conn_info=conn,
                    window_end=datetime.now(UTC))
    assert shop.secret not in str(store.dead_letters("weidian"))


def test_without_a_key_the_store_cache_refuses_to_start(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch,
        shop_server: tuple[WeidianStore, SandboxServer]) -> None:
    shop, server = shop_server
    monkeypatch.delenv("SYNCHUB_TOKEN_KEY")
    monkeypatch.delenv("AIRFLOW__CORE__FERNET_KEY", raising=False)
    plan, conn = hub(tmp_path), conn_for(server, shop)
    fresh = Store(store.engine)
    with pytest.raises(ConfigError, match="SYNCHUB_TOKEN_KEY"):
        sync_stream(plan, "weidian", "orders", store=fresh, conn_info=conn,
                    window_end=datetime.now(UTC))
    assert shop.token_requests == 0


def test_listings_land_and_stock_goes_back(
        tmp_path: Path, store: Store, shop_server: tuple[WeidianStore, SandboxServer]) -> None:
    shop, server = shop_server
    plan, conn = hub(tmp_path), conn_for(server, shop)
    summary = sync_stream(plan, "weidian", "listings", store=store, conn_info=conn)
    assert summary.status == "success"
    levels = {d["external_id"]: d for d in store.read_feed("inventory_level",
                                                           limit=100).records}
    assert len(levels) == shop.counts()["listings"] == 17
    assert levels[f"{ITEM_BASE}:{SKU_BASE}"]["available"] == 20
    assert levels[str(ITEM_BASE + 5)]["available"] == 40          # no SKUs: the item's

    spec = plan.connection("weidian").connector
    client = ConnectorClient(spec, conn, tokens=store.tokens)
    try:
        assert spec.stock_publisher is not None
        publisher = create_publisher(spec.stock_publisher, client, run_id="r1")
        # as the stock engine builds them: with the ids the listings' mappings stored
        def change(listing: str, quantity: int, expected: int) -> ListingChange:
            level = levels[listing]
            return ListingChange(listing, quantity, expected, sku=level["sku"],
                                 inventory_item_id=level["inventory_item_external_id"],
                                 product_id=level["product_external_id"])

        changes = [change(f"{ITEM_BASE}:{SKU_BASE}", 7, 20),
                   change(str(ITEM_BASE + 5), 3, 40),                     # no SKUs
                   ListingChange(f"{ITEM_BASE}:99999999", 1, None),     # unknown SKU
                   ListingChange("not-a-listing", 1, None)]
        outcomes = publisher.push(changes)
    finally:
        client.close()
    assert [o.status for o in outcomes] == ["pushed", "pushed", "failed", "failed"]
    assert "商品sku的id不存在" in (outcomes[2].error or "")
    assert shop.stock(ITEM_BASE, SKU_BASE) == 7 and shop.stock(ITEM_BASE + 5) == 3
    # the batch was refused whole, then sent one listing a call
    assert publisher.stats.write_calls == 4 and publisher.stats.retried_batches == 1
