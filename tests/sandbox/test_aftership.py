"""The AfterShip Tracking 2024-10 simulator: create, 4003, list by updated_at with cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.kit.limits import LeakyBucket


@pytest.fixture(autouse=True)
def _no_limits(sandbox: Sandbox) -> None:
    sandbox.aftership("demo").rate_limits = False


def call(http: requests.Session, server: SandboxServer, sandbox: Sandbox, method: str,
         store: str = "demo", key: str | None = None, **kwargs: Any) -> requests.Response:
    return http.request(method, f"{server.url('aftership', store)}/tracking/2024-10/trackings",
                        headers={"as-api-key": key or sandbox.aftership(store).api_key},
                        **kwargs)


def test_create_then_already_exists(http: requests.Session, server: SandboxServer,
                                    sandbox: Sandbox) -> None:
    body = {"tracking_number": "1234567890", "slug": "dhl", "order_id": "1001",
            "custom_fields": {"hub_order_connection": "shopify_demo"}}
    created = call(http, server, sandbox, "POST", json=body)
    assert created.status_code == 201
    tracking = created.json()["data"]
    assert tracking["tracking_number"] == "1234567890" and tracking["tag"] == "InTransit"
    assert tracking["checkpoints"][0]["tag"] == "InfoReceived"
    assert tracking["custom_fields"] == {"hub_order_connection": "shopify_demo"}
    again = call(http, server, sandbox, "POST", json=body)
    assert again.status_code == 400
    assert again.json()["meta"] == {"code": 4003, "message": "Tracking already exists.",
                                    "type": "BadRequest"}
    assert again.json()["data"]["id"] == tracking["id"]
    bad = call(http, server, sandbox, "POST", json={"tracking_number": "", "slug": "dhl"})
    assert bad.status_code == 400 and bad.json()["meta"]["code"] == 4005


def test_list_pages_with_cursors_and_filters_by_update(http: requests.Session,
                                                       server: SandboxServer,
                                                       sandbox: Sandbox) -> None:
    for i in range(5):
        call(http, server, sandbox, "POST", store="paging",
             json={"tracking_number": f"JJD00000000{i}", "slug": "dhl"})
    sandbox.aftership("paging").rate_limits = False
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        data = call(http, server, sandbox, "GET", store="paging", params=params).json()["data"]
        seen += [t["tracking_number"] for t in data["trackings"]]
        cursor = data["pagination"]["next_cursor"]
        assert data["pagination"]["has_next_page"] is (cursor is not None)
        if cursor is None:
            break
    assert sorted(seen) == [f"JJD00000000{i}" for i in range(5)]

    moved = sandbox.aftership("paging").set_status("JJD000000003", "delivered")
    since = datetime.fromisoformat(moved["updated_at"]) - timedelta(milliseconds=1)
    data = call(http, server, sandbox, "GET", store="paging",
                params={"updated_at_min": since.astimezone(UTC).isoformat()}).json()["data"]
    assert [t["tracking_number"] for t in data["trackings"]] == ["JJD000000003"]
    (only,) = data["trackings"]
    assert only["tag"] == "Delivered" and only["shipment_delivery_date"]


def test_key_rate_limit_and_faults(http: requests.Session, server: SandboxServer,
                                   sandbox: Sandbox) -> None:
    denied = call(http, server, sandbox, "GET", key="wrong")
    assert denied.status_code == 401
    assert denied.json()["meta"]["message"] == "Invalid API key."
    limited = sandbox.aftership("limited")
    limited.bucket = LeakyBucket(capacity=10, leak_per_second=10.0, clock=lambda: 0.0)
    statuses = [call(http, server, sandbox, "GET", store="limited").status_code
                for _ in range(12)]
    assert statuses == [200] * 10 + [429, 429]                   # 10 a second
    refused = call(http, server, sandbox, "GET", store="limited")
    assert refused.headers["as-rate-limit-limit"] == "10"
    limited.rate_limits = False
    limited.fault_plan.configure(fail_next=[500])
    assert call(http, server, sandbox, "GET", store="limited").json()["meta"]["code"] == 500


def test_control_needs_a_registered_number(http: requests.Session, server: SandboxServer
                                           ) -> None:
    resp = http.post(f"{server.base_url}/_sandbox/aftership/demo/track",
                     json={"tracking_number": "NEVERREGISTERED1", "status": "delivered"})
    assert resp.status_code == 404
