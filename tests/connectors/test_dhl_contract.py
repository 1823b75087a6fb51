"""DHL Unified Tracking contract: the real connector file sends the key header and one
trackingNumber per request; a 404 problem+json becomes an "unknown" record, not a failure;
429 is retried after Retry-After; 401 fails the run; the named fixture maps to canonical
shipments that validate against the feed schema."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import responses
from responses import matchers

from synchub.errors import FatalAPIError
from synchub.mapping import MappingContext, load_mapping
from synchub.pipeline import read_stream
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.schemas import entity_schema
from synchub.store import Store

from .conftest import ROOT, connector, fixture

HOST = "https://api-eu.dhl.com"
URL = f"{HOST}/track/shipments"
KEY = "dhl-app-key-7c1e9a"
NOT_FOUND = {"title": "No result found", "status": 404,
             "detail": "No shipment with given tracking number found."}
PROBLEM = "application/problem+json"


def client(sleeps: list[float] | None = None) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="dhl_main", conn_type="http", host=HOST, password=KEY)
    return ConnectorClient(connector("dhl"), conn,
                           sleep=(sleeps.append if sleeps is not None else lambda s: None))


def expect(mock: responses.RequestsMock, number: str, status: int, body: Any,
           headers: dict[str, str] | None = None) -> None:
    mock.get(URL, status=status, json=body, headers=headers,
             content_type=PROBLEM if status >= 400 else "application/json",
             match=[matchers.query_param_matcher({"trackingNumber": number, "language": "en"}),
                    matchers.header_matcher({"DHL-API-Key": KEY})])


@pytest.fixture
def parcels(sqlite_url: str) -> Any:
    """A store holding two open DHL parcels and one UPS parcel."""
    from synchub.canonical.base import SourceRef
    from synchub.canonical.shipment import Shipment

    store = Store.from_url(sqlite_url)
    store.migrate()
    store.write_page(connection="erp", stream="parcels", records=[
        Shipment(source=SourceRef(connection="erp", system="odoo", external_id=f"picking:{i}"),
                 external_id=f"picking:{i}", tracking_number=number, carrier=carrier,
                 order_connection="shop", order_external_id=str(1000 + i), status="in_transit")
        for i, (number, carrier) in enumerate([("1234567890", "DHL Express"),
                                               ("NOPE1234", "DHL Parcel"),
                                               ("1Z999AA10123456784", "UPS")])])
    yield store
    store.dispose()


def test_one_request_per_open_number(mock_http: responses.RequestsMock, parcels: Store) -> None:
    expect(mock_http, "1234567890", 200, fixture("dhl", "shipment_delivered"))
    expect(mock_http, "NOPE1234", 404, NOT_FOUND)
    with client() as c:
        pages = list(read_stream(c, "tracking", store=parcels, connection="dhl_main",
                                 state=None, window_end=None, full_refresh=False))
    assert [p.state for p in pages] == [None, None]              # no cursor to move
    (known,), (unknown,) = (p.records for p in pages)
    assert known["id"] == "1234567890"          # match_field keeps the asked-for shipment
    assert known["_input"]["order_external_id"] == "1000"
    assert unknown == {"_not_found": True, "_input": {
        "tracking_number": "NOPE1234", "carrier": "DHL Parcel", "order_connection": "shop",
        "order_external_id": "1001", "shipment_id": unknown["_input"]["shipment_id"]}}


def test_429_is_retried_after_retry_after(mock_http: responses.RequestsMock) -> None:
    expect(mock_http, "1234567890", 429, {"status": 429, "title": "Too Many Requests",
                                          "detail": "Too many requests"},
           headers={"Retry-After": "7"})
    expect(mock_http, "1234567890", 200, fixture("dhl", "shipment_delivered"))
    sleeps: list[float] = []
    with client(sleeps) as c:
        (page,) = list(c.read_with("tracking", {"input.tracking_number": "1234567890"}))
    assert len(page.records) == 2 and 7 in [round(s) for s in sleeps]


def test_a_wrong_key_fails_the_stream(mock_http: responses.RequestsMock, parcels: Store) -> None:
    mock_http.get(URL, status=401, content_type=PROBLEM,
                  json={"status": 401, "title": "Unauthorized",
                        "detail": "Unauthorized for given resource."})
    with client() as c, pytest.raises(FatalAPIError) as err:
        list(read_stream(c, "tracking", store=parcels, connection="dhl_main", state=None,
                         window_end=None, full_refresh=False))
    assert err.value.status == 401 and KEY not in str(err.value)


def test_fixture_maps_to_valid_shipments() -> None:
    mapping = load_mapping(ROOT / "mappings" / "dhl" / "tracking.yaml")
    ctx = MappingContext(connection="dhl_main", system="dhl", values={})
    tag = {"tracking_number": "1234567890", "carrier": "DHL Express",
           "order_connection": "shop", "order_external_id": "1001", "shipment_id": "x"}
    raw = {**fixture("dhl", "shipment_delivered")["shipments"][0], "_input": tag}
    (rec,) = mapping.apply(raw, ctx)
    doc = rec.to_json_dict()
    jsonschema.Draft202012Validator(entity_schema("shipment")).validate(doc)
    assert doc["external_id"] == doc["tracking_number"] == "1234567890"
    assert doc["status"] == "delivered" and doc["delivered_at"] == "2025-03-04T09:47:00Z"
    assert [e["status"] for e in doc["events"]] == ["delivered", "out_for_delivery",
                                                   "in_transit", "info_received"]
    # a time without an offset is taken as UTC; located events carry their place
    assert doc["events"][2] == {"at": "2025-03-03T22:05:00Z", "status": "in_transit",
                                "description": "Processed at LEIPZIG - GERMANY",
                                "location": "Leipzig"}
    (gone,) = mapping.apply({"_input": tag, "_not_found": True}, ctx)
    assert gone.to_json_dict()["status"] == "unknown"
