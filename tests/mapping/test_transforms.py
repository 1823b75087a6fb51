"""Each registered transform as a table of input -> output (or error)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from synchub.mapping import TransformError, TransformTable
from synchub.mapping.transforms import NO_ARGS, build_transform
from synchub.registry import REGISTRY

CASES: list[tuple[str, Any, Any, Any]] = [
    # name, args, value, expected
    ("to_str", NO_ARGS, 9007199254740993, "9007199254740993"),
    ("to_str", NO_ARGS, 12.0, "12"),
    ("to_str", NO_ARGS, True, "true"),
    ("to_str", NO_ARGS, None, None),
    ("to_int", NO_ARGS, "42", 42),
    ("to_int", NO_ARGS, 3.0, 3),
    ("to_int", NO_ARGS, Decimal("7.00"), 7),
    ("to_bool", NO_ARGS, "yes", True),
    ("to_bool", NO_ARGS, "0", False),
    ("to_bool", NO_ARGS, " Off ", False),
    ("to_bool", NO_ARGS, 1, True),
    ("to_decimal", NO_ARGS, " 12.50 ", Decimal("12.50")),
    ("to_decimal", NO_ARGS, 0.1, Decimal("0.1")),
    ("to_decimal", NO_ARGS, 3, Decimal(3)),
    ("negate", NO_ARGS, "10.00", Decimal("-10.00")),
    ("abs", NO_ARGS, "-8.33", Decimal("8.33")),
    ("parse_datetime", NO_ARGS, "2025-03-01T10:15:00-05:00",
     datetime(2025, 3, 1, 10, 15, tzinfo=timezone(timedelta(hours=-5)))),
    ("parse_datetime", NO_ARGS, "2025-03-01T15:15:00Z", datetime(2025, 3, 1, 15, 15, tzinfo=UTC)),
    ("parse_datetime", {"assume": "UTC"}, "2025-03-01T10:15:00",
     datetime(2025, 3, 1, 10, 15, tzinfo=UTC)),
    ("parse_datetime", {"assume": "UTC"}, "", None),
    ("from_epoch", {"unit": "ms"}, 1750248000123,
     datetime(2025, 6, 18, 12, 0, 0, 123000, tzinfo=UTC)),
    ("from_epoch", {"unit": "s"}, "1750248000", datetime(2025, 6, 18, 12, 0, tzinfo=UTC)),
    ("from_epoch", {"unit": "ms"}, "", None),
    ("enum", {"map": {"on-hold": "on_hold"}, "default": "open"}, "on-hold", "on_hold"),
    ("enum", {"map": {"on-hold": "on_hold"}, "default": "open"}, "weird", "open"),
    ("enum", {"map": {"a": 1}, "missing": "none"}, None, "none"),
    ("enum", {"map": {"true": True}, "default": False}, True, True),
    ("empty_to_null", NO_ARGS, "  ", None),
    ("empty_to_null", NO_ARGS, {"a": "", "b": None}, None),
    ("empty_to_null", NO_ARGS, {"a": "x"}, {"a": "x"}),
    ("empty_to_null", NO_ARGS, 0, 0),
    ("first_non_empty", NO_ARGS, [None, "", "b", "c"], "b"),
    ("first_non_empty", NO_ARGS, [], None),
    ("first", NO_ARGS, [3, 4], 3),
    ("compact", NO_ARGS, [{"a": ""}, None, {"a": "x"}], [{"a": "x"}]),
    ("split", NO_ARGS, "vip, wholesale ,  ", ["vip", "wholesale"]),
    ("split", "|", "a|b", ["a", "b"]),
    ("split", NO_ARGS, None, []),
    ("join", " / ", ["Red", "", "M"], "Red / M"),
    ("join", NO_ARGS, [], None),
    ("gid_id", NO_ARGS, "gid://shopify/Product/123", "123"),
    ("gid_id", NO_ARGS, "gid://shopify/InventoryLevel/9?inventory_item_id=5", "9"),
    ("gid_id", NO_ARGS, 456, "456"),
    ("sum_decimal", NO_ARGS, ["1.10", "2.20", 3], Decimal("6.30")),
    ("sum_decimal", NO_ARGS, [], Decimal(0)),
    ("sum", NO_ARGS, [1, 2], 3),
    ("sum", NO_ARGS, [], 0),
    ("lower", NO_ARGS, "ACTIVE", "active"),
    ("upper", NO_ARGS, "eur", "EUR"),
    ("strip", NO_ARGS, "  x ", "x"),
    ("null_if", [0, "0"], 0, None),
    ("null_if", [0, "0"], 12, 12),
    ("null_if", "Default Title", "Default Title", None),
    ("to_dict", {"key": "name", "value": "option"}, [{"name": "Farbe", "option": "Blau"}],
     {"Farbe": "Blau"}),
    ("round", 2, "8.3333", Decimal("8.33")),
    ("round", 6, Decimal(100), Decimal(100)),
    ("round", 2, "0.125", Decimal("0.13")),
]


@pytest.mark.parametrize(("name", "args", "value", "expected"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_transform(name: str, args: Any, value: Any, expected: Any) -> None:
    result = build_transform(name, args)(value)
    assert result == expected
    assert type(result) is type(expected)


ERRORS = [
    ("to_decimal", NO_ARGS, "abc", "'abc' is not a decimal amount"),
    ("to_decimal", NO_ARGS, "NaN", "'NaN' is not a decimal amount"),
    ("to_int", NO_ARGS, "1.5", "'1.5' is not a whole number"),
    ("to_bool", NO_ARGS, "maybe", "'maybe' is not a boolean"),
    ("parse_datetime", NO_ARGS, "2025-03-01T10:15:00", "has no timezone offset"),
    ("parse_datetime", NO_ARGS, "yesterday", "is not an ISO 8601 date-time"),
    ("from_epoch", {"unit": "ms"}, "2025-06-18", "is not a unix time"),
    ("from_epoch", {"unit": "ms"}, True, "is not a unix time"),
    ("from_epoch", {"unit": "s"}, 10**20, "is out of range"),
    ("enum", {"map": {"a": 1}}, "b", "is not one of ['a']"),
    ("sum_decimal", NO_ARGS, ["1", "x"], "'x' is not a decimal amount"),
]


@pytest.mark.parametrize(("name", "args", "value", "message"), ERRORS)
def test_transform_rejects_bad_values(name: str, args: Any, value: Any, message: str) -> None:
    with pytest.raises(TransformError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build_transform(name, args)(value)


BAD_ARGS = [
    ("to_str", "x", "takes no arguments"),
    ("enum", "x", "enum needs"),
    ("round", "two", "round takes"),
    ("parse_datetime", {"assume": "CET"}, "assume must be UTC"),
    ("from_epoch", {"unit": "us"}, "from_epoch takes"),
    ("split", "", "non-empty separator"),
]


@pytest.mark.parametrize(("name", "args", "message"), BAD_ARGS)
def test_bad_arguments_are_rejected_when_compiling(name: str, args: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_transform(name, args)


def test_unknown_transform_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"unknown transform 'nope'.*gid_id"):
        build_transform("nope")


def test_a_transform_table_registers_its_transforms() -> None:
    table = TransformTable()

    @table("test_reverse")
    def reverse(value: Any) -> Any:
        return value[::-1] if isinstance(value, str) else value

    table.register_all(REGISTRY)
    try:
        assert build_transform("test_reverse")("abc") == "cba"
        with pytest.raises(ValueError, match="takes no arguments"):
            build_transform("test_reverse", ["x"])
    finally:
        REGISTRY.remove("transform", "test_reverse")
    with pytest.raises(KeyError, match="unknown transform 'test_reverse'"):
        build_transform("test_reverse")
