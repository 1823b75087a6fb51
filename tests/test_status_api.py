"""The status API served by the Airflow plugin: its own token check, runs, dead letters."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from synchub.api.app import TOKEN_ENV, create_app
from synchub.store import DeadLetterIn, Store

TOKEN = "s3cret-monitor-token"


@pytest.fixture
def client(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    store = Store.from_url(db_url)
    store.migrate()
    run = store.start_run("shop", "orders")
    store.finish_run(run, status="success", fetched=3, stored=2, unchanged=1, quarantined=1,
                     cursor="2025-01-01T00:00:00Z")
    store.write_page(connection="shop", stream="orders", records=[], dead_letters=[
        DeadLetterIn(entity="order", record_id="42", reason="total: 'x' is not a decimal",
                     field="total", raw={"id": 42, "email": "someone@example.com"})])
    store.dispose()
    monkeypatch.setenv(TOKEN_ENV, hashlib.sha256(TOKEN.encode()).hexdigest())

    def opener() -> Any:
        return Store.from_url(db_url)

    yield TestClient(create_app(opener))


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize(("header", "status"), [
    (None, 401), ("Bearer wrong-token", 401), (f"Basic {TOKEN}", 401), (f"Bearer {TOKEN}", 200),
])
def test_runs_need_the_right_bearer_token(client: TestClient, header: str | None,
                                          status: int) -> None:
    headers = {"Authorization": header} if header else {}
    assert client.get("/api/v1/runs", headers=headers).status_code == status


def test_without_a_configured_token_the_api_is_closed(client: TestClient,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    response = client.get("/api/v1/runs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503


def test_runs_and_dead_letters(client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    runs = client.get("/api/v1/runs", headers=auth).json()["runs"]
    assert [(r["connection"], r["stream"], r["stored"], r["status"]) for r in runs] == [
        ("shop", "orders", 2, "success")]
    letters = client.get("/api/v1/deadletters", headers=auth).json()["dead_letters"]
    assert [(d["record_id"], d["field"]) for d in letters] == [("42", "total")]
    assert "raw" not in letters[0]                          # raw records may hold PII
    assert "someone@example.com" not in str(letters)
