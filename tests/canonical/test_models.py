"""Canonical model rules: exact money, UTC times, string ids, totals that reconcile."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from synchub.canonical import ENTITIES, Money, Order, Product, canonical_id


def m(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def order(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": {"connection": "shop", "system": "shopify", "external_id": "1"},
        "external_id": "1", "connection": "shop", "channel": "shopify", "status": "open",
        "currency": "EUR", "placed_at": "2025-03-01T10:00:00+01:00",
        "updated_at": "2025-03-01T10:00:00Z", "subtotal": m("20.00"),
        "discount_total": m("2.00"), "shipping_total": m("5.00"), "tax_total": m("4.60"),
        "total": m("27.60"), "refunded_total": m("0"), "taxes_included": False,
        "lines": [{"external_id": "11", "sku": "A", "quantity": 2, "unit_price": m("10.00"),
                   "discount": m("2.00"), "tax": m("3.60"), "total": m("18.00")}],
    }
    base.update(over)
    return base


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    ("12.3", "EUR", "12.30"),
    ("5", "JPY", "5"),
    ("1.1", "KWD", "1.100"),
    ("0.125", "EUR", "0.125"),      # extra precision a source sends is kept, not rounded
    (7, "usd", "7.00"),
    (1.1, "EUR", "1.10"),           # a float goes through its shortest repr, never binary
])
def test_money_is_exact_decimal_string(amount: Any, currency: str, expected: str) -> None:
    money = Money(amount=amount, currency=currency)
    assert isinstance(money.amount, Decimal)
    assert money.model_dump(mode="json") == {"amount": expected, "currency": currency.upper()}


@pytest.mark.parametrize(("amount", "currency"), [
    ("12,99 EUR", "EUR"), ("abc", "EUR"), ("NaN", "EUR"), ("Infinity", "EUR"), ("1", "EURO"),
    ("1", "12"),
])
def test_money_rejects_bad_input(amount: str, currency: str) -> None:
    with pytest.raises(ValidationError):
        Money(amount=amount, currency=currency)


def test_times_are_converted_to_utc_and_naive_times_rejected() -> None:
    o = Order.model_validate(order())
    assert o.model_dump(mode="json")["placed_at"] == "2025-03-01T09:00:00Z"
    with pytest.raises(ValidationError, match="timezone"):
        Order.model_validate(order(placed_at="2025-03-01T10:00:00"))


def test_ids_are_strings_even_beyond_2_53() -> None:
    big = 2**53 + 1
    o = Order.model_validate(order(external_id=big, source={
        "connection": "shop", "system": "shopify", "external_id": big}))
    assert o.external_id == str(big)
    assert o.model_dump(mode="json")["source"]["external_id"] == "9007199254740993"


def test_consistent_totals_need_no_adjustment() -> None:
    o = Order.model_validate(order())
    assert o.adjustments == [] and o.warnings == []


def test_taxes_included_totals() -> None:
    o = Order.model_validate(order(taxes_included=True, total=m("23.00")))
    assert o.adjustments == []


def test_inconsistent_source_total_is_kept_with_adjustment_and_warning() -> None:
    o = Order.model_validate(order(total=m("27.61")))
    assert o.total.amount == Decimal("27.61")            # the source's number is not changed
    assert [a.amount.amount for a in o.adjustments] == [Decimal("0.01")]
    assert o.warnings[0].code == "total_mismatch"
    # re-validating the stored document does not add a second adjustment
    again = Order.model_validate(o.model_dump(mode="json"))
    assert len(again.adjustments) == 1 and again.content_hash == o.content_hash


def test_mixed_currencies_on_one_order_are_rejected() -> None:
    with pytest.raises(ValidationError, match="USD"):
        Order.model_validate(order(shipping_total=m("5.00", "USD")))


def test_status_is_a_closed_set() -> None:
    with pytest.raises(ValidationError):
        Order.model_validate(order(status="processing"))


def test_content_hash_ignores_identity_and_tracks_content() -> None:
    a = Order.model_validate(order())
    b = Order.model_validate(order())
    c = Order.model_validate(order(tags=["vip"]))
    assert a.content_hash == b.content_hash != c.content_hash
    assert len(a.content_hash) == 64


def test_canonical_id_is_stable_and_scoped() -> None:
    assert canonical_id("shop", "order", "1") == canonical_id("shop", "order", "1")
    assert canonical_id("shop", "order", "1") != canonical_id("shop2", "order", "1")
    assert canonical_id("shop", "order", "1") != canonical_id("shop", "product", "1")
    assert Order.model_validate(order()).id == canonical_id("shop", "order", "1")


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Product.model_validate({"source": {"connection": "c", "system": "s", "external_id": "1"},
                                "external_id": "1", "title": "x", "colour": "red"})


def test_every_entity_has_identity_fields() -> None:
    for name, model in ENTITIES.items():
        fields = model.model_fields
        assert {"id", "source", "content_hash", "external_id"} <= set(fields), name


def test_document_json_is_the_full_serialization() -> None:
    o = Order.model_validate(order(tags=["a", "ü"]))
    assert o.document_json() == o.model_dump_json()
    # a record read back from its document (hash already known) still serializes whole
    again = Order.model_validate_json(o.document_json())
    assert again.document_json() == o.model_dump_json()


@pytest.mark.parametrize("external_id", ["1", "9007199254740993", "gid-ü-订单"])
def test_canonical_id_is_the_rfc_uuid5(external_id: str) -> None:
    import uuid

    from synchub.canonical.base import CANONICAL_NAMESPACE

    expected = uuid.uuid5(CANONICAL_NAMESPACE, f"shop\x1forder\x1f{external_id}")
    assert canonical_id("shop", "order", external_id) == str(expected)


def test_subtotal_that_is_not_the_sum_of_lines_is_reported_not_changed() -> None:
    o = Order.model_validate(order(subtotal=m("21.00"), total=m("28.60")))
    assert o.subtotal.amount == Decimal("21.00")
    assert [w.code for w in o.warnings] == ["subtotal_mismatch"]
    again = Order.model_validate(o.model_dump(mode="json"))
    assert [w.code for w in again.warnings] == ["subtotal_mismatch"]


def test_every_amount_on_an_order_must_be_in_its_currency() -> None:
    ship = {"price": m("5.00", "USD"), "discount": m("0", "USD"), "tax": m("0", "USD"),
            "total": m("5.00", "USD")}
    with pytest.raises(ValidationError, match="USD"):
        Order.model_validate(order(shipping_lines=[ship]))
