"""Odoo contract: JSON-RPC bodies of the real connector file (login once, execute_kw with
the declared domain, fields and order, offset paging, the incremental window as domain
terms, the company currency), faults, and the mappings of the named fixture payloads
against their golden files and the canonical JSON Schemas."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
import responses
from responses import matchers

import synchub.systems.odoo.transforms  # noqa: F401 - registers the Odoo transforms
from synchub.errors import ConfigError, FatalAPIError
from synchub.mapping import MappingContext, load_mapping
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.schemas import entity_schema

from .conftest import ROOT, connector, fixture

HOST = "https://erp.example.com"
RPC = f"{HOST}/jsonrpc"
DB, LOGIN, KEY, UID = "acme_prod", "hub@example.com", "0f3c-odoo-api-key-9b1e", 9
END = datetime(2025, 3, 2, 0, 0, tzinfo=UTC)
STATE = {"cursor": "2025-03-01T12:00:00Z"}
WINDOW = [["write_date", ">", "2025-03-01 11:50:00"], ["write_date", "<=", "2025-03-01 23:59:00"]]
ORDER = "write_date asc, id asc"
DOMAINS = {
    "products": [["default_code", "!=", False], ["active", "in", [True, False]]],
    "stock_quants": [["location_id.usage", "=", "internal"]],
    "deliveries": [["state", "=", "done"], ["picking_code", "=", "outgoing"]],
}
MODELS = {"products": "product.product", "stock_quants": "stock.quant",
          "deliveries": "stock.move"}
MAPPINGS = {"products": "products", "stock_quants": "inventory_levels",
            "deliveries": "shipments"}
GOLDEN = ROOT / "tests" / "mapping" / "golden" / "odoo"
MAPPING_FIXTURES = ROOT / "tests" / "mapping" / "fixtures" / "odoo"
CONTEXT = MappingContext(connection="odoo_main", system="odoo",
                         values={"company_currency": "EUR"})


def client() -> ConnectorClient:
    conn = ConnectionInfo(conn_id="odoo_main", conn_type="odoo", host=HOST, schema=DB,
                          login=LOGIN, password=KEY)
    return ConnectorClient(connector("odoo"), conn, sleep=lambda s: None)


def body(service: str, method: str, args: list[Any], call_id: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "call",
            "params": {"service": service, "method": method, "args": args}, "id": call_id}


def expect_login(mock: responses.RequestsMock) -> None:
    mock.post(RPC, json={"jsonrpc": "2.0", "id": 1, "result": UID},
              match=[matchers.json_params_matcher(body("common", "login", [DB, LOGIN, KEY], 1))])


def expect_read(mock: responses.RequestsMock, call_id: int, stream: str, domain: list[Any],
                kwargs: dict[str, Any], result: list[Any]) -> None:
    spec = connector("odoo").streams[stream]
    kw = {"fields": list(spec.fields), "order": ORDER, **kwargs}  # type: ignore[union-attr]
    args = [DB, UID, KEY, MODELS[stream], "search_read", [domain], kw]
    mock.post(RPC, json={"jsonrpc": "2.0", "id": call_id, "result": result},
              match=[matchers.json_params_matcher(body("object", "execute_kw", args, call_id))])


def records(stream: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = fixture("odoo", stream)["result"]
    return result


def full_page(rows: list[dict[str, Any]], first_id: int) -> list[dict[str, Any]]:
    """500 records (the connector's page size) made from the fixture rows, distinct ids."""
    return [{**rows[i % len(rows)], "id": first_id + i} for i in range(500)]


def test_connector_file_declares_the_stock_master_streams() -> None:
    import yaml

    from synchub.config.connector import connector_model

    spec = connector("odoo")
    assert {name: s.mappings for name, s in spec.streams.items()} == {
        "products": ["products"], "stock_quants": ["inventory_levels"],
        "deliveries": ["shipments"], "parcels": ["parcels"]}
    assert list(spec.context) == ["company_currency"]
    assert all(s.transport == "jsonrpc" and s.incremental is not None
               for s in spec.streams.values())
    schema = connector_model().model_json_schema(mode="validation")
    data = yaml.safe_load((ROOT / "connectors" / "odoo" / "connector.yaml").read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == []


def test_products_login_once_and_offset_pages(mock_http: responses.RequestsMock) -> None:
    rows = records("products")
    expect_login(mock_http)
    expect_read(mock_http, 2, "products", DOMAINS["products"] + WINDOW,
                {"offset": 0, "limit": 500}, full_page(rows, 5000))
    expect_read(mock_http, 3, "products", DOMAINS["products"] + WINDOW,
                {"offset": 500, "limit": 500}, rows)
    pages = list(client().read("products", state=STATE, window_end=END))
    assert [(len(p.records), p.state, p.number) for p in pages] == [
        (500, {"cursor": "2025-03-01T12:20:00Z"}, 1), (3, {"cursor": "2025-03-01T12:20:00Z"}, 2)]
    assert [r["default_code"] for r in pages[1].records] == [
        "SKU-00002-1", "SKU-00002-2", " SKU-00002-3 "]


@pytest.mark.parametrize("stream", ["stock_quants", "deliveries"])
def test_first_run_reads_everything_with_the_declared_domain(
        mock_http: responses.RequestsMock, stream: str) -> None:
    expect_login(mock_http)
    expect_read(mock_http, 2, stream, DOMAINS[stream], {"offset": 0, "limit": 500},
                records(stream))
    pages = list(client().read(stream))
    assert [[r["id"] for r in p.records] for p in pages] == [[r["id"] for r in records(stream)]]
    assert pages[-1].state is not None


def test_company_currency_context(mock_http: responses.RequestsMock) -> None:
    expect_login(mock_http)
    mock_http.post(RPC, json=fixture("odoo", "company"), match=[matchers.json_params_matcher(
        body("object", "execute_kw",
             [DB, UID, KEY, "res.company", "search_read", [[]],
              {"fields": ["currency_id"], "order": "id asc", "limit": 1}], 2))])
    assert client().context() == {"company_currency": "EUR"}


def test_wrong_key_is_a_config_error_without_the_key(mock_http: responses.RequestsMock) -> None:
    mock_http.post(RPC, json={"jsonrpc": "2.0", "id": 1, "result": False})
    with pytest.raises(ConfigError, match="Odoo refused the login") as info:
        list(client().read("stock_quants"))
    assert KEY not in str(info.value)


def test_access_error_fails_the_stream(mock_http: responses.RequestsMock) -> None:
    expect_login(mock_http)
    mock_http.post(RPC, json={"jsonrpc": "2.0", "id": 2, "error": {
        "code": 200, "message": "Odoo Server Error",
        "data": {"name": "odoo.exceptions.AccessError",
                 "message": "You are not allowed to access 'Quants' (stock.quant) records.",
                 "arguments": [], "debug": f"Traceback ... args {KEY}"}}})
    with pytest.raises(FatalAPIError, match=r"odoo\.exceptions\.AccessError: You are not allowed"
                       ) as info:
        list(client().read("stock_quants"))
    assert KEY not in str(info.value) and KEY not in (info.value.body or "")


def _mapped(stream: str) -> list[dict[str, Any]]:
    mapping = load_mapping(ROOT / "mappings" / "odoo" / f"{MAPPINGS[stream]}.yaml")
    payload = json.loads((MAPPING_FIXTURES / f"{stream}.json").read_text(encoding="utf-8"))
    return [rec.to_json_dict() for raw in mapping.unwrap(payload)
            for rec in mapping.apply(raw, CONTEXT)]


@pytest.mark.parametrize("stream", sorted(MAPPINGS))
def test_fixture_maps_to_golden_and_validates(stream: str) -> None:
    produced = _mapped(stream)
    assert produced
    entity = load_mapping(ROOT / "mappings" / "odoo" / f"{MAPPINGS[stream]}.yaml").entity
    validator = jsonschema.Draft202012Validator(entity_schema(entity))
    for doc in produced:
        assert list(validator.iter_errors(doc)) == []
    golden = GOLDEN / f"{MAPPINGS[stream]}.json"
    text = json.dumps(produced, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; run with UPDATE_GOLDEN=1 and review it"
    assert json.loads(golden.read_text(encoding="utf-8")) == json.loads(text)


def test_the_mappings_read_what_odoo_sends() -> None:
    products = {p["external_id"]: p for p in _mapped("products")}
    assert products["1011"]["status"] == "active" and products["1012"]["status"] == "archived"
    assert products["1013"]["sku"] == "SKU-00002-3" and products["1013"]["barcode"] is None
    assert products["1013"]["price"] == {"amount": "129.00", "currency": "EUR"}
    assert products["1013"]["inventory_tracked"] is False
    levels = {lv["external_id"]: lv for lv in _mapped("stock_quants")}
    assert (levels["41"]["sku"], levels["41"]["available"], levels["41"]["reserved"]) == (
        "SKU-00002-1", 32, 5)
    assert (levels["42"]["on_hand"], levels["42"]["available"]) == (-3, -3)
    assert levels["43"]["sku"] is None and levels["43"]["location_name"] == "WH/Stock"
    shipments = {s["external_id"]: s for s in _mapped("deliveries")}
    assert sorted(shipments) == ["move:301", "move:302", "move:303"]   # the cancelled one: none
    assert (shipments["move:301"]["order_connection"],
            shipments["move:301"]["order_external_id"]) == ("shopify_demo", "1073339460")
    assert shipments["move:302"]["order_connection"] is None
    assert shipments["move:302"]["order_external_id"] is None
    assert shipments["move:301"]["lines"] == [
        {"sku": "SKU-00002-1", "line_external_id": "301", "quantity": 2}]
    assert {s["status"] for s in shipments.values()} == {"in_transit"}
