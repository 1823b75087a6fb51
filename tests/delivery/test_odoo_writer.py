"""The Odoo writers: the exact JSON-RPC calls for a new order, then behaviour against the
Odoo sandbox (lines, partners, confirmation, cancellation, lost replies, 5xx bursts,
unknown SKUs, credit notes for refunds) and through the delivery engine on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
import yaml
from responses import matchers

from synchub.delivery.engine import run_push
from synchub.plan import load_hub
from synchub.runtime import ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.odoo.store import OdooStore
from synchub.store import Store
from synchub.systems.odoo.rpc import OdooRpc
from synchub.systems.odoo.sale_order import OdooSaleOrderWriter
from tests.delivery.conftest import T0
from tests.delivery.odoo_helpers import (
    item_of,
    odoo_client,
    order_of,
    refund_of,
    writer_of,
)
from tests.e2e.conftest import write_hub

SKU, SKU2, SHIP = "SKU-00001-1", "SKU-00002-1", "SHIP-STD"
HOST, DB, LOGIN, KEY, UID = "https://erp.example.com", "acme", "hub@example.com", "k-9b1e", 9


# --- contract: the exact calls for one new order -----------------------------------------
def expect(mock: responses.RequestsMock, call_id: int, args: list[Any], result: Any,
           service: str = "object", method: str = "execute_kw") -> None:
    body = {"jsonrpc": "2.0", "method": "call", "id": call_id,
            "params": {"service": service, "method": method, "args": args}}
    mock.post(f"{HOST}/jsonrpc", json={"jsonrpc": "2.0", "id": call_id, "result": result},
              match=[matchers.json_params_matcher(body)])


def kw(model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None
       ) -> list[Any]:
    return [DB, UID, KEY, model, method, args, kwargs or {}]


def test_new_order_contract() -> None:
    order = order_of(1001, [(SKU, 2, "10.00", "2.00", "0.19")])
    item = item_of(order, 1)
    fields = {"fields": ["id", "default_code"], "order": "id asc"}
    partner = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": False,
               "street": "1 Main St", "street2": False, "city": "Berlin", "zip": "10115",
               "country_id": 57, "ref": False}
    sale = {"client_order_ref": "shop:1001", "origin": "shop:1001", "pricelist_id": 3,
            "note": "shopify order #1001", "date_order": "2026-01-05 09:30:00",
            "partner_id": 77, "order_line": [[0, 0, {
                "product_id": 41, "name": f"Item {SKU}", "product_uom_qty": 2.0,
                "price_unit": 10.0, "discount": 10.0, "tax_id": [[6, 0, [12]]]}]]}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        expect(mock, 1, [DB, LOGIN, KEY], UID, "common", "login")
        expect(mock, 2, kw("sale.order", "search_read", [[
            ["client_order_ref", "in", ["shop:1001"]]]], {"fields": [
                "id", "name", "client_order_ref", "origin", "state", "locked", "note"],
                "order": "id asc"}), [])
        expect(mock, 3, kw("product.product", "search_read",
                           [[["default_code", "in", [SKU]]]], fields),
               [{"id": 41, "default_code": SKU}])
        expect(mock, 4, kw("res.country", "search_read", [[["code", "in", ["DE"]]]],
                           {"fields": ["id", "code"], "order": "id asc"}),
               [{"id": 57, "code": "DE"}])
        expect(mock, 5, kw("product.pricelist", "search_read",
                           [[["currency_id.name", "in", ["EUR"]]]],
                           {"fields": ["id", "currency_id"], "order": "id asc"}),
               [{"id": 3, "currency_id": [1, "EUR"]}])
        expect(mock, 6, kw("res.partner", "search_read",
                           [[["email", "in", ["ada@example.com"]]]],
                           {"fields": ["id", "email", "ref"], "order": "id asc"}), [])
        expect(mock, 7, kw("res.partner", "create", [[partner]]), [77])
        expect(mock, 8, kw("sale.order", "create", [[sale]]), [500])
        expect(mock, 9, kw("sale.order", "action_confirm", [[500]]), True)
        client = odoo_client(HOST, DB, LOGIN, KEY)
        writer = writer_of("orders", client, taxes={"0.19": 12})
        [result] = writer.write([item])
    assert (result.outcome, result.remote_id, result.error) == ("delivered", "500", None)


# --- against the sandbox -------------------------------------------------------------------
@pytest.fixture
def odoo() -> Iterator[tuple[OdooStore, ConnectorClient]]:
    sb = Sandbox(seed=7)
    store = sb.odoo("demo", products=5)
    store.add_product(SHIP, "Shipping")
    with SandboxServer(sb) as srv:
        client = odoo_client(srv.odoo_url("demo"), "demo", "admin", store.password)
        yield store, client
        client.close()


def lose_reply_of(writer: Any, store: OdooStore, model: str, method: str) -> None:
    """Make the next ``model.method`` write be applied, then its reply lost."""
    send = writer.rpc.write

    def write(m: str, name: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any:
        if (m, name) == (model, method):
            store.fault_plan.configure(lost_reply_next=1)
        return send(m, name, args, kwargs)

    writer.rpc.write = write


def test_orders_land_as_sale_orders_with_their_lines(odoo: tuple[OdooStore, Any]) -> None:
    store, client = odoo
    writer = writer_of("orders", client, shipping_product_sku=SHIP, taxes={"0.19": 5})
    a = order_of(1, [(SKU, 3, "10.00", "3.00", "0.19"), (SKU2, 1, "5.50", "0.00", None)],
                 shipping="4.90")
    b = order_of(2, [(SKU2, 1, "7.00", "0.00", "0.19")], status="pending", financial="pending")
    results = writer.write([item_of(a, 1), item_of(b, 2)])
    assert [r.outcome for r in results] == ["delivered", "delivered"]
    orders = {o["client_order_ref"]: o for o in store.sales()["sale_orders"]}
    assert set(orders) == {"shop:1", "shop:2"}
    first = orders["shop:1"]
    assert results[0].remote_id == str(first["id"]) and first["origin"] == "shop:1"
    assert first["state"] == "sale" and orders["shop:2"]["state"] == "draft"  # pending
    assert [(ln["product_id"][1].split("]")[0][1:], ln["product_uom_qty"], ln["price_unit"],
             ln["discount"], ln["tax_id"]) for ln in first["lines"]] == [
        (SKU, 3.0, 10.0, 10.0, [5]), (SKU2, 1.0, 5.5, 0.0, []),
        (SHIP, 1.0, 4.9, 0.0, [])]
    # 27.00 + 19 % + 5.50 + 4.90: the channel's untaxed total to the cent
    assert first["amount_untaxed"] == 37.4 and first["amount_tax"] == 5.13
    partners = store.sales()["partners"]
    assert len(partners) == 1 and partners[0]["country_id"][1] == "Germany"
    assert first["partner_id"][0] == orders["shop:2"]["partner_id"][0] == partners[0]["id"]
    # the same versions again: nothing differs, nothing is written
    again = writer.write([item_of(a, 1, remote_id=results[0].remote_id),
                          item_of(b, 2, remote_id=results[1].remote_id)])
    assert [(r.outcome, r.remote_id) for r in again] == [
        ("skipped", results[0].remote_id), ("skipped", results[1].remote_id)]
    assert len(store.sales()["sale_orders"]) == 2


@pytest.mark.parametrize("lost", [("sale.order", "create"), ("sale.order", "action_confirm"),
                                  ("res.partner", "create")])
def test_a_lost_reply_is_retried_and_the_order_exists_once(
        odoo: tuple[OdooStore, Any], lost: tuple[str, str]) -> None:
    store, client = odoo
    writer = writer_of("orders", client)
    order = order_of(1, [(SKU, 1, "10.00", "0.00", None)])
    lose_reply_of(writer, store, *lost)
    [first] = writer.write([item_of(order, 1)])
    assert first.outcome == "retry" and "504" in (first.error or "")
    assert len(store.sales()["sale_orders"]) == (0 if lost[0] == "res.partner" else 1)
    [second] = writer.write([item_of(order, 1)])
    assert second.outcome in ("delivered", "skipped")
    [held] = store.sales()["sale_orders"]
    assert second.remote_id == str(held["id"]) and held["state"] == "sale"
    assert len(store.sales()["partners"]) == 1


def test_cancellation_is_reflected_once(odoo: tuple[OdooStore, Any]) -> None:
    store, client = odoo
    writer = writer_of("orders", client)
    [made] = writer.write([item_of(order_of(1, [(SKU, 1, "10.00", "0.00", None)]), 1)])
    cancelled = order_of(1, [(SKU, 1, "10.00", "0.00", None)], status="cancelled")
    [res] = writer.write([item_of(cancelled, 1, remote_id=made.remote_id)])
    assert (res.outcome, res.remote_id) == ("delivered", made.remote_id)
    assert store.sales()["sale_orders"][0]["state"] == "cancel"
    [res] = writer.write([item_of(cancelled, 1, remote_id=made.remote_id)])
    assert res.outcome == "skipped"
    # a locked order refuses: the item fails with Odoo's reason, naming the order
    [other] = writer.write([item_of(order_of(2, [(SKU, 1, "1.00", "0.00", None)]), 2)])
    store.records["sale.order"][int(other.remote_id or 0)]["locked"] = True
    [res] = writer.write([item_of(order_of(2, [(SKU, 1, "1.00", "0.00", None)],
                                           status="cancelled"), 2, remote_id=other.remote_id)])
    assert res.outcome == "failed" and "locked" in (res.error or "")
    assert order_of(2, []).id in (res.error or "")


def test_unknown_sku_fails_the_order_naming_the_sku(odoo: tuple[OdooStore, Any]) -> None:
    store, client = odoo
    good = order_of(1, [(SKU, 1, "10.00", "0.00", None)])
    bad = order_of(2, [(SKU, 1, "10.00", "0.00", None), ("NOPE-1", 1, "3.00", "0.00", None)])
    results = writer_of("orders", client).write([item_of(good, 1), item_of(bad, 2)])
    assert [r.outcome for r in results] == ["delivered", "failed"]
    assert "'NOPE-1'" in (results[1].error or "") and bad.id in (results[1].error or "")
    assert [o["client_order_ref"] for o in store.sales()["sale_orders"]] == ["shop:1"]
    # skip_line leaves the line out instead
    [res] = writer_of("orders", client, unknown_sku="skip_line").write([item_of(bad, 2)])
    assert res.outcome == "delivered"
    assert len(store.sales()["sale_orders"][1]["lines"]) == 1


def test_a_5xx_burst_answers_retry_and_creates_nothing(odoo: tuple[OdooStore, Any]) -> None:
    store, client = odoo
    writer = writer_of("orders", client)
    order = order_of(1, [(SKU, 1, "10.00", "0.00", None)])
    # more failures than the client's retries of a read (6)
    store.fault_plan.configure(fail_next=[503] * 7)
    [res] = writer.write([item_of(order, 1)])
    assert res.outcome == "retry" and "503" in (res.error or "")
    # a write is sent once: a 5xx on it is the item's retry, not the client's
    store.fault_plan.configure()
    lose = writer.rpc.write

    def failing(m: str, name: str, args: list[Any], kwargs: Any = None) -> Any:
        if name == "create" and m == "sale.order":
            store.fault_plan.configure(fail_next=[502])
        return lose(m, name, args, kwargs)

    writer.rpc.write = failing  # type: ignore[attr-defined]
    [res] = writer.write([item_of(order, 1)])
    assert res.outcome == "retry" and store.sales()["sale_orders"] == []
    writer.rpc.write = lose  # type: ignore[attr-defined]
    [res] = writer.write([item_of(order, 1)])
    assert res.outcome == "delivered" and len(store.sales()["sale_orders"]) == 1


def test_refund_waits_for_its_order_then_becomes_a_credit_note(
        odoo: tuple[OdooStore, Any]) -> None:
    store, client = odoo
    order = order_of(1, [(SKU, 2, "10.00", "0.00", None)], shipping="5.00")
    refund = refund_of(9, 1, "15.00", [(SKU, 1, "10.00")])
    refunds = writer_of("refunds", client)
    assert refunds.parents(refund.to_json_dict()) == [("order", order.id)]
    [res] = refunds.write([item_of(refund, 5, parents={"order": None})])
    assert res.outcome == "deferred" and store.sales()["refunds"] == []
    [made] = writer_of("orders", client).write([item_of(order, 1)])
    lose_reply_of(refunds, store, "account.move", "create")
    [res] = refunds.write([item_of(refund, 5, parents={"order": made.remote_id})])
    assert res.outcome == "retry"
    [res] = refunds.write([item_of(refund, 5, parents={"order": made.remote_id})])
    assert res.outcome == "delivered"
    [note] = store.sales()["refunds"]
    [sale] = store.sales()["sale_orders"]
    assert res.remote_id == str(note["id"]) and note["state"] == "posted"
    assert (note["move_type"], note["ref"], note["invoice_origin"]) == (
        "out_refund", "shop:refund:9", sale["name"])
    assert note["partner_id"] == sale["partner_id"] and note["amount_total"] == 15.0
    assert [(ln["product_id"] and ln["product_id"][0], ln["price_unit"]) for ln in
            note["lines"]] == [(store.product_by_sku(SKU)["id"], 10.0), (False, 5.0)]
    [res] = refunds.write([item_of(refund, 5, parents={"order": made.remote_id})])
    assert (res.outcome, res.remote_id) == ("skipped", str(note["id"]))


def test_options_are_checked() -> None:
    client = odoo_client(HOST, DB, LOGIN, KEY)
    with pytest.raises(ValueError, match="unknown_sku"):
        writer_of("orders", client, unknown_sku="ignore")
    with pytest.raises(ValueError, match="not a rate"):
        writer_of("orders", client, taxes={"VAT": 3})
    assert isinstance(writer_of("orders", client, taxes={"0.190": 3}), OdooSaleOrderWriter)
    assert writer_of("orders", client, taxes={"0.190": 3}).options.taxes == {"0.19": 3}


# --- through the delivery engine -----------------------------------------------------------
@pytest.fixture
def hub_store(db_url: str) -> Iterator[Store]:
    store = Store.from_url(db_url)
    store.migrate()
    try:
        yield store
    finally:
        store.dispose()


def test_engine_delivers_each_order_once_through_lost_replies_and_5xx(
        tmp_path: Path, hub_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    hub_path = write_hub(tmp_path, {
        "shop": {"connector": "shopify", "conn_id": "shop", "roles": ["channel"]},
        "erp": {"connector": "odoo", "conn_id": "erp", "roles": ["erp"]}})
    doc = yaml.safe_load(hub_path.read_text())
    doc["sinks"] = {"erp": {"orders": {"from": ["shop"]}, "refunds": {"from": ["shop"]}}}
    hub_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    hub, store = load_hub(hub_path), hub_store
    orders = [order_of(n, [(SKU, 1 + n % 3, "10.00", "0.00", None),
                           (SKU2, 1, "4.50", "0.50", None)]) for n in range(1, 13)]
    store.write_page(connection="shop", stream="test", records=orders)
    store.write_page(connection="shop", stream="test", records=[
        refund_of(100 + n, n, "4.00") for n in (1, 2, 3)])
    sb = Sandbox(seed=7)
    odoo_db = sb.odoo("demo", products=5)
    odoo_db.fault_plan.configure(rate_5xx=0.25)
    # the first create of orders and of credit notes, and the first confirmation, are
    # applied by Odoo and their replies lost
    to_lose = {("sale.order", "create"), ("sale.order", "action_confirm"),
               ("account.move", "create")}
    send = OdooRpc.write

    def write(self: OdooRpc, model: str, method: str, args: list[Any],
              kwargs: dict[str, Any] | None = None) -> Any:
        if (model, method) in to_lose:
            to_lose.discard((model, method))
            odoo_db.fault_plan.configure(rate_5xx=0.25, lost_reply_next=1)
        return send(self, model, method, args, kwargs)

    monkeypatch.setattr(OdooRpc, "write", write)
    now = T0
    with SandboxServer(sb) as srv:
        def client_for(_sink: str) -> ConnectorClient:
            return odoo_client(srv.odoo_url("demo"), "demo", "admin", odoo_db.password)

        for run in range(12):
            summary = run_push(store, hub, "erp", run_id=f"r{run}", client_for=client_for,
                               now=now)
            now += timedelta(hours=1)  # past every backoff
            if summary["status"] == "success" and not summary["retried"] and \
                    not summary["deferred"]:
                break
    held = odoo_db.sales()
    refs = sorted(o["client_order_ref"] for o in held["sale_orders"])
    assert refs == sorted(f"shop:{n}" for n in range(1, 13))  # each order exactly once
    assert {o["state"] for o in held["sale_orders"]} == {"sale"}
    assert sorted(m["ref"] for m in held["refunds"]) == [f"shop:refund:{100 + n}"
                                                         for n in (1, 2, 3)]
    assert not to_lose and odoo_db.stats()["requests_by_status"].get("504", 0) == 3
    by_status = odoo_db.stats()["requests_by_status"]
    assert sum(by_status.get(code, 0) for code in ("500", "502", "503")) > 0
    assert summary["dead"] == 0 and run > 0
