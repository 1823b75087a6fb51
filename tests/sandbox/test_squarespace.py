"""The Squarespace Orders API simulator: User-Agent and bearer key, the error object, ranges
or a cursor alone, 50 orders a page in modifiedOn order, 300 a minute then a cooldown."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests
from urllib3.util import SKIP_HEADER

from synchub.sandbox import Sandbox, SandboxServer
from tests.runtime.helpers import FakeClock

ORDERS = "/1.0/commerce/orders"
UA = "synchub-tests/1.0"
ERROR_KEYS = {"type", "subtype", "message", "details", "contextId"}


@pytest.fixture(scope="module")
def site(sandbox: Sandbox) -> Any:
    store = sandbox.squarespace("demo", orders=130, customers=20, products=10)
    store.rate_limits = False
    return store


def get(http: requests.Session, server: SandboxServer, path: str = ORDERS,
        key: str | None = "squarespace_sandbox_demo", agent: str | None = UA,
        site_name: str = "demo", **params: Any) -> requests.Response:
    headers = {"User-Agent": agent or SKIP_HEADER}  # urllib3 adds one unless told not to
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return http.get(server.squarespace_url(site_name) + path, params=params, headers=headers,
                    timeout=10)


def pages(http: requests.Session, server: SandboxServer, **params: Any) -> list[dict[str, Any]]:
    """Every page of a listing, following the cursor alone."""
    out = [get(http, server, **params).json()]
    while out[-1]["pagination"]["hasNextPage"]:
        out.append(get(http, server, cursor=out[-1]["pagination"]["nextPageCursor"]).json())
    return out


def test_every_order_once_50_a_page_in_modification_order(http: requests.Session,
                                                          server: SandboxServer,
                                                          site: Any) -> None:
    got = pages(http, server)
    assert [len(p["result"]) for p in got] == [50, 50, 30]
    orders = [o for p in got for o in p["result"]]
    assert len({o["id"] for o in orders}) == 130
    assert [o["modifiedOn"] for o in orders] == sorted(o["modifiedOn"] for o in orders)
    last = got[-1]["pagination"]
    assert last == {"hasNextPage": False, "nextPageCursor": None, "nextPageUrl": None}
    first = got[0]["pagination"]
    assert first["nextPageUrl"].endswith(f"{ORDERS}?cursor={first['nextPageCursor']}")
    # the documented fields, none private
    assert set(orders[0]) == {
        "id", "orderNumber", "createdOn", "modifiedOn", "channel", "testmode", "customerEmail",
        "billingAddress", "shippingAddress", "fulfillmentStatus", "lineItems", "shippingLines",
        "discountLines", "fulfillments", "subtotal", "shippingTotal", "discountTotal",
        "taxTotal", "refundedTotal", "grandTotal", "channelName", "externalOrderReference",
        "fulfilledOn", "priceTaxInterpretation"}
    assert orders[0]["createdOn"].endswith("Z") and len(orders[0]["createdOn"]) == 24


def test_figures_reconcile_on_every_order(site: Any) -> None:
    def value(m: dict[str, str]) -> Decimal:
        return Decimal(m["value"])

    for o in site.records.values():
        goods = sum(value(li["unitPricePaid"]) * li["quantity"] for li in o["lineItems"])
        assert value(o["subtotal"]) == goods
        assert value(o["shippingTotal"]) == sum(value(s["amount"]) for s in o["shippingLines"])
        assert value(o["discountTotal"]) == sum(value(d["amount"]) for d in o["discountLines"])
        net = goods - value(o["discountTotal"]) + value(o["shippingTotal"])
        tax = value(o["taxTotal"]) if o["priceTaxInterpretation"] == "EXCLUSIVE" else 0
        assert value(o["grandTotal"]) == net + tax
        assert 0 <= value(o["refundedTotal"]) <= value(o["grandTotal"])
        if o["fulfillmentStatus"] == "CANCELED":
            assert o["refundedTotal"] == o["grandTotal"]
        assert (o["fulfilledOn"] is not None) == (o["fulfillmentStatus"] == "FULFILLED")
        assert o["createdOn"] <= o["modifiedOn"]


def test_a_range_filters_by_modification_and_status(http: requests.Session,
                                                    server: SandboxServer, site: Any) -> None:
    everything = [o for p in pages(http, server) for o in p["result"]]
    low, high = everything[20]["modifiedOn"], everything[90]["modifiedOn"]
    inside = [o["id"] for p in pages(http, server, modifiedAfter=low, modifiedBefore=high)
              for o in p["result"]]
    assert inside == [o["id"] for o in everything[21:90]]           # both bounds exclusive
    pending = [o for p in pages(http, server, fulfillmentStatus="PENDING") for o in p["result"]]
    assert pending and all(o["fulfillmentStatus"] == "PENDING" for o in pending)


@pytest.mark.parametrize(("params", "status", "subtype", "words"), [
    ({"modifiedAfter": "2025-01-01T00:00:00Z"}, 400, "MISSING_ARGUMENT",
     "modifiedBefore is required when modifiedAfter"),
    ({"modifiedBefore": "2025-01-01T00:00:00Z"}, 400, "MISSING_ARGUMENT",
     "modifiedAfter is required when modifiedBefore"),
    ({"modifiedAfter": "yesterday", "modifiedBefore": "2025-01-01T00:00:00Z"}, 400,
     "INVALID_ARGUMENT", "modifiedAfter is not an ISO 8601"),
    ({"modifiedAfter": "2025-02-01T00:00:00Z", "modifiedBefore": "2025-01-01T00:00:00Z"},
     400, "INVALID_ARGUMENT", "must be before"),
    ({"fulfillmentStatus": "SHIPPED"}, 400, "INVALID_ARGUMENT", "fulfillmentStatus"),
    ({"cursor": "not-a-cursor"}, 400, "INVALID_ARGUMENT", "cursor is not valid"),
])
def test_refusals_carry_the_error_object(http: requests.Session, server: SandboxServer,
                                         site: Any, params: dict[str, str], status: int,
                                         subtype: str, words: str) -> None:
    answer = get(http, server, **params)
    assert answer.status_code == status
    body = answer.json()
    assert set(body) == ERROR_KEYS and body["details"] is None and body["contextId"]
    assert (body["type"], body["subtype"]) == ("INVALID_REQUEST_ERROR", subtype)
    assert words in body["message"]


def test_a_cursor_with_any_other_parameter_is_refused(http: requests.Session,
                                                      server: SandboxServer,
                                                      site: Any) -> None:
    cursor = get(http, server).json()["pagination"]["nextPageCursor"]
    for extra in ({"modifiedAfter": "2025-01-01T00:00:00Z",
                   "modifiedBefore": "2026-01-01T00:00:00Z"},
                  {"fulfillmentStatus": "PENDING"}):
        answer = get(http, server, cursor=cursor, **extra)
        assert answer.status_code == 400
        assert answer.json()["subtype"] == "INVALID_ARGUMENT"
        assert "cursor cannot be used with other parameters" in answer.json()["message"]
    # the cursor keeps the range of the request that gave it
    ranged = get(http, server, modifiedAfter="2025-01-01T00:00:00Z",
                 modifiedBefore="2025-06-01T00:00:00Z").json()
    follow = get(http, server, cursor=ranged["pagination"]["nextPageCursor"]).json()
    assert all(o["modifiedOn"] < "2025-06-01" for o in follow["result"])


def test_user_agent_then_bearer_key(http: requests.Session, server: SandboxServer,
                                    site: Any) -> None:
    no_agent = get(http, server, agent=None)
    assert no_agent.status_code == 400
    assert no_agent.json()["message"] == "A User-Agent header is required."
    for key in (None, "wrong-key"):
        refused = get(http, server, key=key)
        assert refused.status_code == 401
        assert set(refused.json()) == ERROR_KEYS
    one = get(http, server).json()["result"][0]
    assert get(http, server, f"{ORDERS}/{one['id']}").json() == one
    missing = get(http, server, f"{ORDERS}/000000000000000000000000")
    assert missing.status_code == 404 and missing.json()["type"] == "NOT_FOUND"


def test_over_the_limit_a_minute_of_cooldown(http: requests.Session, server: SandboxServer,
                                             sandbox: Sandbox) -> None:
    store = sandbox.squarespace("limited", orders=3)
    clock = FakeClock()
    store.throttle(per_minute=3, clock=clock)
    assert [get(http, server, key=store.api_key, site_name="limited").status_code
            for _ in range(3)] == [200, 200, 200]
    over = get(http, server, key=store.api_key, site_name="limited")
    assert over.status_code == 429 and over.headers["Retry-After"] == "60"
    assert over.json()["type"] == "RATE_LIMIT_ERROR"
    clock.now += 45           # the window has room again, the cooldown has not run out
    during = get(http, server, key=store.api_key, site_name="limited")
    assert during.status_code == 429 and during.headers["Retry-After"] == "15"
    clock.now += 15
    assert get(http, server, key=store.api_key, site_name="limited").status_code == 200


def test_mutate_ships_refunds_and_places_orders_now(sandbox: Sandbox) -> None:
    store = sandbox.squarespace("changes", orders=60)
    before = {oid: dict(o) for oid, o in store.records.items()}
    changed = store.mutate(orders_created=2, orders_updated=4)
    assert len(changed["orders_updated"]) == 4 and len(changed["orders_created"]) == 2
    for oid in changed["orders_updated"]:
        now, was = store.records[oid], before[oid]
        assert now["modifiedOn"] > was["modifiedOn"]
        if was["fulfillmentStatus"] == "PENDING" and was["channel"] == "web":
            assert now["fulfillmentStatus"] == "FULFILLED" and now["fulfillments"]
    for oid in changed["orders_created"]:
        new = store.records[oid]
        assert new["fulfillmentStatus"] == "PENDING" and new["refundedTotal"]["value"] == "0.00"
    assert store.counts()["orders"] == 62
