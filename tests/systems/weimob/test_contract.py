"""Weimob end to end: the simulator on loopback, the project's connector and mappings, a
hub store on SQLite and on PostgreSQL.

A first run takes a token and reads the last day of orders (windows read from their last
page back), rights and the store's SKUs; a later run only what changed; orders the list
serves without lines are completed from the detail API; orders updated while a window is
read are neither missed nor stored twice; a token that lapses is taken anew once; a
call-rate refusal is waited out; bad client credentials stop the run naming the
Connection; a listed app trades its code once and then refreshes, keeping the rotated
refresh token.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from synchub.errors import FatalAPIError
from synchub.pipeline import sync_stream
from synchub.plan import Hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.weimob.store import UNKNOWN_STATUS, WeimobStore
from synchub.store import Store
from synchub.store.token_tables import auth_tokens
from synchub.systems.weimob.auth import WeimobAuth
from synchub.tokens import CachedToken
from tests.runtime.helpers import FakeClock
from tests.systems.shop_runs import hub_for, stored_ids

LIST = "weimob_shop/v2.0/order/list/search"
DETAIL = "weimob_shop/v2.0/order/detail/get"


def hub(tmp_path: Path, auth: dict[str, Any] | None = None, **stream: Any) -> Hub:
    """A hub with one weimob connection; ``stream`` overrides keys of the orders stream."""
    return hub_for(tmp_path, "weimob", auth=auth, **stream)


@pytest.fixture(autouse=True)
def token_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The connector keeps its tokens in the store (auth.cache), encrypted with this key."""
    monkeypatch.setenv("SYNCHUB_TOKEN_KEY", Fernet.generate_key().decode())


def conn_for(server: SandboxServer, shop: WeimobStore, **change: str) -> ConnectionInfo:
    c = {**shop.credentials(), **change}
    extra = {k: c[k] for k in ("shop_id", "shop_type", "vid")}
    extra.update({k: v for k, v in change.items() if k in ("code", "redirect_uri",
                                                          "refresh_token")})
    return ConnectionInfo(conn_id="weimob", conn_type="http", host=server.url("weimob", shop.name),
                          login=c["client_id"], password=c["client_secret"], extra=extra)


def windows_asked(shop: WeimobStore) -> list[tuple[int, int]]:
    return sorted({(b["queryParameter"]["queryTime"]["startTime"],
                    b["queryParameter"]["queryTime"]["endTime"])
                   for a, b in shop.calls if a == LIST})


