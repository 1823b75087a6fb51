"""ERPNext: channel orders as Sales Orders, submitted or cancelled as the channel says.

Idempotent by a custom field (option ``id_field``) holding ``<source connection>:<order
external id>``, the same text as ``po_no`` (which ERPNext copies to the delivery notes made
from the order, where the ``shipments`` mapping reads it back). Every attempt first looks
the order up by that field, so an insert whose reply was lost is found, not made twice.

- absent: the customer found or created (:mod:`.customers`), the items checked by
  ``item_code``, then one insert with ``docstatus`` 1 when the order is open, completed or
  paid and the option ``submit`` is on (a draft otherwise);
- present as a draft that should now be submitted: ``docstatus`` 1;
- cancelled at the channel: a submitted order is cancelled (``docstatus`` 2), a draft
  deleted; an order cancelled in ERPNext is never reopened.

Money: each item at its unit price; the lines' discounts together as the order's
``discount_amount`` on the net total; taxes as ERPNext's Sales Taxes and Charges rows:
``Actual`` rows with the channel's amounts when prices exclude tax, ``On Net Total`` rows
with the rate and ``included_in_print_rate`` when they include it; shipping as an
``Actual`` row on the shipping account.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.systems.erpnext.customers import CustomerResolver
from synchub.systems.erpnext.rest import FrappeDocs

SUBMITTED_STATUSES = ("open", "completed")
ORDER_FIELDS = ["name", "docstatus", "status"]


class SalesOrderOptions(BaseModel):
    """``options`` of an ``erpnext_sales_order`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    company: str = Field(description="The ERPNext company the orders belong to.")
    submit: bool = Field(default=True, description="Submit (docstatus 1) open, completed "
                                                   "and paid orders; others stay drafts.")
    id_field: str = Field(default="custom_synchub_order_id",
                          description="Custom field of Sales Order holding the hub's id.")
    customer_id_field: str = Field(default="custom_synchub_customer_id",
                                   description="Custom field of Customer holding the "
                                               "hub's identity of the buyer.")
    customer_group: str = "All Customer Groups"
    territory: str = "All Territories"
    guest_customer: str | None = Field(default=None, description="Customer of orders "
                                       "whose buyer has neither id nor email.")
    tax_account: str | None = Field(default=None, description="account_head of the tax "
                                    "rows; orders with tax fail without it.")
    shipping_account: str | None = Field(default=None, description="account_head of the "
                                         "shipping row; orders with shipping fail without it.")
    warehouse: str | None = Field(default=None, description="Warehouse of every item row "
                                  "(ERPNext's default for the item when unset).")
    delivery_days: int = Field(default=0, ge=0, description="delivery_date = order date + "
                                                            "this many days.")
    unknown_sku: Literal["fail", "skip_line"] = "fail"
    timezone_context: str = Field(default="site_timezone", description="Context value with "
                                  "the site's time zone (the order's date is the site's day).")


def is_wanted_submitted(payload: dict[str, Any]) -> bool:
    """Whether the channel order is a sale that should be submitted in ERPNext."""
    return (payload.get("status") in SUBMITTED_STATUSES
            or payload.get("financial_status") == "paid")


class SalesOrderWriter(PerItemWriter):
    """Inserts, submits and cancels ERPNext sales orders, one order at a time."""

    options_model = SalesOrderOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert self.client is not None, "the erpnext_sales_order writer needs a connection"
        self.docs = FrappeDocs(self.client, self.spec.path or "/api/resource")
        o = self.options
        self.customers = CustomerResolver(self.docs, id_field=o.customer_id_field,
                                          group=o.customer_group, territory=o.territory,
                                          guest=o.guest_customer)
        self._items: dict[str, bool] = {}

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """Find the order by the hub's id, then insert, submit, cancel or leave it."""
        payload = item.payload
        if not isinstance(payload, dict):
            raise ItemFailure(f"order {item.record_id}: no payload (the route needs the write "
                              "mapping 'orders')")
        ref = f"{item.source_connection}:{item.document.get('external_id')}"
        rows = self.docs.list("Sales Order", [[self.options.id_field, "=", ref]], ORDER_FIELDS,
                              10)
        live = [r for r in rows if r.get("docstatus") in (0, 1)]
        if live:
            return self._update(item, payload, live[0])
        if rows:  # cancelled in ERPNext: never reopened
            return DeliveryResult(item.delivery_id, "skipped", remote_id=str(rows[0]["name"]))
        if payload.get("status") == "cancelled":
            return DeliveryResult(item.delivery_id, "skipped")
        doc = self._document(item, payload, ref)
        saved = self.docs.insert("Sales Order", doc)
        return DeliveryResult(item.delivery_id, "delivered", remote_id=str(saved.get("name")))

    def _update(self, item: DeliveryItem, payload: dict[str, Any], row: dict[str, Any]
                ) -> DeliveryResult:
        name, docstatus = str(row["name"]), row.get("docstatus")
        if payload.get("status") == "cancelled":
            if docstatus == 1:
                self.docs.update("Sales Order", name, {"docstatus": 2})
            else:
                self.docs.delete("Sales Order", name)
            return DeliveryResult(item.delivery_id, "delivered", remote_id=name)
        if docstatus == 0 and self.options.submit and is_wanted_submitted(payload):
            self.docs.update("Sales Order", name, {"docstatus": 1})
            return DeliveryResult(item.delivery_id, "delivered", remote_id=name)
        return DeliveryResult(item.delivery_id, "skipped", remote_id=name)

    # --- the document --------------------------------------------------------------------
    def _document(self, item: DeliveryItem, payload: dict[str, Any], ref: str
                  ) -> dict[str, Any]:
        order = item.record_id
        day = self._site_day(payload.get("placed_at"), order)
        lines = self._lines(payload.get("lines") or [], order)
        doc: dict[str, Any] = {
            "customer": self.customers.name_for(item.source_connection,
                                                payload.get("customer"), order),
            "company": self.options.company,
            "transaction_date": day.isoformat(),
            "delivery_date": (day + timedelta(days=self.options.delivery_days)).isoformat(),
            "currency": payload.get("currency"),
            "po_no": ref,
            self.options.id_field: ref,
            "items": lines,
            "taxes": self._taxes(payload, order),
        }
        if self.options.warehouse:
            doc["set_warehouse"] = self.options.warehouse
        discount = sum((Decimal(str(ln.get("discount") or 0))
                        for ln in payload.get("lines") or []), Decimal(0))
        if discount:
            doc["apply_discount_on"] = "Net Total"
            doc["discount_amount"] = float(discount)
        if self.options.submit and is_wanted_submitted(payload):
            doc["docstatus"] = 1
        return doc

    def _site_day(self, placed_at: Any, order: str) -> Any:
        if not placed_at:
            raise ItemFailure(f"order {order}: placed_at is missing")
        zone = ZoneInfo(str(self.client.context()[self.options.timezone_context]))  # type: ignore[union-attr]
        at = datetime.fromisoformat(str(placed_at).replace("Z", "+00:00"))
        return at.astimezone(zone).date()

    def _lines(self, lines: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
        skus = sorted({str(ln.get("sku")) for ln in lines if ln.get("sku")})
        self._load_items(skus)
        out = []
        for n, ln in enumerate(lines):
            sku = ln.get("sku")
            if not sku or not self._items.get(str(sku)):
                if self.options.unknown_sku == "skip_line":
                    continue
                what = f"SKU {sku!r} is no enabled ERPNext item" if sku else "has no SKU"
                raise ItemFailure(f"order {order}: lines[{n}] ({ln.get('external_id')}) {what}")
            out.append({"item_code": sku, "qty": int(ln.get("quantity") or 0),
                        "rate": float(Decimal(str(ln.get("unit_price") or 0)))})
        if not out:
            raise ItemFailure(f"order {order}: no line with a known item")
        return out

    def _load_items(self, skus: list[str]) -> None:
        wanted = [s for s in skus if s not in self._items]
        if not wanted:
            return
        rows = self.docs.list("Item", [["item_code", "in", wanted]],
                              ["item_code", "disabled"], len(wanted))
        found = {str(r["item_code"]): not r.get("disabled") for r in rows}
        self._items.update({s: found.get(s, False) for s in wanted})

    def _taxes(self, payload: dict[str, Any], order: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        taxes = [t for t in payload.get("taxes") or [] if Decimal(str(t.get("amount") or 0))]
        if taxes:
            account = self._account("tax_account", order, "tax")
            for t in taxes:
                title = t.get("title") or "Tax"
                if payload.get("taxes_included"):
                    if t.get("rate") is None:
                        raise ItemFailure(f"order {order}: tax {title!r} is included in prices "
                                          "but has no rate")
                    rows.append({"charge_type": "On Net Total", "account_head": account,
                                 "description": title, "included_in_print_rate": 1,
                                 "rate": float(Decimal(str(t["rate"])) * 100)})
                else:
                    rows.append({"charge_type": "Actual", "account_head": account,
                                 "description": title,
                                 "tax_amount": float(Decimal(str(t["amount"])))})
        shipping = payload.get("shipping") or {}
        if Decimal(str(shipping.get("amount") or 0)):
            rows.append({"charge_type": "Actual",
                         "account_head": self._account("shipping_account", order, "shipping"),
                         "description": shipping.get("title") or "Shipping",
                         "tax_amount": float(Decimal(str(shipping["amount"])))})
        return rows

    def _account(self, option: str, order: str, what: str) -> str:
        value: str | None = getattr(self.options, option)
        if not value:
            raise ItemFailure(f"order {order}: the order has {what} but the writer option "
                              f"{option} is not set")
        return value
