"""eBay end to end: the connector, the OAuth auth, the mappings and the simulator agree.

The sandbox serves ``synchub/sandbox/ebay/`` on loopback; orders, their shipping
fulfillments, inventory items, payouts and transactions are synced through the project's
connector and mapping files into SQLite and PostgreSQL, and shipments are written back as
shipping fulfillments through the writer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.config.connector_checks import load_connector
from synchub.delivery.base import DeliveryItem
from synchub.delivery.writers import writer_class
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.store import Store
from tests.runtime.helpers import FakeClock

ROOT = Path(__file__).resolve().parents[3]
ORDERS = "/sell/fulfillment/v1/order"
TOKEN = "/identity/v1/oauth2/token"


def hub(tmp_path: Path) -> Hub:
    """A hub with one ebay connection over the project's connector and mappings."""
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"ebay": {"connector": "ebay", "conn_id": "ebay"}}}))
    return load_hub(path)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


def rows(db_url: str, table: str) -> int:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"select count(*) from {table}")).scalar_one())
    finally:
        engine.dispose()


def conn_for(server: SandboxServer, account: Any) -> ConnectionInfo:
    """The Connection as documented: login = client id, password = client secret, extra."""
    base = server.url("ebay", account.name)
    return ConnectionInfo(conn_id="ebay", conn_type="http", host=base,
                          login=account.client_id, password=account.client_secret,
                          extra={"refresh_token": account.refresh_token,
                                 "token_url": f"{base}{TOKEN}", "finances_host": base})


def test_orders_land_reconciled_and_a_later_run_reads_only_what_changed(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=7)
    account: Any = sandbox.store("ebay", "demo", orders=430, products=20)
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, account)
        first = sync_stream(plan, "ebay", "orders", store=store, conn_info=conn)
        assert (first.status, first.fetched, first.pages, first.quarantined) == (
            "success", 430, 3, 0)                                   # 200 + 200 + 30
        assert rows(db_url, "orders") == 430
        asked = [r.query for r in account.requests if r.path == ORDERS]
        assert [q.get("offset") for q in asked] == [None, "200", "400"]
        assert all(q["limit"] == "200" for q in asked)
        ms = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
        assert re.fullmatch(rf"lastmodifieddate:\[{ms}\.\.{ms}\]", asked[0]["filter"])
        docs = store.read_feed("order", limit=1000).records
        assert [d["external_id"] for d in docs if d["warnings"]] == []  # totals reconcile
        # the demo seller sells in EUR from eBay Germany; US and UK buyers pay in theirs
        converted = [d for d in docs if d.get("presentment_total")]
        assert converted and {d["presentment_total"]["currency"] for d in converted} == {
            "USD", "GBP"}
        assert all(d["currency"] == "EUR" for d in docs)
        assert {d["status"] for d in docs} >= {"open", "completed", "cancelled"}
        refunds = store.read_feed("refund", limit=1000).records
        assert refunds and all(Decimal(r["amount"]["amount"]) > 0 for r in refunds)

        changed = account.mutate(orders_created=2, orders_updated=3)
        account.requests.clear()
        later = datetime.now(UTC) + timedelta(minutes=3)
        second = sync_stream(plan, "ebay", "orders", store=store, conn_info=conn,
                             window_end=later)
        assert second.changed["order"] == len(changed["orders_created"]) + len(
            changed["orders_updated"]) == 5
        assert second.fetched < 20            # what changed, plus the lookback's overlap
        assert rows(db_url, "orders") == 432


def test_shipping_fulfillments_are_read_for_the_orders_that_have_them(
        tmp_path: Path, store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=11)
    account: Any = sandbox.store("ebay", "shipped", orders=16, products=5)
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, account)
        sync_stream(plan, "ebay", "orders", store=store, conn_info=conn)
        account.requests.clear()
        shipments = sync_stream(plan, "ebay", "shipping_fulfillments", store=store,
                                conn_info=conn)
    assert shipments.status == "success"
    shipped = [oid for oid, found in account.fulfillments.items() if found]
    # one request per order that has fulfillments, none for the others
    asked = [r.path.split("/")[5] for r in account.requests
             if r.path.endswith("/shipping_fulfillment")]
    assert sorted(asked) == sorted(shipped)
    docs = store.read_feed("shipment", limit=100).records
    assert len(docs) == sum(len(v) for v in account.fulfillments.values())
    assert all(d["tracking_number"] and d["order_connection"] == "ebay" and d["lines"]
               and all(line["sku"] for line in d["lines"]) for d in docs)


