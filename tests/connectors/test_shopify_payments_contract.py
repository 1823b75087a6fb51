"""Shopify Payments contract: the GraphQL requests of payouts and balance_transactions, page
by page, and the canonical records their named payloads map to."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import responses
from responses import matchers

from synchub.mapping import MappingContext, load_mapping
from synchub.runtime import ConnectionInfo, ConnectorClient

from .conftest import connector, fixture

HOST = "https://demo.myshopify.com"
TOKEN = "shpat_contract_test_token"
AUTH = {"X-Shopify-Access-Token": TOKEN}
GQL = f"{HOST}/admin/api/2025-07/graphql.json"
END = datetime(2025, 3, 31, 0, 0, tzinfo=UTC)
MAPPINGS = Path(__file__).resolve().parents[2] / "mappings" / "shopify"
CONTEXT = MappingContext(connection="shop_eu", system="shopify",
                         values={"shop_currency": "EUR"})


def client() -> ConnectorClient:
    conn = ConnectionInfo(conn_id="shopify_demo", conn_type="shopify", host=HOST, password=TOKEN)
    return ConnectorClient(connector("shopify"), conn, sleep=lambda s: None)


def gql_match(fragments: list[str], variables: dict[str, Any]) -> Any:
    """The request's query holds every fragment and its variables are exactly these."""
    def match(request: Any) -> tuple[bool, str]:
        body = json.loads(request.body)
        missing = [f for f in fragments if f not in body["query"]]
        ok = not missing and body["variables"] == variables
        return ok, "" if ok else f"unexpected GraphQL request {missing} {body['variables']}"
    return match


