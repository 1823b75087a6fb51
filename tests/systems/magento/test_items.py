"""Magento item folding: configurable pairs, bundles, and a gap reported, not hidden."""

from __future__ import annotations

from decimal import Decimal

import pytest

from synchub.systems.magento.items import fold


def it(iid: int, ptype: str, sku: str, price: str, qty: str = "1.0000",
       parent: int | None = None, **more: str) -> dict[str, object]:
    row: dict[str, object] = {"item_id": iid, "product_type": ptype, "sku": sku,
                              "price": price, "qty_ordered": qty, "name": sku,
                              "row_total": str(Decimal(price) * Decimal(qty)), **more}
    if parent is not None:
        row["parent_item_id"] = parent
    return row


def test_configurable_pair_is_one_line_with_child_sku_and_parent_price() -> None:
    out = fold([it(1, "configurable", "TEE", "25.00", "2.0000", product_id="9"),
                it(2, "simple", "TEE-M-RED", "0", "2.0000", 1, product_id="11")], "EUR", "50")
    [line] = out.lines
    assert (line["sku"], line["unit_price"]["amount"], line["quantity"]) == \
        ("TEE-M-RED", "25.00", 2)
    assert (line["variant_external_id"], line["external_id"]) == ("11", "1")
    assert (out.mismatch, out.notes) == (Decimal("0"), [])


def test_dynamic_bundle_is_priced_from_its_children() -> None:
    out = fold([it(1, "bundle", "KIT", "0"),
                it(2, "simple", "A", "10.00", parent=1), it(3, "simple", "B", "5.50", parent=1)],
               "EUR", "15.50")
    assert [(ln["sku"], ln["unit_price"]["amount"]) for ln in out.lines] == \
        [("KIT", "15.50"), ("A", "0"), ("B", "0")]
    assert out.mismatch == 0


def test_a_priced_child_beside_a_priced_parent_is_an_adjustment_with_a_warning() -> None:
    out = fold([it(1, "configurable", "TEE", "30"), it(2, "simple", "TEE-M", "4", parent=1)],
               "USD", "34", order="000000103")
    assert out.mismatch == Decimal("4")
    assert out.notes == ["order 000000103: the items add up to 30 USD, its subtotal is 34 USD"]


def test_a_fractional_quantity_fails_the_record() -> None:
    with pytest.raises(ValueError, match="whole number"):
        fold([it(1, "simple", "A", "1", qty="1.5")], "USD")
