"""Rule arithmetic as tables: buffer, percent (rounded down), floor, cap, kits, locations."""

from __future__ import annotations

from decimal import Decimal

import pytest

from synchub.config.stock import RuleValues, SkuRule, StockConfig, kit_components
from synchub.stock.compute import Calculator, LocationStock, MasterStock, apply_rules
from tests.stock.conftest import ingest


def rules(**kw: object) -> RuleValues:
    return RuleValues(**kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("available", "rule", "expected"), [
    (10, rules(), 10),
    (-4, rules(), 0),                                     # never below zero
    (10, rules(buffer=3), 7),
    (2, rules(buffer=3), 0),
    (10, rules(percent=Decimal(50)), 5),
    (11, rules(percent=Decimal(50)), 5),                  # rounded down
    (3, rules(percent=Decimal("33.33")), 0),
    (100, rules(percent=Decimal("33.33")), 33),
    (10, rules(buffer=2, percent=Decimal(50)), 4),        # buffer before percent
    (5, rules(floor=5), 0),                               # at the floor: 0
    (6, rules(floor=5), 6),
    (10, rules(buffer=4, floor=5), 6),
    (9, rules(buffer=4, floor=5), 0),                     # floor after the buffer
    (500, rules(max=50), 50),
    (500, rules(percent=Decimal(10), max=40), 40),
    (30, rules(percent=Decimal(10), max=40), 3),
    (0, rules(max=0), 0),
])
def test_apply_rules(available: int, rule: RuleValues, expected: int) -> None:
    assert apply_rules(available, rule)[0] == expected


def _master(levels: dict[str, list[tuple[str, int, int]]], reserved: dict[str, int]
            ) -> MasterStock:
    out = MasterStock()
    for sku, rows in levels.items():
        out.levels[sku] = [LocationStock("erp", loc, loc, oh, r) for loc, oh, r in rows]
    out.hub_reserved = reserved
    return out


LEVELS = {
    "A": [("WH", 10, 1), ("WH2", 5, 0), ("EU", -3, 0)],   # negative on hand counts as 0
    "B": [("WH", 7, 0)],
    "C": [("WH2", 2, 0)],
}


@pytest.mark.parametrize(("sku", "locations", "reserved", "expected"), [
    ("A", None, {}, 14),
    ("A", frozenset({"WH"}), {}, 9),
    ("A", frozenset({"WH2", "EU"}), {}, 5),
    ("A", None, {"A": 4}, 10),
    ("B", None, {"B": 9}, 0),             # more reserved than held: 0 published
    ("KIT", None, {}, 2),                 # min(14 // 2 = 7, 7 // 3 = 2, 2 // 1 = 2)
    ("KIT", frozenset({"WH"}), {}, 0),    # C is not at WH
    ("KIT", None, {"B": 2}, 1),           # B: 5 // 3
    ("BIGKIT", None, {}, 1),              # KIT + 8 A = 10 A, 3 B, 1 C: A 14 // 10 = 1
])
def test_figures_from_locations_reservations_and_kits(
        sku: str, locations: frozenset[str] | None, reserved: dict[str, int],
        expected: int) -> None:
    kits = kit_components({"KIT": {"A": 2, "B": 3, "C": 1}, "BIGKIT": {"KIT": 1, "A": 8}})
    calc = Calculator(ingest(kits=kits), _master(LEVELS, reserved))
    assert calc.figure(sku, locations, RuleValues()) == expected


def test_nested_kits_multiply_out() -> None:
    flat = kit_components({"KIT": {"A": 2, "B": 3}, "BOX": {"KIT": 2, "A": 1}})
    assert flat["BOX"] == {"A": 5, "B": 6}
    with pytest.raises(ValueError, match="kit cycle: X -> Y -> X"):
        kit_components({"X": {"Y": 1}, "Y": {"X": 1}})


def test_sku_overrides_beat_channel_and_defaults() -> None:
    cfg = StockConfig.model_validate({
        "masters": {"erp": {}},
        "defaults": {"buffer": 1, "percent": 90},
        "channels": {"shop": {"buffer": 2, "skus": {"A": {"percent": 50}, "B": {"sync": False}}},
                     "woo": {}},
    })
    assert cfg.rules_for("shop", "A") == RuleValues(buffer=2, percent=Decimal(50))
    assert cfg.rules_for("shop", "B").sync is False
    assert cfg.rules_for("woo", "A") == RuleValues(buffer=1, percent=Decimal(90))
    assert SkuRule(percent=Decimal("12.5")).percent == Decimal("12.5")


def test_unknown_master_sku_is_not_stocked() -> None:
    calc = Calculator(ingest(kits={"K": {"A": 1, "NOPE": 1}}), _master(LEVELS, {}))
    assert calc.stocked("A") and not calc.stocked("NOPE") and not calc.stocked("K")
