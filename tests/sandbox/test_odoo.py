"""The Odoo sandbox through real HTTP: JSON-RPC services, login, faults, domains, paging,
ordering, and the warehouse controls set_stock and deliver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.kit.cn_demo import merchant_codes
from synchub.sandbox.odoo.catalog import CN_STOCK, CUSTOMERS, WH2_STOCK, WH_STOCK

PASSWORD = "odoo_sandbox_demo"


@pytest.fixture(scope="module")
def odoo_sandbox() -> Sandbox:
    sb = Sandbox(seed=7)
    sb.odoo("demo", products=100)
    return sb


@pytest.fixture(scope="module")
def server(odoo_sandbox: Sandbox) -> Iterator[SandboxServer]:
    with SandboxServer(odoo_sandbox) as srv:
        yield srv


class Rpc:
    """A tiny JSON-RPC client for one store."""

    def __init__(self, server: SandboxServer, store: str = "demo") -> None:
        self.url = server.odoo_url(store) + "/jsonrpc"
        self.session = requests.Session()
        self.ids = 0

    def raw(self, service: str, method: str, args: list[Any]) -> requests.Response:
        self.ids += 1
        return self.session.post(self.url, json={
            "jsonrpc": "2.0", "method": "call", "id": self.ids,
            "params": {"service": service, "method": method, "args": args}}, timeout=10)

    def call(self, service: str, method: str, args: list[Any]) -> Any:
        resp = self.raw(service, method, args)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["id"] == self.ids and body["jsonrpc"] == "2.0"
        if "error" in body:
            raise OdooError(body["error"])
        return body["result"]

    def kw(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None,
           password: str = PASSWORD, db: str = "demo", uid: int = 2) -> Any:
        return self.call("object", "execute_kw",
                         [db, uid, password, model, method, args, kwargs or {}])


class OdooError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["data"]["message"])
        self.error = error
        self.name = error["data"]["name"]


@pytest.fixture
def rpc(server: SandboxServer) -> Rpc:
    return Rpc(server)


def control(server: SandboxServer, action: str, body: dict[str, Any],
            store: str = "demo") -> requests.Response:
    return requests.post(f"{server.base_url}/_sandbox/odoo/{store}/{action}", json=body,
                         timeout=10)


def test_version_and_login(rpc: Rpc) -> None:
    assert rpc.call("common", "version", [])["server_serie"] == "17.0"
    assert rpc.call("common", "login", ["demo", "admin", PASSWORD]) == 2
    assert rpc.call("common", "login", ["demo", "admin", "wrong"]) is False
    assert rpc.call("common", "authenticate", ["demo", "admin", PASSWORD, {}]) == 2
    assert rpc.call("db", "list", []) == ["demo"]


@pytest.mark.parametrize(("args", "name"), [
    (["demo", 2, "wrong", "res.company", "search_count", [[]]], "odoo.exceptions.AccessDenied"),
    (["demo", 3, PASSWORD, "res.company", "search_count", [[]]], "odoo.exceptions.AccessDenied"),
    (["other", 2, PASSWORD, "res.company", "search_count", [[]]], "psycopg2.OperationalError"),
    (["demo", 2, PASSWORD, "crm.lead", "search_read", [[]]], "odoo.exceptions.UserError"),
    (["demo", 2, PASSWORD, "stock.quant", "unlink", [[1]]], "builtins.AttributeError"),
    (["demo", 2, PASSWORD, "stock.quant", "_apply", [[]]], "odoo.exceptions.AccessError"),
    (["demo", 2, PASSWORD, "stock.quant", "search_read", [[]], {"fields": ["lot_id"]}],
     "builtins.ValueError"),
    (["demo", 2, PASSWORD, "stock.quant", "search_read", [[["lot_id", "=", 1]]]],
     "builtins.ValueError"),
    (["demo", 2, PASSWORD, "stock.quant", "search_read", [[["id", "~", 1]]]],
     "builtins.ValueError"),
    (["demo", 2, PASSWORD, "stock.quant", "search_read", [["&", ["id", "=", 1]]]],
     "builtins.ValueError"),
    (["demo", 2, PASSWORD, "stock.quant", "search_read", [[]], {"order": "nope desc"}],
     "builtins.ValueError"),
    (["demo", 2, PASSWORD, "stock.quant", "search_read", [[]], {"limt": 3}],
     "builtins.TypeError"),
    (["demo", 2, PASSWORD, "stock.quant", "read", [[999999]]], "odoo.exceptions.MissingError"),
])
def test_faults_are_jsonrpc_errors_at_http_200(rpc: Rpc, args: list[Any], name: str) -> None:
    with pytest.raises(OdooError) as info:
        rpc.call("object", "execute_kw", args)
    assert info.value.name == name
    assert info.value.error["code"] == 200 and info.value.error["message"] == "Odoo Server Error"


def test_walk_with_offset_and_limit_returns_every_quant_once_in_order(
        rpc: Rpc, odoo_sandbox: Sandbox) -> None:
    seen: list[dict[str, Any]] = []
    while True:
        page = rpc.kw("stock.quant", "search_read", [[]],
                      {"fields": ["write_date"], "offset": len(seen), "limit": 37,
                       "order": "write_date desc, id asc"})
        seen += page
        if len(page) < 37:
            break
    ids = [q["id"] for q in seen]
    assert len(ids) == len(set(ids)) == odoo_sandbox.odoo("demo").counts()["quants"]
    assert set(seen[0]) == {"id", "write_date"}
    keys = [(q["write_date"], -q["id"]) for q in seen]
    assert keys == sorted(keys, reverse=True)
    assert rpc.kw("stock.quant", "search_count", [[]]) == len(ids)
    assert rpc.kw("stock.quant", "search", [[]], {"limit": 5, "offset": 2}) == sorted(ids)[2:7]


def test_archived_products_are_hidden_unless_the_domain_names_active(rpc: Rpc) -> None:
    visible = rpc.kw("product.product", "search_count", [[]])
    everything = rpc.kw("product.product", "search_count", [[["active", "in", [True, False]]]])
    archived = rpc.kw("product.product", "search_count", [[["active", "=", False]]])
    assert archived > 0 and visible + archived == everything
    assert rpc.kw("product.product", "search_count", [[]],
                  {"context": {"active_test": False}}) == everything


def test_domain_operators_and_many2one_paths(rpc: Rpc, odoo_sandbox: Sandbox) -> None:
    quants = rpc.kw("stock.quant", "search_read", [[]],
                    {"fields": ["product_id", "location_id", "quantity"]})
    internal = rpc.kw("stock.quant", "search_count", [[["location_id.usage", "=", "internal"]]])
    assert internal == len(quants)
    assert {q["location_id"][0] for q in quants} <= {WH_STOCK, WH2_STOCK, CN_STOCK}
    wh2 = rpc.kw("stock.quant", "search_read", [[["location_id", "=", "WH2/Stock"]]],
                 {"fields": ["location_id"]})
    assert wh2 and {q["location_id"][1] for q in wh2} == {"WH2/Stock"}
    negative = rpc.kw("stock.quant", "search", [[["quantity", "<", 0]]])
    assert negative and negative == sorted(q["id"] for q in quants if q["quantity"] < 0)
    either = rpc.kw("stock.quant", "search",
                    [["|", ["quantity", "<", 0], ["location_id", "in", [WH2_STOCK]]]])
    assert set(either) == {q["id"] for q in quants
                           if q["quantity"] < 0 or q["location_id"][0] == WH2_STOCK}
    not_wh = rpc.kw("stock.quant", "search", [["!", ["location_id", "=", WH_STOCK]]])
    assert set(not_wh) == {q["id"] for q in quants if q["location_id"][0] != WH_STOCK}
    codes = rpc.kw("product.product", "search_read", [[["default_code", "=ilike", "sku-00001-%"]]],
                   {"fields": ["default_code"]})
    products = odoo_sandbox.odoo("demo").records["product.product"].values()
    assert sorted(p["default_code"] for p in codes) == sorted(
        p["default_code"] for p in products
        if p["active"] and str(p["default_code"]).startswith("SKU-00001-"))
    assert codes
    no_code = rpc.kw("product.product", "search_read", [[["default_code", "=", False]]],
                     {"fields": ["default_code", "display_name"]})
    assert no_code and all(p["default_code"] is False and "[" not in p["display_name"]
                           for p in no_code)
    by_name = rpc.kw("stock.quant", "search", [[["product_id", "ilike", "sku-00002-1"]]])
    assert set(by_name) == {q["id"] for q in quants if "[SKU-00002-1]" in q["product_id"][1]}


def test_catalog_follows_the_shared_sku_scheme(odoo_sandbox: Sandbox) -> None:
    store = odoo_sandbox.odoo("demo")
    products = list(store.records["product.product"].values())
    codes = {p["default_code"] for p in products if p["default_code"]}
    china = {code for code, _title, _fen in merchant_codes()}
    assert codes == {f"SKU-{i + 1:05d}-{v}" for i in range(100) for v in range(1, 5)} | china
    cn_quants = [q for q in store.records["stock.quant"].values()
                 if q["product_id"][1].split("]")[0].lstrip("[") in china]
    assert {q["location_id"][1] for q in cn_quants} == {"CN/Stock"}
    assert len(cn_quants) == len(china)     # each Chinese shop's code is stocked in China only
    codes -= china
    archived = [p for p in products if not p["active"]]
    assert 0.01 < len(archived) / len(codes) < 0.06
    for p in products:
        code = p["default_code"]
        assert p["display_name"].startswith(f"[{code}] ") if code else "[" not in p["display_name"]
    quants = list(store.records["stock.quant"].values())
    per_product: dict[int, set[int]] = {}
    for q in quants:
        per_product.setdefault(q["product_id"][0], set()).add(q["location_id"][0])
        assert q["reserved_quantity"] <= max(q["quantity"], 0)
    active = {p["id"] for p in products if p["active"]}
    assert set(per_product) == active
    assert all(1 <= len(locs) <= 2 for locs in per_product.values())
    assert any(q["quantity"] < 0 for q in quants)
    assert max(q["quantity"] for q in quants) <= 150


def test_same_seed_same_data() -> None:
    a, b = Sandbox(seed=3).odoo("x", products=20), Sandbox(seed=3).odoo("x", products=20)
    assert a.records == b.records
    assert Sandbox(seed=4).odoo("x", products=20).records != a.records


def test_set_stock_changes_one_quant_and_bumps_write_date(rpc: Rpc, server: SandboxServer,
                                                          odoo_sandbox: Sandbox) -> None:
    store = odoo_sandbox.odoo("demo")
    sku = "SKU-00010-2"
    before = rpc.kw("stock.quant", "search_read",
                    [[["product_id", "ilike", sku], ["location_id", "=", WH_STOCK]]],
                    {"fields": ["quantity", "write_date"]})
    latest = rpc.kw("stock.quant", "search_read", [[]],
                    {"fields": ["write_date"], "order": "write_date desc", "limit": 1})
    resp = control(server, "set_stock", {"sku": sku, "location": "WH/Stock", "quantity": 7})
    assert resp.status_code == 200, resp.text
    after = rpc.kw("stock.quant", "search_read",
                   [[["product_id", "ilike", sku], ["location_id", "=", WH_STOCK]]],
                   {"fields": ["quantity", "write_date"]})
    assert len(after) == 1 and after[0]["quantity"] == 7.0
    assert not before or after[0]["id"] == before[0]["id"]
    assert after[0]["write_date"] > latest[0]["write_date"]
    changed = rpc.kw("stock.quant", "search",
                     [[["write_date", ">", latest[0]["write_date"]]]])
    assert changed == [after[0]["id"]]
    assert store.quant(sku)["quantity"] == 7.0  # type: ignore[index]


@pytest.mark.parametrize(("body", "status"), [
    ({"sku": "NOPE", "quantity": 1}, 404),
    ({"sku": "SKU-00001-1", "quantity": 1, "location": "Partners/Customers"}, 404),
    ({"sku": "SKU-00001-1", "quantity": "3"}, 400),
    ({"sku": "SKU-00001-1", "quantity": 1, "lot": "x"}, 400),
])
def test_set_stock_refuses_bad_requests(server: SandboxServer, body: dict[str, Any],
                                        status: int) -> None:
    resp = control(server, "set_stock", body)
    assert resp.status_code == status and "error" in resp.json()


def test_deliver_creates_done_moves_and_lowers_quants(rpc: Rpc, server: SandboxServer,
                                                      odoo_sandbox: Sandbox) -> None:
    store = odoo_sandbox.odoo("demo")
    store.set_stock("SKU-00020-1", 10)
    store.set_stock("SKU-00021-1", 4, "WH2/Stock")
    resp = control(server, "deliver", {"origin": "shopify_demo:4242", "lines": [
        {"sku": "SKU-00020-1", "quantity": 3},
        {"sku": "SKU-00021-1", "quantity": 6, "location": "WH2/Stock"}]})
    assert resp.status_code == 200, resp.text
    result = resp.json()
    assert len(result["pickings"]) == 2
    assert result["pickings"][0].startswith("WH/OUT/") and result["pickings"][1].startswith(
        "WH2/OUT/")
    moves = rpc.kw("stock.move", "search_read",
                   [[["origin", "=", "shopify_demo:4242"], ["state", "=", "done"],
                     ["picking_code", "=", "outgoing"]]],
                   {"fields": ["product_id", "quantity", "location_id", "location_dest_id",
                               "reference", "picking_id"], "order": "id asc"})
    assert [m["id"] for m in moves] == result["moves"]
    assert [(m["product_id"][1].split("]")[0], m["quantity"]) for m in moves] == [
        ("[SKU-00020-1", 3.0), ("[SKU-00021-1", 6.0)]
    assert {m["location_dest_id"][0] for m in moves} == {CUSTOMERS}
    assert [m["reference"] for m in moves] == result["pickings"]
    assert store.quant("SKU-00020-1")["quantity"] == 7.0  # type: ignore[index]
    assert store.quant("SKU-00021-1", "WH2/Stock")["quantity"] == -2.0  # type: ignore[index]


@pytest.mark.parametrize("body", [
    {"origin": "", "lines": [{"sku": "SKU-00001-1", "quantity": 1}]},
    {"origin": "x:1", "lines": []},
    {"origin": "x:1", "lines": [{"sku": "SKU-00001-1", "quantity": 0}]},
    {"origin": "x:1", "lines": [{"sku": "SKU-00001-1", "qty": 1}]},
])
def test_deliver_refuses_bad_requests(server: SandboxServer, odoo_sandbox: Sandbox,
                                      body: dict[str, Any]) -> None:
    before = odoo_sandbox.odoo("demo").counts()
    resp = control(server, "deliver", body)
    assert resp.status_code == 400 and "error" in resp.json()
    assert odoo_sandbox.odoo("demo").counts() == before


def test_http_faults_rpc_faults_mutate_and_stats(server: SandboxServer) -> None:
    sb_url = f"{server.base_url}/_sandbox/odoo/faulty"
    assert requests.post(f"{sb_url}/reset", json={"products": 5}, timeout=10).status_code == 200
    rpc = Rpc(server, "faulty")
    password = "odoo_sandbox_faulty"
    assert requests.post(f"{sb_url}/faults", json={"fail_next": [503]},
                         timeout=10).status_code == 200
    first = rpc.raw("common", "version", [])
    assert first.status_code == 503 and first.headers["Retry-After"] == "1"
    assert rpc.call("common", "version", [])["server_version"] == "17.0"
    resp = control(server, "rpc_faults", {"fail_next": ["psycopg2.errors.SerializationFailure"]},
                   "faulty")
    assert resp.status_code == 200
    with pytest.raises(OdooError) as info:
        rpc.kw("stock.quant", "search_count", [[]], password=password, db="faulty")
    assert info.value.name == "psycopg2.errors.SerializationFailure"
    assert "could not serialize" in str(info.value)
    assert rpc.kw("stock.quant", "search_count", [[]], password=password, db="faulty") > 0
    assert control(server, "rpc_faults", {"fail_next": ["Boom"]}, "faulty").status_code == 400
    changed = requests.post(f"{sb_url}/mutate", json={"inventory_changed": 3,
                                                      "products_updated": 2}, timeout=10).json()
    assert len(changed["inventory_changed"]) == 3 and len(changed["products_updated"]) == 2
    stats = requests.get(f"{sb_url}/stats", timeout=10).json()
    # 5 templates of 4 variants, one product without a code, the China warehouse's codes
    assert stats["system"] == "odoo" and stats["counts"]["products"] == (
        20 + 1 + len(merchant_codes()))
    assert stats["requests_by_status"] == {"503": 1, "200": 3}
    assert stats["requests_by_path"] == {"/jsonrpc": 4}


def test_store_command_line_and_ready_file_describe_odoo() -> None:
    from synchub.sandbox.cli import _describe, parse_store

    assert parse_store("odoo:erp:products=3") == ("odoo", "erp", {"products": 3})
    sb = Sandbox(seed=1)
    sb.odoo("erp", products=3)
    srv = SandboxServer(sb, port=0)
    described = _describe(srv, sb)["stores"][0]
    assert described["url"].endswith("/odoo/erp")
    assert described["credentials"] == {"db": "erp", "login": "admin",
                                        "password": "odoo_sandbox_erp"}


def test_fields_get_and_read(rpc: Rpc) -> None:
    fields = rpc.kw("stock.quant", "fields_get", [], {"attributes": ["type", "relation"]})
    assert fields["location_id"] == {"type": "many2one", "relation": "stock.location"}
    assert fields["quantity"] == {"type": "float"}
    ids = rpc.kw("stock.quant", "search", [[]], {"limit": 2, "order": "id desc"})
    read = rpc.kw("stock.quant", "read", [ids, ["quantity"]])
    assert [r["id"] for r in read] == ids and set(read[0]) == {"id", "quantity"}
