"""Parcels from Odoo, then DHL tracking for the open ones, through the sync engine against the
sandbox on SQLite and PostgreSQL: one courier shipment per tracking number, normalized
status, UTC events, linked to the order; an unknown number is "unknown", not a crash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from synchub.pipeline import sync_stream
from synchub.plan import Hub
from synchub.store import Store

from .conftest import by_id, dhl_conn, odoo_conn

EXPRESS, PARCEL, UPS, BAD = "1234567890", "00340434292135100124", "1Z999AA10123456784", \
    "NOT-A-DHL-NUMBER"


def ship(sb: Any, order: str, carrier: str, number: str, sku: str) -> None:
    sb.odoo("demo").deliver(f"shop:{order}", [{"sku": sku, "quantity": 1}], carrier=carrier,
                            tracking_number=number)


def test_parcels_then_dhl_tracking(courier_hub: Hub, sandbox: Any, store: Store) -> None:
    sb, srv = sandbox
    sb.dhl("demo").rate_limits = False   # the client paces itself; counts stay exact
    ship(sb, "1001", "DHL Express", EXPRESS, "SKU-00001-1")
    ship(sb, "1002", "DHL Parcel", PARCEL, "SKU-00002-1")
    ship(sb, "1003", "UPS Standard", UPS, "SKU-00003-1")
    ship(sb, "1004", "DHL Express", BAD, "SKU-00004-1")

    parcels = sync_stream(courier_hub, "erp", "parcels", store=store,
                          conn_info=odoo_conn(srv, sb))
    assert parcels.status == "success" and parcels.stored == 4
    erp = by_id(store, "erp")
    assert {d["tracking_number"] for d in erp.values()} == {EXPRESS, PARCEL, UPS, BAD}
    assert all(d["lines"] == [] and d["status"] == "in_transit" for d in erp.values())

    sb.dhl("demo").set_status(EXPRESS, "out_for_delivery")
    sb.dhl("demo").set_status(EXPRESS, "delivered")
    first = sync_stream(courier_hub, "dhl", "tracking", store=store,
                        conn_info=dhl_conn(srv, sb))
    assert first.status == "success" and first.requests == 3     # not the UPS parcel
    assert first.stored == 3 and first.quarantined == 0
    dhl = by_id(store, "dhl")
    assert set(dhl) == {EXPRESS, PARCEL, BAD}

    delivered = dhl[EXPRESS]
    assert delivered["status"] == "delivered" and delivered["carrier"] == "DHL Express"
    assert (delivered["order_connection"], delivered["order_external_id"]) == ("shop", "1001")
    assert delivered["delivered_at"] == delivered["events"][0]["at"]
    assert [e["status"] for e in delivered["events"][:2]] == ["delivered", "out_for_delivery"]
    assert delivered["events"][-1]["status"] == "info_received"
    assert all(e["at"].endswith("Z") for e in delivered["events"])   # UTC, from +01:00 times
    local = sb.dhl("demo").render(sb.dhl("demo").journey(EXPRESS))["events"][0]["timestamp"]
    assert datetime.fromisoformat(delivered["events"][0]["at"]) == datetime.fromisoformat(local)

    moving = dhl[PARCEL]
    assert moving["status"] == "in_transit" and moving["service"] == "parcel-de"
    assert moving["order_external_id"] == "1002" and moving["delivered_at"] is None

    unknown = dhl[BAD]
    assert unknown["status"] == "unknown" and unknown["events"] == []
    assert unknown["order_external_id"] == "1004"
    assert store.dead_letters(connection="dhl") == []

    # the delivered parcel is closed: the next run asks only about the two others
    sb.dhl("demo").set_status(PARCEL, "exception")
    again = sync_stream(courier_hub, "dhl", "tracking", store=store,
                        conn_info=dhl_conn(srv, sb))
    assert again.requests == 2 and again.stored == 1 and again.unchanged == 1
    assert by_id(store, "dhl")[PARCEL]["status"] == "exception"