def test_orders_refunds_and_listings_land_and_a_later_run_reads_only_what_changed(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: WeimobStore = sandbox.store("weimob", "demo", orders=90, customers=1, products=7,
                                      poisoned=1)
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        now = datetime.now(UTC)
        first = sync_stream(plan, "weimob", "orders", store=store, conn_info=conn,
                            window_end=now)
        assert first.status == "success"
        assert (first.fetched, first.quarantined) == (90, 1)   # the unknown status
        (letter,) = store.dead_letters("weimob")
        assert str(UNKNOWN_STATUS) in letter["reason"] and "status" in letter["reason"]
        assert shop.token_requests == ["client_credentials"]    # one token for the run
        spans = windows_asked(shop)
        assert spans[0][0] == int((now - timedelta(days=1, minutes=2)).timestamp() * 1000)
        assert spans[-1][1] == int((now - timedelta(minutes=2)).timestamp() * 1000)
        assert not any(a == DETAIL for a, _ in shop.calls)      # the list had every line
        docs = store.read_feed("order", limit=1000).records
        assert {d["currency"] for d in docs} == {"CNY"}
        mismatched = [d for d in docs if d["warnings"]]
        assert mismatched and all(
            d["adjustments"][0]["amount"] == {"amount": "-5.00", "currency": "CNY"}
            for d in mismatched)
        a_doc = docs[0]
        base = shop.orders_by_no[int(a_doc["external_id"])]["orderInfo"]["orderBaseInfo"]
        assert datetime.fromisoformat(a_doc["placed_at"].replace("Z", "+00:00")) == \
            datetime.fromtimestamp(base["createTime"] / 1000, UTC)

        refunds = sync_stream(plan, "weimob", "refunds", store=store, conn_info=conn,
                              window_end=now)
        assert refunds.status == "success"
        assert sorted(stored_ids(db_url, "refunds")) == sorted(
            str(k) for k, r in shop.rights.items() if r["rightsOrder"]["rightsStatus"] == 5)

        listings = sync_stream(plan, "weimob", "listings", store=store, conn_info=conn)
        assert listings.status == "success" and listings.fetched == shop.counts()["skus"]

        changed = shop.mutate(orders_created=2, orders_updated=3)
        later = datetime.now(UTC) + timedelta(minutes=3)
        second = sync_stream(plan, "weimob", "orders", store=store, conn_info=conn,
                             window_end=later)
        touched = {str(n) for n in changed["orders_created"] + changed["orders_updated"]}
        assert second.changed["order"] == len(touched - {letter["record_id"]})
        assert second.fetched < 15
        assert len(stored_ids(db_url)) == 89 + 2


def test_orders_listed_without_lines_are_read_from_the_detail_api(
        tmp_path: Path, store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=3)
    shop: WeimobStore = sandbox.store("weimob", "bare", orders=6, customers=1, products=7)
    shop.list_without_items = True
    with SandboxServer(sandbox) as server:
        summary = sync_stream(plan, "weimob", "orders", store=store,
                              conn_info=conn_for(server, shop), window_end=datetime.now(UTC))
    assert summary.status == "success" and summary.fetched == 6
    asked = sorted(b["orderNo"] for a, b in shop.calls if a == DETAIL)
    assert asked == sorted(shop.orders_by_no)
    docs = store.read_feed("order", limit=100).records
    assert all(len(d["lines"]) == len(shop.orders_by_no[int(d["external_id"])]
                                       ["orderInfo"]["items"]) for d in docs)


def test_orders_updated_during_a_window_read_are_neither_missed_nor_duplicated(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path, page_size=5)
    sandbox = Sandbox(seed=11)
    shop: WeimobStore = sandbox.store("weimob", "busy", orders=60, customers=1, products=7)
    moved: list[int] = []

    def buyers_act(shop: WeimobStore, page: int) -> None:
        if len(moved) < 8:
            newest = max((o for n, o in shop.orders_by_no.items() if n not in moved),
                         key=lambda o: o["orderInfo"]["orderBaseInfo"]["updateTime"])
            no = newest["orderInfo"]["orderBaseInfo"]["orderNo"]
            moved.append(no)
            shop.touch(no)

    shop.during_read = buyers_act
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop)
        first = sync_stream(plan, "weimob", "orders", store=store, conn_info=conn,
                            window_end=datetime.now(UTC))
        assert len(moved) == 8
        ids = stored_ids(db_url)
        assert len(ids) == len(set(ids)) == first.fetched
        assert {str(n) for n in shop.orders_by_no if n not in moved} <= set(ids)
        shop.during_read = None
        second = sync_stream(plan, "weimob", "orders", store=store, conn_info=conn,
                             window_end=datetime.now(UTC) + timedelta(minutes=3))
        assert second.status == "success"
    assert sorted(stored_ids(db_url)) == sorted(str(n) for n in shop.orders_by_no)


