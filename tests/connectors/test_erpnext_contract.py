"""ERPNext (Frappe REST) contract: the real connector file sends the token pair, reads the
site's time zone once, names fields, order and page size on every list (Frappe's default is
20 rows of `name`), writes its window as filters in the site's time, pages by limit_start,
and fails with Frappe's own message; the writers find documents by the hub's id before
inserting, submit, cancel and amend as ERPNext requires."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from responses import matchers

from synchub.delivery.base import DeliveryItem
from synchub.errors import FatalAPIError
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.erpnext.journal import JournalEntryWriter
from synchub.systems.erpnext.sales_order import SalesOrderWriter

from .conftest import connector

HOST = "https://erp.example.com"
AUTH = {"Authorization": "token 5c1f0a9e2b7d4e3:8a1b2c3d4e5f6a7"}
SETTINGS = f"{HOST}/api/resource/System%20Settings/System%20Settings"
BIN = f"{HOST}/api/resource/Bin"
SO = f"{HOST}/api/resource/Sales%20Order"
JE = f"{HOST}/api/resource/Journal%20Entry"
BIN_FIELDS = json.dumps(["name", "item_code", "warehouse", "actual_qty", "reserved_qty",
                         "projected_qty", "modified"])


def client() -> ConnectorClient:
    conn = ConnectionInfo(conn_id="erpnext_erp", conn_type="http", host=HOST,
                          login="5c1f0a9e2b7d4e3", password="8a1b2c3d4e5f6a7")
    return ConnectorClient(connector("erpnext"), conn, sleep=lambda s: None)


def settings(mock: responses.RequestsMock, zone: str = "Asia/Kolkata") -> None:
    mock.get(SETTINGS, json={"data": {"name": "System Settings", "time_zone": zone}},
             match=[matchers.header_matcher(AUTH)])


def bin_row(i: int, modified: str) -> dict[str, Any]:
    return {"name": f"b{i}", "item_code": f"SKU-{i}", "warehouse": "Stores - SD",
            "actual_qty": 10.0, "reserved_qty": 2.0, "projected_qty": 8.0, "modified": modified}


def frappe_error(exc_type: str, message: str) -> dict[str, Any]:
    return {"exc_type": exc_type, "exception": f"frappe.exceptions.{exc_type}: {message}",
            "_server_messages": json.dumps([json.dumps({"message": message, "title": "Message",
                                                        "indicator": "red"})])}


@responses.activate(assert_all_requests_are_fired=True)
def test_bins_window_in_site_time_paged_by_limit_start() -> None:
    settings(responses.mock)
    base = {"fields": BIN_FIELDS, "order_by": "modified asc, name asc",
            "limit_page_length": "2",
            # stored cursor 06:00Z, lookback 70m -> 04:50Z = 10:20 IST; end 11:59Z = 17:29 IST
            "filters": json.dumps([["modified", ">", "2025-03-01 10:20:00.000000"],
                                   ["modified", "<=", "2025-03-01 17:29:00.000000"]])}
    responses.get(BIN, json={"data": [bin_row(1, "2025-03-01 11:00:00.000000"),
                                      bin_row(2, "2025-03-01 12:00:00.250000")]},
                  match=[matchers.query_param_matcher({**base, "limit_start": "0"}),
                         matchers.header_matcher(AUTH)])
    responses.get(BIN, json={"data": [bin_row(3, "2025-03-01 13:00:00.000000")]},
                  match=[matchers.query_param_matcher({**base, "limit_start": "2"})])
    spec = connector("erpnext")
    stream = spec.streams["bins"].model_copy(update={"page_size": 2})
    spec.streams["bins"] = stream
    with ConnectorClient(spec, ConnectionInfo(
            conn_id="erpnext_erp", conn_type="http", host=HOST, login="5c1f0a9e2b7d4e3",
            password="8a1b2c3d4e5f6a7"), sleep=lambda s: None) as c:
        pages = list(c.read("bins", state={"cursor": "2025-03-01T06:00:00Z"},
                            window_end=datetime(2025, 3, 1, 12, 0, tzinfo=UTC)))
    assert [len(p.records) for p in pages] == [2, 1]
    # 13:00 IST is 07:30 UTC: the naive time was read in the site's zone
    assert pages[-1].state == {"cursor": "2025-03-01T07:30:00Z"}


@responses.activate(assert_all_requests_are_fired=True)
def test_first_run_sends_no_filter_but_always_fields_and_page_size() -> None:
    settings(responses.mock, "UTC")
    responses.get(BIN, json={"data": []}, match=[matchers.query_param_matcher(
        {"fields": BIN_FIELDS, "order_by": "modified asc, name asc", "limit_start": "0",
         "limit_page_length": "500"})])
    with client() as c:
        pages = list(c.read("bins", window_end=datetime(2025, 3, 1, tzinfo=UTC)))
    assert pages[0].records == []


@responses.activate(assert_all_requests_are_fired=True)
def test_a_permission_error_fails_with_frappes_message() -> None:
    settings(responses.mock)
    responses.get(BIN, status=403, json=frappe_error(
        "PermissionError", "User <strong>sync@example.com</strong> does not have doctype "
        "access via role permission for document <strong>Bin</strong>"))
    with client() as c, pytest.raises(FatalAPIError) as err:
        list(c.read("bins", window_end=datetime(2025, 3, 1, tzinfo=UTC)))
    assert "HTTP 403" in str(err.value)
    assert "PermissionError: User sync@example.com does not have doctype access" in str(err.value)


def order_item(status: str = "open", remote: str | None = None) -> DeliveryItem:
    payload = {"status": status, "financial_status": "paid", "currency": "EUR",
               "placed_at": "2025-03-01T20:00:00Z", "number": "#1001", "channel": "shopify",
               "taxes_included": False,
               "customer": {"external_id": "7060", "email": "anna@example.com",
                            "name": "Anna Schmidt", "phone": None},
               "lines": [{"external_id": "1", "sku": "SKU-1", "quantity": 2,
                          "unit_price": "25.00", "discount": "5.00"}],
               "taxes": [{"title": "VAT", "rate": "0.19", "amount": "8.55"}],
               "shipping": {"title": "DHL", "amount": "4.90"}}
    return DeliveryItem(1, "orders", "order", "hub-1", "shopify_demo",
                        {"external_id": "1001"}, payload, "k1", remote_id=remote)


def so_writer(c: ConnectorClient) -> SalesOrderWriter:
    spec = connector("erpnext").writers["orders"]
    spec = spec.model_copy(update={"options": {**spec.options, "tax_account": "VAT - SD",
                                               "shipping_account": "Freight - SD"}})
    return SalesOrderWriter(spec, c, sink="erpnext_erp", run_id="r1")


def by_filter(filters: list[Any]) -> Any:
    return matchers.query_param_matcher({"filters": json.dumps(filters)}, strict_match=False)


@responses.activate(assert_all_requests_are_fired=True)
def test_sales_order_created_submitted_with_customer_items_taxes_shipping() -> None:
    settings(responses.mock)
    ref = "shopify_demo:1001"
    responses.get(SO, json={"data": []},
                  match=[by_filter([["custom_synchub_order_id", "=", ref]])])
    responses.get(f"{HOST}/api/resource/Item", json={"data": [
        {"item_code": "SKU-1", "disabled": 0}]},
                  match=[by_filter([["item_code", "in", ["SKU-1"]]])])
    responses.get(f"{HOST}/api/resource/Customer", json={"data": []},
                  match=[by_filter([["custom_synchub_customer_id", "=", "shopify_demo:7060"]])])
    responses.get(f"{HOST}/api/resource/Customer", json={"data": []},
                  match=[by_filter([["email_id", "=", "anna@example.com"]])])
    responses.post(f"{HOST}/api/resource/Customer", json={"data": {"name": "Anna Schmidt"}},
                   match=[matchers.json_params_matcher(
                       {"customer_name": "Anna Schmidt", "customer_type": "Individual",
                        "customer_group": "All Customer Groups",
                        "territory": "All Territories",
                        "custom_synchub_customer_id": "shopify_demo:7060",
                        "email_id": "anna@example.com"})])
    responses.post(SO, json={"data": {"name": "SAL-ORD-2025-00001", "docstatus": 1}},
                   match=[matchers.json_params_matcher({
                       "customer": "Anna Schmidt", "company": "Synchub Demo",
                       # 20:00Z is 01:30 the next day in Kolkata: the site's day
                       "transaction_date": "2025-03-02", "delivery_date": "2025-03-02",
                       "currency": "EUR", "po_no": ref, "custom_synchub_order_id": ref,
                       "items": [{"item_code": "SKU-1", "qty": 2, "rate": 25.0}],
                       "taxes": [{"charge_type": "Actual", "account_head": "VAT - SD",
                                  "description": "VAT", "tax_amount": 8.55},
                                 {"charge_type": "Actual", "account_head": "Freight - SD",
                                  "description": "DHL", "tax_amount": 4.9}],
                       "apply_discount_on": "Net Total", "discount_amount": 5.0,
                       "docstatus": 1})])
    with client() as c:
        [result] = so_writer(c).write([order_item()])
    assert (result.outcome, result.remote_id) == ("delivered", "SAL-ORD-2025-00001")


@responses.activate(assert_all_requests_are_fired=True)
def test_sales_order_found_by_the_hub_id_is_not_inserted_again_and_cancel_goes_through() -> None:
    responses.get(SO, json={"data": [{"name": "SAL-ORD-2025-00001", "docstatus": 1,
                                      "status": "To Deliver and Bill"}]})
    responses.put(f"{SO}/SAL-ORD-2025-00001", json={"data": {"docstatus": 2}},
                  match=[matchers.json_params_matcher({"docstatus": 2})])
    with client() as c:
        w = so_writer(c)
        [cancelled] = w.write([order_item("cancelled")])
    assert cancelled.outcome == "delivered"


@responses.activate(assert_all_requests_are_fired=True)
def test_sales_order_refused_by_erpnext_fails_with_its_message() -> None:
    settings(responses.mock)
    responses.get(SO, json={"data": []})
    responses.get(f"{HOST}/api/resource/Item", json={"data": [
        {"item_code": "SKU-1", "disabled": 0}]})
    responses.get(f"{HOST}/api/resource/Customer", json={"data": [{"name": "Anna Schmidt"}]})
    responses.post(SO, status=417, json=frappe_error(
        "ValidationError", "Delivery Date cannot be before Sales Order Date"))
    with client() as c:
        [result] = so_writer(c).write([order_item()])
    assert result.outcome == "failed"
    assert "ValidationError: Delivery Date cannot be before Sales Order Date" in result.error


def entry_item(debit: str = "100.00") -> DeliveryItem:
    payload = {"kind": "sale", "date": "2025-03-01", "memo": "Order #1001",
               "currency": "EUR", "functional_currency": "EUR",
               "lines": [{"account": "1200", "remark": "x - sale.receivable", "debit": debit,
                          "credit": "0"},
                         {"account": "4000", "remark": "x - sale.revenue", "debit": "0",
                          "credit": debit}]}
    return DeliveryItem(2, "journals", "ledger_entry", "le-1", "shopify_demo",
                        {"channel": "shopify_demo", "external_id": "sale/1001"}, payload, "k2")


def je_writer(c: ConnectorClient) -> JournalEntryWriter:
    return JournalEntryWriter(connector("erpnext").writers["journals"], c, sink="erpnext_erp",
                              run_id="r1")


ACCOUNTS = {"data": [{"name": "Debtors - SD", "account_number": "1200"},
                     {"name": "Sales - SD", "account_number": "4000"}]}


@responses.activate(assert_all_requests_are_fired=True)
def test_journal_entry_inserted_submitted_with_account_numbers_resolved() -> None:
    responses.get(f"{HOST}/api/resource/Account", json=ACCOUNTS, match=[by_filter(
        [["account_number", "in", ["1200", "4000"]], ["company", "=", "Synchub Demo"],
         ["is_group", "=", 0]])])
    responses.get(JE, json={"data": []}, match=[by_filter(
        [["custom_synchub_entry_id", "=", "shopify_demo/sale/1001"], ["docstatus", "<", 2]])])
    responses.post(JE, json={"data": {"name": "ACC-JV-2025-00001"}},
                   match=[matchers.json_params_matcher({
                       "voucher_type": "Journal Entry", "company": "Synchub Demo",
                       "posting_date": "2025-03-01", "cheque_no": "shopify_demo/sale/1001",
                       "cheque_date": "2025-03-01", "user_remark": "Order #1001",
                       "custom_synchub_entry_id": "shopify_demo/sale/1001", "docstatus": 1,
                       "accounts": [
                           {"account": "Debtors - SD", "debit_in_account_currency": 100.0,
                            "credit_in_account_currency": 0.0,
                            "user_remark": "x - sale.receivable"},
                           {"account": "Sales - SD", "debit_in_account_currency": 0.0,
                            "credit_in_account_currency": 100.0,
                            "user_remark": "x - sale.revenue"}]})])
    with client() as c:
        [result] = je_writer(c).write([entry_item()])
    assert (result.outcome, result.remote_id) == ("delivered", "ACC-JV-2025-00001")


def stored_entry(amount: float) -> dict[str, Any]:
    return {"data": {"name": "ACC-JV-2025-00001", "docstatus": 1, "posting_date": "2025-03-01",
                     "accounts": [{"account": "Debtors - SD", "debit_in_account_currency": amount,
                                   "credit_in_account_currency": 0},
                                  {"account": "Sales - SD", "debit_in_account_currency": 0,
                                   "credit_in_account_currency": amount}]}}


@responses.activate(assert_all_requests_are_fired=True)
def test_journal_entry_unchanged_is_skipped_changed_is_cancelled_and_amended() -> None:
    responses.get(f"{HOST}/api/resource/Account", json=ACCOUNTS)
    row = {"data": [{"name": "ACC-JV-2025-00001", "docstatus": 1,
                     "posting_date": "2025-03-01"}]}
    responses.get(JE, json=row)
    responses.get(f"{JE}/ACC-JV-2025-00001", json=stored_entry(100.0))
    responses.put(f"{JE}/ACC-JV-2025-00001", json={"data": {}},
                  match=[matchers.json_params_matcher({"docstatus": 2})])
    responses.post(JE, json={"data": {"name": "ACC-JV-2025-00001-1"}},
                   match=[matchers.json_params_matcher(
                       {"amended_from": "ACC-JV-2025-00001"}, strict_match=False)])
    with client() as c:
        w = je_writer(c)
        [same] = w.write([entry_item("100.00")])
        [changed] = w.write([entry_item("120.00")])
    assert (same.outcome, same.remote_id) == ("skipped", "ACC-JV-2025-00001")
    assert (changed.outcome, changed.remote_id) == ("delivered", "ACC-JV-2025-00001-1")


def test_journal_entry_with_an_unknown_account_fails_naming_it() -> None:
    with responses.RequestsMock() as mock:
        mock.get(f"{HOST}/api/resource/Account", json={"data": ACCOUNTS["data"][:1]})
        with client() as c:
            [result] = je_writer(c).write([entry_item()])
    assert result.outcome == "failed"
    assert "lines[1]: account '4000' is no account number" in result.error
