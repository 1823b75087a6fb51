"""The eBay simulator: the refresh grant with Basic client credentials and its OAuth errors,
expiring user tokens (401 errorId 1001), the call limit's 429 (errorId 2001), getOrders'
filter, limit and offset rules, bulk updates of at most 25 SKUs with per-SKU statuses, and
figures that add up (order totals, sale fees, payouts)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.ebay.store import iso_ms
from tests.runtime.helpers import FakeClock

TOKEN = "/identity/v1/oauth2/token"
ORDERS = "/sell/fulfillment/v1/order"
BULK = "/sell/inventory/v1/bulk_update_price_quantity"
SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"


@pytest.fixture
def account(sandbox: Sandbox) -> Iterator[Any]:
    store = sandbox.reset("ebay", "demo", orders=130, products=15)
    store.rate_limits = False
    yield store


def url(server: SandboxServer, account: Any, path: str) -> str:
    return server.url("ebay", account.name) + path


def grant(http: requests.Session, server: SandboxServer, account: Any,
          auth: tuple[str, str] | None = None, **form: str) -> requests.Response:
    body = {"grant_type": "refresh_token", "refresh_token": account.refresh_token,
            "scope": SCOPE, **form}
    return http.post(url(server, account, TOKEN), data=body, timeout=10,
                     auth=auth or (account.client_id, account.client_secret))


def bearer(http: requests.Session, server: SandboxServer, account: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {grant(http, server, account).json()['access_token']}"}


def test_the_refresh_grant_and_its_oauth_errors(http: requests.Session, server: SandboxServer,
                                                account: Any) -> None:
    ok = grant(http, server, account)
    assert ok.status_code == 200
    assert ok.json()["expires_in"] == 7200 and ok.json()["access_token"]
    refused = [
        grant(http, server, account, auth=(account.client_id, "wrong")),
        grant(http, server, account, refresh_token="stale"),
        grant(http, server, account, scope="https://api.ebay.com/oauth/api_scope/buy.offer"),
        grant(http, server, account, grant_type="client_credentials")]
    assert [(r.status_code, r.json()["error"]) for r in refused] == [
        (401, "invalid_client"), (400, "invalid_grant"), (400, "invalid_scope"),
        (400, "unsupported_grant_type")]


def test_a_missing_or_expired_token_is_401_errorid_1001(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    assert http.get(url(server, account, ORDERS), timeout=10).json()["errors"][0][
        "errorId"] == 1001
    headers = bearer(http, server, account)
    account.clock = lambda: 4_000_000_000.0           # long after the token's 7,200 s
    late = http.get(url(server, account, ORDERS), headers=headers, timeout=10)
    assert late.status_code == 401 and late.json()["errors"][0]["message"] == \
        "Invalid access token"


def test_the_call_limit_answers_429_errorid_2001(http: requests.Session, server: SandboxServer,
                                                 account: Any) -> None:
    headers = bearer(http, server, account)
    account.rate_limits = True
    account.limit_clock = FakeClock()
    account.call_limit, account.call_window = 2, 60.0
    got = [http.get(url(server, account, ORDERS), headers=headers, timeout=10)
           for _ in range(3)]
    assert [r.status_code for r in got] == [200, 200, 429]
    assert got[2].json()["errors"][0]["errorId"] == 2001


def test_get_orders_filter_limit_and_offset(http: requests.Session, server: SandboxServer,
                                            account: Any) -> None:
    headers = bearer(http, server, account)

    def get(**params: str) -> requests.Response:
        return http.get(url(server, account, ORDERS), params=params, headers=headers,
                        timeout=10)

    window = "lastmodifieddate:[2024-12-01T00:00:00.000Z..2026-01-01T00:00:00.000Z]"
    first = get(filter=window, limit="100").json()
    second = get(filter=window, limit="100", offset="100").json()
    assert (first["total"], len(first["orders"]), len(second["orders"])) == (130, 100, 30)
    assert "next" in first and "next" not in second
    ids = [o["orderId"] for o in first["orders"] + second["orders"]]
    assert len(set(ids)) == 130
    assert all(not k.startswith("_") for o in first["orders"] for k in o)
    assert get(filter=window, limit="201").json()["errors"][0]["errorId"] == 30700
    assert get(filter="lastmodifieddate:2025-01-01").status_code == 400
    assert get(filter="lastmodifieddate:[2026-01-01T00:00:00.000Z..2025-01-01T00:00:00.000Z]"
               ).status_code == 400
    # every order adds up: subtotal - discount + shipping + tax = total
    for order in first["orders"]:
        s = order["pricingSummary"]
        parts = (Decimal(s["priceSubtotal"]["value"])
                 + Decimal(s.get("priceDiscount", {}).get("value", "0"))
                 + Decimal(s["deliveryCost"]["value"]) + Decimal(s.get("tax", {}).get("value",
                                                                                     "0")))
        assert parts == Decimal(s["total"]["value"]), order["orderId"]


def test_bulk_updates_take_25_skus_and_answer_per_sku(http: requests.Session,
                                                      server: SandboxServer,
                                                      account: Any) -> None:
    headers = bearer(http, server, account)
    account.refuse("SKU-00002-1", 25001, "The listing is under review.")

    def post(requests_: list[dict[str, Any]]) -> requests.Response:
        return http.post(url(server, account, BULK), json={"requests": requests_},
                         headers=headers, timeout=10)

    def req(sku: str, q: int) -> dict[str, Any]:
        return {"sku": sku, "shipToLocationAvailability": {"quantity": q}}

    assert post([req("SKU-00001-1", 1)] * 26).json()["errors"][0]["errorId"] == 25709
    mixed = post([req("SKU-00001-1", 7), req("SKU-00002-1", 3), req("NOPE", 1)])
    assert mixed.status_code == 207
    assert [(r["sku"], r["statusCode"]) for r in mixed.json()["responses"]] == [
        ("SKU-00001-1", 200), ("SKU-00002-1", 400), ("NOPE", 404)]
    assert account.quantity("SKU-00001-1") == 7
    offer = account.items["SKU-00003-1"]["offerId"]
    both = post([{**req("SKU-00003-1", 4), "offers": [{"offerId": offer,
                                                       "availableQuantity": 4}]}])
    assert both.status_code == 200
    assert [r.get("offerId") for r in both.json()["responses"]] == [None, offer]
    assert account.revisions_today(offer) == 1


def test_sales_fees_and_payouts_add_up(account: Any) -> None:
    for tx in account.transactions.values():
        if tx["transactionType"] != "SALE":
            continue
        order = account.records[tx["orderId"]]
        fees = sum(Decimal(f["amount"]["value"]) for li in tx["orderLineItems"]
                   for f in li["marketplaceFees"])
        assert Decimal(tx["amount"]["value"]) + fees == Decimal(
            order["pricingSummary"]["total"]["value"])
    for payout in account.payouts.values():
        paid = sum((1 if t["bookingEntry"] == "CREDIT" else -1) * Decimal(t["amount"]["value"])
                   for t in account.transactions.values()
                   if t.get("payoutId") == payout["payoutId"])
        assert paid == Decimal(payout["amount"]["value"])


def test_a_placed_order_is_served_awaiting_shipment_in_the_next_window(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    sku = sorted(account.items)[3]
    before = float(account.stamp())
    oid = account.place_order(sku, 2, unit_cents=1500)
    window = f"lastmodifieddate:[{iso_ms(before)}..]"
    answer = http.get(url(server, account, ORDERS), params={"filter": window},
                      headers=bearer(http, server, account), timeout=10).json()
    (order,) = answer["orders"]
    assert order["orderId"] == oid
    assert (order["orderFulfillmentStatus"], order["orderPaymentStatus"],
            order["cancelStatus"]["cancelState"]) == ("NOT_STARTED", "PAID", "NONE_REQUESTED")
    assert [(li["sku"], li["quantity"], li["lineItemFulfillmentStatus"])
            for li in order["lineItems"]] == [(sku, 2, "NOT_STARTED")]
    assert order["pricingSummary"]["total"] == {"value": "30.00", "currency": "EUR"}
    assert order["fulfillmentHrefs"] == [] and order["paymentSummary"]["refunds"] == []
