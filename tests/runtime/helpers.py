"""Builders shared by the runtime tests: specs from dicts, bare responses, a fake clock."""

from __future__ import annotations

import json
from typing import Any

import requests

from synchub.config.connector import ConnectorSpec
from synchub.runtime import ConnectionInfo

BASE = "https://shop.example.com"


def make_spec(streams: dict[str, Any] | None = None, **top: Any) -> ConnectorSpec:
    """A connector spec with sensible test defaults (fast backoff, header token auth)."""
    data: dict[str, Any] = {
        "system": "test",
        "title": "Test",
        "auth": {"type": "header_token", "header": "X-Token"},
        "http": {"timeout_seconds": 5, "max_retries": 3,
                 "backoff": {"initial_seconds": 0.001, "max_seconds": 0.01}},
        "streams": streams or {"items": {"path": "/items", "record_selector": "items"}},
    }
    data.update(top)
    return ConnectorSpec.model_validate(data)


def make_conn(**kw: Any) -> ConnectionInfo:
    fields: dict[str, Any] = {"conn_id": "test", "conn_type": "http", "host": BASE,
                              "password": "tok-secret-1"}
    fields.update(kw)
    return ConnectionInfo(**fields)


def response(status: int = 200, body: Any = None, headers: dict[str, str] | None = None,
             url: str = f"{BASE}/items", raw: bytes | None = None) -> requests.Response:
    """A bare ``requests.Response`` as the session would return it."""
    resp = requests.Response()
    resp.status_code = status
    resp.url = url
    resp.reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
                   429: "Too Many Requests", 500: "Internal Server Error",
                   503: "Service Unavailable"}.get(status, "")
    resp.headers.update(headers or {})
    resp._content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    req = requests.Request("GET", url).prepare()
    resp.request = req
    return resp


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
