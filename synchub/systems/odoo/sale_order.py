"""Odoo: channel orders as ``sale.order`` (confirmed or cancelled as the channel says).

Idempotent by reference: every order carries ``client_order_ref`` = ``origin`` =
``"<source connection>:<order external id>"`` (the form the ``shipments`` mapping parses
back from Odoo's deliveries). Each batch first looks all of its references up in one
search, so an order whose creation was committed but whose reply was lost is found, not
created twice. Then, in one call each: partners by email (created when unknown), products
by SKU (``default_code``), countries and pricelists (cached for the run); one ``create``
for every new order with its lines, one ``action_confirm``, one ``action_cancel``.

Known orders get their header (the note) and their status: confirmed lines cannot be
rewritten in Odoo, so lines, partner and date are written at creation only (the mapping's
``only_create``). A cancelled Odoo order is not reopened.

Credit notes for refunds: :mod:`synchub.systems.odoo.refund`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from synchub.delivery.base import DeliveryItem, DeliveryResult
from synchub.errors import FatalAPIError
from synchub.systems.odoo.refund import OdooRefundWriter
from synchub.systems.odoo.rpc import (
    OdooBatchWriter,
    any_of,
    decimal,
    first_by,
    odoo_datetime,
    rate_key,
)

__all__ = ["OdooRefundWriter", "OdooSaleOrderOptions", "OdooSaleOrderWriter"]
ORDER_FIELDS = ["id", "name", "client_order_ref", "origin", "state", "locked", "note"]
CONFIRMED_STATUSES = ("open", "completed")
CENT = Decimal("0.01")


class OdooSaleOrderOptions(BaseModel):
    """``options`` of an ``odoo_sale_order`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    confirm: bool = Field(default=True, description="Confirm (action_confirm) orders that "
                          "are open, completed or paid; others stay quotations.")
    unknown_sku: Literal["fail", "skip_line"] = Field(
        default="fail", description="A line whose SKU is no active Odoo product: fail the "
                                    "order, or leave the line out.")
    shipping_product_sku: str | None = Field(
        default=None, description="default_code of the service product that carries "
                                  "shipping as a line; no shipping line when unset.")
    taxes: dict[str, int] = Field(
        default_factory=dict, description="Tax rate (fraction, e.g. '0.19') -> Odoo "
        "account.tax id. Empty: lines carry no tax_id and Odoo applies the product's taxes.")

    @field_validator("taxes")
    @classmethod
    def _rates(cls, value: dict[str, int]) -> dict[str, int]:
        out = {}
        for rate, tax_id in value.items():
            try:
                key = rate_key(rate)
            except ValueError:
                raise ValueError(f"taxes: {rate!r} is not a rate such as '0.19'") from None
            out[str(key)] = tax_id
        return out


@dataclass
class _Order:
    """One item on its way: its reference, its payload and what Odoo holds for it."""

    item: DeliveryItem
    payload: dict[str, Any]
    ref: str
    row: dict[str, Any] | None = None
    changed: bool = False
    partner_key: Any = None
    vals: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"order {self.item.record_id}"


class OdooSaleOrderWriter(OdooBatchWriter):
    """Creates, confirms, updates and cancels Odoo sale orders in a few calls per batch."""

    options_model = OdooSaleOrderOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._countries: dict[str, int | None] = {}
        self._pricelists: dict[str, int | None] = {}

    def _write(self, items: Sequence[DeliveryItem], results: dict[int, DeliveryResult]) -> None:
        work: list[_Order] = []
        for item in items:
            if not isinstance(item.payload, dict):
                results[item.delivery_id] = DeliveryResult(
                    item.delivery_id, "failed", error=f"order {item.record_id}: no payload "
                    "(the route needs the write mapping 'orders')")
                continue
            ref = f"{item.source_connection}:{item.document.get('external_id')}"
            work.append(_Order(item, item.payload, ref))
        if not work:
            return
        remote = [int(w.item.remote_id) for w in work
                  if w.item.remote_id and w.item.remote_id.isdigit()]
        rows = self.rpc.search_read("sale.order", any_of(
            ("id", remote), ("client_order_ref", [w.ref for w in work])), ORDER_FIELDS)
        by_id, by_ref = {r["id"]: r for r in rows}, first_by(rows, "client_order_ref")
        known, new = [], []
        for w in work:
            rid = w.item.remote_id
            w.row = (by_id.get(int(rid)) if rid and rid.isdigit() else None) or by_ref.get(w.ref)
            if w.row is not None:
                known.append(w)
            elif "lines" in w.payload:
                new.append(w)
            else:
                results[w.item.delivery_id] = DeliveryResult(
                    w.item.delivery_id, "failed", error=f"{w.name}: sale order {rid} is no "
                    "longer in Odoo; replay the order to create it again")
        for w in known:
            self._update_header(w)
        created = self._create(new, results)
        live = known + created
        if self.options.confirm:
            self._action("action_confirm", [
                w for w in live if _wants_confirm(w.payload) and w.row is not None
                and w.row["state"] in ("draft", "sent")], results)
        self._action("action_cancel", [
            w for w in live if w.payload.get("status") == "cancelled" and w.row is not None
            and w.row["state"] != "cancel"], results)
        for w in live:
            if w.item.delivery_id not in results and w.row is not None:
                results[w.item.delivery_id] = DeliveryResult(
                    w.item.delivery_id, "delivered" if w.changed else "skipped",
                    remote_id=str(w.row["id"]))

    def _update_header(self, w: _Order) -> None:
        """Write the header fields that differ from what Odoo holds."""
        assert w.row is not None
        wanted = {"note": w.payload.get("note") or False, "client_order_ref": w.ref,
                  "origin": w.ref}
        vals = {k: v for k, v in wanted.items() if (w.row.get(k) or False) != v}
        if vals:
            self.rpc.write("sale.order", "write", [[w.row["id"]], vals])
            w.row.update(vals)
            w.changed = True

    # --- new orders ----------------------------------------------------------------------
    def _create(self, new: list[_Order], results: dict[int, DeliveryResult]) -> list[_Order]:
        """Resolve partners, products, pricelists; create the orders in one call."""
        if not new:
            return []
        products = self._products(new)
        self._lookup_countries([(w.payload.get("customer") or {}).get("country_code")
                                for w in new])
        self._lookup_pricelists([str(w.payload.get("currency")) for w in new])
        ready: list[_Order] = []
        for w in new:
            error = self._order_vals(w, products)
            if error:
                results[w.item.delivery_id] = DeliveryResult(w.item.delivery_id, "failed",
                                                             error=error)
            else:
                ready.append(w)
        self._partners(ready)
        for w in ready:
            w.vals["partner_id"] = w.partner_key
        try:
            ids = self.rpc.create("sale.order", [w.vals for w in ready]) if ready else []
        except FatalAPIError:
            # one refused order refuses the whole call: create them one by one to know which
            ids = []
            for w in list(ready):
                try:
                    ids.extend(self.rpc.create("sale.order", [w.vals]))
                except FatalAPIError as exc:
                    results[w.item.delivery_id] = DeliveryResult(
                        w.item.delivery_id, "failed",
                        error=f"{w.name}: Odoo refused the sale order: {exc.message}")
                    ready.remove(w)
        for w, oid in zip(ready, ids, strict=True):
            w.row = {"id": oid, "state": "draft", "locked": False}
            w.changed = True
        return ready

    def _products(self, new: list[_Order]) -> dict[str, int]:
        skus = {str(ln["sku"]) for w in new for ln in w.payload.get("lines") or []
                if ln.get("sku")}
        if self.options.shipping_product_sku:
            skus.add(self.options.shipping_product_sku)
        if not skus:
            return {}
        rows = self.rpc.search_read("product.product", [["default_code", "in", sorted(skus)]],
                                    ["id", "default_code"])
        return {code: row["id"] for code, row in first_by(rows, "default_code").items()}

    def _lookup_countries(self, codes: list[Any]) -> None:
        wanted = sorted({str(c).upper() for c in codes if c} - set(self._countries))
        if wanted:
            rows = self.rpc.search_read("res.country", [["code", "in", wanted]], ["id", "code"])
            found = {r["code"]: r["id"] for r in rows}
            self._countries.update({c: found.get(c) for c in wanted})

    def _lookup_pricelists(self, currencies: list[str]) -> None:
        wanted = sorted(set(currencies) - set(self._pricelists))
        if wanted:
            rows = self.rpc.search_read("product.pricelist",
                                        [["currency_id.name", "in", wanted]],
                                        ["id", "currency_id"])
            found: dict[str, int] = {}
            for row in rows:
                cur = row["currency_id"][1] if row.get("currency_id") else None
                if cur and cur not in found:
                    found[cur] = row["id"]
            self._pricelists.update({c: found.get(c) for c in wanted})

    def _order_vals(self, w: _Order, products: dict[str, int]) -> str | None:
        """The sale.order values of a new order, or why it cannot be created."""
        p, opts = w.payload, self.options
        currency = str(p.get("currency"))
        pricelist = self._pricelists.get(currency)
        if pricelist is None:
            return f"{w.name}: Odoo has no active pricelist in {currency}"
        commands: list[Any] = []
        for ln in p.get("lines") or []:
            sku = ln.get("sku")
            pid = products.get(str(sku)) if sku else None
            if pid is None:
                if opts.unknown_sku == "skip_line":
                    continue
                what = f"SKU {sku!r} is not an active Odoo product (product.product " \
                       "default_code)" if sku else f"line {ln.get('external_id')} has no SKU"
                return f"{w.name}: {what}"
            qty = int(ln.get("quantity") or 0)
            unit, pct = _price(decimal(ln.get("unit_price")), qty, decimal(ln.get("discount")))
            vals = {"product_id": pid, "name": ln.get("title") or str(sku),
                    "product_uom_qty": float(qty), "price_unit": float(unit),
                    "discount": float(pct)}
            error = self._taxes(vals, ln.get("tax_rate"), w)
            if error:
                return error
            commands.append([0, 0, vals])
        shipping = p.get("shipping") or {}
        amount = decimal(shipping.get("amount"))
        if opts.shipping_product_sku and amount:
            pid = products.get(opts.shipping_product_sku)
            if pid is None:
                return (f"{w.name}: the shipping product {opts.shipping_product_sku!r} "
                        "(writer option shipping_product_sku) is not in Odoo")
            vals = {"product_id": pid, "name": shipping.get("title") or "Shipping",
                    "product_uom_qty": 1.0, "price_unit": float(amount), "discount": 0.0}
            error = self._taxes(vals, shipping.get("tax_rate"), w)
            if error:
                return error
            commands.append([0, 0, vals])
        w.vals = {"client_order_ref": w.ref, "origin": w.ref, "pricelist_id": pricelist,
                  "note": p.get("note") or False, "order_line": commands}
        placed = odoo_datetime(p.get("date_order"))
        if placed:
            w.vals["date_order"] = placed
        return None

    def _taxes(self, vals: dict[str, Any], rate: Any, w: _Order) -> str | None:
        taxes = self.options.taxes
        if not taxes:
            return None  # Odoo's product taxes apply
        key = rate_key(rate)
        if key is None:
            vals["tax_id"] = [[6, 0, []]]
            return None
        if key not in taxes:
            return (f"{w.name}: tax rate {key} has no Odoo tax in writer option taxes "
                    f"(known: {', '.join(sorted(taxes))})")
        vals["tax_id"] = [[6, 0, [taxes[key]]]]
        return None

    def _partners(self, ready: list[_Order]) -> None:
        """Each order's partner id: found by email (or hub reference), else created."""
        emails, refs = [], []
        for w in ready:
            c = w.payload.get("customer") or {}
            if c.get("email"):
                w.partner_key = ("email", c["email"])
                emails.append(c["email"])
            elif c.get("external_id"):
                w.partner_key = ("ref", f"{w.item.source_connection}:{c['external_id']}")
                refs.append(w.partner_key[1])
            else:
                w.partner_key = ("order", w.ref)  # nothing to recognise them by next time
        found: dict[Any, int] = {}
        if emails or refs:
            rows = self.rpc.search_read("res.partner", any_of(("email", emails), ("ref", refs)),
                                        ["id", "email", "ref"])
            found.update({("email", k): r["id"] for k, r in first_by(rows, "email").items()})
            found.update({("ref", k): r["id"] for k, r in first_by(rows, "ref").items()})
        missing: dict[Any, dict[str, Any]] = {}
        for w in ready:
            if w.partner_key not in found and w.partner_key not in missing:
                missing[w.partner_key] = self._partner_vals(w)
        if missing:
            ids = self.rpc.create("res.partner", list(missing.values()))
            found.update(zip(missing, ids, strict=True))
        for w in ready:
            w.partner_key = found[w.partner_key]

    def _partner_vals(self, w: _Order) -> dict[str, Any]:
        c = w.payload.get("customer") or {}
        kind, key = w.partner_key
        code = str(c["country_code"]).upper() if c.get("country_code") else None
        return {"name": c.get("name") or c.get("email") or f"Customer of {w.ref}",
                "email": c.get("email") or False, "phone": c.get("phone") or False,
                "street": c.get("street") or False, "street2": c.get("street2") or False,
                "city": c.get("city") or False, "zip": c.get("zip") or False,
                "country_id": self._countries.get(code) or False if code else False,
                "ref": key if kind == "ref" else False}

    # --- status --------------------------------------------------------------------------
    def _action(self, method: str, orders: list[_Order], results: dict[int, DeliveryResult]
                ) -> None:
        """Run an action on every order in one call; one by one when Odoo refuses it."""
        orders = [w for w in orders if w.item.delivery_id not in results and w.row]
        if not orders:
            return
        groups = [orders]
        try:
            self.rpc.write("sale.order", method, [[w.row["id"] for w in orders if w.row]])
        except FatalAPIError:
            groups = []
            for w in orders:
                try:
                    self.rpc.write("sale.order", method, [[w.row["id"]]] if w.row else [[]])
                    groups.append([w])
                except FatalAPIError as exc:
                    results[w.item.delivery_id] = DeliveryResult(
                        w.item.delivery_id, "failed",
                        error=f"{w.name}: Odoo refused {method}: {exc.message}")
        state = "sale" if method == "action_confirm" else "cancel"
        for group in groups:
            for w in group:
                if w.row is not None:
                    w.row["state"] = state
                w.changed = True


def _wants_confirm(payload: dict[str, Any]) -> bool:
    status = payload.get("status")
    return status in CONFIRMED_STATUSES or (
        status not in ("cancelled", "failed") and payload.get("financial_status") == "paid")


def _price(unit: Decimal, qty: int, discount: Decimal) -> tuple[Decimal, Decimal]:
    """Unit price and discount % that give the line's net amount to the cent in Odoo.

    Odoo keeps two decimals of a discount percentage. When that rounding would move the
    net amount, a discounted unit price (no percentage) is used if it is exact instead.
    """
    gross = unit * qty
    if not discount or not gross:
        return unit, Decimal(0)
    net = gross - discount
    pct = (discount / gross * 100).quantize(CENT)
    if (gross * (1 - pct / 100)).quantize(CENT) == net.quantize(CENT):
        return unit, pct
    alt = (net / qty).quantize(CENT)
    if alt * qty == net:
        return alt, Decimal(0)
    return unit, pct
