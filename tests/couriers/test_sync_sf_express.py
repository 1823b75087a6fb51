"""Parcels from Odoo, then SF Express routes for the open SF waybills, through the sync engine
against the sandbox on SQLite and PostgreSQL: every request signed and checked by the
simulator, one shipment per waybill, opCodes normalized, Beijing times stored in UTC, the
order linked; a waybill SF never scanned is "unknown"; an opCode outside the table is kept
with its raw code and flagged; a throttled call is waited out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.store import Store
from synchub.systems.sf_express.errors import SfAuthError
from tests.e2e.conftest import write_hub

from .conftest import by_id

SHIPPED, MOVING, UNSCANNED, DHL = "SF1311580938720", "SF1420477163395", "SF1500000000001", \
    "1234567890"
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def sf_hub(tmp_path: Path) -> Hub:
    return load_hub(write_hub(tmp_path, {
        "sf": {"connector": "sf_express", "conn_id": "sf", "roles": ["carrier"]},
    }))


def sf_conn(srv: Any, sb: Any, **extra: str) -> ConnectionInfo:
    creds = sb.store("sf_express", "demo").credentials()
    return ConnectionInfo(conn_id="sf", conn_type="http", host=srv.url("sf_express", "demo"),
                          login=creds["partner_id"], password=creds["checkword"],
                          extra=extra)


def parcels(store: Store, *rows: tuple[str, str, str]) -> None:
    """The ERP's parcels (order, carrier name, waybill), as its parcels stream stores them."""
    from synchub.canonical.base import SourceRef
    from synchub.canonical.shipment import Shipment

    store.write_page(connection="erp", stream="parcels", records=[
        Shipment(source=SourceRef(connection="erp", system="odoo", external_id=f"picking:{o}"),
                 external_id=f"picking:{o}", tracking_number=number, carrier=carrier,
                 order_connection="youzan", order_external_id=o, status="in_transit")
        for o, carrier, number in rows])


def test_parcels_then_sf_routes(sf_hub: Hub, sandbox: Any, store: Store) -> None:
    sb, srv = sandbox
    sf = sb.store("sf_express", "demo")
    sf.rate_limits = False
    parcels(store, ("2001", "顺丰速运", SHIPPED), ("2002", "SF Express", MOVING),
            ("2003", "顺丰标快", UNSCANNED), ("2004", "DHL Express", DHL))
    sf.set_status(SHIPPED, "out_for_delivery")
    sf.set_status(SHIPPED, "delivered")
    sf.set_status(MOVING, "failed_attempt")      # opCode 70: not in the table
    sf.set_status(UNSCANNED, "not_found")

    run = sync_stream(sf_hub, "sf", "tracking", store=store,
                      conn_info=sf_conn(srv, sb, check_phone=sf.check_phone))
    assert run.status == "success" and run.requests == 3          # not the DHL parcel
    assert run.stored == 3 and run.quarantined == 0
    got = by_id(store, "sf")
    assert set(got) == {SHIPPED, MOVING, UNSCANNED}

    done = got[SHIPPED]
    assert done["status"] == "delivered" and done["carrier"] == "顺丰速运"
    assert (done["order_connection"], done["order_external_id"]) == ("youzan", "2001")
    assert [e["code"] for e in done["events"][-2:]] == ["44", "80"]
    assert done["events"][0]["code"] == "54" and done["events"][0]["status"] == "in_transit"
    served = sf.route_resp(SHIPPED)["routes"][-1]["acceptTime"]
    utc = datetime.strptime(served, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).astimezone(UTC)
    assert done["delivered_at"] == utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "warnings" not in done  # empty: left out of the document

    flagged = got[MOVING]
    assert flagged["events"][-1] == {**flagged["events"][-1], "code": "70", "status": "unknown"}
    assert flagged["status"] == "in_transit"          # the last state the table knows
    assert [w["code"] for w in flagged["warnings"]] == ["unknown_tracking_code"]

    assert got[UNSCANNED]["status"] == "unknown" and got[UNSCANNED]["events"] == []
    assert store.dead_letters(connection="sf") == []

    # delivered is final: the next run asks about the two others only
    again = sync_stream(sf_hub, "sf", "tracking", store=store,
                        conn_info=sf_conn(srv, sb, check_phone=sf.check_phone))
    assert again.requests == 2 and again.unchanged == 2


def test_a_wrong_check_word_fails_and_a_throttle_is_waited_out(
        sf_hub: Hub, sandbox: Any, store: Store) -> None:
    sb, srv = sandbox
    sf = sb.store("sf_express", "demo")
    sf.rate_limits = False
    parcels(store, ("3001", "SF Express", MOVING))
    bad = ConnectionInfo(conn_id="sf", conn_type="http", host=srv.url("sf_express", "demo"),
                         login=sf.partner_id, password="not-the-check-word",
                         extra={"check_phone": sf.check_phone})
    with pytest.raises(SfAuthError) as err:
        sync_stream(sf_hub, "sf", "tracking", store=store, conn_info=bad)
    assert err.value.code == "A1006" and "not-the-check-word" not in str(err.value)

    sf.faults(fail_next=[429])                       # one A1005 envelope, then through
    ok = sync_stream(sf_hub, "sf", "tracking", store=store,
                     conn_info=sf_conn(srv, sb, check_phone=sf.check_phone))
    assert ok.status == "success" and ok.stored == 1 and ok.retries >= 1
