"""Odoo: channel refunds as customer credit notes (``account.move``, ``out_refund``).

A credit note belongs to its order: the writer declares the order as its parent, so the
engine holds a refund back (``deferred``) until the order is in Odoo and hands over the
sale order's id. The credit note goes to the order's partner, in the order's currency,
with ``invoice_origin`` = the sale order's name and ``ref`` =
``"<source connection>:refund:<refund external id>"``, which is looked up before creating
(a lost reply does not make a second credit note). Refunded lines with a known SKU become
product lines (amount / quantity each); what the lines do not cover (shipping, a refund
without lines) becomes one line without product. Amounts are the refunded money as is,
taxes included, so the lines carry no taxes. Posted (``action_post``) unless the option
``post`` is false. A posted credit note is never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.canonical.base import canonical_id
from synchub.delivery.base import DeliveryItem, DeliveryResult
from synchub.errors import FatalAPIError
from synchub.systems.odoo.rpc import (
    OdooBatchWriter,
    decimal,
    first_by,
    many2one_id,
    odoo_datetime,
)

MOVE_FIELDS = ["id", "ref", "state", "move_type"]
CENT = Decimal("0.01")


class OdooRefundOptions(BaseModel):
    """``options`` of an ``odoo_refund`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    post: bool = Field(default=True, description="Post (action_post) the credit notes; "
                                                 "false leaves them as drafts to review.")
    line_label: str = Field(default="Refund", description="Label of the line that carries "
                            "what the refunded lines do not (shipping, unspecified refunds).")


@dataclass
class _Refund:
    item: DeliveryItem
    payload: dict[str, Any]
    ref: str
    order_id: int
    move: dict[str, Any] | None = None
    changed: bool = False

    @property
    def name(self) -> str:
        return f"refund {self.item.record_id}"


class OdooRefundWriter(OdooBatchWriter):
    """Creates and posts credit notes for refunds whose order is in Odoo."""

    options_model = OdooRefundOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def parents(self, document: dict[str, Any]) -> list[tuple[str, str]]:
        """The refund's order (canonical ids derive from connection, entity, external id)."""
        source = document.get("source") or {}
        order = document.get("order_external_id")
        if not source.get("connection") or not order:
            return []
        return [("order", canonical_id(source["connection"], "order", str(order)))]

    def _write(self, items: Sequence[DeliveryItem], results: dict[int, DeliveryResult]) -> None:
        work: list[_Refund] = []
        for item in items:
            order = item.parents.get("order")
            if not order:
                results[item.delivery_id] = DeliveryResult(
                    item.delivery_id, "deferred",
                    error=f"refund {item.record_id}: its order is not in Odoo yet")
            elif not isinstance(item.payload, dict):
                results[item.delivery_id] = DeliveryResult(
                    item.delivery_id, "failed", error=f"refund {item.record_id}: no payload "
                    "(the route needs the write mapping 'refunds')")
            elif not order.isdigit():
                results[item.delivery_id] = DeliveryResult(
                    item.delivery_id, "failed",
                    error=f"refund {item.record_id}: order id {order!r} is no Odoo id")
            else:
                ref = f"{item.source_connection}:refund:{item.document.get('external_id')}"
                work.append(_Refund(item, item.payload, ref, int(order)))
        if not work:
            return
        rows = self.rpc.search_read("account.move", [["move_type", "=", "out_refund"],
                                                     ["ref", "in", [w.ref for w in work]]],
                                    MOVE_FIELDS)
        known = first_by(rows, "ref")
        new = []
        for w in work:
            w.move = known.get(w.ref)
            if w.move is None:
                new.append(w)
        self._create(new, results)
        if self.options.post:
            self._post([w for w in work if w.move and w.move["state"] == "draft"
                        and w.item.delivery_id not in results], results)
        for w in work:
            if w.item.delivery_id not in results and w.move is not None:
                results[w.item.delivery_id] = DeliveryResult(
                    w.item.delivery_id, "delivered" if w.changed else "skipped",
                    remote_id=str(w.move["id"]))

    def _create(self, new: list[_Refund], results: dict[int, DeliveryResult]) -> None:
        if not new:
            return
        orders = {r["id"]: r for r in self.rpc.search_read(
            "sale.order", [["id", "in", sorted({w.order_id for w in new})]],
            ["id", "name", "partner_id", "currency_id"])}
        skus = sorted({str(ln["sku"]) for w in new for ln in w.payload.get("lines") or []
                       if ln.get("sku")})
        products = {}
        if skus:
            rows = self.rpc.search_read("product.product", [["default_code", "in", skus]],
                                        ["id", "default_code"])
            products = {k: r["id"] for k, r in first_by(rows, "default_code").items()}
        ready = []
        for w in new:
            order = orders.get(w.order_id)
            if order is None:
                results[w.item.delivery_id] = DeliveryResult(
                    w.item.delivery_id, "failed",
                    error=f"{w.name}: sale order {w.order_id} is no longer in Odoo")
                continue
            ready.append((w, self._vals(w, order, products)))
        if not ready:
            return
        try:
            ids = self.rpc.create("account.move", [vals for _, vals in ready])
        except FatalAPIError:
            ids = []
            for pair in list(ready):
                try:
                    ids.extend(self.rpc.create("account.move", [pair[1]]))
                except FatalAPIError as exc:
                    results[pair[0].item.delivery_id] = DeliveryResult(
                        pair[0].item.delivery_id, "failed",
                        error=f"{pair[0].name}: Odoo refused the credit note: {exc.message}")
                    ready.remove(pair)
        for (w, _), mid in zip(ready, ids, strict=True):
            w.move, w.changed = {"id": mid, "state": "draft"}, True

    def _vals(self, w: _Refund, order: dict[str, Any], products: dict[str, int]
              ) -> dict[str, Any]:
        p = w.payload
        total = decimal(p.get("amount"))
        lines: list[Any] = []
        covered = Decimal(0)
        for ln in p.get("lines") or []:
            qty, amount = int(ln.get("quantity") or 0), decimal(ln.get("amount"))
            pid = products.get(str(ln.get("sku"))) if ln.get("sku") else None
            if pid is None or qty <= 0 or amount <= 0:
                continue  # what it refunded is carried by the remainder line
            unit = (amount / qty).quantize(CENT)
            if unit * qty != amount:  # keep the money exact: one unit-less line
                qty, unit = 1, amount
            lines.append([0, 0, {"product_id": pid, "name": str(ln["sku"]),
                                 "quantity": float(qty), "price_unit": float(unit),
                                 "tax_ids": [[6, 0, []]]}])
            covered += unit * qty
        rest = total - covered
        if rest != 0 or not lines:  # negative when a fee was kept back
            label = self.options.line_label
            reason = p.get("reason")
            lines.append([0, 0, {"name": f"{label}: {reason}" if reason else label,
                                 "quantity": 1.0, "price_unit": float(rest),
                                 "tax_ids": [[6, 0, []]]}])
        vals: dict[str, Any] = {
            "move_type": "out_refund", "ref": w.ref, "invoice_origin": order["name"],
            "partner_id": many2one_id(order.get("partner_id")) or False,
            "invoice_line_ids": lines}
        currency = many2one_id(order.get("currency_id"))
        if currency:
            vals["currency_id"] = currency
        when = odoo_datetime(p.get("created_at"))
        if when:
            vals["invoice_date"] = when[:10]
        return vals

    def _post(self, todo: list[_Refund], results: dict[int, DeliveryResult]) -> None:
        if not todo:
            return
        done = todo
        try:
            self.rpc.write("account.move", "action_post", [[w.move["id"] for w in todo
                                                            if w.move]])
        except FatalAPIError:
            done = []
            for w in todo:
                try:
                    self.rpc.write("account.move", "action_post", [[w.move["id"]]] if w.move
                                   else [[]])
                    done.append(w)
                except FatalAPIError as exc:
                    results[w.item.delivery_id] = DeliveryResult(
                        w.item.delivery_id, "failed",
                        error=f"{w.name}: Odoo refused to post the credit note: {exc.message}")
        for w in done:
            if w.move is not None:
                w.move["state"] = "posted"
            w.changed = True
