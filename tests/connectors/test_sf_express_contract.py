"""SF Express standard service contract: the real connector file sends one signed form per
open SF waybill (partnerID, a fresh requestID, serviceCode, an epoch-millisecond timestamp,
msgData as JSON text, msgDigest over them with the check word); the digest is checked
against the published SDK sample's inputs; A1000 answers are opened (apiResultData is JSON
text); platform codes and service errors are classified; the fixture maps to shipments
that validate against the feed schema, in UTC."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import jsonschema
import pytest
import responses

from synchub.errors import FatalAPIError
from synchub.mapping import MappingContext, load_mapping
from synchub.pipeline import read_stream
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.schemas import entity_schema
from synchub.store import Store
from synchub.systems.sf_express.digest import digest_matches, java_urlencode, msg_digest
from synchub.systems.sf_express.errors import SfAuthError, SfServiceError

from .conftest import ROOT, connector, fixture

HOST = "https://sfapi-sbox.sf-express.com"
URL = f"{HOST}/std/service"
PARTNER, CHECKWORD = "HUB_SFX01", "cK7u2QmZ9vLr4TxW8bNq3YpD6sFh1JaE"

# SF's Python SDK sample (SF-CSIM-EXPRESS-SDK-PYTHON V2.0, callExpressRequest.py): its
# customer code Y7hHmkqf and check word, its route query file 05.route_query_by_MailNo.json
# as read from disk (tabs and newlines kept), at a fixed timestamp; the digest is what the
# sample's own procedure (quote_plus, MD5, Base64) gives.
SAMPLE_MSG = ('{\n\t"language": "0",\n\t"trackingType": "1",\n\t"trackingNumber": '
              '["SF7444407228423"],\n\t"methodType": "1"\n}')
SAMPLE_CHECKWORD = "ehpA2SxjBT0M0QY74VktZbPSx41xO9gt"


def test_digest_known_answer_from_the_sdk_sample() -> None:
    assert msg_digest(SAMPLE_MSG, "1592814047929", SAMPLE_CHECKWORD) == \
        "NPYIu6EFxMW/nsdMx5ST5w=="
    assert digest_matches("NPYIu6EFxMW/nsdMx5ST5w==", SAMPLE_MSG, "1592814047929",
                          SAMPLE_CHECKWORD)
    assert not digest_matches("NPYIu6EFxMW/nsdMx5ST5w==", SAMPLE_MSG, "1592814047930",
                              SAMPLE_CHECKWORD)


@pytest.mark.parametrize(("text", "encoded"), [
    ("a b", "a+b"),                  # a space is +, not %20
    ("*._-", "*._-"),                # Java keeps these four
    ("~", "%7E"),                    # Java encodes ~ (Python's quote_plus would keep it)
    ('{"k":"顺丰"}', "%7B%22k%22%3A%22%E9%A1%BA%E4%B8%B0%22%7D"),  # UTF-8, upper-case hex
])
def test_urlencode_is_javas(text: str, encoded: str) -> None:
    assert java_urlencode(text) == encoded


def client(extra: dict[str, Any] | None = None, sleeps: list[float] | None = None
           ) -> ConnectorClient:
    conn = ConnectionInfo(conn_id="sf_main", conn_type="http", host=HOST, login=PARTNER,
                          password=CHECKWORD, extra=extra or {})
    return ConnectorClient(connector("sf_express"), conn,
                           sleep=(sleeps.append if sleeps is not None else lambda s: None))


def answer(code: str = "A1000", data: Any = None, msg: str = "") -> dict[str, Any]:
    return {"apiErrorMsg": msg, "apiResponseID": "0001873CC6A1F43F", "apiResultCode": code,
            "apiResultData": None if data is None else json.dumps(data, ensure_ascii=False)}


def signed_form(sent: list[dict[str, str]], reply: Any) -> Any:
    """A responses callback that checks the form is signed as SF checks it."""
    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        form = dict(parse_qsl(request.body, keep_blank_values=True))
        assert digest_matches(form["msgDigest"], form["msgData"], form["timestamp"], CHECKWORD)
        sent.append(form)
        body = reply(form) if callable(reply) else reply
        return 200, {"Content-Type": "application/json;charset=UTF-8"}, json.dumps(body)
    return callback


@pytest.fixture
def parcels(sqlite_url: str) -> Any:
    """A store holding two open SF waybills and one DHL parcel."""
    from synchub.canonical.base import SourceRef
    from synchub.canonical.shipment import Shipment

    store = Store.from_url(sqlite_url)
    store.migrate()
    store.write_page(connection="erp", stream="parcels", records=[
        Shipment(source=SourceRef(connection="erp", system="odoo", external_id=f"picking:{i}"),
                 external_id=f"picking:{i}", tracking_number=number, carrier=carrier,
                 order_connection="youzan_shop", order_external_id=f"E2025{i}",
                 status="in_transit")
        for i, (number, carrier) in enumerate([("SF1311580938720", "顺丰速运"),
                                               ("SF1420477163395", "SF Express"),
                                               ("1234567890", "DHL Express")])])
    yield store
    store.dispose()


def test_one_signed_route_query_per_open_waybill(mock_http: responses.RequestsMock,
                                                 parcels: Store) -> None:
    sent: list[dict[str, str]] = []

    def reply(form: dict[str, str]) -> Any:
        number = json.loads(form["msgData"])["trackingNumber"][0]
        if number == "SF1311580938720":
            return fixture("sf_express", "routes_delivered")
        return answer(data={"success": True, "errorCode": "S0000", "errorMsg": None,
                            "msgData": {"routeResps": [{"mailNo": number, "routes": []}]}})

    mock_http.add_callback(responses.POST, URL, callback=signed_form(sent, reply))
    with client({"check_phone": "8000"}) as c:
        pages = list(read_stream(c, "tracking", store=parcels, connection="sf_main",
                                 state=None, window_end=None, full_refresh=False))
    assert [len(p.records) for p in pages] == [1, 1]
    assert [f["serviceCode"] for f in sent] == ["EXP_RECE_SEARCH_ROUTES"] * 2
    assert {f["partnerID"] for f in sent} == {PARTNER}
    assert len({f["requestID"] for f in sent}) == 2            # a fresh id per request
    assert all(len(f["timestamp"]) == 13 for f in sent)        # epoch milliseconds
    assert json.loads(sent[0]["msgData"]) == {
        "language": "0", "trackingType": "1", "trackingNumber": ["SF1311580938720"],
        "methodType": "1", "checkPhoneNo": "8000"}
    assert CHECKWORD not in json.dumps(sent)
    first = pages[0].records[0]
    assert first["mailNo"] == "SF1311580938720" and len(first["routes"]) == 3
    assert first["_input"]["order_external_id"] == "E20250"


def test_check_phone_is_left_out_when_the_connection_has_none(
        mock_http: responses.RequestsMock) -> None:
    sent: list[dict[str, str]] = []
    mock_http.add_callback(responses.POST, URL, callback=signed_form(
        sent, fixture("sf_express", "routes_delivered")))
    with client() as c:
        list(c.read_with("tracking", {"input.tracking_number": "SF1311580938720"}))
    assert "checkPhoneNo" not in json.loads(sent[0]["msgData"])


def test_throttled_platform_code_is_retried(mock_http: responses.RequestsMock) -> None:
    sent: list[dict[str, str]] = []
    replies = iter([answer("A1005", msg="流量受控"),
                    fixture("sf_express", "routes_delivered")])
    mock_http.add_callback(responses.POST, URL,
                           callback=signed_form(sent, lambda form: next(replies)))
    sleeps: list[float] = []
    with client(sleeps=sleeps) as c:
        (page,) = list(c.read_with("tracking", {"input.tracking_number": "SF1311580938720"}))
    assert len(page.records) == 1 and len(sleeps) == 1
    assert sent[0]["requestID"] != sent[1]["requestID"]      # the retry is signed afresh


@pytest.mark.parametrize(("body", "error", "code"), [
    (answer("A1006", msg="数字签名无效"), SfAuthError, "A1006"),
    (answer("A1004", msg="无对应服务权限"), SfAuthError, "A1004"),
    (answer("A1001", msg="必传参数不可为空"), SfServiceError, "A1001"),
    (answer(data={"success": False, "errorCode": "8152", "errorMsg": "运单号不合法"}),
     SfServiceError, "8152"),
])
def test_refusals_are_classified(mock_http: responses.RequestsMock, body: Any,
                                 error: type[Exception], code: str) -> None:
    mock_http.post(URL, json=body)
    with client() as c, pytest.raises(error) as err:
        list(c.read_with("tracking", {"input.tracking_number": "SF1311580938720"}))
    assert isinstance(err.value, FatalAPIError) and getattr(err.value, "code", None) == code
    assert CHECKWORD not in str(err.value)


def test_an_answer_without_the_envelope_is_fatal(mock_http: responses.RequestsMock) -> None:
    mock_http.post(URL, json={"unexpected": True})
    with client() as c, pytest.raises(FatalAPIError, match="no apiResultCode"):
        list(c.read_with("tracking", {"input.tracking_number": "SF1311580938720"}))


def test_fixture_maps_to_valid_shipments_in_utc() -> None:
    mapping = load_mapping(ROOT / "mappings" / "sf_express" / "tracking.yaml")
    ctx = MappingContext(connection="sf_main", system="sf_express", values={})
    data = json.loads(fixture("sf_express", "routes_delivered")["apiResultData"])
    tag = {"tracking_number": "SF1311580938720", "carrier": "顺丰速运",
           "order_connection": "youzan_shop", "order_external_id": "E1", "shipment_id": "x"}
    (rec,) = mapping.apply({**data["msgData"]["routeResps"][0], "_input": tag}, ctx)
    doc = rec.to_json_dict()
    jsonschema.Draft202012Validator(entity_schema("shipment")).validate(doc)
    assert doc["status"] == "delivered" and "warnings" not in doc  # empty: left out of the document
    assert doc["delivered_at"] == "2025-06-19T09:48:30Z"       # 17:48:30 Beijing time
    assert [(e["code"], e["status"]) for e in doc["events"]] == [
        ("54", "in_transit"), ("44", "out_for_delivery"), ("80", "delivered")]
