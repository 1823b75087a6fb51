"""Odoo sandbox writes through real HTTP: create with x2many commands, write, unlink, the
sale and accounting actions, Odoo's validation errors, atomic calls, and the shared fault
pipeline (a write applied, then its reply lost)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer

from .test_odoo import OdooError, Rpc

SKU, SKU2 = "SKU-00001-1", "SKU-00002-1"


@pytest.fixture
def odoo() -> Iterator[tuple[Sandbox, SandboxServer]]:
    sb = Sandbox(seed=7)
    sb.odoo("demo", products=5)
    with SandboxServer(sb) as srv:
        yield sb, srv


@pytest.fixture
def rpc(odoo: tuple[Sandbox, SandboxServer]) -> Rpc:
    return Rpc(odoo[1])


def product_id(rpc: Rpc, sku: str) -> int:
    ids: list[int] = rpc.kw("product.product", "search", [[["default_code", "=", sku]]])
    assert len(ids) == 1
    return ids[0]


def new_order(rpc: Rpc, ref: str = "shop:1001", **extra: Any) -> int:
    partner = rpc.kw("res.partner", "create", [{"name": "Ada", "email": "ada@example.com"}])
    lines = [[0, 0, {"product_id": product_id(rpc, SKU), "product_uom_qty": 2,
                     "price_unit": 10.0, "discount": 10.0, "tax_id": [[6, 0, [5]]]}],
             [0, 0, {"product_id": product_id(rpc, SKU2), "product_uom_qty": 1,
                     "price_unit": 5.5}]]
    oid: int = rpc.kw("sale.order", "create", [{"partner_id": partner, "client_order_ref": ref,
                                                "origin": ref, "order_line": lines, **extra}])
    return oid


def test_create_order_with_lines_computes_amounts_and_names(rpc: Rpc) -> None:
    oid = new_order(rpc)
    order = rpc.kw("sale.order", "read", [[oid]], {"fields": [
        "name", "state", "amount_untaxed", "amount_tax", "amount_total", "order_line",
        "currency_id", "partner_id", "client_order_ref"]})[0]
    # 2 x 10.00 - 10 % = 18.00 (+19 % tax 3.42) and 5.50 untaxed
    assert order["name"] == "S00001" and order["state"] == "draft"
    assert (order["amount_untaxed"], order["amount_tax"], order["amount_total"]) == \
        (23.5, 3.42, 26.92)
    assert order["partner_id"][1] == "Ada" and order["client_order_ref"] == "shop:1001"
    lines = rpc.kw("sale.order.line", "search_read", [[["order_id", "=", oid]]],
                   {"fields": ["product_id", "price_subtotal", "tax_id", "name"]})
    assert [ln["price_subtotal"] for ln in lines] == [18.0, 5.5]
    assert lines[0]["tax_id"] == [5] and lines[0]["name"].startswith(f"[{SKU}]")
    assert sorted(order["order_line"]) == [ln["id"] for ln in lines]
    assert rpc.kw("sale.order", "search", [[["client_order_ref", "in", ["shop:1001"]]]]) == [oid]


def test_create_list_answers_ids_in_order_and_is_atomic(odoo: tuple[Sandbox, SandboxServer],
                                                        rpc: Rpc) -> None:
    ids = rpc.kw("res.partner", "create", [[{"name": "A"}, {"name": "B"}]])
    assert len(ids) == 2 and ids[1] == ids[0] + 1
    assert [p["name"] for p in rpc.kw("res.partner", "read", [ids], {"fields": ["name"]})] \
        == ["A", "B"]
    # the second vals lacks the mandatory name: nothing of the call is kept
    with pytest.raises(OdooError) as info:
        rpc.kw("res.partner", "create", [[{"name": "C"}, {"email": "x@example.com"}]])
    assert info.value.name == "odoo.exceptions.ValidationError"
    assert "mandatory field is not set" in str(info.value) and "(name)" in str(info.value)
    assert len(odoo[0].odoo("demo").sales()["partners"]) == 2


@pytest.mark.parametrize(("vals", "name", "text"), [
    ({"order_line": [[0, 0, {"product_id": 999_999}]]}, "odoo.exceptions.ValidationError",
     "product_id"),
    ({"order_line": [[0, 0, {"name": "no product"}]]}, "odoo.exceptions.ValidationError",
     "Missing required fields on accountable sale order line"),
    ({"bogus": 1}, "builtins.ValueError", "Invalid field 'bogus'"),
    ({"state": "shipped"}, "builtins.ValueError", "Wrong value for sale.order.state"),
    ({"date_order": "yesterday"}, "builtins.ValueError", "yesterday"),
])
def test_create_refusals(rpc: Rpc, vals: dict[str, Any], name: str, text: str) -> None:
    partner = rpc.kw("res.partner", "create", [{"name": "P"}])
    with pytest.raises(OdooError) as info:
        rpc.kw("sale.order", "create", [{"partner_id": partner, **vals}])
    assert info.value.name == name and text in str(info.value)
    assert rpc.kw("sale.order", "search_count", [[]]) == 0


def test_missing_partner_is_a_validation_error(rpc: Rpc) -> None:
    with pytest.raises(OdooError) as info:
        rpc.kw("sale.order", "create", [{"client_order_ref": "x"}])
    assert info.value.name == "odoo.exceptions.ValidationError"
    assert "Field: Customer (partner_id)" in str(info.value)


def test_confirm_cancel_and_their_refusals(rpc: Rpc) -> None:
    oid = new_order(rpc)
    assert rpc.kw("sale.order", "action_confirm", [[oid]]) is True
    order = rpc.kw("sale.order", "read", [[oid]], {"fields": ["state"]})[0]
    assert order["state"] == "sale"
    with pytest.raises(OdooError) as info:
        rpc.kw("sale.order", "action_confirm", [[oid]])
    assert info.value.name == "odoo.exceptions.UserError"
    assert "not in a state requiring confirmation: S00001" in str(info.value)
    line = rpc.kw("sale.order", "read", [[oid]], {"fields": ["order_line"]})[0]["order_line"][0]
    with pytest.raises(OdooError) as info:
        rpc.kw("sale.order", "write", [[oid], {"order_line": [[2, line]]}])
    assert "once the sales order is confirmed" in str(info.value)
    with pytest.raises(OdooError) as info:
        rpc.kw("sale.order", "unlink", [[oid]])
    assert info.value.name == "odoo.exceptions.UserError"
    # a locked order cannot be cancelled; unlocked it can
    rpc.kw("sale.order", "write", [[oid], {"locked": True}])
    with pytest.raises(OdooError) as info:
        rpc.kw("sale.order", "action_cancel", [[oid]])
    assert info.value.name == "odoo.exceptions.UserError" and "locked" in str(info.value)
    rpc.kw("sale.order", "write", [[oid], {"locked": False, "note": "cancelled by the shop"}])
    assert rpc.kw("sale.order", "action_cancel", [[oid]]) is True
    order = rpc.kw("sale.order", "read", [[oid]], {"fields": ["state", "note"]})[0]
    assert order == {"id": oid, "state": "cancel", "note": "cancelled by the shop"}
    rpc.kw("sale.order", "unlink", [[oid]])
    assert rpc.kw("sale.order.line", "search_count", [[]]) == 0


def test_x2many_commands_on_write(rpc: Rpc) -> None:
    oid = new_order(rpc)
    lines = rpc.kw("sale.order", "read", [[oid]], {"fields": ["order_line"]})[0]["order_line"]
    rpc.kw("sale.order", "write", [[oid], {"order_line": [
        [1, lines[0], {"product_uom_qty": 3}], [2, lines[1]],
        [0, 0, {"product_id": product_id(rpc, SKU2), "price_unit": 1.0}]]}])
    order = rpc.kw("sale.order", "read", [[oid]], {"fields": ["order_line", "amount_untaxed"]})[0]
    assert len(order["order_line"]) == 2 and lines[1] not in order["order_line"]
    assert order["amount_untaxed"] == 28.0  # 3 x 10.00 - 10 % + 1.00
    rpc.kw("sale.order.line", "write", [[lines[0]], {"tax_id": [[5]]}])
    rpc.kw("sale.order.line", "write", [[lines[0]], {"tax_id": [[4, 6], [4, 3]]}])
    assert rpc.kw("sale.order.line", "read", [[lines[0]]], {"fields": ["tax_id"]})[0][
        "tax_id"] == [6, 3]


def test_credit_note_is_posted_with_a_number(rpc: Rpc) -> None:
    partner = rpc.kw("res.partner", "create", [{"name": "P"}])
    mid = rpc.kw("account.move", "create", [{
        "move_type": "out_refund", "partner_id": partner, "ref": "shop:refund:9",
        "invoice_origin": "S00001",
        "invoice_line_ids": [[0, 0, {"name": "Refund", "price_unit": 12.5}]]}])
    move = rpc.kw("account.move", "read", [[mid]], {"fields": ["name", "state",
                                                               "amount_total"]})[0]
    assert (move["name"], move["state"], move["amount_total"]) == ("/", "draft", 12.5)
    assert rpc.kw("account.move", "action_post", [[mid]]) is False
    move = rpc.kw("account.move", "read", [[mid]], {"fields": ["name", "state"]})[0]
    assert move["state"] == "posted" and move["name"].startswith("RINV/")
    for method, args in (("action_post", [[mid]]), ("unlink", [[mid]]),
                         ("write", [[mid], {"invoice_origin": "x"}])):
        with pytest.raises(OdooError) as info:
            rpc.kw("account.move", method, args)
        assert info.value.name == "odoo.exceptions.UserError"
    empty = rpc.kw("account.move", "create", [{"move_type": "out_refund", "partner_id": partner}])
    with pytest.raises(OdooError, match="add a line"):
        rpc.kw("account.move", "action_post", [[empty]])


def test_actions_belong_to_their_model_and_stock_stays_read_only(rpc: Rpc) -> None:
    for model, method, args in (("account.move", "action_confirm", [[1]]),
                                ("stock.quant", "create", [{}]),
                                ("product.product", "write", [[1001], {"name": "x"}])):
        with pytest.raises(OdooError) as info:
            rpc.kw(model, method, args)
        assert info.value.name == "builtins.AttributeError"


def test_lost_reply_applies_the_write_then_answers_504(
        odoo: tuple[Sandbox, SandboxServer], rpc: Rpc) -> None:
    store = odoo[0].odoo("demo")
    partner = rpc.kw("res.partner", "create", [{"name": "P"}])
    store.fault_plan.configure(lost_reply_next=1)
    resp = rpc.raw("object", "execute_kw", ["demo", 2, "odoo_sandbox_demo", "sale.order",
                                            "create", [{"partner_id": partner,
                                                        "client_order_ref": "shop:7"}], {}])
    assert resp.status_code == 504
    assert [o["client_order_ref"] for o in store.sales()["sale_orders"]] == ["shop:7"]
    store.fault_plan.configure(fail_next=[503])
    assert rpc.raw("object", "execute_kw", ["demo", 2, "odoo_sandbox_demo", "sale.order",
                                            "search", [[]], {}]).status_code == 503
    assert store.stats()["requests_by_status"].get("504") == 1


def test_sales_control_endpoint_lists_orders_lines_partners_refunds(
        odoo: tuple[Sandbox, SandboxServer], rpc: Rpc) -> None:
    oid = new_order(rpc)
    body = requests.get(f"{odoo[1].base_url}/_sandbox/odoo/demo/sales", timeout=10).json()
    assert [o["id"] for o in body["sale_orders"]] == [oid]
    assert [ln["product_id"][0] for ln in body["sale_orders"][0]["lines"]] == [
        product_id(rpc, SKU), product_id(rpc, SKU2)]
    assert [p["name"] for p in body["partners"]] == ["Ada"] and body["refunds"] == []
