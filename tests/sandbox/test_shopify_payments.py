"""Shopify Payments in the sandbox: charges from paid orders, payouts that add up, controls."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from synchub.pipeline import sync_stream
from synchub.plan import load_hub
from synchub.runtime import ConnectionInfo
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.kit.money import money_cents
from synchub.sandbox.shopify.payments import DAY, PAYOUT_HOUR, charge_fee
from synchub.sandbox.shopify.payments_controls import payouts_report, transactions_report
from synchub.store import Store
from tests.e2e.conftest import write_hub
from tests.sandbox.conftest import API, shopify_get

SUMMARY = ["chargesGross", "chargesFee", "refundsFeeGross", "refundsFee", "adjustmentsGross",
           "adjustmentsFee", "reservedFundsGross", "reservedFundsFee", "retriedPayoutsGross",
           "retriedPayoutsFee"]
PAYOUTS = """query($first: Int, $last: Int, $after: String, $before: String, $q: String,
                   $reverse: Boolean) {
  shopifyPaymentsAccount { payouts(first: $first, last: $last, after: $after, before: $before,
      query: $q, sortKey: ISSUED_AT, reverse: $reverse) {
    edges { cursor node { id legacyResourceId issuedAt status transactionType
      net { amount currencyCode } summary { SUMMARY } } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } } }""".replace(
    "SUMMARY", " ".join(f"{k} {{ amount }}" for k in SUMMARY))
TXS = """query($first: Int!, $after: String, $q: String, $hide: Boolean) {
  shopifyPaymentsAccount { balanceTransactions(first: $first, after: $after, query: $q,
      hideTransfers: $hide) {
    edges { node { id type test transactionDate sourceType sourceId adjustmentReason
      amount { amount currencyCode } fee { amount } net { amount }
      associatedOrder { id name } associatedPayout { id status } } }
    pageInfo { hasNextPage endCursor } } } }"""
SHOP = "payments"   # read-only shop of this module; the tests that write use their own


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    # no cost bucket: these tests walk whole accounts page after page
    return Sandbox(seed=7, rate_limits=False)


def a_sku(shop: Any, n: int = 0) -> str:
    """The n-th SKU of the shop's catalog (some variants have none)."""
    skus = [v["sku"] for p in shop.products for v in p["_variants"] if v["sku"]]
    return str(skus[n])


def gql(http: requests.Session, server: SandboxServer, store: str, query: str,
        **variables: Any) -> dict[str, Any]:
    resp = http.post(server.shopify_url(store) + API + "/graphql.json",
                     json={"query": query, "variables": variables},
                     headers={"X-Shopify-Access-Token": f"shpat_sandbox_{store}"}, timeout=30)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def walk(http: requests.Session, server: SandboxServer, store: str, query: str, field: str,
         first: int, **variables: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        body = gql(http, server, store, query, first=first, after=after, **variables)
        assert "errors" not in body, body
        conn = body["data"]["shopifyPaymentsAccount"][field]
        nodes += [e["node"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes
        after = conn["pageInfo"]["endCursor"]


def dec(money: dict[str, Any]) -> Decimal:
    return Decimal(money["amount"])


def number(global_id: str | None) -> int | None:
    return None if global_id is None else int(global_id.rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def shop(sandbox: Sandbox) -> Any:
    return sandbox.shopify(SHOP, orders=1500, customers=30, products=12)


@pytest.fixture(scope="module")
def txs(shop: Any, server: SandboxServer) -> list[dict[str, Any]]:
    with requests.Session() as http:
        return walk(http, server, SHOP, TXS, "balanceTransactions", 150, hide=False)


def test_every_payout_is_the_sum_of_its_transactions(http: requests.Session, shop: Any,
                                                     server: SandboxServer,
                                                     txs: list[dict[str, Any]]) -> None:
    payouts = walk(http, server, SHOP, PAYOUTS, "payouts", 50)
    assert len(payouts) > 100
    nets: dict[int, Decimal] = defaultdict(Decimal)
    transfers = {}
    for tx in txs:
        assert dec(tx["amount"]) - dec(tx["fee"]) == dec(tx["net"])
        pid = number(tx["associatedPayout"]["id"])
        if tx["type"] == "TRANSFER":
            transfers[pid] = dec(tx["net"])
        else:
            nets[pid] += dec(tx["net"])
    assert None not in nets     # every seeded day lies more than a day back: all paid out
    cur = shop.currency
    for p in payouts:
        pid, net = int(p["legacyResourceId"]), dec(p["net"])
        assert p["id"].endswith(f"/{pid}") and p["net"]["currencyCode"] == cur
        assert nets.pop(pid) == net
        assert transfers.pop(pid) == -net
        s = p["summary"]
        assert sum(dec(s[k]) for k in SUMMARY if k.endswith("Gross")) - sum(
            dec(s[k]) for k in SUMMARY if k.endswith("Fee")) == net
        assert p["transactionType"] == ("DEPOSIT" if net >= 0 else "WITHDRAWAL")
        assert p["status"] == "PAID"
    assert not nets and not transfers
    # a payout's own transactions, by search: they add up to it (its transfer included)
    for p in payouts[:: len(payouts) // 3]:
        own = walk(http, server, SHOP, TXS, "balanceTransactions", 100,
                   q=f"payments_transfer_id:{p['legacyResourceId']}", hide=True)
        assert own and sum(dec(t["net"]) for t in own) == dec(p["net"])
        assert {t["associatedPayout"]["id"] for t in own} == {p["id"]}


def test_charges_match_paid_orders(shop: Any, txs: list[dict[str, Any]]) -> None:
    charges: dict[int, list[dict[str, Any]]] = defaultdict(list)
    refunds: dict[int, Decimal] = defaultdict(Decimal)
    for tx in txs:
        oid = number((tx["associatedOrder"] or {}).get("id"))
        if tx["type"] == "CHARGE":
            charges[oid].append(tx)
        elif tx["type"] == "REFUND":
            refunds[oid] += dec(tx["amount"])
    gateways = defaultdict(int)
    for h in list(shop.orders.headers()):
        row = shop.orders.get(h.id)
        gateway = row["payment_gateway_names"][0]
        gateways[gateway] += 1
        paid = (gateway == "shopify_payments"
                and row["financial_status"] in ("paid", "partially_refunded", "refunded"))
        if not paid:
            assert h.id not in charges, (h.id, gateway, row["financial_status"])
            continue
        (charge,) = charges.pop(h.id)
        total = money_cents(row["total_price"])
        assert money_cents(charge["amount"]["amount"]) == total
        assert money_cents(charge["fee"]["amount"]) == charge_fee(total)
        assert charge["associatedOrder"]["name"] == row["name"]
        assert charge["transactionDate"] == datetime.fromisoformat(
            row["processed_at"]).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        given_back = sum((Decimal(t["amount"]) for rf in row["refunds"]
                          for t in rf["transactions"]), Decimal(0))
        assert refunds.pop(h.id, Decimal(0)) == -given_back
    assert not charges and not refunds
    assert gateways["manual"] > 0 and gateways["shopify_payments"] > 5 * gateways["manual"]
    assert charge_fee(10000) == 215 and charge_fee(4190) == 105   # 1.9 % + 0.25, half up


def test_disputes_reserves_and_adjustments(txs: list[dict[str, Any]]) -> None:
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for tx in txs:
        by_type[tx["type"]].append(tx)
    assert set(by_type) == {"CHARGE", "REFUND", "DISPUTE_WITHDRAWAL", "DISPUTE_REVERSAL",
                            "RESERVED_FUNDS", "RESERVED_FUNDS_REVERSAL", "ADJUSTMENT",
                            "TRANSFER"}
    for tx in by_type["DISPUTE_WITHDRAWAL"]:
        assert dec(tx["amount"]) < 0 and dec(tx["fee"]) == Decimal("15")
        assert tx["sourceType"] == "DISPUTE" and tx["associatedOrder"]
    reversed_orders = {t["associatedOrder"]["id"] for t in by_type["DISPUTE_REVERSAL"]}
    assert 0 < len(reversed_orders) < len(by_type["DISPUTE_WITHDRAWAL"])
    for tx in by_type["DISPUTE_REVERSAL"]:
        assert dec(tx["amount"]) > 0 and dec(tx["fee"]) == 0
    held = sum(dec(t["amount"]) for t in by_type["RESERVED_FUNDS"])
    assert held < 0 and held == -sum(dec(t["amount"]) for t in by_type["RESERVED_FUNDS_REVERSAL"])
    assert all(t["associatedOrder"] is None for t in by_type["RESERVED_FUNDS"])
    assert {t["adjustmentReason"] for t in by_type["ADJUSTMENT"]} == {"Fee correction"}
    for tx in by_type["REFUND"]:
        assert dec(tx["amount"]) < 0 and dec(tx["fee"]) == 0
    # Shopify writes decimals without padding
    assert any(t["fee"]["amount"] == "0.0" for t in txs)


def test_orders_carry_their_payment_gateway(http: requests.Session, shop: Any,
                                            server: SandboxServer) -> None:
    body = shopify_get(http, server, SHOP, "/orders.json", status="any", limit=250).json()
    names = {tuple(o["payment_gateway_names"]) for o in body["orders"]}
    assert names == {("shopify_payments",), ("manual",)}
    for order in body["orders"]:
        for rf in order["refunds"]:
            assert {t["gateway"] for t in rf["transactions"]} == set(
                order["payment_gateway_names"])


def test_paging_search_and_limits(http: requests.Session, shop: Any, server: SandboxServer,
                                  txs: list[dict[str, Any]]) -> None:
    hidden = [t for t in txs if t["type"] != "TRANSFER"]
    assert walk(http, server, SHOP, TXS, "balanceTransactions", 37, hide=True) == hidden
    ids = [int(t["id"].rsplit("/", 1)[1]) for t in txs]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # a window by processed_at, bounds included
    lo, hi = "2025-05-01T00:00:00Z", "2025-05-03T12:00:00Z"
    window = walk(http, server, SHOP, TXS, "balanceTransactions", 50, hide=True,
                  q=f"processed_at:>='{lo}' AND processed_at:<='{hi}'")
    assert window == [t for t in hidden if lo <= t["transactionDate"] <= hi] and window
    # payouts newest first, and the last ones
    forward = walk(http, server, SHOP, PAYOUTS, "payouts", 50)
    backward = walk(http, server, SHOP, PAYOUTS, "payouts", 50, reverse=True)
    assert backward == forward[::-1]
    tail = gql(http, server, SHOP, PAYOUTS, last=3)["data"]["shopifyPaymentsAccount"]["payouts"]
    assert [e["node"] for e in tail["edges"]] == forward[-3:]
    assert tail["pageInfo"]["hasPreviousPage"] and not tail["pageInfo"]["hasNextPage"]
    since = forward[10]["issuedAt"]
    later = walk(http, server, SHOP, PAYOUTS, "payouts", 50, q=f"issued_at:>='{since}'")
    assert later == forward[10:]
    assert gql(http, server, SHOP, PAYOUTS, first=5, q="status:scheduled")["data"][
        "shopifyPaymentsAccount"]["payouts"]["edges"] == []
    # refusals: page size, a bad time, the single-query cost ceiling
    body = gql(http, server, SHOP, "query { shopifyPaymentsAccount { "
               "balanceTransactions(first: 251) { nodes { id } } } }")
    assert "between 0 and 250" in body["errors"][0]["message"]
    body = gql(http, server, SHOP, TXS, first=5, q="processed_at:>'yesterday'")
    assert body["errors"][0]["message"].startswith("Invalid search query")
    body = gql(http, server, SHOP, TXS, first=200)
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_sandbox_reports_list_what_the_account_holds(http: requests.Session, shop: Any,
                                                      server: SandboxServer) -> None:
    base = f"{server.base_url}/_sandbox/shopify/{SHOP}"
    report = http.get(f"{base}/payouts", timeout=30).json()
    assert report == payouts_report(shop.payments)
    assert Decimal(report["totals"]["net"]) == sum(Decimal(p["net"]) for p in report["payouts"])
    assert all(p["net"] == p["transactions_net"] for p in report["payouts"])
    first = report["payouts"][0]
    one = http.get(f"{base}/balance_transactions", params={"payout_id": first["id"]},
                   timeout=30).json()
    assert one["totals"]["net"] == first["net"] and one["totals"]["count"] == first[
        "transactions"]
    everything = http.get(f"{base}/balance_transactions", timeout=30).json()
    totals = everything["totals"]
    assert totals["net"] == report["totals"]["net"] and totals["pending_net"] == "0.00"
    assert Decimal(totals["amount"]) - Decimal(totals["fee"]) == Decimal(totals["net"])
    assert sum(v["count"] for v in totals["by_type"].values()) == len(everything["transactions"])


def test_placed_order_is_charged_then_paid_out_by_the_control_action(
        http: requests.Session, sandbox: Sandbox, server: SandboxServer) -> None:
    shop = sandbox.shopify("settle", orders=20, customers=5, products=4)
    base = f"{server.base_url}/_sandbox/shopify/settle"
    # the seeded history lies more than a day back: its daily payouts took everything
    assert http.post(f"{base}/payouts/run", timeout=10).json() == {"payout": None}
    before = [p["id"] for p in http.get(f"{base}/payouts", timeout=10).json()["payouts"]]
    assert before
    placed = http.post(f"{server.base_url}/_sandbox/shopify/settle/order", timeout=10, json={
        "lines": [{"sku": a_sku(shop), "quantity": 2}], "status": "closed"}).json()
    row = shop.order(placed["id"])
    assert row["payment_gateway_names"] == ["shopify_payments"]
    total = Decimal(row["total_price"])

    def charge() -> dict[str, Any]:
        body = gql(http, server, "settle", TXS, first=10, hide=False,
                   q=f"processed_at:>='{row['processed_at']}'")
        found = [e["node"] for e in body["data"]["shopifyPaymentsAccount"][
            "balanceTransactions"]["edges"] if e["node"]["associatedOrder"]
            and e["node"]["associatedOrder"]["name"] == placed["name"]]
        assert len(found) == 1
        return found[0]

    pending = charge()
    assert pending["type"] == "CHARGE" and dec(pending["amount"]) == total
    assert pending["associatedPayout"] == {"id": None, "status": "PENDING"}
    payout = http.post(f"{base}/payouts/run", timeout=10).json()["payout"]
    assert payout["status"] == "PAID" and payout["transactions"] == 1
    assert Decimal(payout["net"]) == dec(pending["net"])
    settled = charge()
    assert settled["associatedPayout"] == {
        "id": f"gid://shopify/ShopifyPaymentsPayout/{payout['id']}", "status": "PAID"}
    # nothing left to pay out; the read endpoint shows both payouts
    assert http.post(f"{base}/payouts/run", timeout=10).json() == {"payout": None}
    listed = http.get(f"{base}/payouts", timeout=10).json()["payouts"]
    assert [p["id"] for p in listed] == [*before, payout["id"]]
    assert listed[-1]["orders"] == [placed["id"]] and shop.payments.now() >= payout["id"] // 10


def test_refund_through_the_control_api(http: requests.Session, sandbox: Sandbox,
                                        server: SandboxServer) -> None:
    shop = sandbox.shopify("refunds", orders=5, customers=3, products=3)
    base = f"{server.base_url}/_sandbox/shopify/refunds"
    paid = shop.place_order([{"sku": a_sku(shop), "quantity": 3}], status="closed")
    manual = shop.place_order([{"sku": a_sku(shop, 1), "quantity": 1}], status="closed",
                              gateway="manual")
    total = money_cents(shop.order(paid["id"])["total_price"])
    part = http.post(f"{base}/orders/{paid['id']}/refund", json={"amount": "5.00"}, timeout=10)
    assert part.status_code == 200, part.text
    assert part.json()["financial_status"] == "partially_refunded"
    rest = http.post(f"{base}/orders/{paid['id']}/refund", timeout=10).json()
    assert rest["amount"] == f"{(total - 500) / 100:.2f}" and rest["financial_status"] == "refunded"
    over = http.post(f"{base}/orders/{paid['id']}/refund", json={"amount": "1"}, timeout=10)
    assert over.status_code == 400
    assert http.post(f"{base}/orders/1/refund", timeout=10).status_code == 404
    assert http.post(f"{base}/orders/{manual['id']}/refund", timeout=10).status_code == 200
    order = shop.order(paid["id"])
    assert order["financial_status"] == "refunded" and order["current_total_price"] == "0.00"
    assert len(order["refunds"]) == 2
    moves = [m for m in shop.payments.transactions(transfers=False)
             if m.order_id in (paid["id"], manual["id"])]
    assert [(m.order_id, m.type, m.amount) for m in moves] == [
        (paid["id"], "CHARGE", total), (paid["id"], "REFUND", -500),
        (paid["id"], "REFUND", -(total - 500))]   # the manual order moves nothing here


def test_order_action_takes_a_gateway(http: requests.Session, sandbox: Sandbox,
                                      server: SandboxServer) -> None:
    shop = sandbox.shopify("cash", orders=3, customers=2, products=3)
    sandbox.woocommerce("cash", orders=3, customers=2, products=3)
    lines = [{"sku": a_sku(shop), "quantity": 1}]
    made = http.post(f"{server.base_url}/_sandbox/shopify/cash/order", timeout=10,
                     json={"lines": lines, "status": "closed", "gateway": "manual"}).json()
    assert shop.order(made["id"])["payment_gateway_names"] == ["manual"]
    assert made["id"] not in {m.order_id for m in shop.payments.transactions()}
    woo = http.post(f"{server.base_url}/_sandbox/woocommerce/cash/order", timeout=10,
                    json={"lines": lines, "gateway": "manual"})
    assert woo.status_code == 400 and "shopify" in woo.json()["error"]
    blank = http.post(f"{server.base_url}/_sandbox/shopify/cash/order", timeout=10,
                      json={"lines": lines, "gateway": " "})
    assert blank.status_code == 400


def test_an_order_paid_later_is_charged_when_paid(sandbox: Sandbox) -> None:
    shop = sandbox.shopify("capture", orders=80, customers=5, products=4)
    waiting = [h.id for h in shop.orders.headers() if shop.orders.get(h.id)[
        "financial_status"] in ("pending", "authorized")
        and shop.orders.get(h.id)["payment_gateway_names"] == ["shopify_payments"]]
    assert waiting
    before = {m.order_id for m in shop.payments.transactions() if m.type == "CHARGE"}
    assert not before & set(waiting)
    touched = set(shop.mutate(orders_updated=80)["orders_updated"])
    assert set(waiting) <= touched
    charges = {m.order_id: m for m in shop.payments.transactions() if m.type == "CHARGE"}
    for oid in waiting:
        row = shop.orders.get(oid)
        assert row["financial_status"] == "paid"
        assert charges[oid].ts == shop.orders.header(oid).updated   # charged at the touch


def test_daily_payouts_are_scheduled_then_paid(sandbox: Sandbox) -> None:
    shop = sandbox.shopify("clock", orders=10, customers=3, products=3)
    book = shop.payments
    book.run_payout()                        # the seeded history out of the way
    placed = shop.place_order([{"sku": a_sku(shop), "quantity": 1}], status="closed")
    placed_at = shop.orders.header(placed["id"]).created
    day = placed_at // DAY
    issue = (day + 1) * DAY + PAYOUT_HOUR * 3600
    book.clock = lambda: issue - 1
    assert [m.type for m in book.transactions(since=placed_at)] == ["CHARGE"]
    assert book.payout_for(placed_at, book.now()) is None
    book.clock = lambda: issue
    (payout,) = book.payouts(since=issue)
    assert payout.status(book.now()) == "SCHEDULED" and payout.issued == issue
    assert [m.type for m in book.transactions(since=placed_at)] == ["CHARGE", "TRANSFER"]
    book.clock = lambda: issue + DAY
    assert payout.status(book.now()) == "PAID"
    assert book.payout_for(placed_at, book.now()) == payout


def test_same_seed_same_money() -> None:
    one = Sandbox(seed=5).shopify("twin", orders=300, customers=10, products=6)
    two = Sandbox(seed=5).shopify("twin", orders=300, customers=10, products=6)
    assert payouts_report(one.payments) == payouts_report(two.payments)
    assert transactions_report(one.payments, transfers=True) == transactions_report(
        two.payments, transfers=True)


# --- through the connector into the store ---------------------------------------------

@pytest.fixture
def hub_store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


def test_synced_payouts_reconcile_with_orders(db_url: str, hub_store: Store,
                                              tmp_path: Path) -> None:
    hub = load_hub(write_hub(tmp_path, {"shop": {
        "connector": "shopify", "conn_id": "shop",
        "streams": ["orders", "payouts", "balance_transactions"]}}))
    sb = Sandbox(seed=9, rate_limits=False)   # the cost bucket is the contract tests' job
    shop = sb.shopify("demo", orders=250, customers=10, products=6)
    with SandboxServer(sb) as srv:
        conn = ConnectionInfo(conn_id="shop", conn_type="http", host=srv.shopify_url("demo"),
                              password=shop.access_token)
        for stream in ("orders", "payouts", "balance_transactions"):
            run = sync_stream(hub, "shop", stream, store=hub_store, conn_info=conn)
            assert (run.status, run.quarantined) == ("success", 0), stream
        # an order placed and paid out later is found by the next incremental runs
        placed = shop.place_order([{"sku": a_sku(shop), "quantity": 1}], status="closed")
        shop.payments.run_payout()
        for stream in ("orders", "payouts", "balance_transactions"):
            sync_stream(hub, "shop", stream, store=hub_store, conn_info=conn,
                        window_end=datetime.fromtimestamp(shop.payments.now() + 120, UTC))
    orders = {o["external_id"]: o for o in hub_store.read_feed("order", limit=10_000).records}
    txs = hub_store.read_feed("balance_transaction", limit=10_000).records
    payouts = hub_store.read_feed("payout", limit=10_000).records
    expected = [m for m in shop.payments.transactions(transfers=False)]
    assert len(txs) == len(expected) and {t["type"] for t in txs} >= {"charge", "refund"}
    nets: dict[str, Decimal] = defaultdict(Decimal)
    for tx in txs:
        assert tx["gateway"] == "shopify_payments" and tx["payout_status"] == "paid"
        nets[tx["payout_external_id"]] += Decimal(tx["net"]["amount"])
        if tx["type"] == "charge":
            order = orders[tx["order_external_id"]]
            assert order["payment_gateway"] == "shopify_payments"
            assert tx["amount"] == order["total"]
    assert len(payouts) == len(list(shop.payments.payouts()))
    for p in payouts:
        assert p["status"] == "paid" and Decimal(p["amount"]["amount"]) == nets.pop(
            p["external_id"])
    assert not nets
    last = max(payouts, key=lambda p: p["issued_at"])
    assert [t["order_external_id"] for t in txs if t["payout_external_id"] == last[
        "external_id"]] == [str(placed["id"])]
