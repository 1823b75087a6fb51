"""Udesk tickets end to end: the simulator on loopback, ``sync_stream`` into the store on
SQLite and PostgreSQL: every ticket a service ticket linked to its Udesk customer and the
order it names, times in UTC; a re-run stores only what changed; the open tickets about an
order are found through the indexed columns; a wrong token fails the run without the token
in the error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.store import Store
from synchub.store.tables import entity_table
from synchub.systems.udesk.errors import UdeskAuthError
from tests.e2e.conftest import write_hub


@pytest.fixture
def store(db_url: str) -> Any:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return load_hub(write_hub(tmp_path, {
        "desk": {"connector": "udesk", "conn_id": "desk", "roles": ["crm"]}}))


def conn(srv: Any, tenant: Any, token: str | None = None) -> ConnectionInfo:
    creds = tenant.credentials()
    return ConnectionInfo(conn_id="desk", conn_type="http", host=srv.url("udesk", tenant.name),
                          login=creds["email"], password=token or creds["open_api_token"])


def tickets(store: Store) -> dict[str, dict[str, Any]]:
    docs = store.read_feed("service_ticket", limit=10_000).records
    return {d["external_id"]: d for d in docs}


def test_tickets_sync_linked_to_customer_and_order(hub: Hub, sandbox: Any,
                                                   store: Store) -> None:
    sb, srv = sandbox
    tenant = sb.store("udesk", "tickets", customers=60)     # 120 tickets: two pages
    tenant.rate_limits = False
    first = sync_stream(hub, "desk", "tickets", store=store, conn_info=conn(srv, tenant))
    assert first.status == "success" and first.stored == 120 and first.requests == 2
    assert first.quarantined == 0
    got = tickets(store)
    served = tenant.tickets
    for tid, row in served.items():
        doc = got[str(tid)]
        ref = (row["custom_fields"] or {}).get("TextField_1")
        assert doc["order_external_id"] == (ref.split(":")[1] if ref else None)
        assert doc["order_connection"] == ("youzan_shop" if ref else None)
        assert doc["customer_external_id"] == (str(row["customer_id"])
                                               if row["customer_id"] else None)
        assert doc["created_at"].endswith("Z")
    assert {d["status"] for d in got.values()} <= {"open", "pending", "solved", "closed"}

    # what the order operations ask: the open tickets about one order
    about = next(d for d in got.values() if d["order_external_id"] and
                 d["status"] in ("open", "pending"))
    table = entity_table("service_ticket")
    with store.engine.connect() as c:
        found = c.execute(sa.select(table.c.external_id).where(
            table.c.order_connection == "youzan_shop",
            table.c.order_external_id == about["order_external_id"],
            table.c.status.in_(["open", "pending"]))).scalars().all()
    assert about["external_id"] in found

    changed = tenant.move_tickets(2)
    again = sync_stream(hub, "desk", "tickets", store=store, conn_info=conn(srv, tenant))
    assert again.stored == 2 and again.unchanged == 118
    assert {tickets(store)[str(t)]["status"] for t in changed} == {"solved"}


def test_a_wrong_token_fails_the_run(hub: Hub, sandbox: Any, store: Store) -> None:
    sb, srv = sandbox
    tenant = sb.store("udesk", "refused", customers=1)
    with pytest.raises(UdeskAuthError) as err:
        sync_stream(hub, "desk", "tickets", store=store,
                    conn_info=conn(srv, tenant, token="wrong-token-123"))
    assert err.value.code == 2059 and "wrong-token-123" not in str(err.value)
