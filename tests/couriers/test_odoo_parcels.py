"""The Odoo sandbox's transfers: delivery carriers, stock.picking read over JSON-RPC, and
`deliver` with a carrier and tracking number (Python and control endpoint)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from synchub.config.connector import ConnectorSpec


def rpc(srv: Any, sb: Any, model: str, domain: list[Any], fields: list[str]) -> Any:
    creds = sb.odoo("demo").credentials()
    body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "service": "object", "method": "execute_kw",
        "args": [creds["db"], 2, creds["password"], model, "search_read", [domain],
                 {"fields": fields, "order": "id asc"}]}}
    answer = requests.post(srv.odoo_url("demo") + "/jsonrpc", json=body, timeout=10).json()
    assert "error" not in answer, answer
    return answer["result"]


def test_deliver_sets_carrier_and_tracking_on_the_transfer(sandbox: Any) -> None:
    sb, srv = sandbox
    before = rpc(srv, sb, "stock.picking", [["carrier_tracking_ref", "!=", False]], ["id"])
    assert before == []                     # seeded transfers carry no tracking
    carriers = rpc(srv, sb, "delivery.carrier", [], ["name"])
    assert [c["name"] for c in carriers] == ["DHL Express", "DHL Parcel", "UPS Standard",
                                             "Pick up in store", "SF Express"]
    resp = requests.post(f"{srv.base_url}/_sandbox/odoo/demo/deliver", timeout=10, json={
        "origin": "shop:77", "lines": [{"sku": "SKU-00001-1", "quantity": 1}],
        "carrier": "DHL Express", "tracking_number": "1234567890"})
    assert resp.status_code == 200, resp.text
    (picking,) = rpc(srv, sb, "stock.picking", [["carrier_tracking_ref", "!=", False]],
                     ["name", "origin", "state", "picking_type_code", "carrier_id",
                      "carrier_tracking_ref", "date_done", "write_date"])
    assert picking["name"] == resp.json()["pickings"][0]
    assert (picking["origin"], picking["state"], picking["picking_type_code"]) == \
        ("shop:77", "done", "outgoing")
    assert picking["carrier_id"][1] == "DHL Express"
    assert picking["carrier_tracking_ref"] == "1234567890"
    assert picking["date_done"] == picking["write_date"]


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"carrier": "Pigeon Post"}, 404, "no delivery carrier 'Pigeon Post'"),
    ({"tracking_number": "1234567890"}, 400, "with a carrier"),
    ({"carrier": "DHL Express", "tracking_number": "1234567890",
      "lines": [{"sku": "SKU-00001-1", "quantity": 1},
                {"sku": "SKU-00001-2", "quantity": 1, "location": "WH2/Stock"}]},
     400, "several locations"),
])
def test_deliver_refuses_bad_parcels(sandbox: Any, body: dict[str, Any], status: int,
                                     message: str) -> None:
    _, srv = sandbox
    payload = {"origin": "shop:78", "lines": [{"sku": "SKU-00001-1", "quantity": 1}], **body}
    resp = requests.post(f"{srv.base_url}/_sandbox/odoo/demo/deliver", json=payload,
                         timeout=10)
    assert resp.status_code == status and message in resp.json()["error"]


@pytest.mark.parametrize("system", ["dhl", "aftership"])
def test_courier_connector_files_pass_the_editor_schema(system: str) -> None:
    import jsonschema
    import yaml

    from tests.connectors.conftest import ROOT

    schema = ConnectorSpec.model_json_schema(mode="validation")
    data = yaml.safe_load((ROOT / "connectors" / system / "connector.yaml").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(data)) == []
    stream = next(iter(data["streams"].values()))
    stream["inputs"] = {"from_store": "open_parcels", "carriers": "dhl", "extra": 1}
    assert list(validator.iter_errors(data))
