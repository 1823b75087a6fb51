"""The feed API's query parameters: bad values answer 400 naming the parameter, and every
answer, whatever its status, leaves one access-log row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from synchub.api.app import create_app
from synchub.feeds.api import MAX_CURSOR, consumers_of
from synchub.feeds.keys import issue_key
from synchub.plan import Hub
from synchub.store import Store
from synchub.store.delivery_tables import api_access_log

from .conftest import make_order


@pytest.fixture
def client(store: Store, hub: Hub) -> Iterator[TestClient]:
    yield TestClient(create_app(lambda: store, lambda: hub))


@pytest.fixture
def key(store: Store, hub: Hub) -> str:
    return issue_key(store, "erp", consumers_of(hub)).key


def log_rows(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(api_access_log).order_by(api_access_log.c.id))]


@pytest.mark.parametrize("params, name, allowed", [
    ({"since": "9999999999999999999"}, "since", f"from 0 to {MAX_CURSOR}"),
    ({"since": "18446744073709551616"}, "since", f"from 0 to {MAX_CURSOR}"),
    ({"since": "²"}, "since", f"from 0 to {MAX_CURSOR}"),
    ({"since": "-1"}, "since", f"from 0 to {MAX_CURSOR}"),
    ({"since": "1e3"}, "since", f"from 0 to {MAX_CURSOR}"),
    ({"limit": "²"}, "limit", "from 1 to 1000"),
    ({"limit": "0"}, "limit", "from 1 to 1000"),
    ({"limit": "1001"}, "limit", "from 1 to 1000"),
    ({"limit": "99999999999999999999999"}, "limit", "from 1 to 1000"),
])
def test_a_bad_parameter_answers_400_naming_it_and_is_logged(
        client: TestClient, store: Store, key: str, params: dict[str, str], name: str,
        allowed: str) -> None:
    resp = client.get("/api/v1/feeds/order", headers={"Authorization": f"Bearer {key}"},
                      params=params)
    assert resp.status_code == 400, resp.text
    detail = resp.json()["detail"]
    assert detail.startswith(f"{name} must be") and allowed in detail, detail
    (row,) = log_rows(store)
    assert (row["status"], row["path"], row["consumer"], row["entity"]) == (
        400, "/api/v1/feeds/order", "erp", "order")
    assert key not in str(row)


def test_the_largest_cursor_and_an_empty_one_are_accepted(
        client: TestClient, store: Store, key: str) -> None:
    store.write_page(connection="shop", stream="orders", records=[make_order("1")])
    headers = {"Authorization": f"Bearer {key}"}
    top = client.get("/api/v1/feeds/order", headers=headers,
                     params={"since": str(MAX_CURSOR), "limit": "1000"})
    assert top.status_code == 200, top.text
    assert top.json()["records"] == [] and top.json()["next_cursor"] == str(MAX_CURSOR)
    empty = client.get("/api/v1/feeds/order?since=&limit=1", headers=headers)
    assert empty.status_code == 200 and len(empty.json()["records"]) == 1
    assert [r["status"] for r in log_rows(store)] == [200, 200]


def test_without_a_key_a_bad_parameter_still_answers_401(client: TestClient,
                                                        store: Store) -> None:
    resp = client.get("/api/v1/feeds/order", params={"since": "²"})
    assert resp.status_code == 401
    assert [(r["status"], r["consumer"]) for r in log_rows(store)] == [(401, None)]


def test_an_unexpected_error_answers_500_and_is_logged(
        client: TestClient, store: Store, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import synchub.feeds.api as api

    def boom(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("the secret detail of a bug")

    monkeypatch.setattr(api, "read_page", boom)
    resp = client.get("/api/v1/feeds/order", headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 500
    assert "secret detail" not in resp.text
    (row,) = log_rows(store)
    assert (row["status"], row["consumer"], row["entity"]) == (500, "erp", "order")
