"""The DHL Unified Tracking simulator: key header, seeded journeys, control, errors, limits."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.kit.limits import LeakyBucket

NUMBER = "1234567890"


@pytest.fixture(autouse=True)
def _no_limits_on_demo(sandbox: Sandbox) -> None:
    # only test_rate_limits_and_daily_quota exercises the limits (on its own account)
    sandbox.dhl("demo").rate_limits = False
    sandbox.dhl("faulty").rate_limits = False


def track(http: requests.Session, server: SandboxServer, sandbox: Sandbox, number: str,
          store: str = "demo", key: str | None = None, **params: str) -> requests.Response:
    return http.get(f"{server.url('dhl', store)}/track/shipments",
                    params={"trackingNumber": number, **params},
                    headers={"DHL-API-Key": key or sandbox.dhl(store).api_key})


def test_a_well_formed_number_has_a_seeded_journey(http: requests.Session, server: SandboxServer,
                                                   sandbox: Sandbox) -> None:
    resp = track(http, server, sandbox, NUMBER)
    assert resp.status_code == 200
    (shipment,) = resp.json()["shipments"]
    assert shipment["id"] == NUMBER and shipment["service"] == "express"
    events = shipment["events"]
    assert shipment["status"] == events[0]                       # newest first
    assert events[-1]["statusCode"] == "pre-transit"
    assert {e["statusCode"] for e in events[:-1]} == {"transit"}
    times = [datetime.fromisoformat(e["timestamp"]) for e in events]
    assert all(t.utcoffset() is not None for t in times)         # local time with offset
    assert times == sorted(times, reverse=True)
    # the same number tells the same story on the next call
    assert track(http, server, sandbox, NUMBER).json()["shipments"][0] == shipment


def test_control_moves_a_parcel_on(http: requests.Session, server: SandboxServer,
                                   sandbox: Sandbox) -> None:
    number = "JJD0001112223334"
    control = f"{server.base_url}/_sandbox/dhl/demo/track"
    assert http.post(control, json={"tracking_number": number,
                                    "status": "out_for_delivery"}).status_code == 200
    done = http.post(control, json={"tracking_number": number, "status": "delivered"}).json()
    assert done["status"]["statusCode"] == "delivered"
    shipment = track(http, server, sandbox, number).json()["shipments"][0]
    assert [e["status"] for e in shipment["events"][:2]] == ["DELIVERED",
                                                            "With delivery courier"]
    assert shipment["service"] == "parcel-de"
    bad = http.post(control, json={"tracking_number": number, "status": "teleported"})
    assert bad.status_code == 400 and "unknown stage" in bad.json()["error"]


def test_unknown_numbers_answer_the_problem_json_404(http: requests.Session,
                                                     server: SandboxServer,
                                                     sandbox: Sandbox) -> None:
    resp = track(http, server, sandbox, "NOT-A-NUMBER")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json() == {"status": 404, "title": "No result found",
                           "detail": "No shipment with given tracking number found."}
    forgotten = "00340434292135100124"
    http.post(f"{server.base_url}/_sandbox/dhl/demo/track",
              json={"tracking_number": forgotten, "status": "not_found"})
    assert track(http, server, sandbox, forgotten).status_code == 404
    assert track(http, server, sandbox, NUMBER, service="freight").status_code == 404


def test_wrong_key_and_missing_number(http: requests.Session, server: SandboxServer,
                                      sandbox: Sandbox) -> None:
    denied = track(http, server, sandbox, NUMBER, key="not-the-key")
    assert denied.status_code == 401
    assert denied.json()["detail"] == "Unauthorized for given resource."
    missing = http.get(f"{server.url('dhl', 'demo')}/track/shipments",
                       headers={"DHL-API-Key": sandbox.dhl().api_key})
    assert missing.status_code == 400 and missing.json()["title"] == "Bad Request"


def test_rate_limits_and_daily_quota(http: requests.Session, server: SandboxServer,
                                     sandbox: Sandbox) -> None:
    store = sandbox.dhl("limits")
    store.bucket = LeakyBucket(capacity=2, leak_per_second=1.0, clock=lambda: 0.0)  # frozen
    statuses = [track(http, server, sandbox, NUMBER, store="limits").status_code
                for _ in range(4)]
    assert statuses == [200, 200, 429, 429]                      # 1 call a second
    limited = track(http, server, sandbox, NUMBER, store="limits")
    assert limited.headers["Retry-After"] == "1" and "1 call per" in limited.json()["detail"]
    store.bucket = LeakyBucket(capacity=100, leak_per_second=100, clock=lambda: 0.0)
    store.daily_quota = sum(store.calls.values())
    over = track(http, server, sandbox, NUMBER, store="limits")
    assert over.status_code == 429 and "Daily quota" in over.json()["detail"]
    assert int(over.headers["Retry-After"]) > 0


def test_injected_faults_are_problem_json(http: requests.Session, server: SandboxServer,
                                          sandbox: Sandbox) -> None:
    sandbox.dhl("faulty").fault_plan.configure(fail_next=[503, 429])
    first = track(http, server, sandbox, NUMBER, store="faulty")
    second = track(http, server, sandbox, NUMBER, store="faulty")
    assert (first.status_code, second.status_code) == (503, 429)
    assert first.json()["status"] == 503 and second.headers["Retry-After"] == "1"
    assert track(http, server, sandbox, NUMBER, store="faulty").status_code == 200
