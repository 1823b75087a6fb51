"""The first-that-exists form: ``{coalesce: [choice, ...]}`` for fields a vendor renamed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from synchub.errors import ConfigError, RecordError
from synchub.mapping import CompiledMapping, MappingContext, load_mapping

CTX = MappingContext(connection="c1", system="test", values={"shop_currency": "EUR"})

ORDER = """\
entity: order
id: id
currency: {{coalesce: [currency, {{context: shop_currency}}]}}
fields:
  connection: {{context: connection}}
  channel: {{context: system}}
  status: {{const: open}}
  currency: {{coalesce: [currency, {{context: shop_currency}}]}}
  placed_at: {{coalesce: [processed_at, created_at], transform: parse_datetime}}
  updated_at: {{path: updated_at, transform: parse_datetime}}
  subtotal: {{money: {{const: "0"}}}}
  discount_total: {{money: {{const: "0"}}}}
  tax_total: {{money: {{const: "0"}}}}
  total: {{money: total}}
  refunded_total: {{money: {{const: "0"}}}}
  taxes_included: {{const: false}}
  shipping_total:
{shipping}
"""
SHIPPING = """\
    money:
      coalesce:
        - total_shipping_price_set.shop_money.amount
        - {path: "shipping_lines[].price", transform: sum_decimal}
"""


def mapping(tmp_path: Path, shipping: str = SHIPPING) -> CompiledMapping:
    path = tmp_path / "orders.yaml"
    path.write_text(ORDER.format(shipping=shipping), encoding="utf-8")
    return load_mapping(path)


def order(**extra: Any) -> dict[str, Any]:
    return {"id": 1, "currency": "USD", "created_at": "2018-03-01T10:00:00-05:00",
            "updated_at": "2018-03-01T10:00:00-05:00", "total": "10.00", **extra}


@pytest.mark.parametrize(("extra", "shipping"), [
    # the first choice wins when it is there, even when a later one is too
    ({"total_shipping_price_set": {"shop_money": {"amount": "4.00"}},
      "shipping_lines": [{"price": "9.00"}]}, "4.00"),
    # null and "" are skipped
    ({"total_shipping_price_set": {"shop_money": {"amount": None}},
      "shipping_lines": [{"price": "3.00"}, {"price": "2.50"}]}, "5.50"),
    ({"total_shipping_price_set": {"shop_money": {"amount": ""}},
      "shipping_lines": [{"price": "1.00"}]}, "1.00"),
    # an older order without the *_set field: the sum of its shipping lines
    ({"shipping_lines": [{"price": "7.00"}]}, "7.00"),
    # an empty list is there: its sum is 0
    ({"shipping_lines": []}, "0.00"),
])
def test_first_present_choice_wins(tmp_path: Path, extra: dict[str, Any], shipping: str
                                   ) -> None:
    (rec,) = mapping(tmp_path).apply(order(**extra), CTX)
    assert str(rec.shipping_total.amount) == shipping  # type: ignore[attr-defined]


def test_a_choice_transform_runs_only_on_a_value_that_is_there(tmp_path: Path) -> None:
    # sum_decimal of a missing list would be 0 and stop the search: the choice is skipped
    # before its transform when its source gives nothing, so the next choice is used
    m = mapping(tmp_path, """\
    money:
      coalesce:
        - {path: "shipping_lines[].price", transform: sum_decimal}
        - shipping_price
""")
    (rec,) = m.apply(order(shipping_price="6.00"), CTX)
    assert str(rec.shipping_total.amount) == "6.00"  # type: ignore[attr-defined]


def test_a_choice_whose_transform_leaves_null_moves_on(tmp_path: Path) -> None:
    m = mapping(tmp_path, """\
    money:
      coalesce: [{path: a, transform: empty_to_null}, b]
""")
    (rec,) = m.apply(order(a="   ", b="2.00"), CTX)
    assert str(rec.shipping_total.amount) == "2.00"  # type: ignore[attr-defined]


def test_context_value_as_the_last_choice(tmp_path: Path) -> None:
    (rec,) = mapping(tmp_path).apply(order(currency=None, shipping_lines=[]), CTX)
    assert rec.currency == "EUR"  # type: ignore[attr-defined]
    assert rec.total.currency == "EUR"  # type: ignore[attr-defined]


def test_none_present_uses_the_default(tmp_path: Path) -> None:
    m = mapping(tmp_path, """\
    money:
      coalesce: [total_shipping_price_set.shop_money.amount, shipping_price]
      default: "0"
""")
    (rec,) = m.apply(order(), CTX)
    assert str(rec.shipping_total.amount) == "0.00"  # type: ignore[attr-defined]


def test_none_present_on_a_required_field_names_every_path_tried(tmp_path: Path) -> None:
    with pytest.raises(RecordError) as info:
        mapping(tmp_path).apply(order(), CTX)
    assert info.value.field == "shipping_total"
    assert str(info.value) == (
        "order 1: shipping_total: is missing in the source record (tried "
        "total_shipping_price_set.shop_money.amount, shipping_lines[].price)")


def test_the_long_op_form_behaves_the_same(tmp_path: Path) -> None:
    m = mapping(tmp_path, """\
    money:
      op: coalesce
      args: [{path: "lines[].price", transform: sum_decimal}, shipping_price]
""")
    (rec,) = m.apply(order(shipping_price="3.00"), CTX)
    assert str(rec.shipping_total.amount) == "3.00"  # type: ignore[attr-defined]
    with pytest.raises(RecordError, match=r"\(tried lines\[\]\.price, shipping_price\)"):
        m.apply(order(), CTX)


BAD = [
    # (shipping spec, key path in the error, message)
    ("    money: {coalesce: []}\n", "fields.shipping_total.money.coalesce",
     "at least 2 items"),
    ("    money: {coalesce: [a]}\n", "fields.shipping_total.money.coalesce",
     "at least 2 items"),
    ("    money: {coalesce: a}\n", "fields.shipping_total.money.coalesce", "valid list"),
    ("    money: {coalesce: [a, {sum: b}]}\n",
     "fields.shipping_total.money.coalesce[1].sum", "unknown key"),
    ("    money: {coalesce: [a, {path: b, default: 0}]}\n", "fields.shipping_total.money",
     "a coalesce choice cannot have a default"),
    ("    money: {coalesce: [a, b], path: c}\n", "fields.shipping_total.money",
     "give only one of path, coalesce"),
    ("    money: {coalesce: [a, \"b[[\"]}\n", "fields.shipping_total.money.coalesce[1]",
     "invalid path 'b[['"),
    ("    money: {coalesce: [a, {path: b, transform: summ}]}\n",
     "fields.shipping_total.money.coalesce[1].transform", "unknown transform 'summ'"),
]


@pytest.mark.parametrize(("shipping", "key", "message"), BAD)
def test_bad_coalesce_fails_at_load_with_file_line_and_key(
        tmp_path: Path, shipping: str, key: str, message: str) -> None:
    path = tmp_path / "orders.yaml"
    path.write_text(ORDER.format(shipping=shipping), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_mapping(path)
    shown = str(info.value)
    assert f"{path}:{ORDER.count(chr(10))}: {key}" in shown, shown
    assert message in shown


def test_the_form_is_in_the_editor_schema() -> None:
    from synchub.schemas import config_schema

    spec = config_schema("mapping")["$defs"]["FieldSpec"]["properties"]["coalesce"]
    assert spec["anyOf"][0] == {"items": {"$ref": "#/$defs/FieldSpec"}, "minItems": 2,
                                "type": "array"}
