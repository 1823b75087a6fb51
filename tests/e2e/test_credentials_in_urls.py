"""Credentials written into a Connection's host never reach a log line, an error, the run log
or the status API (issue 19, section 2)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from synchub.api.app import TOKEN_ENV, create_app
from synchub.errors import APIError
from synchub.pipeline import sync_stream
from synchub.plan import load_hub
from synchub.runtime import ConnectionInfo
from synchub.store import Store

from .conftest import write_hub

SECRET = "hunter2-pass"


class FailingAPI(BaseHTTPRequestHandler):
    """503 to the first request, 500 to every later one."""

    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        status = 503 if type(self).calls == 1 else 500
        body = b'{"errors": "try again later"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def failing_api() -> Iterator[str]:
    FailingAPI.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FailingAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def fast_retries(system: str, doc: dict[str, Any]) -> None:
    doc["http"]["max_retries"] = 2
    doc["http"]["backoff"] = {"initial_seconds": 0.001, "max_seconds": 0.01}


def test_userinfo_in_the_host_is_never_logged_raised_stored_or_served(
        tmp_path: Path, failing_api: str, db_url: str, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    hub = load_hub(write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop"}},
                             patch_connector=fast_retries))
    conn = ConnectionInfo(conn_id="shop", conn_type="http",
                          host=f"http://shopuser:{SECRET}@{failing_api}",
                          password="shpat-token-for-the-header")
    store = Store.from_url(db_url)
    store.migrate()
    try:
        caplog.set_level(logging.DEBUG)
        with pytest.raises(APIError) as info:
            sync_stream(hub, "shop", "orders", store=store, conn_info=conn)
        assert FailingAPI.calls == 3                     # 503, then 500 twice: retried
        assert "HTTP 500" in str(info.value)
        assert any("retry 1/2" in r.getMessage() for r in caplog.records)
        assert any(r.levelno == logging.DEBUG and failing_api in r.getMessage()
                   for r in caplog.records)              # the request lines were logged
        for text in (caplog.text, str(info.value), repr(info.value), str(info.value.url)):
            assert SECRET not in text and "shopuser" not in text
        run = store.runs(connection="shop")[0]
        assert run["status"] == "failed" and "HTTP 500" in run["error"]
        assert SECRET not in run["error"] and "shopuser" not in run["error"]
    finally:
        store.dispose()

    token = "monitor-token-123"
    monkeypatch.setenv(TOKEN_ENV, hashlib.sha256(token.encode()).hexdigest())
    api = TestClient(create_app(lambda: Store.from_url(db_url)))
    answer = api.get("/api/v1/runs", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert "HTTP 500" in answer.text
    assert SECRET not in answer.text and "shopuser" not in answer.text
