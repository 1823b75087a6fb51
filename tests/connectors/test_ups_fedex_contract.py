"""UPS and FedEx tracking contracts: the real connector files against `responses`.

UPS: a token by HTTP Basic client credentials, then one GET per number with the bearer
token, a fresh transId and transactionSrc, the documented query; a 404 in UPS's envelope
becomes a not-found record. FedEx: a token by form credentials, then one POST per batch
with the documented body; each answer entry goes to its number, a per-number NOTFOUND is
kept for the mapping."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import responses
from responses import matchers

from synchub.couriers.inputs import ParcelInput
from synchub.pipeline.source import _read_inputs
from synchub.runtime import ConnectionInfo, ConnectorClient

from .conftest import connector

UPS_HOST, FEDEX_HOST = "https://onlinetools.ups.com", "https://apis.fedex.com"


def parcels(*numbers: str) -> list[ParcelInput]:
    return [ParcelInput(n, "X", "shop", f"o{i}", f"s{i}") for i, n in enumerate(numbers)]


def test_ups_token_then_one_get_per_number() -> None:
    conn = ConnectionInfo(conn_id="ups", conn_type="http", host=UPS_HOST, login="ups-id",
                          password="ups-secret")
    client = ConnectorClient(connector("ups"), conn)
    known, gone = "1Z023E2X0214323462", "1Z0000000000000001"
    query = {"locale": "en_US", "returnSignature": "false", "returnMilestones": "false",
             "returnPOD": "false"}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(f"{UPS_HOST}/security/v1/oauth/token",
                  json={"access_token": "ups-token", "token_type": "Bearer",
                        "expires_in": "14399", "status": "approved"},
                  match=[matchers.header_matcher({"Authorization": "Basic " + base64
                                                  .b64encode(b"ups-id:ups-secret").decode()})])
        mock.get(f"{UPS_HOST}/api/track/v1/details/{known}",
                 json={"trackResponse": {"shipment": [
                     {"inquiryNumber": known, "package": [{"trackingNumber": known}]}]}},
                 match=[matchers.query_param_matcher(query),
                        matchers.header_matcher({"Authorization": "Bearer ups-token",
                                                 "transactionSrc": "synchub"})])
        mock.get(f"{UPS_HOST}/api/track/v1/details/{gone}", status=404,
                 json={"response": {"errors": [{"code": "TW0001",
                                                "message": "Tracking Information Not Found"}]}})
        inputs = client.spec.streams["tracking"].inputs
        records = [r for p in _read_inputs(client, "tracking", inputs, parcels(known, gone))
                   for r in p.records]
        token_form = parse_qs(mock.calls[0].request.body)
        trans = [c.request.headers["transId"] for c in mock.calls[1:]]
    assert token_form == {"grant_type": ["client_credentials"]}
    assert len(set(trans)) == 2 and all(len(t) == 32 for t in trans)
    assert records[0]["inquiryNumber"] == known
    assert records[0]["_input"]["order_external_id"] == "o0"
    assert records[1] == {"_input": records[1]["_input"], "_not_found": True}


def test_fedex_token_then_one_post_per_batch() -> None:
    conn = ConnectionInfo(conn_id="fedex", conn_type="http", host=FEDEX_HOST,
                          login="fx-key", password="fx-secret")
    client = ConnectorClient(connector("fedex"), conn)
    numbers = [f"79484318{i:04d}" for i in range(31)]

    def answer(request: object) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)  # type: ignore[attr-defined]
        asked = [i["trackingNumberInfo"]["trackingNumber"] for i in body["trackingInfo"]]
        out = [{"trackingNumber": n, "trackResults": [
            {"error": {"code": "TRACKING.TRACKINGNUMBER.NOTFOUND", "message": "not found"}}
            if n == numbers[3] else {"latestStatusDetail": {"code": "IT"}}]} for n in asked]
        return 200, {}, json.dumps({"transactionId": "t", "output": {
            "completeTrackResults": out}})

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(f"{FEDEX_HOST}/oauth/token",
                  json={"access_token": "fx-token", "token_type": "bearer", "expires_in": 3599})
        mock.add_callback(responses.POST, f"{FEDEX_HOST}/track/v1/trackingnumbers",
                          callback=answer)
        inputs = client.spec.streams["tracking"].inputs
        pages = list(_read_inputs(client, "tracking", inputs, parcels(*numbers)))
        token_form = parse_qs(mock.calls[0].request.body)
        posts = [c.request for c in mock.calls[1:]]
    assert token_form == {"grant_type": ["client_credentials"], "client_id": ["fx-key"],
                          "client_secret": ["fx-secret"]}
    bodies = [json.loads(p.body) for p in posts]
    assert [len(b["trackingInfo"]) for b in bodies] == [30, 1]
    assert all(b["includeDetailedScans"] is True for b in bodies)
    assert {p.headers["Authorization"] for p in posts} == {"Bearer fx-token"}
    assert {p.headers["x-locale"] for p in posts} == {"en_US"}
    records = [r for p in pages for r in p.records]
    assert [r["trackingNumber"] for r in records] == numbers
    assert records[3]["trackResults"][0]["error"]["code"] == "TRACKING.TRACKINGNUMBER.NOTFOUND"
