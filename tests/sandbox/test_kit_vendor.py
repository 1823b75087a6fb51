"""Kit: a new vendor simulator is a store (seeded data) plus a route table.

A made-up marketplace behind one signed URL whose ``orders.list`` takes backward time
windows of at most two days, served by the kit's app with faults, logging and controls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from starlette.requests import Request

from synchub.sandbox.kit.gateway import GatewayCall, SignedGateway, hmac_params_check, sign_params
from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.registry import StoreRegistry, System
from synchub.sandbox.kit.seed import YEAR_START, rng_for
from synchub.sandbox.kit.server import LoopbackServer
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.time_windows import BackwardTimeWindows

DAY = 86_400


class MarketStore(BaseStore):
    """The data generator: ``orders`` seeded orders spread over the first week of 2025."""

    system = "market"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.app_secret = f"market_secret_{name}"
        self.by_id: dict[int, dict[str, Any]] = {}
        for i in range(self.volume["orders"]):
            r = rng_for(self.key, "order", i)
            self.by_id[1000 + i] = {"id": 1000 + i, "created": YEAR_START + r.randrange(7 * DAY),
                                    "total": cents(r.randrange(500, 9000))}
        self.rows = sorted((o["created"], oid) for oid, o in self.by_id.items())

    def credentials(self) -> dict[str, str]:
        return {"app_secret": self.app_secret}

    def counts(self) -> dict[str, int]:
        return {"orders": len(self.by_id)}


def envelope(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"success": False, "error": {"code": code, "message": message}})


class MarketAPI(VendorAPI):
    def error_reply(self, store: Any, status: int) -> Reply:
        return envelope(status, "busy" if status == 429 else "server_error", "injected")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        return None  # every call is signed; the gateway checks it


GATEWAY = SignedGateway(hmac_params_check(lambda store: store.app_secret), envelope)
WINDOWS = BackwardTimeWindows(max_seconds=2 * DAY, max_limit=50, default_limit=20)


@GATEWAY.method("orders.list")
def list_orders(store: MarketStore, call: GatewayCall) -> dict[str, Any]:
    page = WINDOWS.page(store.rows, call.params)
    return {"success": True, "orders": [store.by_id[oid] for _t, oid in page.rows],
            "cursor": page.cursor}


MARKET = System("market", MarketStore, MarketAPI(), (GATEWAY.route("/market/{store}/router"),))


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    registry = StoreRegistry((MARKET,), seed=3)
    registry.store("market", "demo", orders=120)
    with LoopbackServer(registry) as srv:
        yield srv


def call(server: LoopbackServer, **params: str) -> requests.Response:
    signed = {**params, "sign": sign_params("market_secret_demo", params)}
    return requests.get(server.url("market") + "/router", params=signed, timeout=10)


def test_walking_windows_backwards_lists_every_order_once_newest_first(
        server: LoopbackServer) -> None:
    seen: list[dict[str, Any]] = []
    end = YEAR_START + 8 * DAY
    while end > YEAR_START - DAY:
        body = call(server, method="orders.list", start_time=str(end - 2 * DAY),
                    end_time=str(end)).json()
        while True:
            assert body["success"] is True
            seen.extend(body["orders"])
            if body["cursor"] is None:
                break
            body = call(server, method="orders.list", cursor=body["cursor"]).json()
        end -= 2 * DAY
    assert len(seen) == len({o["id"] for o in seen}) == 120
    created = [o["created"] for o in seen]
    assert created == sorted(created, reverse=True)


def test_errors_come_in_the_vendors_envelope(server: LoopbackServer) -> None:
    long = call(server, method="orders.list", start_time=str(YEAR_START),
                end_time=str(YEAR_START + 3 * DAY))
    assert long.status_code == 400
    assert long.json()["error"]["code"] == "window_too_long"
    unknown = call(server, method="orders.cancel")
    assert unknown.json() == {"success": False, "error": {
        "code": "unknown_method", "message": "unknown method 'orders.cancel'"}}
    forged = requests.get(server.url("market") + "/router",
                          params={"method": "orders.list", "sign": "0" * 64}, timeout=10)
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"


def test_the_kit_pipeline_and_controls_serve_the_new_vendor(server: LoopbackServer) -> None:
    base = server.base_url + "/_sandbox/market/demo"
    assert requests.post(base + "/faults", json={"fail_next": [503]}, timeout=10).ok
    injected = call(server, method="orders.list", start_time=str(YEAR_START),
                    end_time=str(YEAR_START + DAY))
    assert injected.status_code == 503 and injected.json()["error"]["code"] == "server_error"
    stats = requests.get(base + "/stats", timeout=10).json()
    assert stats["system"] == "market" and stats["counts"] == {"orders": 120}
    assert stats["requests_by_path"]["/router"] == stats["requests"]
    assert stats["requests_by_status"]["503"] == 1
