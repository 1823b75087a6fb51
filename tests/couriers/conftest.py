"""Courier fixtures: a hub with Odoo (the parcels) and the couriers, a store, connections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.sandbox import Sandbox, SandboxServer
from synchub.store import Store
from tests.e2e.conftest import write_hub


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    """HTTP mock that fails the test when a registered request was never made."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def courier_hub(tmp_path: Path) -> Hub:
    return load_hub(write_hub(tmp_path, {
        "erp": {"connector": "odoo", "conn_id": "erp", "roles": ["erp"],
                "streams": ["parcels"]},
        "dhl": {"connector": "dhl", "conn_id": "dhl", "roles": ["carrier"]},
        "tracker": {"connector": "aftership", "conn_id": "tracker", "roles": ["carrier"]},
    }))


def odoo_conn(srv: SandboxServer, sb: Sandbox) -> ConnectionInfo:
    creds = sb.odoo("demo").credentials()
    return ConnectionInfo(conn_id="erp", conn_type="odoo", host=srv.odoo_url("demo"),
                          schema=creds["db"], login=creds["login"], password=creds["password"])


def dhl_conn(srv: SandboxServer, sb: Sandbox) -> ConnectionInfo:
    return ConnectionInfo(conn_id="dhl", conn_type="http", host=srv.url("dhl", "demo"),
                          password=sb.dhl("demo").api_key)


def aftership_conn(srv: SandboxServer, sb: Sandbox) -> ConnectionInfo:
    return ConnectionInfo(conn_id="tracker", conn_type="http",
                          host=srv.url("aftership", "demo"),
                          password=sb.aftership("demo").api_key)


def by_id(store: Store, connection: str) -> dict[str, dict[str, Any]]:
    """The stored shipments of one connection by external id."""
    docs = store.read_feed("shipment", limit=10_000).records
    return {d["external_id"]: d for d in docs if d["source"]["connection"] == connection}