def test_a_lapsed_token_is_taken_anew_once(tmp_path: Path, store: Store,
                                           db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: WeimobStore = sandbox.store("weimob", "lapse", orders=12, customers=1, products=7)
    with SandboxServer(sandbox) as server, ConnectorClient(
            plan.connection("weimob").connector, conn_for(server, shop),
            tokens=store.tokens) as client:
        sync_stream(plan, "weimob", "orders", store=store, conn_info=conn_for(server, shop),
                    client=client, window_end=datetime.now(UTC))
        assert len(shop.token_requests) == 1
        shop.expire_tokens()                      # errcode 80001001000119
        shop.mutate(orders_updated=2)
        again = sync_stream(plan, "weimob", "orders", store=store,
                            conn_info=conn_for(server, shop), client=client,
                            window_end=datetime.now(UTC) + timedelta(minutes=3))
    assert again.status == "success" and len(shop.token_requests) == 2
    assert len(stored_ids(db_url)) == 12


def test_a_token_about_to_lapse_is_renewed_before_the_call(tmp_path: Path,
                                                           store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: WeimobStore = sandbox.store("weimob", "short", orders=3, customers=1, products=7)
    shop.token_seconds = 200                      # inside the 300-second margin
    with SandboxServer(sandbox) as server:
        sync_stream(plan, "weimob", "orders", store=store, conn_info=conn_for(server, shop),
                    window_end=datetime.now(UTC))
    calls = len([c for c in shop.calls if c[0] == LIST])
    assert len(shop.token_requests) == calls


def test_the_call_rate_refusal_is_waited_out(tmp_path: Path, store: Store,
                                             db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: WeimobStore = sandbox.store("weimob", "busy", orders=20, customers=1, products=7)
    shop.limited = [1, 1]
    clock = FakeClock()
    with SandboxServer(sandbox) as server, ConnectorClient(
            plan.connection("weimob").connector, conn_for(server, shop), clock=clock,
            sleep=clock.sleep, tokens=store.tokens) as client:
        summary = sync_stream(plan, "weimob", "orders", store=store,
                              conn_info=conn_for(server, shop), client=client,
                              window_end=datetime.now(UTC))
    assert summary.status == "success" and summary.retries == 2
    assert len(stored_ids(db_url)) == 20


def test_bad_client_credentials_stop_the_run_naming_the_connection(tmp_path: Path,
                                                                   store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    shop: WeimobStore = sandbox.store("weimob", "wrong", orders=5, customers=1, products=7)
    with SandboxServer(sandbox) as server, pytest.raises(FatalAPIError) as caught:
        sync_stream(plan, "weimob", "orders", store=store,
                    conn_info=conn_for(server, shop, client_secret="not-the-secret"),
                    window_end=datetime.now(UTC))
    assert "connection 'weimob'" in str(caught.value) and "invalid_client" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)
    assert shop.calls == []


def token_calls(shop: WeimobStore) -> list[tuple[str, int]]:
    """Each token request the simulator received: its grant and the status answered."""
    return [(r.query.get("grant_type", ""), r.status) for r in shop.requests
            if r.path.endswith("/oauth2/token")]


def stored_token(store: Store, auth: WeimobAuth) -> CachedToken:
    """What the store's row holds for ``auth`` (never fetching)."""
    def never(previous: CachedToken | None) -> CachedToken:
        raise AssertionError("fetched")
    return store.tokens.obtain(auth.key, never, valid_after=0.0)


def test_a_listed_app_trades_its_code_once_then_later_tasks_refresh_with_the_rotated_token(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path, auth={"grant": "authorization_code"})
    spec = plan.connection("weimob").connector
    sandbox = Sandbox(seed=7)
    shop: WeimobStore = sandbox.store("weimob", "listed", orders=4, customers=1, products=7)
    code = shop.issue_code()
    retired: list[str] = []
    with SandboxServer(sandbox) as server:
        # every task's Connection still holds the code (used after the first task)
        conn = conn_for(server, shop, code=code, redirect_uri=shop.redirect_uri)
        for task in range(3):
            # a task of its own: its own store engine and client, sharing only the database
            st = Store.from_url(db_url)
            try:
                with ConnectorClient(spec, conn, tokens=st.tokens) as client:
                    auth = client.http.auth
                    assert isinstance(auth, WeimobAuth)
                    summary = sync_stream(plan, "weimob", "orders", store=st, conn_info=conn,
                                          client=client, window_end=datetime.now(UTC))
                    assert summary.status == "success", task
                    held = stored_token(st, auth)
            finally:
                st.dispose()
            assert held.refresh in shop.refresh_tokens         # the live one is kept
            assert held.refresh not in retired
            retired.append(held.refresh or "")
            shop.expire_tokens()          # the next task finds its token refused: refreshes
    assert shop.token_requests == ["authorization_code", "refresh_token", "refresh_token"]
    # no retired refresh token (nor the used code) was ever presented
    assert token_calls(shop) == [("authorization_code", 200), ("refresh_token", 200),
                                 ("refresh_token", 200)]
    assert len(shop.refresh_tokens) == 1 and retired[-1] in shop.refresh_tokens
    with store.engine.connect() as db:
        row = db.execute(sa.select(auth_tokens)).one()
    assert row.refresh_token not in shop.refresh_tokens      # ciphertext, not the token
    assert row.fetches == 3


def test_listed_app_clients_starting_together_take_one_token_and_refresh_once(
        tmp_path: Path, db_url: str, store: Store) -> None:
    plan = hub(tmp_path, auth={"grant": "authorization_code"})
    spec = plan.connection("weimob").connector
    sandbox = Sandbox(seed=7)
    shop: WeimobStore = sandbox.store("weimob", "together", orders=1, customers=1, products=7)
    code = shop.issue_code()
    workers = 4
    stores = [Store.from_url(db_url) for _ in range(workers)]
    barrier = threading.Barrier(workers)
    first: list[str] = []
    renewed: list[str] = []
    errors: list[BaseException] = []
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, shop, code=code, redirect_uri=shop.redirect_uri)

        def worker(st: Store) -> None:
            try:
                with ConnectorClient(spec, conn, tokens=st.tokens) as client:
                    auth = client.http.auth
                    assert isinstance(auth, WeimobAuth)
                    barrier.wait()
                    token = auth.token()
                    first.append(token)
                    if barrier.wait() == 0:              # one of them, once all hold it
                        shop.expire_tokens()             # refused early, for everyone
                    barrier.wait()
                    renewed.append(auth.renew(token))    # every worker sees it refused
            except BaseException as exc:
                errors.append(exc)
                barrier.abort()

        threads = [threading.Thread(target=worker, args=(st,)) for st in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    for st in stores:
        st.dispose()
    assert not errors, errors
    assert len(set(first)) == 1 and len(set(renewed)) == 1 and first[0] != renewed[0]
    assert token_calls(shop) == [("authorization_code", 200), ("refresh_token", 200)]
