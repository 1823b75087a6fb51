"""Amazon SP-API contract of the FBA and Finances streams: the real connector file asks
getInventorySummaries once per marketplace the seller sells in (granularity Marketplace,
details, one ``marketplaceIds``) and follows ``pagination.nextToken``; asks
listFinancialEventGroups for its window (both bounds more than two minutes back) and follows
``payload.NextToken`` with the same filters; asks listFinancialEventsByGroupId for every
group it read, and flattens the event lists to one record per event, tagged with its list
and carrying its group."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import responses
from responses import matchers

from synchub.runtime import ConnectionInfo, ConnectorClient
from tests.runtime.helpers import FakeClock

from .conftest import ROOT, connector

HOST = "https://sellingpartnerapi-eu.amazon.com"
TOKEN_URL = "https://api.amazon.com/auth/o2/token"
MARKETS = f"{HOST}/sellers/v1/marketplaceParticipations"
SUMMARIES = f"{HOST}/fba/inventory/v1/summaries"
GROUPS = f"{HOST}/finances/v0/financialEventGroups"
FIXTURES = ROOT / "tests/mapping/fixtures/amazon"
DE, GB = "A1PA6795UKMFR9", "A1F83G8C2ARO7P"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def client() -> ConnectorClient:
    conn = ConnectionInfo(conn_id="amazon_eu", conn_type="http", host=HOST,
                          login="amzn1.application-oa2-client.abc", password="lwa-secret-1",
                          extra={"refresh_token": "Atzr|refresh-1"})
    clock = FakeClock()
    return ConnectorClient(connector("amazon"), conn, clock=clock, sleep=clock.sleep)


def signed_in(mock: responses.RequestsMock, *, markets: bool = True) -> None:
    mock.post(TOKEN_URL, json={"access_token": "Atza|one", "token_type": "bearer",
                               "expires_in": 3600})
    if not markets:
        return
    mock.get(MARKETS, headers={"x-amzn-RateLimit-Limit": "0.016"}, json={"payload": [
        {"marketplace": {"id": DE, "name": "Amazon.de"},
         "participation": {"isParticipating": True, "hasSuspendedListings": False}},
        {"marketplace": {"id": "A13V1IB3VIYZZH", "name": "Amazon.fr"},
         "participation": {"isParticipating": False, "hasSuspendedListings": False}},
        {"marketplace": {"id": GB, "name": "Amazon.co.uk"},
         "participation": {"isParticipating": True, "hasSuspendedListings": False}}]})


def summaries(mock: responses.RequestsMock, market: str, body: Any,
              token: str | None = None) -> None:
    query = {"granularityType": "Marketplace", "granularityId": market,
             "marketplaceIds": market, "details": "true"}
    if token:
        query["nextToken"] = token
    mock.get(SUMMARIES, json=body, headers={"x-amzn-RateLimit-Limit": "2.0"},
             match=[matchers.query_param_matcher(query),
                    matchers.header_matcher({"x-amz-access-token": "Atza|one"})])


def test_fba_summaries_are_asked_per_marketplace_the_seller_sells_in(
        mock_http: responses.RequestsMock) -> None:
    signed_in(mock_http)
    units = [{k: v for k, v in s.items() if k != "_parent"} for s in fixture("fba_inventory")]
    summaries(mock_http, DE, {"payload": {"granularity": {"granularityType": "Marketplace",
                                                           "granularityId": DE},
                                          "inventorySummaries": units[:2]},
                              "pagination": {"nextToken": "seed"}})
    summaries(mock_http, DE, {"payload": {"inventorySummaries": units[2:]}}, token="seed")
    summaries(mock_http, GB, {"payload": {"inventorySummaries": []}})
    with client() as c:
        pages = list(c.read("fba_inventory"))
    got = [(r["_parent"]["marketplace"]["id"], r["sellerSku"]) for p in pages for r in p.records]
    assert got == [(DE, "EMTEC 1 GB"), (DE, "Silicon Power 32GB"), (DE, "FBA-MUG-01")]


WINDOW = {"FinancialEventGroupStartedAfter": "2025-02-03T00:00:00Z",  # cursor less 35 days
          "FinancialEventGroupStartedBefore": "2026-03-04T23:57:00Z",  # end less 3 minutes
          "MaxResultsPerPage": "100"}


def test_groups_follow_next_token_with_the_same_filters_then_each_groups_events(
        mock_http: responses.RequestsMock) -> None:
    signed_in(mock_http, markets=False)
    groups = fixture("financial_event_groups")["payload"]["FinancialEventGroupList"]
    mock_http.get(GROUPS, json={"payload": {"FinancialEventGroupList": groups[:1],
                                            "NextToken": "g2"}},
                  match=[matchers.query_param_matcher(WINDOW)])
    mock_http.get(GROUPS, json={"payload": {"FinancialEventGroupList": groups[1:2]}},
                  match=[matchers.query_param_matcher({**WINDOW, "NextToken": "g2"})])
    events = [{k: v for k, v in e.items() if k not in ("_parent", "EventType")}
              for e in fixture("financial_events")]
    first, second = groups[0]["FinancialEventGroupId"], groups[1]["FinancialEventGroupId"]
    mock_http.get(f"{GROUPS}/{first}/financialEvents",
                  json={"payload": {"FinancialEvents": {
                      "ShipmentEventList": events[:2], "RefundEventList": [],
                      "ServiceFeeEventList": events[3:4]}, "NextToken": "e2"}},
                  match=[matchers.query_param_matcher({"MaxResultsPerPage": "100"})])
    mock_http.get(f"{GROUPS}/{first}/financialEvents",
                  json={"payload": {"FinancialEvents": {
                      "RefundEventList": events[2:3], "AdjustmentEventList": events[4:]}}},
                  match=[matchers.query_param_matcher({"MaxResultsPerPage": "100",
                                                       "NextToken": "e2"})])
    mock_http.get(f"{GROUPS}/{second}/financialEvents",
                  json={"payload": {"FinancialEvents": {}}})
    with client() as c:
        pages = list(c.read("financial_events", state={"cursor": "2025-03-10T00:00:00Z"},
                            window_end=datetime(2026, 3, 5, tzinfo=UTC)))
        group_pages = list(c.read("financial_event_groups",
                                  state={"cursor": "2025-03-10T00:00:00Z"},
                                  window_end=datetime(2026, 3, 5, tzinfo=UTC)))
    got = [(r["EventType"], r.get("AmazonOrderId"), r["_parent"]["FinancialEventGroupId"])
           for p in pages for r in p.records]
    assert got == [("Shipment", "302-3159896-1390916", first),
                   ("Shipment", "028-1234567-7654321", first), ("ServiceFee", None, first),
                   ("Refund", "302-3159896-1390916", first), ("Adjustment", None, first)]
    # the cursor is the newest group start, kept only once the window is read through
    assert pages[-1].state == {"cursor": "2025-03-17T14:05:21Z"}
    assert [g["FinancialEventGroupId"] for p in group_pages for g in p.records] == [
        first, second]


def test_the_reconciliation_reads_the_days_orders_by_creation_time(
        tmp_path: Any, mock_http: responses.RequestsMock) -> None:
    import yaml

    from synchub.ledger.channel_counts import channel_orders
    from synchub.plan import load_hub

    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "connections": {"amazon_eu": {"connector": "amazon", "conn_id": "amazon_eu"}}}))
    signed_in(mock_http)
    orders = fixture("orders")["orders"]
    mock_http.get(f"{HOST}/orders/2026-01-01/orders", json={"orders": orders},
                  match=[matchers.query_param_matcher({
                      "createdAfter": "2026-03-02T00:00:00Z",
                      "createdBefore": "2026-03-03T00:00:00Z",
                      "marketplaceIds": f"{DE},{GB}", "includedData": "PROCEEDS",
                      "maxResultsPerPage": "100"})])
    with client() as c:
        day = channel_orders(load_hub(path), "amazon_eu", datetime(2026, 3, 2).date(), c)
    assert day is not None and day.unreadable == 0
    # the order of 2026-03-04 is outside the day; 22:01 at +01:00 is still the 2nd in UTC
    assert day.counts == {"EUR": 1, "GBP": 1}
    assert {k: str(v) for k, v in day.amounts.items()} == {"EUR": "115.97", "GBP": "23.99"}
