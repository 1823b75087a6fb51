"""Large streams are mapped in worker processes with the same result as in-process mapping."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from synchub.pipeline import mapper as mapper_pool
from synchub.pipeline import sync_stream
from synchub.plan import Hub
from synchub.store import Store

from .conftest import shopify_conn


def dying_worker(*args: Any) -> None:
    """A worker start-up that dies, as a process under the OOM killer does."""
    import os

    os._exit(3)


def documents(store: Store) -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in store.read_feed("order", limit=100_000).records}


def test_pool_and_inline_store_the_same_records(shop_hub: Hub, sandbox: Any, tmp_path: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    sb, srv = sandbox
    sb.shopify("demo", orders=900, customers=5, products=5, poisoned=2)
    conn = shopify_conn(srv, sb)
    monkeypatch.setattr(mapper_pool, "INLINE_PAGES", 1)   # the pool takes pages 2..4
    results = {}
    for workers in (0, 2):
        store = Store.from_url(f"sqlite:///{tmp_path / f'hub{workers}.db'}")
        store.migrate()
        summary = sync_stream(shop_hub, "shop", "orders", store=store, conn_info=conn,
                              workers=workers, full_refresh=True)
        results[workers] = (summary.changed["order"], summary.quarantined, documents(store),
                            store.get_state("shop", "orders"),
                            sorted(d["record_id"] or "" for d in store.dead_letters()))
        store.dispose()
    assert results[0][0] == results[2][0] == 898
    assert results[0][1] == results[2][1] >= 2
    assert results[0][2] == results[2][2]          # byte-for-byte the same documents
    assert results[0][3] == results[2][3]          # the same cursor
    assert results[0][4] == results[2][4]          # the same dead letters


def test_a_broken_pool_falls_back_to_in_process_mapping(
        shop_hub: Hub, sandbox: Any, store: Store, db_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sb, srv = sandbox
    sb.shopify("demo", orders=800, customers=5, products=5)
    monkeypatch.setattr(mapper_pool, "INLINE_PAGES", 1)
    monkeypatch.setattr(mapper_pool, "_init_worker", dying_worker)
    summary = sync_stream(shop_hub, "shop", "orders", store=store,
                          conn_info=shopify_conn(srv, sb), workers=2)
    assert summary.status == "success" and summary.changed["order"] == 800
    engine = sa.create_engine(db_url)
    with engine.connect() as c:
        # one change number per stored order, none handed out twice
        assert c.execute(sa.text("select value from change_counters where entity = 'order'")
                         ).scalar_one() == 800
    engine.dispose()


@pytest.mark.parametrize(("setting", "cores", "expected"), [
    ("auto", 2, 2), ("auto", 1, 0), ("0", 8, 0), ("3", 2, 3), (1, 4, 1),
])
def test_workers_setting(setting: Any, cores: int, expected: int,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mapper_pool.os, "cpu_count", lambda: cores)
    assert mapper_pool.workers_wanted(setting) == expected


def test_a_bad_workers_setting_is_a_config_error() -> None:
    from synchub.errors import ConfigError

    with pytest.raises(ConfigError, match="SYNCHUB_MAP_WORKERS"):
        mapper_pool.workers_wanted("many")
