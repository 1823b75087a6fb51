"""The mapping engine: paths and scopes, explode, when, child mappings, errors."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path
from typing import Any

import pytest

from synchub.canonical import InventoryLevel, Order
from synchub.errors import ConfigError, RecordError
from synchub.mapping import CompiledMapping, MappingContext, load_mapping
from synchub.mapping.paths import compile_getter, compile_path
from tests.mapping.conftest import CONTEXTS, MAPPINGS, load_fixture

CTX = MappingContext(connection="c1", system="test", values={"currency": "EUR"})


def write_mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


LEVEL = """\
entity: inventory_level
id: id
{extra}
fields:
  location_external_id: {{const: main}}
  available: {{path: qty, transform: to_int}}
"""


def level_mapping(tmp_path: Path, extra: str = "") -> CompiledMapping:
    return load_mapping(write_mapping(tmp_path, LEVEL.format(extra=extra)))


DOC = {"a": {"b": {"c": 1}}, "items": [{"x": 1}, {"x": None}, [{"x": 3}], {"y": 4}],
       "nested": [{"xs": [{"v": 1}, {"v": 2}]}, {"xs": [{"v": 3}]}], "s": "text"}
PATHS = [
    ("a.b.c", 1),
    ("a.b", {"c": 1}),
    ("a.missing.c", None),
    ("s.length", None),          # a key of a non-object is null, as in JMESPath
    ("items[].x", [1, 3]),
    ("nested[].xs[].v", [1, 2, 3]),
    ("nested[].xs[]", [{"v": 1}, {"v": 2}, {"v": 3}]),
    ("s[].x", None),
    ("items[?x == `1`].x | [0]", 1),   # a real expression goes through jmespath
    ("length(items)", 4),
]


@pytest.mark.parametrize(("expr", "expected"), PATHS)
def test_paths_follow_jmespath_semantics(expr: str, expected: Any) -> None:
    import jmespath

    assert compile_getter(expr)(DOC) == expected
    assert jmespath.search(expr, DOC) == expected


@pytest.mark.parametrize(("expr", "expected"), [
    ("a", "cur"), ("$parent.a", "parent"), ("$root.a", "root"), ("$", {"a": "cur"}),
    ("$root", {"a": "root"}),
])
def test_scope_prefixes(expr: str, expected: Any) -> None:
    get = compile_path(expr)
    assert get({"a": "cur"}, {"a": "parent"}, {"a": "root"}) == expected


def test_unknown_scope_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown scope"):
        compile_path("$grandparent.a")


def test_when_false_yields_nothing_and_explode_yields_one_per_element(tmp_path: Path) -> None:
    m = load_mapping(write_mapping(tmp_path, """\
        entity: inventory_level
        id: id
        when: "tracked == `true`"
        explode: {path: levels, id: {op: concat, sep: ":", args: [$parent.id, loc]}}
        fields:
          sku: $parent.sku
          location_external_id: loc
          available: qty
        """))
    raw = {"id": 7, "sku": "S", "tracked": True, "levels": [{"loc": "a", "qty": 1},
                                                             {"loc": "b", "qty": 2}]}
    levels = m.apply(raw, CTX)
    assert [(lv.source.external_id, lv.external_id, lv.sku, lv.available) for lv in levels] == [
        ("7:a", "7:a", "S", 1), ("7:b", "7:b", "S", 2)]
    assert all(isinstance(lv, InventoryLevel) for lv in levels)
    assert m.apply({**raw, "tracked": False}, CTX) == []
    assert m.apply({**raw, "levels": []}, CTX) == []
    assert m.record_id(raw) == "7"


def test_child_mappings_reach_the_enclosing_record(tmp_path: Path) -> None:
    m = load_mapping(MAPPINGS / "shopify" / "orders.yaml")
    order = m.unwrap(load_fixture("shopify", "orders"))[1]
    result = m.apply(order, CONTEXTS["shopify"])[0]
    assert isinstance(result, Order)
    # refunded quantities come from refunds[].refund_line_items[] naming each line
    assert [ln.refunded_quantity for ln in result.lines] == [1, 2]
    # the line currency is the order's
    assert {ln.unit_price.currency for ln in result.lines} == {"USD"}
    # only the successful refund transaction counts
    assert str(result.refunded_total.amount) == "226.24"


def test_unwrap_envelopes() -> None:
    m = load_mapping(MAPPINGS / "shopify" / "orders.yaml")
    assert m.envelopes == ["orders", "order"]
    assert m.unwrap({"orders": [{"id": 1}, {"id": 2}]}) == [{"id": 1}, {"id": 2}]
    assert m.unwrap({"order": {"id": 1}}) == [{"id": 1}]
    assert m.unwrap([{"id": 1}]) == [{"id": 1}]
    assert m.entity == "order" and m.name == "orders"


def _shopify_order() -> dict[str, Any]:
    m = load_mapping(MAPPINGS / "shopify" / "orders.yaml")
    return copy.deepcopy(m.unwrap(load_fixture("shopify", "orders"))[1])


POISONED = [
    # (change to the raw order, field named in the error, text in the message)
    (lambda o: o.update(total_price="abc"), "total.amount",
     "order 450789469: total.amount: 'abc' is not a decimal amount"),
    (lambda o: o["line_items"][1].update(price="two"), "lines[1].total.amount",
     "order 450789469: lines[1].total.amount: 'two' is not a decimal amount"),
    (lambda o: o["line_items"][0].update(quantity="1.5"), "lines[0].quantity",
     "order 450789469: lines[0].quantity: '1.5' is not a whole number"),
    (lambda o: o.update(processed_at=None, created_at=None), "placed_at",
     "order 450789469: placed_at: is missing in the source record"),
    (lambda o: o.update(updated_at="last week"), "updated_at",
     "order 450789469: updated_at: 'last week' is not an ISO 8601 date-time"),
    (lambda o: o.update(currency="euro"), "currency",
     "order 450789469: currency: String should match pattern"),
    (lambda o: o.update(customer={"id": 1, "email": 5}), "customer.email",
     "order 450789469: customer.email: Input should be a valid string (got value)"),
]


@pytest.mark.parametrize(("poison", "field", "message"), POISONED)
def test_poisoned_records_raise_record_error_naming_id_and_field(poison: Any, field: str,
                                                                  message: str) -> None:
    m = load_mapping(MAPPINGS / "shopify" / "orders.yaml")
    raw = _shopify_order()
    poison(raw)
    with pytest.raises(RecordError) as info:
        m.apply(raw, CONTEXTS["shopify"])
    assert info.value.record_id == "450789469"
    assert info.value.field == field
    assert message in info.value.message
    # one bad record does not affect the next
    assert m.apply(_shopify_order(), CONTEXTS["shopify"])[0].external_id == "450789469"


def test_missing_id_is_a_record_error_naming_the_id_field() -> None:
    m = load_mapping(MAPPINGS / "shopify" / "orders.yaml")
    raw = _shopify_order()
    del raw["id"]
    assert m.record_id(raw) is None
    with pytest.raises(RecordError, match=r"order: record has no id \(id\)") as info:
        m.apply(raw, CONTEXTS["shopify"])
    assert info.value.record_id is None and info.value.field == "id"
    with pytest.raises(RecordError, match="record is a list"):
        m.apply([1], CONTEXTS["shopify"])


def test_pii_values_stay_out_of_error_messages() -> None:
    m = load_mapping(MAPPINGS / "shopify" / "customers.yaml")
    raw = copy.deepcopy(load_fixture("shopify", "customers")["customers"][0])
    raw["email"] = ["zoe@example.com"]
    with pytest.raises(RecordError) as info:
        m.apply(raw, CONTEXTS["shopify"])
    assert "zoe@example.com" not in info.value.message
    assert info.value.field == "email"


def test_missing_context_value_is_a_config_error() -> None:
    m = load_mapping(MAPPINGS / "shopify" / "products.yaml")
    node = load_fixture("shopify", "products")["data"]["products"]["edges"][0]["node"]
    with pytest.raises(ConfigError, match="context value 'shop_currency' is not provided"):
        m.apply(node, MappingContext(connection="x", system="shopify"))


def test_explode_element_without_id_names_the_record(tmp_path: Path) -> None:
    m = load_mapping(MAPPINGS / "shopify" / "inventory_levels.yaml")
    item = {"id": "gid://shopify/InventoryItem/5", "inventoryLevels": {"edges": [
        {"node": {"location": None, "quantities": []}}]}}
    with pytest.raises(RecordError, match=r"inventory_level 5: element 0 of .* has no id"):
        m.apply(item, CONTEXTS["shopify"])


BAD_CONFIGS = [
    # (mapping text, key path in the error, line, message)
    (LEVEL.format(extra="").replace("to_int", "to_integer"),
     "fields.available.transform", 6, "unknown transform 'to_integer'"),
    (LEVEL.format(extra="").replace("available:", "in_stock:"),
     "fields.in_stock", 6, "unknown field 'in_stock' of InventoryLevel"),
    (LEVEL.format(extra="").replace("  location_external_id: {const: main}\n", ""),
     "fields", 4, "InventoryLevel needs field(s) location_external_id"),
    (LEVEL.format(extra="").replace("entity: inventory_level", "entity: invoice"),
     "entity", 1, "unknown entity 'invoice'"),
    (LEVEL.format(extra="when: \"a ==\""), "when", 3, "invalid path"),
    (LEVEL.format(extra="").replace("{const: main}", "{const: main, path: x}"),
     "fields.location_external_id", 5, "give only one of path, const"),
    (LEVEL.format(extra="").replace("{const: main}", "{transform: [{round: x}], path: q}"),
     "fields.location_external_id.transform[0]", 5, "round takes"),
    (LEVEL.format(extra="").replace("qty,", "qty, bogus: 1,"),
     "fields.available.bogus", 6, "unknown key"),
    (LEVEL.format(extra="").replace("id: id", "id: id\nfields: {}"), None, 5,
     "duplicate key 'fields'"),
]


@pytest.mark.parametrize(("text", "key", "line", "message"), BAD_CONFIGS)
def test_invalid_mappings_are_config_errors_with_file_line_and_key(
        tmp_path: Path, text: str, key: str | None, line: int, message: str) -> None:
    path = write_mapping(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_mapping(path)
    err = info.value
    shown = str(err)
    assert message in shown
    assert f"{path}:{line}" in shown
    if key:
        assert key in shown


def test_money_without_currency_is_a_config_error(tmp_path: Path) -> None:
    path = write_mapping(tmp_path, """\
        entity: customer
        id: id
        fields:
          total_spent: {money: spent}
        """)
    with pytest.raises(ConfigError, match=r"m.yaml:4: fields.total_spent.money: money needs"):
        load_mapping(path)


def test_engine_fields_cannot_be_mapped(tmp_path: Path) -> None:
    path = write_mapping(tmp_path, LEVEL.format(extra="").replace(
        "fields:\n", "fields:\n  content_hash: {const: x}\n"))
    with pytest.raises(ConfigError, match="'content_hash' is set by the engine"):
        load_mapping(path)


def test_ops_cases_and_match(tmp_path: Path) -> None:
    m = load_mapping(write_mapping(tmp_path, """\
        entity: customer
        id: id
        currency: {const: EUR}
        fields:
          first_name: {op: join, args: [a, b], sep: "-"}
          last_name: {op: concat, args: [a, missing]}
          email:
            match: {items: $root.people, where: {pid: id}, value: mail}
            transform: first
          orders_count:
            cases:
              - {when: "kind == 'big'", value: {const: 100}}
            default: 1
          total_spent: {money: {op: sub, args: [{op: mul, args: [p, q]}, d]}}
          tags: {op: coalesce, args: [none, empty, tags], transform: split}
        """))
    raw = {"id": 3, "a": "x", "b": "", "p": "2.50", "q": 3, "d": "0.50", "empty": "",
           "tags": "t1,t2", "people": [{"pid": "3", "mail": "p@example.com"}]}
    (c,) = m.apply(raw, CTX)
    assert c.first_name == "x" and c.last_name is None
    assert c.email == "p@example.com"             # ids compared as text: 3 == "3"
    assert c.orders_count == 1
    assert str(c.total_spent.amount) == "7.00" and c.total_spent.currency == "EUR"
    assert c.tags == ["t1", "t2"]
    (big,) = m.apply({**raw, "kind": "big"}, CTX)
    assert big.orders_count == 100
    with pytest.raises(RecordError,
                       match=r"customer 3: total_spent\.amount: '7\.00' cannot be divided by zero"):
        load_mapping(write_mapping(tmp_path, """\
            entity: customer
            id: id
            currency: {const: EUR}
            fields:
              total_spent: {money: {op: div, args: [p, z]}}
            """)).apply({"id": 3, "p": "7.00", "z": 0}, CTX)
