"""The run log: a run whose process died (or whose host went silent) does not stay `running`
forever; the next run of the stream marks it `abandoned`, with the reason."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from synchub.api.app import TOKEN_ENV, create_app
from synchub.cli import main
from synchub.store import Store
from synchub.store.tables import sync_runs

START_A_RUN = """
import sys, time
from synchub.store import Store
store = Store.from_url(sys.argv[1])
print(store.start_run("shop", sys.argv[2]), flush=True)
if sys.argv[3] == "wait":
    sys.stdin.read()          # alive until the test closes our stdin
"""


def run_in_child(url: str, stream: str = "orders", *, wait: bool = False
                 ) -> tuple[int, subprocess.Popen[str]]:
    """Start a run in another process; it exits at once (a killed task) or waits."""
    proc = subprocess.Popen([sys.executable, "-c", START_A_RUN, url, stream,
                             "wait" if wait else "exit"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    run_id = int(proc.stdout.readline())
    if not wait:
        proc.wait(timeout=60)
    return run_id, proc


def run(store: Store, run_id: int) -> dict[str, object]:
    return next(r for r in store.runs(limit=1000) if r["id"] == run_id)


def test_a_run_whose_process_is_gone_is_abandoned_by_the_next_run(db_url: str) -> None:
    store = Store.from_url(db_url)
    store.upgrade()
    try:
        dead, _ = run_in_child(db_url)
        other_stream, _ = run_in_child(db_url, "customers")
        assert run(store, dead)["status"] == "running"

        new = store.start_run("shop", "orders")
        gone = run(store, dead)
        assert gone["status"] == "abandoned"
        assert gone["finished_at"] is not None
        assert "is gone" in str(gone["error"]) and f"run {new}" in str(gone["error"])
        assert run(store, new)["status"] == "running"
        assert run(store, other_stream)["status"] == "running"   # another stream: untouched
        store.finish_run(new, "success")
        assert run(store, dead)["status"] == "abandoned"
    finally:
        store.dispose()


def test_a_run_whose_process_is_alive_is_not_touched(db_url: str) -> None:
    store = Store.from_url(db_url)
    store.upgrade()
    alive, proc = run_in_child(db_url, wait=True)
    try:
        mine = store.start_run("shop", "orders")
        assert run(store, alive)["status"] == "running"
        assert run(store, mine)["status"] == "running"
        again = store.start_run("shop", "orders")      # this process is alive too
        assert run(store, mine)["status"] == "running"
        for run_id in (mine, again):
            store.finish_run(run_id, "success")
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=60)
    store.start_run("shop", "orders")
    assert run(store, alive)["status"] == "abandoned"   # once it has exited
    store.dispose()


def test_a_run_on_another_host_is_abandoned_when_its_lease_expired(db_url: str) -> None:
    store = Store.from_url(db_url)
    store.upgrade()
    try:
        now = datetime.now(UTC)
        silent, recent, legacy = (store.start_run("shop", "orders") for _ in range(3))
        with store.engine.begin() as conn:
            for run_id, beat in ((silent, now - timedelta(hours=2)),
                                 (recent, now - timedelta(minutes=5))):
                conn.execute(sa.update(sync_runs).where(sync_runs.c.id == run_id).values(
                    owner="worker-7.elsewhere:4242:1", heartbeat_at=beat))
            # a row from before runs had owners: only its start tells its age
            conn.execute(sa.update(sync_runs).where(sync_runs.c.id == legacy).values(
                owner=None, heartbeat_at=None, started_at=now - timedelta(days=1)))
        store.start_run("shop", "orders")
        assert run(store, silent)["status"] == "abandoned"
        assert "worker-7.elsewhere" in str(run(store, silent)["error"])
        assert run(store, recent)["status"] == "running"
        assert run(store, legacy)["status"] == "abandoned"
    finally:
        store.dispose()


def test_heartbeats_keep_a_long_run_alive(db_url: str) -> None:
    store = Store.from_url(db_url)
    store.upgrade()
    try:
        run_id = store.start_run("shop", "orders")
        with store.engine.begin() as conn:
            conn.execute(sa.update(sync_runs).where(sync_runs.c.id == run_id).values(
                owner="worker-7.elsewhere:4242:1",
                started_at=datetime.now(UTC) - timedelta(hours=5),
                heartbeat_at=datetime.now(UTC) - timedelta(hours=2)))
        worker = Store.from_url(db_url)        # the owner's own store, on its host
        worker.heartbeat_run(run_id)
        worker.heartbeat_run(run_id)            # at most one write a minute
        worker.dispose()
        store.start_run("shop", "orders")
        assert run(store, run_id)["status"] == "running"
    finally:
        store.dispose()


def test_abandoned_runs_show_in_the_cli_and_the_api(db_url: str, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.from_url(db_url)
    store.upgrade()
    dead, _ = run_in_child(db_url)
    new = store.start_run("shop", "orders")
    store.finish_run(new, "success", fetched=3, stored=3)
    store.dispose()

    assert main(["runs", "--store", db_url]) == 0
    latest = capsys.readouterr().out.splitlines()
    assert len(latest) == 1 and latest[0].endswith("success")
    assert main(["runs", "--store", db_url, "--history", "5"]) == 0
    history = capsys.readouterr().out.splitlines()
    assert history[0].endswith("success")
    assert " abandoned  (its process (pid " in history[1]

    monkeypatch.setenv(TOKEN_ENV, hashlib.sha256(b"monitor-token").hexdigest())
    api = TestClient(create_app(lambda: Store.from_url(db_url)))
    auth = {"Authorization": "Bearer monitor-token"}
    runs = api.get("/api/v1/runs", params={"history": 5}, headers=auth).json()["runs"]
    assert [(r["id"], r["status"]) for r in runs] == [(new, "success"), (dead, "abandoned")]
    assert "is gone" in runs[1]["error"]
    assert [r["status"] for r in api.get("/api/v1/runs", headers=auth).json()["runs"]] == [
        "success"]
