"""Jobs: what a DAG task and a command run, with the resolver they are given.

A job never migrates: against a store that is not at the migrations' head it fails with
the message that names ``synchub db upgrade`` and leaves the store as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from synchub.jobs.common import load
from synchub.jobs.connections import connection_info
from synchub.jobs.feeds import feed_export
from synchub.jobs.sync import run_stream
from synchub.runtime import ConnectionInfo
from synchub.store import Store, StoreNotCurrentError
from synchub.store.migrate import head_revision, upgrade_to
from tests.e2e.conftest import write_hub
from tests.feeds.conftest import write_hub as write_feed_hub


def revision(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if "alembic_version" not in sa.inspect(conn).get_table_names():
                return []
            return list(conn.execute(sa.text("select version_num from alembic_version"))
                        .scalars())
    finally:
        engine.dispose()


def test_a_job_on_an_empty_store_fails_and_creates_nothing(
        tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = write_feed_hub(tmp_path)
    monkeypatch.setenv(hub.file.store.url_env, sqlite_url)
    with pytest.raises(StoreNotCurrentError, match="run `synchub db upgrade`"):
        feed_export(hub.path, "erp", run_id="r1")
    assert revision(sqlite_url) == []
    assert not (tmp_path / "exports").exists()


def test_a_job_on_a_store_behind_the_code_fails_and_does_not_migrate(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = write_feed_hub(tmp_path)
    monkeypatch.setenv(hub.file.store.url_env, db_url)
    store = Store.from_url(db_url)
    try:
        upgrade_to(store.engine, "0003_delivery")
    finally:
        store.dispose()
    with pytest.raises(StoreNotCurrentError) as caught:
        feed_export(hub.path, "erp", run_id="r1")
    assert "0003_delivery" in caught.value.message and head_revision() in caught.value.message
    assert revision(db_url) == ["0003_delivery"]

    store = Store.from_url(db_url)
    try:
        store.upgrade()                         # the deploy's `synchub db upgrade`
    finally:
        store.dispose()
    assert feed_export(hub.path, "erp", run_id="r1")["records"] == 0


def test_a_stream_job_reads_its_connection_through_the_resolver(
        tmp_path: Path, sandbox: Any, sqlite_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sb, srv = sandbox
    shop = sb.shopify("demo", orders=3, customers=1, products=1)
    hub = write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop_conn"}})
    monkeypatch.setenv("SYNCHUB_STORE_URL", sqlite_url)
    monkeypatch.delenv("AIRFLOW_CONN_SHOP_CONN", raising=False)
    store = Store.from_url(sqlite_url)
    store.upgrade()
    store.dispose()
    asked: list[str] = []

    def resolve(conn_id: str) -> ConnectionInfo:
        asked.append(conn_id)
        return ConnectionInfo(conn_id=conn_id, conn_type="http", host=srv.shopify_url("demo"),
                              password=shop.access_token)

    summary = run_stream(hub, "shop", "orders", resolve=resolve)
    assert (summary["status"], summary["changed"]["order"]) == ("success", 3)
    assert asked == ["shop_conn"]
    json.dumps(summary)                         # XCom-sized and serialisable


def test_connection_info_copies_an_airflow_connection_by_field() -> None:
    class AirflowLike:
        conn_id, conn_type, host, login = "erp", "http", "erp.example", "api"
        password, port, schema = "s3cret", 8069, "prod"
        extra_dejson = {"timeout": 5}

    info = connection_info(AirflowLike())
    assert info == ConnectionInfo(conn_id="erp", conn_type="http", host="erp.example",
                                  login="api", password="s3cret", port=8069, schema="prod",
                                  extra={"timeout": 5})


def test_the_hub_is_loaded_again_when_a_file_changes(tmp_path: Path) -> None:
    hub = write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop_conn"}})
    first = load(hub)
    assert load(hub) is first                   # several jobs in one command: loaded once
    hub.write_text(hub.read_text().replace("shop_conn", "shop_two"))
    assert load(hub).connection("shop").config.conn_id == "shop_two"
