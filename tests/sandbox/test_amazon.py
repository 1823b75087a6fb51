"""The Amazon SP-API simulator: LWA tokens that expire, the errors[] envelope, searchOrders'
rules (one start, the two-minute end, 1-100 a page, expiring pagination tokens), the rate
header on every answer and a 429 past the burst, PII by role, proceeds that add up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from tests.runtime.helpers import FakeClock

SEARCH = "/orders/2026-01-01/orders"
START = "2024-12-01T00:00:00Z"


@pytest.fixture
def account(sandbox: Sandbox) -> Iterator[Any]:
    store = sandbox.reset("amazon", "demo", orders=130)   # a fresh account for each test
    store.rate_limits = False
    yield store


def base(server: SandboxServer, account: Any) -> str:
    return server.url("amazon", account.name)


def token(http: requests.Session, server: SandboxServer, account: Any,
          **overrides: str) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": account.refresh_token,
            "client_id": account.client_id, "client_secret": account.client_secret,
            **overrides}
    return http.post(base(server, account) + "/auth/o2/token", data=form, timeout=10)


def get(http: requests.Session, server: SandboxServer, account: Any, path: str = SEARCH,
        access: str | None = None, **params: Any) -> requests.Response:
    if access is None:
        access = token(http, server, account).json()["access_token"]
    return http.get(base(server, account) + path, params=params, timeout=10,
                    headers={"x-amz-access-token": access})


def test_the_token_endpoint_grants_and_refuses_as_lwa_does(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    ok = token(http, server, account).json()
    assert ok["token_type"] == "bearer" and ok["expires_in"] == 3600
    bad = token(http, server, account, refresh_token="Atzr|stolen")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    who = token(http, server, account, client_secret="nope")
    assert who.status_code == 401 and who.json()["error"] == "invalid_client"


def test_an_expired_or_missing_token_is_403_unauthorized(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    clock = FakeClock(1_800_000_000.0)
    account.clock = clock
    access = token(http, server, account).json()["access_token"]
    assert get(http, server, account, access=access, lastUpdatedAfter=START).status_code == 200
    clock.now += 3600
    expired = get(http, server, account, access=access, lastUpdatedAfter=START)
    (error,) = expired.json()["errors"]
    assert expired.status_code == 403 and error["code"] == "Unauthorized"
    assert "expired" in error["details"]
    missing = get(http, server, account, access="", lastUpdatedAfter=START)
    assert missing.status_code == 403 and missing.json()["errors"][0]["code"] == "Unauthorized"


@pytest.mark.parametrize(("params", "message"), [
    ({}, "Exactly one of createdAfter and lastUpdatedAfter"),
    ({"createdAfter": START, "lastUpdatedAfter": START}, "cannot be used with"),
    ({"lastUpdatedAfter": START, "maxResultsPerPage": 101}, "between 1 and 100"),
    ({"lastUpdatedAfter": START, "marketplaceIds": "XX"}, "Invalid marketplaceIds"),
    ({"lastUpdatedAfter": START, "includedData": "EVERYTHING"}, "Invalid includedData"),
    ({"lastUpdatedAfter": "2026-01-02T00:00:00Z", "lastUpdatedBefore": "2026-01-01T00:00:00Z"},
     "must be equal to or after"),
])
def test_search_refusals_use_the_errors_envelope(
        http: requests.Session, server: SandboxServer, account: Any, params: dict[str, Any],
        message: str) -> None:
    resp = get(http, server, account, **params)
    assert resp.status_code == 400
    (error,) = resp.json()["errors"]
    assert set(error) == {"code", "message", "details"} and error["code"] == "InvalidInput"
    assert message in error["message"]


def test_the_end_must_stay_two_minutes_before_the_request(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    now = datetime.now(UTC)
    close = (now - timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    far = (now - timedelta(seconds=150)).strftime("%Y-%m-%dT%H:%M:%SZ")
    refused = get(http, server, account, lastUpdatedAfter=START, lastUpdatedBefore=close)
    assert refused.status_code == 400
    assert "at least 2 minutes before" in refused.json()["errors"][0]["message"]
    assert get(http, server, account, lastUpdatedAfter=START,
               lastUpdatedBefore=far).status_code == 200


def test_pages_follow_the_token_and_the_token_expires_after_a_day(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    clock = FakeClock(datetime.now(UTC).timestamp())
    account.clock = clock
    account.token_ttl = 10 ** 7                  # the access token outlives the day
    access = token(http, server, account).json()["access_token"]
    first = get(http, server, account, access=access, lastUpdatedAfter=START,
                maxResultsPerPage=50).json()
    second = get(http, server, account, access=access,
                 paginationToken=first["pagination"]["nextToken"]).json()
    third = get(http, server, account, access=access,
                paginationToken=second["pagination"]["nextToken"]).json()
    assert [len(p["orders"]) for p in (first, second, third)] == [50, 50, 30]
    assert "pagination" not in third
    ids = [o["orderId"] for p in (first, second, third) for o in p["orders"]]
    assert len(set(ids)) == 130
    clock.now += 86_400 + 1
    stale = get(http, server, account, access=access,
                paginationToken=first["pagination"]["nextToken"])
    assert stale.status_code == 400 and "expired" in stale.json()["errors"][0]["message"]


def test_every_answer_states_the_rate_and_past_the_burst_comes_a_429(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    clock = FakeClock()
    account.limit_clock = clock
    account.rate_limits = True
    access = token(http, server, account).json()["access_token"]
    answers = [get(http, server, account, access=access, lastUpdatedAfter=START)
               for _ in range(21)]
    assert [a.status_code for a in answers] == [200] * 20 + [429]
    assert {a.headers["x-amzn-RateLimit-Limit"] for a in answers} == {"0.0056"}
    assert answers[-1].json()["errors"][0]["code"] == "QuotaExceeded"
    clock.now += 1 / 0.0056                      # one token back
    assert get(http, server, account, access=access,
               lastUpdatedAfter=START).status_code == 200


def test_pii_and_datasets_follow_the_role_and_included_data(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    full = get(http, server, account, lastUpdatedAfter=START,
               includedData="BUYER,RECIPIENT,PROCEEDS,FULFILLMENT").json()["orders"][0]
    assert full["buyer"]["buyerEmail"] and full["recipient"]["deliveryAddress"]["addressLine1"]
    bare = get(http, server, account, lastUpdatedAfter=START).json()["orders"][0]
    assert set(bare) >= {"orderId", "orderItems"}
    assert not set(bare) & {"buyer", "recipient", "proceeds", "fulfillment"}
    account.pii = False
    masked = get(http, server, account, lastUpdatedAfter=START,
                 includedData="BUYER,RECIPIENT").json()["orders"][0]
    assert "buyer" not in masked
    assert set(masked["recipient"]["deliveryAddress"]) <= {
        "city", "stateOrRegion", "postalCode", "countryCode"}


def test_proceeds_add_up_and_get_order_answers_one(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    orders = get(http, server, account, lastUpdatedAfter=START,
                 includedData="PROCEEDS").json()["orders"]
    currencies = set()
    for order in orders:
        proceeds = order["proceeds"]
        parts = sum(Decimal(b["subtotal"]["amount"]) for b in proceeds["breakdowns"])
        assert parts == Decimal(proceeds["grandTotal"]["amount"]), order["orderId"]
        items = sum(Decimal(i["proceeds"]["proceedsTotal"]["amount"])
                    for i in order["orderItems"])
        assert items == parts
        currencies.add(proceeds["grandTotal"]["currencyCode"])
    assert currencies == {"EUR", "GBP"}
    one = get(http, server, account, path=f"{SEARCH}/{orders[0]['orderId']}").json()
    assert one["order"]["orderId"] == orders[0]["orderId"]
    missing = get(http, server, account, path=f"{SEARCH}/000-0000000-0000000")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NotFound"


def test_injected_faults_come_in_the_errors_envelope(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    access = token(http, server, account).json()["access_token"]
    account.faults(fail_next=[503, 429])
    down = get(http, server, account, access=access, lastUpdatedAfter=START)
    busy = get(http, server, account, access=access, lastUpdatedAfter=START)
    assert (down.status_code, down.json()["errors"][0]["code"]) == (503, "InternalFailure")
    assert (busy.status_code, busy.json()["errors"][0]["code"]) == (429, "QuotaExceeded")
    assert get(http, server, account, access=access, lastUpdatedAfter=START).status_code == 200


FBA = "/fba/inventory/v1/summaries"
GROUPS = "/finances/v0/financialEventGroups"
DE = "A1PA6795UKMFR9"


def test_fba_summaries_per_marketplace_with_details_paging_and_refusals(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    access = token(http, server, account).json()["access_token"]
    query = {"granularityType": "Marketplace", "granularityId": DE, "marketplaceIds": DE}
    bare = get(http, server, account, FBA, access, **query).json()
    assert bare["payload"]["granularity"] == {"granularityType": "Marketplace",
                                              "granularityId": DE}
    units = bare["payload"]["inventorySummaries"]
    assert len(units) == 20 and "inventoryDetails" not in units[0] and "pagination" not in bare
    account.set_fba(DE, "NEW-1", 9, reserved=2)
    for n in range(60):
        account.set_fba(DE, f"Z-{n:02d}", 1)
    first = get(http, server, account, FBA, access, details="true", **query).json()
    assert len(first["payload"]["inventorySummaries"]) == 50
    rest = get(http, server, account, FBA, access, details="true",
               nextToken=first["pagination"]["nextToken"], **query).json()
    assert "pagination" not in rest
    new = next(u for u in first["payload"]["inventorySummaries"] + rest["payload"][
        "inventorySummaries"] if u["sellerSku"] == "NEW-1")
    assert new["inventoryDetails"]["fulfillableQuantity"] == 9
    assert new["inventoryDetails"]["reservedQuantity"]["totalReservedQuantity"] == 2
    for bad in ({**query, "granularityType": "Seller"}, {**query, "marketplaceIds": "X1"},
                {**query, "marketplaceIds": f"{DE},A13V1IB3VIYZZH"}):
        refused = get(http, server, account, FBA, access, **bad)
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["code"] == "InvalidInput"


def test_event_groups_add_up_to_their_events_and_page_by_next_token(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    access = token(http, server, account).json()["access_token"]
    listed, page = [], get(http, server, account, GROUPS, access, MaxResultsPerPage=25).json()
    listed += page["payload"]["FinancialEventGroupList"]
    while "NextToken" in page["payload"]:
        page = get(http, server, account, GROUPS, access,
                   NextToken=page["payload"]["NextToken"]).json()
        listed += page["payload"]["FinancialEventGroupList"]
    assert len(listed) > 25 and len({g["FinancialEventGroupId"] for g in listed}) == len(listed)
    kinds: set[str] = set()
    for group in listed[:12]:
        events: list[dict[str, Any]] = []
        body = get(http, server, account, f"{GROUPS}/{group['FinancialEventGroupId']}"
                   "/financialEvents", access, MaxResultsPerPage=3).json()
        while True:
            lists = body["payload"]["FinancialEvents"]
            kinds |= {k for k, v in lists.items() if v}
            events += [e for v in lists.values() for e in v]
            if "NextToken" not in body["payload"]:
                break
            body = get(http, server, account, f"{GROUPS}/{group['FinancialEventGroupId']}"
                       "/financialEvents", access,
                       NextToken=body["payload"]["NextToken"]).json()
        moved = Decimal(0)
        for e in events:
            for item in e.get("ShipmentItemList", []) + e.get("ShipmentItemAdjustmentList", []):
                for part in (item.get("ItemChargeList", []) + item.get("ItemFeeList", [])
                             + item.get("ItemChargeAdjustmentList", [])
                             + item.get("ItemFeeAdjustmentList", [])):
                    money = part.get("ChargeAmount") or part["FeeAmount"]
                    moved += Decimal(str(money["CurrencyAmount"]))
                for promo in item.get("PromotionList", []) + item.get(
                        "PromotionAdjustmentList", []):
                    moved += Decimal(str(promo["PromotionAmount"]["CurrencyAmount"]))
            for fee in e.get("FeeList", []):
                moved += Decimal(str(fee["FeeAmount"]["CurrencyAmount"]))
        assert moved == Decimal(str(group["OriginalTotal"]["CurrencyAmount"])), group
        assert group["ProcessingStatus"] == "Closed" and group["FundTransferDate"]
    assert {"ShipmentEventList", "ServiceFeeEventList"} <= kinds


def test_finances_refuse_a_late_window_and_an_unknown_group_and_429_past_the_burst(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    access = token(http, server, account).json()["access_token"]
    late = (datetime.now(UTC) - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    refused = get(http, server, account, GROUPS, access, FinancialEventGroupStartedAfter=late)
    assert refused.status_code == 400
    assert "two minutes" in refused.json()["errors"][0]["message"]
    unknown = get(http, server, account, f"{GROUPS}/nope/financialEvents", access)
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["code"] == "InvalidInput"
    account.rate_limits = True
    account.plans["listFinancialEventGroups"] = (0.001, 2)
    answers = [get(http, server, account, GROUPS, access) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["x-amzn-RateLimit-Limit"] == "0.001"
    assert answers[2].json()["errors"][0]["code"] == "QuotaExceeded"


def listings_path(account: Any, seller: str | None = None) -> str:
    return f"/listings/2021-08-01/items/{seller or account.seller_id}"


def test_listings_search_pages_oldest_change_first_and_shows_the_fbm_quantity(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    access = token(http, server, account).json()["access_token"]
    query = {"marketplaceIds": DE, "includedData": "summaries,fulfillmentAvailability",
             "sortBy": "lastUpdatedDate", "sortOrder": "ASC", "pageSize": 20}
    pages = [get(http, server, account, listings_path(account), access, **query).json()]
    while "nextToken" in pages[-1].get("pagination", {}):
        pages.append(get(http, server, account, listings_path(account), access,
                         pageToken=pages[-1]["pagination"]["nextToken"], **query).json())
    items = [i for p in pages for i in p["items"]]
    assert len(pages) == 3 and pages[0]["numberOfResults"] == 60
    assert "previousToken" in pages[1]["pagination"]
    assert [i["sku"] for i in items] == [f"SKU-{n:03d}" for n in range(60)]
    changed = [i["summaries"][0]["lastUpdatedDate"] for i in items]
    assert changed == sorted(changed)
    assert items[1]["summaries"][0] | {"lastUpdatedDate": "-", "createdDate": "-"} == {
        "marketplaceId": DE, "asin": "B000000001", "productType": "PRODUCT",
        "conditionType": "new_new", "status": ["BUYABLE", "DISCOVERABLE"],
        "itemName": "Item SKU-001", "createdDate": "-", "lastUpdatedDate": "-"}
    assert items[1]["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "DEFAULT",
                                                    "quantity": 0}]
    # the FBA SKUs are Amazon's: their channel, no quantity
    assert items[45]["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "AMAZON_EU"}]


def test_a_patch_is_what_the_search_reads_back_and_moves_the_listing_last(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    access = token(http, server, account).json()["access_token"]
    patch = {"productType": "PRODUCT", "patches": [
        {"op": "replace", "path": "/attributes/fulfillment_availability",
         "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 17}]}]}
    answer = http.patch(base(server, account) + listings_path(account) + "/SKU-003",
                        params={"marketplaceIds": DE}, json=patch, timeout=10,
                        headers={"x-amz-access-token": access})
    assert answer.json()["status"] == "ACCEPTED"
    since = datetime.now(UTC) - timedelta(minutes=1)
    found = get(http, server, account, listings_path(account), access, marketplaceIds=DE,
                includedData="fulfillmentAvailability", sortOrder="DESC",
                lastUpdatedAfter=since.strftime("%Y-%m-%dT%H:%M:%SZ")).json()
    assert found["numberOfResults"] == 1
    assert found["items"] == [{"sku": "SKU-003", "fulfillmentAvailability": [
        {"fulfillmentChannelCode": "DEFAULT", "quantity": 17}]}]


def test_a_search_pages_through_at_most_a_thousand_listings(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    account.listings.update({f"BULK-{n:04d}": {"productType": "PRODUCT", "quantity": 1}
                             for n in range(1000)})
    access = token(http, server, account).json()["access_token"]
    query = {"marketplaceIds": DE, "sortBy": "sku", "sortOrder": "ASC", "pageSize": 20}
    last = get(http, server, account, listings_path(account), access, **query).json()
    pages = 1
    while "nextToken" in last.get("pagination", {}):
        last = get(http, server, account, listings_path(account), access,
                   pageToken=last["pagination"]["nextToken"], **query).json()
        pages += 1
    assert pages == 50 and last["numberOfResults"] == 1060
    assert last["items"][-1]["sku"] == "BULK-0999"          # the 1,000th: no further page


@pytest.mark.parametrize(("params", "status", "message"), [
    ({}, 400, "marketplaceIds"),
    ({"marketplaceIds": "XX"}, 400, "Invalid marketplaceIds"),
    ({"marketplaceIds": DE, "pageSize": 21}, 400, "between 1 and 20"),
    ({"marketplaceIds": DE, "includedData": "everything"}, 400, "Invalid includedData"),
    ({"marketplaceIds": DE, "sortBy": "price"}, 400, "Invalid sortBy"),
    ({"marketplaceIds": DE, "lastUpdatedAfter": "yesterday"}, 400, "ISO 8601"),
    ({"marketplaceIds": DE, "identifiers": "SKU-001"}, 400, "identifiersType"),
    ({"marketplaceIds": DE, "pageToken": "not-ours"}, 400, "Invalid pageToken"),
])
def test_listings_search_refusals_use_the_errors_envelope(
        http: requests.Session, server: SandboxServer, account: Any,
        params: dict[str, Any], status: int, message: str) -> None:
    access = token(http, server, account).json()["access_token"]
    refused = get(http, server, account, listings_path(account), access, **params)
    assert refused.status_code == status
    (error,) = refused.json()["errors"]
    assert error["code"] == "InvalidInput" and message in error["message"]
    other = get(http, server, account, listings_path(account, "A0THERSELLER"), access,
                marketplaceIds=DE)
    assert other.status_code == 403 and other.json()["errors"][0]["code"] == "Unauthorized"


def test_listings_search_has_its_own_usage_plan(
        http: requests.Session, server: SandboxServer, account: Any) -> None:
    clock = FakeClock()
    account.limit_clock = clock
    account.rate_limits = True
    access = token(http, server, account).json()["access_token"]
    answers = [get(http, server, account, listings_path(account), access, marketplaceIds=DE)
               for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert {a.headers["x-amzn-RateLimit-Limit"] for a in answers} == {"5"}
    clock.now += 1 / 5
    assert get(http, server, account, listings_path(account), access,
               marketplaceIds=DE).status_code == 200
