"""Odoo ORM writes through ``execute_kw``: ``create``, ``write``, ``unlink`` and actions.

Writes are allowed on the sales models of :mod:`.models` (partners,
sale orders and their lines, journal entries and their lines); the stock models stay
read-only. As in Odoo 17:

- ``create`` takes one dict (answers an id) or a list of dicts (answers the ids in order);
  one bad value refuses the whole call, nothing of it is kept.
- x2many values are command lists: ``(0, 0, vals)`` create, ``(1, id, vals)`` update,
  ``(2, id)`` delete, ``(3, id)`` unlink, ``(4, id)`` link, ``(5,)`` clear,
  ``(6, 0, ids)`` replace.
- an unknown field or a malformed value raises ``ValueError``; a missing mandatory field,
  a link to a record that does not exist, or a sale line without product raises
  ``odoo.exceptions.ValidationError``; a forbidden state change (confirming a confirmed
  order, cancelling a locked one, posting a posted entry, removing a confirmed line)
  raises ``odoo.exceptions.UserError``.
- ``action_confirm`` sets the order's date to now, as Odoo does. Accounts, journals, entry
  checks and ``button_draft``: :mod:`.accounting`.
"""

from __future__ import annotations

import copy
from typing import Any

from synchub.sandbox.odoo import accounting
from synchub.sandbox.odoo.catalog import CURRENCIES, odoo_time
from synchub.sandbox.odoo.domain import to_time
from synchub.sandbox.odoo.errors import RpcFault, invalid, user_error, validation
from synchub.sandbox.odoo.models import (
    CHILDREN,
    COMPUTED,
    LABELS,
    MODELS,
    REQUIRED,
    SELECTIONS,
    WRITABLE,
    Records,
)
from synchub.sandbox.odoo.sales import next_number, recompute
from synchub.sandbox.odoo.store import OdooStore

WRITE_METHODS: dict[str, tuple[str, ...]] = {
    "create": ("vals_list",), "write": ("ids", "vals"), "unlink": ("ids",),
    "action_confirm": ("ids",), "action_cancel": ("ids",), "action_post": ("ids",),
    "button_draft": ("ids",),
}
ACTIONS = {"action_confirm": "sale.order", "action_cancel": "sale.order",
           "action_post": "account.move", "button_draft": "account.move"}


def call_write(store: OdooStore, model: str, method: str, params: dict[str, Any]) -> Any:
    """Run one write method; the database is changed only when the whole call succeeds."""
    if method in ACTIONS and ACTIONS[method] != model:
        raise RpcFault("builtins.AttributeError",
                       f"The method '{method}' does not exist on the model '{model}'")
    if model not in WRITABLE:  # the sandbox serves the stock models read-only
        raise RpcFault("builtins.AttributeError",
                       f"The method '{method}' does not exist on the model '{model}'")
    # work on a copy so that a refused call leaves nothing behind (Odoo rolls back)
    records = {m: copy.deepcopy(store.records[m]) for m in WRITABLE}
    orm = _Orm(store, {**store.records, **records}, odoo_time(store.stamp_shared()))
    if method == "create":
        result: Any = orm.create_call(model, params.get("vals_list"))
    elif method == "write":
        orm.write(model, _ids(params.get("ids")), _vals(params.get("vals")))
        result = True
    elif method == "unlink":
        orm.unlink(model, _ids(params.get("ids")))
        result = True
    else:
        result = getattr(orm, method)(_ids(params.get("ids")))
    accounting.check_balanced(orm.records, orm.touched, store.currency)
    store.records.update(records)
    store.changed()
    return result


