"""SF Express route pushes over loopback: SF posts its JSON route push to the hub's intake
URL carrying the connection's token; the hub answers SF's return_code, stores the push
once, refuses a wrong or missing token (nothing stored), and processing re-reads the named
waybills through the signed tracking stream against the SF simulator, so the stored
shipment carries every route, not only the pushed nodes; other open waybills are not asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from fastapi import FastAPI

from synchub.api.app import create_app
from synchub.api.webhooks import webhooks_router
from synchub.canonical import SourceRef
from synchub.canonical.shipment import Shipment
from synchub.errors import ConfigError
from synchub.inbox import WebhookReceiver, process_inbox
from synchub.runtime import ConnectionInfo
from synchub.store import Store
from synchub.store.delivery_tables import inbox

from .conftest import AppServer, write_hub

TOKEN = "sf-push-token-5f2c9a"
PUSHED, QUIET = "SF1311580938720", "SF1420477163395"


def secrets(conn_id: str) -> ConnectionInfo:
    if conn_id != "sf":
        raise ConfigError(f"connection {conn_id!r} not found")
    return ConnectionInfo(conn_id="sf", extra={"webhook_secret": TOKEN})


def push_body(*nodes: dict[str, Any]) -> bytes:
    return json.dumps({"Body": {"WaybillRoute": list(nodes)}}, ensure_ascii=False).encode()


def node(number: str, op: str, at: str, node_id: str) -> dict[str, Any]:
    return {"mailno": number, "orderid": "hub-order-1", "acceptTime": at,
            "acceptAddress": "上海市", "remark": "快件交给快递员，正在派送途中", "opCode": op,
            "id": node_id, "reasonCode": "", "reasonName": ""}


@pytest.fixture
def served(tmp_path: Path, store: Store) -> Any:
    hub = write_hub(tmp_path, sf={"connector": "sf_express", "conn_id": "sf", "webhooks": {}})
    receiver = WebhookReceiver(hub, store, resolve=secrets)
    app = create_app(store_factory=lambda: store, hub_factory=lambda: hub,
                     webhook_router=webhooks_router(lambda: receiver))
    outer = FastAPI()
    outer.mount("/synchub", app)
    with AppServer(outer) as server:
        yield hub, f"{server.url}/synchub/webhooks/sf"


def stored(store: Store) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        return [(r.topic, r.event_id) for r in conn.execute(
            sa.select(inbox.c.topic, inbox.c.event_id).order_by(inbox.c.id))]


def test_a_push_is_answered_in_sfs_words_and_stored_once(served: Any, store: Store) -> None:
    _, url = served
    body = push_body(node(PUSHED, "44", "2025-06-19 14:22:09", "1591580938001"))
    headers = {"Content-Type": "application/json;charset=UTF-8"}
    first = requests.post(url, params={"token": TOKEN}, data=body, headers=headers, timeout=10)
    assert (first.status_code, first.json()) == (200, {"return_code": "0000",
                                                       "return_msg": "成功"})
    again = requests.post(url, params={"token": TOKEN}, data=body, headers=headers, timeout=10)
    assert again.json()["return_code"] == "0000"           # SF stops pushing it
    assert len(stored(store)) == 1 and stored(store)[0][0] == "RoutePushService"

    for params, status in (({"token": "guess"}, 401), ({}, 401)):
        refused = requests.post(url, params=params, data=body, headers=headers, timeout=10)
        assert refused.status_code == status and refused.json()["return_code"] == "1000"
    form = requests.post(url, params={"token": TOKEN}, data={"content": "<Request/>"},
                         timeout=10)
    assert form.status_code == 415 and "JSON" in form.json()["return_msg"]
    bad = requests.post(url, params={"token": TOKEN}, data=b'{"Body": {}}', headers=headers,
                        timeout=10)
    assert bad.status_code == 400
    assert len(stored(store)) == 1


def test_processing_re_reads_the_named_waybill_through_tracking(
        served: Any, store: Store, sandbox: Any) -> None:
    hub, url = served
    sb, srv = sandbox
    sf = sb.store("sf_express", "push")
    sf.rate_limits = False
    store.write_page(connection="erp", stream="parcels", records=[
        Shipment(source=SourceRef(connection="erp", system="odoo", external_id=f"picking:{n}"),
                 external_id=f"picking:{n}", tracking_number=number, carrier="顺丰速运",
                 order_connection="youzan", order_external_id=f"E{n}", status="in_transit")
        for n, number in enumerate((PUSHED, QUIET))])
    sf.set_status(PUSHED, "out_for_delivery")
    served_routes = sf.route_resp(PUSHED)["routes"]
    last = served_routes[-1]
    body = push_body(node(PUSHED, last["opCode"], last["acceptTime"], "1591580938002"))
    reply = requests.post(url, params={"token": TOKEN}, data=body, timeout=10,
                          headers={"Content-Type": "application/json"})
    assert reply.json()["return_code"] == "0000"

    creds = sf.credentials()
    conn = ConnectionInfo(conn_id="sf", conn_type="http", host=srv.url("sf_express", "push"),
                          login=creds["partner_id"], password=creds["checkword"],
                          extra={"check_phone": creds["check_phone"]})
    summary = process_inbox(store, hub, "sf", conn_info=conn)
    assert (summary.processed, summary.stored, summary.fetched) == (1, 1, 1)
    docs = {d["external_id"]: d for d in store.read_feed("shipment", limit=100).records
            if d["source"]["connection"] == "sf"}
    assert set(docs) == {PUSHED}                 # the quiet waybill was not asked about
    shipment = docs[PUSHED]
    assert shipment["status"] == "out_for_delivery"
    assert len(shipment["events"]) == len(served_routes) > 1     # every route, not one node
    assert shipment["order_external_id"] == "E0"
    assert [r.path for r in sf.requests] == ["/std/service"]
