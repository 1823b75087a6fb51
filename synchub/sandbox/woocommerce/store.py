"""The simulated WooCommerce site: products with variations, customers, orders, mutations."""

from __future__ import annotations

from functools import partial
from typing import Any

from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.orders import pick_lines, requested_lines
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.table import Header, LazyTable, public
from synchub.sandbox.kit.times import iso_naive_gmt, iso_naive_local
from synchub.sandbox.kit.webhooks import WebhookSender
from synchub.sandbox.woocommerce.catalog import (
    build_customer,
    build_products,
    customer_header,
    stamp_dates,
)
from synchub.sandbox.woocommerce.notes import OrderWrites
from synchub.sandbox.woocommerce.orders import WooContext, WooLine, build_order, order_header
from synchub.sandbox.woocommerce.webhooks import WooWebhooks

# order statuses in which WooCommerce has taken the ordered units from stock
STOCK_REDUCING = frozenset({"processing", "on-hold", "completed"})
PLACEABLE = ("processing", "pending", "on-hold", "completed")


class WooStore(BaseStore):
    """One WooCommerce site behind ``/woocommerce/<name>``."""

    system = "woocommerce"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.consumer_key = f"ck_sandbox_{name}"
        self.consumer_secret = f"cs_sandbox_{name}"
        self.webhooks = WebhookSender(self, WooWebhooks())
        key, vol = self.key, self.volume
        self.products = build_products(key, vol["products"], self.tz)
        # product or variation id -> (product, the object itself)
        self.objects: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        for p in self.products:
            self.objects[p["id"]] = (p, p)
            self.objects.update((v["id"], (p, v)) for v in p["_variations"])
        self._unreduced: set[int] = set()  # placed pending orders whose stock is not taken yet
        n_cust = vol["customers"]
        self.customers = LazyTable((customer_header(key, j, n_cust) for j in range(n_cust)),
                                   lambda h: build_customer(key, h, self.tz))
        catalog = tuple(
            WooLine(p["id"], v["id"] if v else 0,
                    p["name"] + (f" - {v['attributes'][0]['option']}" if v else ""),
                    (v or p)["sku"], (v or p)["_price"], p["tax_class"] == "reduced-rate")
            for p in self.products if p["type"] != "external"
            for v in (p["_variations"] or [None]))
        standard, reduced = (1900, 700) if self.currency == "EUR" else (2000, 500)
        self._ctx = WooContext(key, self.currency, self.tz, catalog, n_cust, standard, reduced)
        self._by_sku = {c.sku: c for c in catalog if c.sku}
        n = vol["orders"]
        self.orders = LazyTable((order_header(key, i, n) for i in range(n)),
                                lambda h: build_order(self._ctx, h))
        self.poison_orders([self.orders_ids_by_index(i) for i in self.poisoned_indexes()])
        # order updates (status, meta_data) and order notes
        self.order_writes = OrderWrites(self, self._take_pending_stock)

    @staticmethod
    def orders_ids_by_index(i: int) -> int:
        """The id of generated order ``i``."""
        return 50_000 + i

    def credentials(self) -> dict[str, str]:
        """The REST API key pair."""
        return {"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret}

    def connection(self, url: str) -> dict[str, Any]:
        """The key pair as login and password; the secret the hub gives its webhooks."""
        return {"conn_type": "http", "host": url, "login": self.consumer_key,
                "password": self.consumer_secret,
                "extra": {"webhook_secret": f"wc_webhook_sandbox_{self.name}"}}

    def counts(self) -> dict[str, int]:
        """Number of records of each kind."""
        with self.lock:
            return {"orders": len(self.orders), "customers": len(self.customers),
                    "products": len(self.products),
                    "variations": sum(len(p["_variations"]) for p in self.products)}

    def render_order(self, row: dict[str, Any]) -> dict[str, Any]:
        """The order as served, broken if it is one of the poisoned ones."""
        oid = row.get("id")
        if oid in self.bad_money_orders:
            lines = [dict(row["line_items"][0], total="N/A"), *row["line_items"][1:]]
            return dict(row, line_items=lines)
        if oid in self.missing_id_orders:
            return {k: v for k, v in row.items() if k != "id"}
        return row

    def product(self, record_id: int) -> dict[str, Any] | None:
        """The product the API would return now."""
        with self.lock:
            found = next((p for p in self.products if p["id"] == record_id), None)
            return None if found is None else public(found)

    # --- mutations ------------------------------------------------------------------------
    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Create and change records now, stamping the current time; returns the affected ids."""
        with self.lock:
            now = self.stamp()
            out: dict[str, list[Any]] = {"orders_created": [], "customers_created": []}
            # Updates pick among records that existed before this call, then creations follow.
            out["orders_updated"] = [self._touch_order(oid, now)
                                     for oid in self.pick_ids(self.orders, orders_updated)]
            out["customers_updated"] = [self._touch_customer(cid, now)
                                        for cid in self.pick_ids(self.customers,
                                                                 customers_updated)]
            for _ in range(orders_created):
                out["orders_created"].append(self._new_order(now))
            for _ in range(customers_created):
                j = self.customers.next_index
                self.customers.next_index += 1
                base = customer_header(self.key, j, self.volume["customers"])
                h = Header(id=base.id, index=j, created=now, updated=now, name=base.name)
                self.customers.put(h, build_customer(self.key, h, self.tz))
                out["customers_created"].append(h.id)
                self.webhooks.emit("customer.created", partial(self.customers.get, h.id))
            out["products_updated"] = [self._touch_product(p, now) for p in self._mut_rng.sample(
                self.products, min(products_updated, len(self.products)))]
            stocked = [(p, s) for p in self.products for s in (p["_variations"] or [p])
                       if s["manage_stock"]]
            out["inventory_changed"] = [self._change_stock(p, s, now) for p, s in
                                        self._mut_rng.sample(stocked, min(inventory_changed,
                                                                          len(stocked)))]
            return out

    def place_order(self, lines: Any, status: str | None = None) -> dict[str, Any]:
        """Place one order now for exactly ``lines`` (``[{"sku", "quantity"}]``).

        ``status`` is ``processing`` (default), ``pending``, ``on-hold`` or ``completed``;
        managed stock drops unless the order is pending (then it drops once the order moves
        on). Raises ValueError naming an unknown SKU.
        """
        wanted = requested_lines(lines)
        status = status or "processing"
        if status not in PLACEABLE:
            raise ValueError(f"status must be one of {', '.join(PLACEABLE)}, not {status!r}")
        with self.lock:
            picked = pick_lines(self._by_sku, wanted)
            oid = self._new_order(self.stamp(), picked, status)
            row = self.orders.get(oid)
            return {"id": oid, "number": row["number"]}

    def _new_order(self, now: int, lines: Any = None, status: str = "processing") -> int:
        i = self.orders.next_index
        self.orders.next_index += 1
        h = order_header(self.key, i, self.volume["orders"], now=now)
        h.status = h.name = status
        row = build_order(self._ctx, h, lines)
        self.orders.put(h, row)
        if status in STOCK_REDUCING:
            self._reduce_stock(row, now)
        else:
            self._unreduced.add(h.id)
        self.webhooks.emit("order.created", lambda: self.order(h.id))
        return h.id

    def _reduce_stock(self, row: dict[str, Any], now: int) -> None:
        """Take an order's units from managed stock, as WooCommerce does once it is paid."""
        for line in row["line_items"]:
            found = self.objects.get(line["variation_id"] or line["product_id"])
            if found is None or found[1]["manage_stock"] is not True:
                continue
            product, obj = found
            self.set_stock(product, obj, obj["stock_quantity"] - line["quantity"], now)

    def set_stock(self, product: dict[str, Any], obj: dict[str, Any], quantity: int | None,
                  now: int) -> None:
        """Store a product's or variation's stock figure and stamp it (and its parent)."""
        obj["stock_quantity"] = quantity
        if obj["manage_stock"] is True and quantity is not None:
            obj["stock_status"] = "instock" if quantity > 0 else "outofstock"
        # The parent is stamped too, so a modified_after sweep over products finds the change.
        for target in {id(product): product, id(obj): obj}.values():
            target["_updated"] = now
            stamp_dates(target, self.tz)

    def _take_pending_stock(self, oid: int, row: dict[str, Any], now: int) -> None:
        """A placed pending order takes its stock once it is paid (only the first time)."""
        if oid in self._unreduced:
            self._unreduced.discard(oid)
            self._reduce_stock(row, now)

    def _touch_order(self, oid: int, now: int) -> int:
        row = self.orders.materialize(oid)
        status = row["status"]
        if status in ("pending", "on-hold"):
            status = "processing"
            self._take_pending_stock(oid, row, now)
        elif status == "processing":
            status = "completed"
            row["date_completed"] = iso_naive_local(now, self.tz)
            row["date_completed_gmt"] = iso_naive_gmt(now)
        row["status"] = status
        row["customer_note"] = f"Updated {iso_naive_gmt(now)}"
        row["date_modified"] = iso_naive_local(now, self.tz)
        row["date_modified_gmt"] = iso_naive_gmt(now)
        self.orders.touch(oid, now, status=status)
        self.webhooks.emit("order.updated", lambda: self.order(oid))
        return oid

    def _touch_customer(self, cid: int, now: int) -> int:
        row = self.customers.materialize(cid)
        row["_updated"] = now
        row["billing"] = dict(row["billing"], company="Updated GmbH")
        stamp_dates(row, self.tz)
        self.customers.touch(cid, now)
        self.webhooks.emit("customer.updated", lambda: self.customers.get(cid))
        return cid

    def _touch_product(self, product: dict[str, Any], now: int) -> int:
        target = product["_variations"][0] if product["_variations"] else product
        target["_price"] += 100
        target["regular_price"] = cents(int(target["regular_price"].replace(".", "")) + 100)
        target["price"] = cents(target["_price"])
        for obj in (product, target):
            obj["_updated"] = now
            stamp_dates(obj, self.tz)
        return int(product["id"])

    def _change_stock(self, product: dict[str, Any], item: dict[str, Any], now: int) -> int:
        self.set_stock(product, item, max(0, item["stock_quantity"] + self._mut_rng.choice(
            (-3, -2, -1, 1, 2, 5))), now)
        return int(item["id"])