def test_money_streams_read_the_finances_host_and_balance(tmp_path: Path, store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=3)
    account: Any = sandbox.store("ebay", "money", orders=120, products=10)
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, account)
        payouts = sync_stream(plan, "ebay", "payouts", store=store, conn_info=conn)
        txs = sync_stream(plan, "ebay", "transactions", store=store, conn_info=conn)
    assert (payouts.status, payouts.quarantined) == ("success", 0)
    assert (txs.status, txs.quarantined) == ("success", 0)
    assert payouts.fetched == len(account.payouts)
    assert txs.fetched == len(account.transactions)
    moves = store.read_feed("balance_transaction", limit=2000).records
    fees = {f["type"] for m in moves for f in m["fees"]}
    assert fees == {"commission", "advertising"}           # final value fees, ad fees
    assert {m["type"] for m in moves} >= {"charge", "fee"}
    # every payout is the sum of the nets of the transactions it paid out
    for payout in store.read_feed("payout", limit=200).records:
        paid = sum(Decimal(m["net"]["amount"]) for m in moves
                   if m["payout_external_id"] == payout["external_id"])
        assert paid == Decimal(payout["amount"]["amount"])


def test_an_expired_token_is_refreshed_and_a_429_waited_out(tmp_path: Path,
                                                            store: Store) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=5)
    account: Any = sandbox.store("ebay", "busy", orders=450, products=5)
    account.token_ttl = 1                     # expires before the margin: every call
    clock = FakeClock()
    account.limit_clock = clock
    account.call_limit, account.call_window = 2, 5.0
    spec = plan.connection("ebay").connector
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, account)
        with ConnectorClient(spec, conn, clock=clock, sleep=clock.sleep) as client:
            summary = sync_stream(plan, "ebay", "orders", store=store, conn_info=conn,
                                  client=client)
    assert (summary.status, summary.fetched) == ("success", 450)
    statuses = [r.status for r in account.requests if r.path == ORDERS]
    assert 429 in statuses and statuses[-1] == 200
    assert [r.path for r in account.requests].count(TOKEN) >= 2


def test_an_order_that_cannot_be_mapped_is_quarantined_and_the_rest_land(
        tmp_path: Path, store: Store, db_url: str) -> None:
    plan = hub(tmp_path)
    sandbox = Sandbox(seed=9)
    account: Any = sandbox.store("ebay", "odd", orders=30, products=5)
    no_cost, odd_status = sorted(account.records)[:2]
    account.records[no_cost]["lineItems"][0].pop("lineItemCost")
    account.records[odd_status]["orderFulfillmentStatus"] = "ON_THE_MOON"
    with SandboxServer(sandbox) as server:
        summary = sync_stream(plan, "ebay", "orders", store=store,
                              conn_info=conn_for(server, account))
    assert (summary.status, summary.fetched, summary.quarantined) == ("success", 30, 2)
    assert rows(db_url, "orders") == 28
    letters = {d["record_id"]: d["reason"] for d in store.dead_letters("ebay")}
    assert set(letters) == {no_cost, odd_status}
    assert "unit_price" in letters[no_cost]
    assert "ON_THE_MOON" in letters[odd_status]


# --- tracking back --------------------------------------------------------------------------

def item(n: int, order_id: str, number: str, lines: list[dict[str, Any]] | None = None,
         carrier: str = "DHL") -> DeliveryItem:
    payload = {"order_id": order_id, "trackingNumber": number, "shippingCarrierCode": carrier,
               "shipped_at": "2026-03-02T10:00:00Z", "lines": lines or []}
    return DeliveryItem(delivery_id=n, route="tracking", entity="shipment",
                        record_id=f"shp-{n}", source_connection="odoo", document={},
                        payload=payload, idempotency_key=f"k{n}")


def test_shipments_go_back_as_shipping_fulfillments_once(sandbox: Any) -> None:
    sb, srv = sandbox
    account: Any = sb.store("ebay", "ship", orders=40, products=5)
    open_orders = [oid for oid, o in sorted(account.records.items())
                   if o["orderFulfillmentStatus"] == "NOT_STARTED"
                   and o["cancelStatus"]["cancelState"] != "CANCELED"]
    one, two = open_orders[:2]
    first_sku = account.records[two]["lineItems"][0]["sku"]
    spec = load_connector(ROOT / "connectors" / "ebay" / "connector.yaml")
    with ConnectorClient(spec, conn_for(srv, account)) as client:
        route = spec.writers["tracking"]
        writer = writer_class(route.type)(route, client, sink="ebay", run_id="r1")
        results = writer.write([
            item(1, one, "00340434161094000001"),
            item(2, two, "00340434161094000002", [{"sku": first_sku, "quantity": 1}]),
            item(3, two, "00340434161094000003", [{"sku": "NOT-SOLD", "quantity": 1}]),
            item(4, "99-99999-99999", "00340434161094000004")])
        again = writer.write([item(5, one, "00340434161094000001")])
    assert [r.outcome for r in results] == ["delivered", "delivered", "failed", "failed"]
    assert "no line item of order" in (results[2].error or "")
    assert "is not in ebay" in (results[3].error or "")
    assert results[0].remote_id == "00340434161094000001"
    assert account.records[one]["orderFulfillmentStatus"] == "FULFILLED"
    made = account.fulfillments[two][-1]
    assert (made["shippingCarrierCode"], made["lineItems"][0]["quantity"]) == ("DHL", 1)
    assert made["shippedDate"] == "2026-03-02T10:00:00.000Z"
    # the same tracking number again: found, nothing created
    assert [r.outcome for r in again] == ["skipped"]
    assert len(account.fulfillments[one]) == 1