def _ids(value: Any) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if not isinstance(value, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise invalid(f"ids must be a list of integers, not {value!r}")
    return value


def _vals(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"vals must be a dictionary of field values, not {value!r}")
    return value


class _Orm:
    """The write logic over one working copy of the records."""

    def __init__(self, store: OdooStore, records: Records, now: str) -> None:
        self.store, self.records, self.now = store, records, now
        self.catalog = store.catalog
        self.touched: set[int] = set()  # journal entries to check for balance

    # --- create ----------------------------------------------------------------------
    def create_call(self, model: str, vals_list: Any) -> Any:
        if isinstance(vals_list, dict):
            return self.create(model, vals_list)
        if not isinstance(vals_list, list) or not all(isinstance(v, dict) for v in vals_list):
            raise invalid(f"create() takes a dictionary or a list of dictionaries, not "
                          f"{vals_list!r}")
        return [self.create(model, vals) for vals in vals_list]

    def create(self, model: str, vals: dict[str, Any], parent: tuple[str, int] | None = None
               ) -> int:
        rid = self.catalog.next_ids.get(model, 1)
        self.catalog.next_ids[model] = rid + 1
        rec: dict[str, Any] = {"id": rid, **self._defaults(model),
                               "create_date": self.now, "write_date": self.now}
        if parent is not None:
            rec[parent[0]] = self._link(model, parent[0], parent[1])
        self.records[model][rid] = rec
        later = self._assign(model, rec, vals)
        self._complete(model, rec, vals)
        for name, commands in later:
            self._commands(model, rec, name, commands)
        self._check_required(model, rec)
        self._recompute(model, rec)
        return rid

    def _defaults(self, model: str) -> dict[str, Any]:
        empty: dict[str, Any] = {name: ([] if info.type in ("one2many", "many2many") else False)
                 for name, info in MODELS[model].items() if name not in ("id",)}
        if model == "res.partner":
            return {**empty, "active": True}
        if model == "sale.order":
            return {**empty, "name": False, "state": "draft", "locked": False,
                    "date_order": self.now, "pricelist_id": self._link(model,
                                                                       "pricelist_id", 1)}
        if model == "sale.order.line":
            return {**empty, "product_uom_qty": 1.0, "price_unit": False, "discount": 0.0}
        if model == "account.move":
            currency = self.store.currency
            return {**empty, "name": "/", "move_type": "entry", "state": "draft",
                    "currency_id": [CURRENCIES[currency][0], currency]}
        if model == "account.move.line":
            return {**empty, "quantity": 1.0, "price_unit": 0.0, "discount": 0.0}
        return empty

    def _complete(self, model: str, rec: dict[str, Any], vals: dict[str, Any]) -> None:
        """Defaults that depend on the given values: names, product prices, currency."""
        if model == "sale.order":
            if rec["name"] in (False, "/", "New"):
                rec["name"] = next_number(self.catalog, "S")
            pricelist = self.records["product.pricelist"][rec["pricelist_id"][0]]
            rec["currency_id"] = pricelist["currency_id"]
        if model in ("sale.order.line", "account.move.line"):
            product = self.records["product.product"].get(rec["product_id"][0]) \
                if rec["product_id"] else None
            if product is not None and not rec["name"]:
                rec["name"] = product["display_name"]
            if product is not None and rec["price_unit"] is False:
                rec["price_unit"] = float(product["list_price"])
            if rec["price_unit"] is False:
                rec["price_unit"] = 0.0
        if model == "sale.order.line":
            if not rec["product_id"]:
                raise validation("Missing required fields on accountable sale order line.")
            rec["state"] = self.records["sale.order"][rec["order_id"][0]]["state"] \
                if rec["order_id"] else "draft"
        accounting.complete(self.records, model, rec, vals, self.now)
        rec["display_name"] = self._display(model, rec)

    def _display(self, model: str, rec: dict[str, Any]) -> Any:
        if model == "sale.order.line" and rec["order_id"]:
            return f"{rec['order_id'][1]} - {rec['name']}"
        if model == "account.move" and rec["name"] == "/":
            return "Draft Credit Note" if rec["move_type"] == "out_refund" else "Draft Entry"
        if model == "account.account":
            return f"{rec['code']} {rec['name']}"
        return rec.get("name") or False

    def _check_required(self, model: str, rec: dict[str, Any]) -> None:
        for name in REQUIRED.get(model, ()):
            if rec.get(name) in (False, None, ""):
                info = MODELS[model][name]
                raise validation(
                    "The operation cannot be completed:\n- Create/update: a mandatory field "
                    "is not set.\n- Delete: another model requires the record being deleted. "
                    f"If possible, archive it instead.\n\nModel: {LABELS[model]} ({model})\n"
                    f"Field: {info.string} ({name})")

    # --- values --------------------------------------------------------------------------
    def _assign(self, model: str, rec: dict[str, Any], vals: dict[str, Any]
                ) -> list[tuple[str, Any]]:
        """Set scalar values; x2many commands are returned to run once the record exists."""
        later = []
        for name, value in vals.items():
            info = MODELS[model].get(name)
            if info is None:
                raise invalid(f"Invalid field {name!r} on model {model!r}")
            if name in COMPUTED:
                continue
            if info.type in ("one2many", "many2many"):
                later.append((name, value))
            elif info.type == "many2one":
                rec[name] = self._link(model, name, value)
            else:
                rec[name] = self._scalar(model, name, info.type, value)
        return later

    def _link(self, model: str, name: str, value: Any) -> Any:
        if value in (False, None):
            return False
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid(f"Wrong value for {model}.{name}: {value!r} (an id is expected)")
        relation = MODELS[model][name].relation or ""
        target = self.records[relation].get(value)
        if target is None:
            raise validation(
                "The operation cannot be completed: the record it refers to does not exist."
                f"\n\nModel: {LABELS.get(model, model)} ({model})\n"
                f"Field: {MODELS[model][name].string} ({name}), {relation}({value},)")
        return [value, target.get("display_name") or target.get("name") or False]

    def _scalar(self, model: str, name: str, kind: str, value: Any) -> Any:
        if value is None:
            value = False
        if kind in ("float", "monetary"):
            if value is False:
                return 0.0
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise invalid(f"Wrong value for {model}.{name}: {value!r}")
            return float(value)
        if kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                raise invalid(f"Wrong value for {model}.{name}: {value!r}")
            return value
        if kind == "boolean":
            return bool(value)
        if value is False:
            return False
        if not isinstance(value, str):
            raise invalid(f"Wrong value for {model}.{name}: {value!r}")
        if kind == "datetime":
            parsed = to_time(value)
            return parsed.strftime("%Y-%m-%d %H:%M:%S") if parsed else False
        if kind == "date":
            parsed = to_time(value[:10])
            return parsed.strftime("%Y-%m-%d") if parsed else False
        allowed = SELECTIONS.get((model, name))
        if allowed is not None and value not in allowed:
            raise invalid(f"Wrong value for {model}.{name}: {value!r}")
        return value

    def _commands(self, model: str, rec: dict[str, Any], name: str, commands: Any) -> None:
        info = MODELS[model][name]
        relation = info.relation or ""
        child = CHILDREN.get((model, name))
        if not isinstance(commands, list):
            raise invalid(f"Wrong value for {model}.{name}: {commands!r} (a list of commands "
                          "is expected)")
        current: list[int] = list(rec[name])
        for command in commands:
            if not isinstance(command, list | tuple) or not command or command[0] not in range(7):
                raise invalid(f"Wrong value for {model}.{name}: invalid command {command!r}")
            code = command[0]
            arg = command[1] if len(command) > 1 else 0
            if code == 0:
                if child is None:
                    raise invalid(f"{model}.{name}: command 0 (create) is not supported by the "
                                  "sandbox on this field")
                vals = command[2] if len(command) > 2 else {}
                current.append(self.create(relation, _vals(vals), parent=(child[1], rec["id"])))
            elif code == 1:
                self.write(relation, [arg], _vals(command[2] if len(command) > 2 else {}))
            elif code in (2, 3):
                self._drop(model, rec, name, [arg], delete=child is not None)
                current = [i for i in current if i != arg]
            elif code == 4:
                self._link(model, name, arg) if child is None else self._adopt(child, rec, arg)
                current = current if arg in current else [*current, arg]
            elif code == 5:
                self._drop(model, rec, name, current, delete=child is not None)
                current = []
            else:
                ids = _ids(command[2] if len(command) > 2 else [])
                for i in ids:
                    self._link(model, name, i) if child is None else self._adopt(child, rec, i)
                self._drop(model, rec, name, [i for i in current if i not in ids],
                           delete=child is not None)
                current = list(ids)
        rec[name] = current

    def _adopt(self, child: tuple[str, str], rec: dict[str, Any], cid: int) -> None:
        model, field = child
        target = self.records[model].get(cid)
        if target is None:
            raise RpcFault("odoo.exceptions.MissingError",
                           f"Record does not exist or has been deleted.\n(Record: {model}({cid},))")
        target[field] = [rec["id"], rec.get("display_name") or rec.get("name") or False]

    def _drop(self, model: str, rec: dict[str, Any], name: str, ids: list[int], *,
              delete: bool) -> None:
        if not ids or not delete:
            return
        child_model = CHILDREN[(model, name)][0]
        self.unlink(child_model, ids)

    # --- write / unlink ------------------------------------------------------------------
    def _get(self, model: str, ids: list[int]) -> list[dict[str, Any]]:
        rows = self.records[model]
        missing = [i for i in ids if i not in rows]
        if missing:
            raise RpcFault("odoo.exceptions.MissingError",
                           "Record does not exist or has been deleted.\n"
                           f"(Record: {model}({', '.join(map(str, missing))},), "
                           f"User: {self.store.uid})")
        return [rows[i] for i in ids]

    def write(self, model: str, ids: list[int], vals: dict[str, Any]) -> None:
        for rec in self._get(model, ids):
            if model == "account.move" and rec["state"] == "posted" and set(vals) - {"ref"}:
                raise user_error("You cannot modify a posted entry of this journal.")
            later = self._assign(model, rec, vals)
            for name, commands in later:
                self._commands(model, rec, name, commands)
            self._check_required(model, rec)
            rec["display_name"] = self._display(model, rec)
            rec["write_date"] = self.now
            self._recompute(model, rec)

    def unlink(self, model: str, ids: list[int]) -> None:
        for rec in self._get(model, ids):
            if model == "sale.order" and rec["state"] not in ("draft", "cancel"):
                raise user_error("You can not delete a sent quotation or a confirmed sales "
                                 "order. You must first cancel it.")
            if model == "sale.order.line" and rec["state"] == "sale":
                raise user_error("You can not remove an order line once the sales order is "
                                 "confirmed.\nYou should rather set the quantity to 0.")
            if model == "account.move" and rec["state"] == "posted":
                raise user_error("You cannot delete an entry which has been posted once.")
            if model == "res.partner" and any(
                    o["partner_id"] and o["partner_id"][0] == rec["id"]
                    for m in ("sale.order", "account.move") for o in self.records[m].values()):
                raise validation("The operation cannot be completed: another model requires "
                                 "the record being deleted. If possible, archive it instead."
                                 f"\n\nModel: {LABELS[model]} ({model})")
        for rec in self._get(model, ids):
            for (parent, name), (child, _field) in CHILDREN.items():
                if parent == model and rec[name]:
                    self.unlink(child, [i for i in rec[name] if i in self.records[child]])
            del self.records[model][rec["id"]]
            parent_link = {"sale.order.line": ("sale.order", "order_id", "order_line"),
                           "account.move.line": ("account.move", "move_id",
                                                 "invoice_line_ids")}.get(model)
            if parent_link and rec[parent_link[1]]:
                owner = self.records[parent_link[0]].get(rec[parent_link[1]][0])
                if owner is not None:
                    owner[parent_link[2]] = [i for i in owner[parent_link[2]] if i != rec["id"]]
                    self._recompute(parent_link[0], owner)

    # --- actions -------------------------------------------------------------------------
    def action_confirm(self, ids: list[int]) -> bool:
        orders = self._get("sale.order", ids)
        wrong = [o["name"] for o in orders if o["state"] not in ("draft", "sent")]
        if wrong:
            raise user_error("The following orders are not in a state requiring "
                             f"confirmation: {', '.join(wrong)}")
        for order in orders:
            self._set_state(order, "sale")
            order["date_order"] = self.now
        return True

    def action_cancel(self, ids: list[int]) -> bool:
        orders = self._get("sale.order", ids)
        locked = [o["name"] for o in orders if o["locked"]]
        if locked:
            raise user_error("You cannot cancel a locked order. Please unlock it first if you "
                             f"want to cancel it. ({', '.join(locked)})")
        for order in orders:
            self._set_state(order, "cancel")
        return True

    def action_post(self, ids: list[int]) -> bool:
        for move in self._get("account.move", ids):
            if move["state"] == "posted":
                raise user_error(f"The entry {move['name']} (id {move['id']}) is already "
                                 "posted.")
            if not move["line_ids"]:
                raise user_error("You need to add a line before posting.")
            if move["move_type"] != "entry" and not move["partner_id"]:
                raise user_error("The field 'Customer' is required, please complete it to "
                                 "validate the Customer Credit Note.")
            accounting.check_post(self.records, move, self.store.currency)
            prefix, year = accounting.sequence(self.records, move, self.now)
            if move["name"] in (False, "/"):  # an entry reset to draft keeps its number
                move["name"] = next_number(self.catalog, f"{prefix}/{year}/")
            move["state"] = "posted"
            move["invoice_date"] = move["invoice_date"] or self.now[:10]
            move["display_name"] = move["name"]
            move["write_date"] = self.now
        return False  # Odoo answers false unless a wizard follows

    def button_draft(self, ids: list[int]) -> None:
        accounting.reset_to_draft(self._get("account.move", ids), self.now)

    def _set_state(self, order: dict[str, Any], state: str) -> None:
        order["state"], order["write_date"] = state, self.now
        for lid in order["order_line"]:
            self.records["sale.order.line"][lid]["state"] = state

    def _recompute(self, model: str, rec: dict[str, Any]) -> None:
        recompute(self.records, model, rec)
        move = accounting.recompute(self.records, model, rec, self.store.currency)
        if move is not None:
            self.touched.add(move)
