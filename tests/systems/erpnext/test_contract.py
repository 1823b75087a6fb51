"""ERPNext end to end: the simulator on loopback, the project's connector and mappings, a
hub store on SQLite and on PostgreSQL.

Items and bins land (bins as inventory levels, on hand less reserved); a later run reads
only the bins that changed, its window written in the site's time; the sales order writer
inserts a submitted order once (a second push finds it by the hub's id), which reserves its
quantities in ERPNext's bins; a delivery note made from it comes back as a shipment naming
the channel order; the journal writer posts a balanced entry and the simulator refuses an
unbalanced one with Frappe's 417; a user without the role gets Frappe's 403.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from synchub.config.connector_writes import WriterSpec
from synchub.delivery.base import DeliveryItem
from synchub.errors import FatalAPIError
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.erpnext.store import ErpNextStore
from synchub.store import Store
from synchub.systems.erpnext.journal import JournalEntryWriter
from synchub.systems.erpnext.sales_order import SalesOrderWriter

ROOT = Path(__file__).resolve().parents[3]


def hub(tmp_path: Path) -> Hub:
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"erp": {"connector": "erpnext", "conn_id": "erp",
                                "roles": ["erp"]}}}))
    return load_hub(path)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCHUB_MAP_WORKERS", "0")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.upgrade()
    yield s
    s.dispose()


@pytest.fixture
def site() -> Iterator[tuple[ErpNextStore, SandboxServer]]:
    sandbox = Sandbox(seed=7)
    erp: ErpNextStore = sandbox.store("erpnext", "demo", orders=0, customers=0, products=30)
    with SandboxServer(sandbox) as server:
        yield erp, server


def conn_for(server: SandboxServer, erp: ErpNextStore, secret: str | None = None
             ) -> ConnectionInfo:
    return ConnectionInfo(conn_id="erp", conn_type="http", host=server.url("erpnext", erp.name),
                          login=erp.api_key, password=secret or erp.api_secret)


def test_items_and_bins_land_and_a_later_run_reads_only_changed_bins(
        tmp_path: Path, store: Store, site: tuple[ErpNextStore, SandboxServer]) -> None:
    erp, server = site
    plan, conn = hub(tmp_path), conn_for(server, erp)
    items = sync_stream(plan, "erp", "items", store=store, conn_info=conn,
                        window_end=datetime.now(UTC))
    assert (items.status, items.fetched) == ("success", 30)
    first = sync_stream(plan, "erp", "bins", store=store, conn_info=conn,
                        window_end=datetime.now(UTC))
    assert (first.status, first.fetched, first.quarantined) == ("success", 60, 0)
    levels = store.read_feed("inventory_level", limit=1000).records
    one = next(lv for lv in levels if lv["external_id"] == "SKU-00001-1:Stores - SD")
    b = erp.docs["Bin"]["bin-0-0"]
    assert one["available"] == int(b["actual_qty"] - b["reserved_qty"])
    # every list asked for its fields and page size; none was Frappe's 20-row default
    lists = [r for r in erp.requests if r.path == "/api/resource/Bin"]
    assert all("fields" in r.query and r.query["limit_page_length"] == "500" for r in lists)

    changed = erp.mutate(inventory_changed=3)["inventory"]
    erp.requests.clear()
    later = sync_stream(plan, "erp", "bins", store=store, conn_info=conn,
                        window_end=datetime.now(UTC) + timedelta(minutes=2))
    # the three changed bins, and what the 70 minute overlap re-reads
    assert later.status == "success" and 3 <= later.fetched < 10
    (asked,) = [r for r in erp.requests if r.path == "/api/resource/Bin"]
    start = json.loads(asked.query["filters"])[0][2]
    newest = max(b["modified"] for name, b in erp.docs["Bin"].items() if name not in changed)
    # the start is naive in the site's zone: the newest time read, less the lookback
    assert start == (datetime.fromisoformat(newest) - timedelta(minutes=70)).strftime(
        "%Y-%m-%d %H:%M:%S.%f")
    levels = {lv["external_id"]: lv for lv in store.read_feed("inventory_level",
                                                              limit=1000).records}
    for name in changed:
        b = erp.docs["Bin"][name]
        assert levels[f"{b['item_code']}:{b['warehouse']}"]["on_hand"] == int(b["actual_qty"])


def _order(status: str = "open") -> DeliveryItem:
    payload = {"status": status, "financial_status": "paid", "currency": "INR",
               "placed_at": "2025-03-01T20:00:00Z", "taxes_included": False,
               "customer": {"external_id": "c-1", "email": "anna@example.com",
                            "name": "Anna Schmidt"},
               "lines": [{"external_id": "1", "sku": "SKU-00001-1", "quantity": 2,
                          "unit_price": "25.00", "discount": "0.00"}],
               "taxes": [], "shipping": {"amount": "0.00"}}
    return DeliveryItem(1, "orders", "order", "hub-1", "shop", {"external_id": "1001"},
                        payload, "k1")


def test_sales_order_once_reserves_stock_and_its_delivery_note_names_the_order(
        tmp_path: Path, store: Store, site: tuple[ErpNextStore, SandboxServer]) -> None:
    erp, server = site
    plan, conn = hub(tmp_path), conn_for(server, erp)
    spec: WriterSpec = plan.connection("erp").connector.writers["orders"]
    before = erp.docs["Bin"]["bin-0-0"]["reserved_qty"]
    with ConnectorClient(plan.connection("erp").connector, conn) as client:
        writer = SalesOrderWriter(spec, client, sink="erp", run_id="r1")
        [made] = writer.write([_order()])
        [again] = SalesOrderWriter(spec, client, sink="erp", run_id="r2").write([_order()])
    assert made.outcome == "delivered" and again.outcome == "skipped"
    assert again.remote_id == made.remote_id and len(erp.docs["Sales Order"]) == 1
    so = erp.docs["Sales Order"][made.remote_id]
    assert so["docstatus"] == 1 and so["transaction_date"] == "2025-03-02"
    assert erp.docs["Customer"]["Anna Schmidt"]["custom_synchub_customer_id"] == "shop:c-1"
    assert erp.docs["Bin"]["bin-0-0"]["reserved_qty"] == before + 2

    erp.ship(made.remote_id, tracking="JD0146000062")
    shipped = sync_stream(plan, "erp", "delivery_notes", store=store, conn_info=conn,
                          window_end=datetime.now(UTC) + timedelta(minutes=2))
    assert shipped.fetched == 1
    (doc,) = store.read_feed("shipment", limit=10).records
    assert (doc["order_connection"], doc["order_external_id"]) == ("shop", "1001")
    assert doc["tracking_number"] == "JD0146000062"


def _entry(credit: str) -> DeliveryItem:
    payload = {"kind": "sale", "date": "2025-03-01", "memo": "Order 1001",
               "lines": [{"account": "1200", "debit": "100.00", "credit": "0"},
                         {"account": "4000", "debit": "0", "credit": credit}]}
    return DeliveryItem(2, "journals", "ledger_entry", "le-1", "shop",
                        {"channel": "shop", "external_id": "sale/1001"}, payload, "k2")


def test_journal_entry_posted_and_an_unbalanced_one_refused_with_frappes_417(
        tmp_path: Path, site: tuple[ErpNextStore, SandboxServer]) -> None:
    erp, server = site
    plan, conn = hub(tmp_path), conn_for(server, erp)
    spec = plan.connection("erp").connector.writers["journals"]
    with ConnectorClient(plan.connection("erp").connector, conn) as client:
        [posted] = JournalEntryWriter(spec, client, sink="erp", run_id="r").write(
            [_entry("100.00")])
        bad = DeliveryItem(3, "journals", "ledger_entry", "le-2", "shop",
                           {"channel": "shop", "external_id": "sale/1002"},
                           _entry("90.00").payload, "k3")
        [refused] = JournalEntryWriter(spec, client, sink="erp", run_id="r").write([bad])
    assert posted.outcome == "delivered"
    assert erp.docs["Journal Entry"][posted.remote_id]["docstatus"] == 1
    assert refused.outcome == "failed"
    assert "HTTP 417" in refused.error
    assert "Total Debit must be equal to Total Credit. The difference is 10" in refused.error


def test_a_user_without_the_role_gets_frappes_403_and_a_wrong_secret_its_401(
        tmp_path: Path, store: Store, site: tuple[ErpNextStore, SandboxServer]) -> None:
    erp, server = site
    plan = hub(tmp_path)
    erp.roles.discard("Bin")
    with pytest.raises(FatalAPIError, match="PermissionError: User does not have doctype"):
        sync_stream(plan, "erp", "bins", store=store, conn_info=conn_for(server, erp),
                    window_end=datetime.now(UTC))
    with pytest.raises(FatalAPIError, match="System%20Settings: HTTP 401"):
        sync_stream(plan, "erp", "items", store=store,
                    conn_info=conn_for(server, erp, secret="wrong-secret"),
                    window_end=datetime.now(UTC))
