"""The ERPNext simulator's warehouse: ``POST /_sandbox/erpnext/<site>/ship`` makes the
submitted delivery note of the sales order a reference names, with transporter and number,
and the delivery_notes stream reads it as a shipment of that courier."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from synchub.pipeline import sync_stream
from synchub.runtime import ConnectorClient
from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.erpnext.store import ErpNextStore
from synchub.store import Store
from synchub.systems.erpnext.sales_order import SalesOrderWriter
from tests.systems.erpnext.test_contract import _order, conn_for, hub, store  # noqa: F401


@pytest.fixture
def site() -> Iterator[tuple[ErpNextStore, SandboxServer]]:
    sandbox = Sandbox(seed=7)
    erp: ErpNextStore = sandbox.store("erpnext", "demo", orders=0, customers=0, products=5)
    with SandboxServer(sandbox) as server:
        yield erp, server


def test_ship_by_reference_gives_a_ups_parcel_the_hub_reads(
        tmp_path: Path, store: Store,  # noqa: F811
        site: tuple[ErpNextStore, SandboxServer]) -> None:
    erp, server = site
    plan, conn = hub(tmp_path), conn_for(server, erp)
    spec = plan.connection("erp").connector.writers["orders"]
    with ConnectorClient(plan.connection("erp").connector, conn) as client:
        [made] = SalesOrderWriter(spec, client, sink="erp", run_id="r1").write([_order()])
    reply = requests.post(f"{server.base_url}/_sandbox/erpnext/demo/ship", timeout=10, json={
        "po_no": "shop:1001", "carrier": "UPS Ground", "tracking_number": "1Z999AA10123456784"})
    assert reply.status_code == 200, reply.text
    note = reply.json()
    assert note["docstatus"] == 1 and note["items"][0]["against_sales_order"] == made.remote_id
    sync_stream(plan, "erp", "delivery_notes", store=store, conn_info=conn,
                window_end=datetime.now(UTC) + timedelta(minutes=2))
    (doc,) = store.read_feed("shipment", limit=10).records
    assert (doc["carrier"], doc["tracking_number"]) == ("UPS Ground", "1Z999AA10123456784")
    assert (doc["order_connection"], doc["order_external_id"]) == ("shop", "1001")


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"po_no": "shop:missing"}, 404, "no submitted sales order with po_no 'shop:missing'"),
    ({"carrier": "UPS"}, 400, "po_no (the sales order's reference) is required"),
    ({"po_no": "shop:1", "lines": []}, 400, "unknown keys: lines"),
])
def test_ship_refuses_what_the_warehouse_cannot_send(
        site: tuple[ErpNextStore, SandboxServer], body: dict[str, str], status: int,
        message: str) -> None:
    _erp, server = site
    reply = requests.post(f"{server.base_url}/_sandbox/erpnext/demo/ship", json=body,
                          timeout=10)
    assert (reply.status_code, reply.json()["error"]) == (status, message)


def test_a_draft_sales_order_is_not_shipped(site: tuple[ErpNextStore, SandboxServer]) -> None:
    erp, _server = site
    erp.put("Customer", {"name": "Anna"})
    erp.put("Sales Order", {"name": "SAL-ORD-2025-09999", "customer": "Anna",
                            "po_no": "shop:2", "docstatus": 0, "items": []})
    with pytest.raises(KeyError):
        erp.ship_origin("shop:2", "UPS Ground", "1Z999AA10123456784")
    with pytest.raises(ValueError, match="not submitted"):
        erp.ship("SAL-ORD-2025-09999")


def test_a_burst_of_writes_keeps_modified_at_the_real_time(
        site: tuple[ErpNextStore, SandboxServer]) -> None:
    erp, _server = site
    for n in range(300):
        erp.put("Customer", {"name": f"c{n}"})
    stamps = [d["modified"] for d in erp.of("Customer")]
    assert stamps == sorted(set(stamps))          # strictly increasing, microseconds apart
    newest = datetime.strptime(stamps[-1], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=erp.zone)
    assert newest <= datetime.now(UTC) + timedelta(seconds=1)