def mapped(name: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    m = load_mapping(MAPPINGS / f"{name}.yaml")
    return [r.to_json_dict() for raw in records for r in m.apply(raw, CONTEXT)]


def test_payouts_by_issue_time_with_a_week_of_overlap(mock_http: responses.RequestsMock) -> None:
    # cursor 2025-03-02T06:00Z less the 7-day lookback; window end less the 1-minute lag
    search = "issued_at:>='2025-02-23T06:00:00Z' AND issued_at:<='2025-03-30T23:59:00Z'"
    shape = ["shopifyPaymentsAccount", "payouts(first: $first, after: $after, query: $query, "
             "sortKey: ISSUED_AT)", "legacyResourceId", "refundsFeeGross { amount }"]
    mock_http.post(GQL, json=fixture("shopify", "payouts_page1"),
                   match=[gql_match(shape, {"first": 50, "query": search}),
                          matchers.header_matcher(AUTH)])
    mock_http.post(GQL, json=fixture("shopify", "payouts_page2"),
                   match=[gql_match(shape, {"first": 50, "query": search, "after": "cDI"}),
                          matchers.header_matcher(AUTH)])
    pages = list(client().read("payouts", state={"cursor": "2025-03-02T06:00:00Z"},
                               window_end=END))
    assert [([r["legacyResourceId"] for r in p.records], p.state) for p in pages] == [
        (["90210001", "90210002"], {"cursor": "2025-03-03T06:00:00Z"}),
        (["90210003", "90210004"], {"cursor": "2025-03-05T06:00:00Z"}),
    ]
    payouts = mapped("payouts", [r for p in pages for r in p.records])
    summary = [(p["external_id"], p["status"], p["amount"]["amount"], p["gross"]["amount"],
                p["fees"]["amount"], [(f["type"], f["amount"]["amount"]) for f in p["summary"]])
               for p in payouts]
    assert summary == [
        ("90210001", "paid", "162.42", "183.10", "20.68",
         [("payment_processing", "5.68"), ("adjustments", "15.00")]),
        ("90210002", "scheduled", "48.32", "49.50", "1.18", [("payment_processing", "1.18")]),
        # a withdrawal leaves the bank account: negative, whatever sign net carries
        ("90210003", "in_transit", "-39.90", "-39.90", "0.00", []),
        ("90210004", "failed", "10.07", "10.00", "-0.07",
         [("payment_processing", "0.44"), ("refund_administration", "-0.51")]),
    ]
    for p in payouts:
        assert Decimal(p["gross"]["amount"]) - Decimal(p["fees"]["amount"]) == Decimal(
            p["amount"]["amount"])
        assert p["issued_at"].endswith("T06:00:00Z") and p["amount"]["currency"] == "EUR"


def test_balance_transactions_first_run_without_transfers(
        mock_http: responses.RequestsMock) -> None:
    shape = ["shopifyPaymentsAccount", "balanceTransactions(first: $first, after: $after, "
             "query: $query,", "sortKey: PROCESSED_AT, hideTransfers: true",
             "associatedOrder { id name }", "associatedPayout { id status }"]
    search = "processed_at:<='2025-03-30T23:59:00Z'"        # no cursor yet: no start
    # a throttled answer first: the client waits for the cost to restore and asks again
    mock_http.post(GQL, json={"errors": [{"message": "Throttled",
                                          "extensions": {"code": "THROTTLED"}}],
                              "extensions": {"cost": {"requestedQueryCost": 902,
                                                      "actualQueryCost": None,
                                                      "throttleStatus": {
                                                          "maximumAvailable": 2000.0,
                                                          "currentlyAvailable": 300.0,
                                                          "restoreRate": 100.0}}}},
                   match=[gql_match(shape, {"first": 150, "query": search})])
    mock_http.post(GQL, json=fixture("shopify", "balance_transactions_page1"),
                   match=[gql_match(shape, {"first": 150, "query": search}),
                          matchers.header_matcher(AUTH)])
    mock_http.post(GQL, json=fixture("shopify", "balance_transactions_page2"),
                   match=[gql_match(shape, {"first": 150, "query": search,
                                            "after": "c3008"})])
    c = client()
    pages = list(c.read("balance_transactions", state=None, window_end=END))
    assert [p.state for p in pages] == [{"cursor": "2025-03-04T11:00:00Z"},
                                        {"cursor": "2025-03-22T14:00:00Z"}]
    assert c.stats.requests == 3
    txs = mapped("balance_transactions", [r for p in pages for r in p.records])
    assert [(t["external_id"], t["type"], t["amount"]["amount"],
             [(f["type"], f["amount"]["amount"]) for f in t["fees"]], t["net"]["amount"],
             t.get("order_external_id"), t.get("payout_external_id"), t.get("payout_status"))
            for t in txs] == [
        ("3001", "charge", "72.40", [("payment_processing", "1.63")], "70.77",
         "9007199254740993", "90210001", "paid"),
        ("3002", "charge", "200.00", [("payment_processing", "4.05")], "195.95", "1073339457",
         "90210001", "paid"),
        ("3003", "refund", "-12.50", [], "-12.50", "9007199254740993", "90210001", "paid"),
        ("3004", "chargeback", "-76.80", [("chargeback", "15.00")], "-91.80", "1073339458",
         "90210001", "paid"),
        ("3006", "reserve", "-20.00", [], "-20.00", None, "90210003", "in_transit"),
        ("3008", "adjustment", "-2.50", [], "-2.50", "1073339457", None, None),
        ("3010", "other", "-6.90", [], "-6.90", None, None, None),
        # 3011 is a test-mode charge: skipped
        ("3012", "refund", "-10.00", [("payment_processing", "-0.44")], "-9.56", "1073339459",
         None, None),
        ("3007", "reserve_release", "20.00", [], "20.00", None, None, None),
        ("3005", "chargeback_reversal", "76.80", [], "76.80", "1073339458", "90210022",
         "scheduled"),
    ]
    assert {t["gateway"] for t in txs} == {"shopify_payments"}
    assert txs[0]["processed_at"] == "2025-03-01T09:15:00Z"
    assert [t["description"] for t in txs[5:7]] == ["Fee correction", "SHIPPING_LABEL"]


def test_shop_without_shopify_payments_reads_nothing(mock_http: responses.RequestsMock) -> None:
    for stream, first in (("payouts", 50), ("balance_transactions", 150)):
        mock_http.post(GQL, json=fixture("shopify", "payments_disabled"),
                       match=[gql_match(["shopifyPaymentsAccount"], {
                           "first": first,
                           "query": f"{'issued_at' if stream == 'payouts' else 'processed_at'}"
                                    ":<='2025-03-30T23:59:00Z'"})])
        pages = list(client().read(stream, state=None, window_end=END))
        assert [(p.records, p.state, p.number) for p in pages] == [([], None, 1)]
