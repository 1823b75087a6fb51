"""Parcels from Odoo, then UPS and FedEx tracking for the open ones, through the sync
engine against the simulators on SQLite and PostgreSQL: tokens fetched once and again after
they lapse, UPS's per-request transId, FedEx's numbers batched 30 a call, a number the
courier does not know stored as "unknown"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from synchub.canonical.base import SourceRef
from synchub.canonical.shipment import Shipment
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.store import Store
from tests.e2e.conftest import write_hub

from .conftest import by_id

UPS_1, UPS_2, UPS_GONE = "1Z023E2X0214323462", "1Z999AA10123456784", "1Z0000000000000001"
FEDEX = [f"7948431852{i:02d}" for i in range(32)]


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return load_hub(write_hub(tmp_path, {
        "erp": {"connector": "odoo", "conn_id": "erp", "roles": ["erp"],
                "streams": ["parcels"]},
        "ups": {"connector": "ups", "conn_id": "ups", "roles": ["carrier"]},
        "fedex": {"connector": "fedex", "conn_id": "fedex", "roles": ["carrier"]},
    }))


def conn(srv: Any, sb: Any, system: str) -> ConnectionInfo:
    creds = sb.store(system, "demo").credentials()
    return ConnectionInfo(conn_id=system, conn_type="http", host=srv.url(system, "demo"),
                          login=creds["client_id"], password=creds["client_secret"])


def ship(store: Store, order: str, carrier: str, number: str) -> None:
    """A parcel as the ERP's parcels stream stores it (tracking number, carrier, order)."""
    store.write_page(connection="erp", stream="parcels", records=[Shipment(
        source=SourceRef(connection="erp", system="odoo", external_id=f"picking:{order}"),
        external_id=f"picking:{order}", tracking_number=number, carrier=carrier,
        status="in_transit", order_connection="shop", order_external_id=order)])


def test_ups_tracking(hub: Hub, sandbox: Any, store: Store) -> None:
    sb, srv = sandbox
    ups = sb.store("ups", "demo")
    ups.rate_limits = False
    ship(store, "2001", "UPS Standard", UPS_1)
    ship(store, "2002", "UPS Express", UPS_2)
    ship(store, "2003", "UPS", UPS_GONE)
    ship(store, "2004", "DHL Express", "1234567890")
    ups.set_status(UPS_1, "out_for_delivery")
    ups.set_status(UPS_1, "delivered")
    ups.set_status(UPS_GONE, "not_found")

    first = sync_stream(hub, "ups", "tracking", store=store, conn_info=conn(srv, sb, "ups"))
    assert first.status == "success" and first.stored == 3 and first.quarantined == 0
    assert ups.token_requests == 1
    assert len(ups.trans_ids) == 3 and len(set(ups.trans_ids)) == 3
    got = by_id(store, "ups")
    delivered = got[UPS_1]
    assert delivered["status"] == "delivered" and delivered["order_external_id"] == "2001"
    assert [e["status"] for e in delivered["events"][:2]] == ["delivered", "out_for_delivery"]
    assert delivered["delivered_at"] == delivered["events"][0]["at"]
    journey = ups.journey(UPS_1)
    assert delivered["events"][0]["at"] == _utc(journey.steps[-1].at)
    assert got[UPS_2]["status"] == "in_transit"
    assert got[UPS_GONE]["status"] == "unknown" and got[UPS_GONE]["events"] == []

    # the token lapses: the next run takes a new one after UPS's 401, once
    ups.expire_tokens()
    ups.set_status(UPS_2, "failed_attempt")
    again = sync_stream(hub, "ups", "tracking", store=store, conn_info=conn(srv, sb, "ups"))
    assert again.status == "success" and ups.token_requests == 2
    assert by_id(store, "ups")[UPS_2]["status"] == "failed_attempt"


def test_fedex_tracking_in_batches(hub: Hub, sandbox: Any, store: Store) -> None:
    sb, srv = sandbox
    fedex = sb.store("fedex", "demo")
    fedex.rate_limits = False
    for i, number in enumerate(FEDEX):
        ship(store, str(3000 + i), "FedEx International Priority", number)
    fedex.set_status(FEDEX[0], "delivered")
    fedex.set_status(FEDEX[1], "not_found")
    fedex.set_status(FEDEX[31], "failed_attempt")

    first = sync_stream(hub, "fedex", "tracking", store=store,
                        conn_info=conn(srv, sb, "fedex"))
    assert first.status == "success" and first.stored == len(FEDEX)
    assert fedex.batches == [30, 2] and fedex.token_requests == 1
    got = by_id(store, "fedex")
    assert got[FEDEX[0]]["status"] == "delivered"
    assert got[FEDEX[0]]["order_external_id"] == "3000"
    assert got[FEDEX[1]]["status"] == "unknown"
    assert got[FEDEX[31]]["status"] == "failed_attempt"
    assert got[FEDEX[5]]["status"] == "in_transit"
    assert all(e["at"].endswith("Z") for e in got[FEDEX[0]]["events"])

    # delivered parcels are closed; a lapsed token is replaced once
    fedex.expire_tokens()
    again = sync_stream(hub, "fedex", "tracking", store=store,
                        conn_info=conn(srv, sb, "fedex"))
    assert again.status == "success" and fedex.batches[2:] == [30, 1]
    assert fedex.token_requests == 2


def _utc(ts: int) -> str:
    from datetime import UTC, datetime
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
