"""The simulated Shopify store: catalog, customers, orders, buckets, mutations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from synchub.sandbox.kit.limits import LeakyBucket, TokenBucket
from synchub.sandbox.kit.orders import pick_lines, requested_lines
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.table import Header, LazyTable
from synchub.sandbox.kit.times import iso_local
from synchub.sandbox.kit.webhooks import WebhookSender
from synchub.sandbox.shopify.catalog import (
    build_customer,
    build_locations,
    build_products,
    catalog_lines,
    customer_header,
    stamp_product,
)
from synchub.sandbox.shopify.fulfillment import FulfillmentBook
from synchub.sandbox.shopify.orders import ShopContext, build_order, order_header, order_id
from synchub.sandbox.shopify.payments import PaymentsBook
from synchub.sandbox.shopify.webhooks import ShopifyWebhooks


class ShopifyStore(BaseStore):
    """One Shopify shop behind ``/shopify/<name>``."""

    system = "shopify"
    order_options = frozenset({"gateway"})

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.access_token = f"shpat_sandbox_{name}"
        self.client_secret = f"shpss_sandbox_{name}"  # signs webhooks
        self.webhooks = WebhookSender(self, ShopifyWebhooks())
        self.rest_bucket = LeakyBucket(40, 2.0)
        self.cost_bucket = TokenBucket(2000.0, 100.0)
        key, vol = self.key, self.volume
        self.locations = build_locations(key)
        self.products = build_products(key, vol["products"], self.locations)
        self.variants_by_id = {v["_id"]: v for p in self.products for v in p["_variants"]}
        # every object a GraphQL id can name (nodes, mutation inputs); none is ever removed
        self.by_gid: dict[str, dict[str, Any]] = {o["id"]: o for o in self.locations}
        for p in self.products:
            self.by_gid[p["id"]] = p
            for v in p["_variants"]:
                item = v["inventoryItem"]
                self.by_gid.update({v["id"]: v, item["id"]: item})
                self.by_gid.update((lv["id"], lv) for lv in item["_levels"])
        # idempotency key -> (input fingerprint, first result) of inventorySetQuantities
        self.idempotency: dict[str, tuple[str, dict[str, Any]]] = {}
        self.adjustment_groups = 0
        n_cust = vol["customers"]
        self.customers = LazyTable(
            (customer_header(key, j, n_cust) for j in range(n_cust)),
            lambda h: build_customer(key, h, self.tz, self.currency))
        self._ctx = ShopContext(key, self.currency, self.tz, catalog_lines(self.products),
                                n_cust, lambda j: customer_header(key, j, n_cust))
        self._by_sku = {c.sku: c for c in self._ctx.catalog if c.sku}
        n = vol["orders"]
        self.orders = LazyTable((order_header(key, i, n) for i in range(n)),
                                lambda h: build_order(self._ctx, h))
        # The last poisoned order loses its id; the others carry a non-numeric money string.
        self.poison_orders([order_id(i) for i in self.poisoned_indexes()])
        # fulfillment orders and fulfillments, derived per order when first read
        self.fulfillment_book = FulfillmentBook(self)
        # Shopify Payments: balance transactions and payouts derived from the orders
        self.payments = PaymentsBook(self)

    def credentials(self) -> dict[str, str]:
        """The Admin API access token."""
        return {"access_token": self.access_token}

    def connection(self, url: str) -> dict[str, Any]:
        """The Admin API token as the password; the app's secret signs the webhooks."""
        return {"conn_type": "http", "host": url, "password": self.access_token,
                "extra": {"webhook_secret": self.client_secret}}

    def counts(self) -> dict[str, int]:
        """Number of records of each kind."""
        with self.lock:
            variants = [v for p in self.products for v in p["_variants"]]
            return {"orders": len(self.orders), "customers": len(self.customers),
                    "products": len(self.products), "variants": len(variants),
                    "inventory_items": len(variants),
                    "inventory_levels": sum(len(v["inventoryItem"]["_levels"]) for v in variants),
                    "locations": len(self.locations)}

    def render_order(self, row: dict[str, Any]) -> dict[str, Any]:
        """The order as the API serves it, broken if it is one of the poisoned ones."""
        oid = row.get("id")
        if oid in self.bad_money_orders:
            row = dict(row, total_price=f"{row['total_price'].replace('.', ',')} {self.currency}")
        elif oid in self.missing_id_orders:
            row = {k: v for k, v in row.items() if k != "id"}
        return row

    def customer(self, record_id: int) -> dict[str, Any] | None:
        """The customer the API would return now."""
        with self.lock:
            return self.customers.get(record_id)

    # --- mutations ------------------------------------------------------------------------
    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Create and change records now, stamping the current time; returns the affected ids."""
        with self.lock:
            now = self.stamp()
            out: dict[str, list[Any]] = {}
            # Updates pick among records that existed before this call, then creations follow.
            out["orders_updated"] = [self._touch_order(oid, now)
                                     for oid in self.pick_ids(self.orders, orders_updated)]
            out["orders_created"] = [self._new_order(now) for _ in range(orders_created)]
            out["customers_updated"] = [self._touch_customer(cid, now)
                                        for cid in self.pick_ids(self.customers,
                                                                 customers_updated)]
            out["customers_created"] = [self._new_customer(now) for _ in range(customers_created)]
            out["products_updated"] = [self._touch_product(p, now) for p in self._mut_rng.sample(
                self.products, min(products_updated, len(self.products)))]
            items = [v["inventoryItem"] for p in self.products for v in p["_variants"]]
            out["inventory_changed"] = [self._change_stock(item, now) for item in
                                        self._mut_rng.sample(items, min(inventory_changed,
                                                                        len(items)))]
            return out

    def place_order(self, lines: Any, status: str | None = None,
                    gateway: str | None = None) -> dict[str, Any]:
        """Place one order now for exactly ``lines`` (``[{"sku", "quantity"}]``).

        ``status`` is ``open`` (default: the units are committed) or ``closed`` (paid and
        fulfilled: the units left on_hand). ``gateway`` is how it is paid (default
        ``shopify_payments``). Raises ValueError naming an unknown SKU.
        """
        wanted = requested_lines(lines)
        status = status or "open"
        if status not in ("open", "closed"):
            raise ValueError(f"status must be open or closed, not {status!r}")
        gateway = "shopify_payments" if gateway is None else gateway
        if not isinstance(gateway, str) or not gateway.strip():
            raise ValueError("gateway must be a non-empty string")
        with self.lock:
            picked = pick_lines(self._by_sku, wanted)
            oid = self._new_order(self.stamp(), picked, status, gateway.strip())
            row = self.orders.get(oid)
            return {"id": oid, "number": row["order_number"], "name": row["name"]}

    def _new_order(self, now: int, lines: Any = None, status: str = "open",
                   gateway: str | None = None) -> int:
        i = self.orders.next_index
        self.orders.next_index += 1
        h = order_header(self.key, i, self.volume["orders"], now=now)
        h.status = h.name = status
        row = build_order(self._ctx, h, lines, gateway)
        self.orders.put(h, row)
        self.commit_stock(((li["variant_id"], li["quantity"]) for li in row["line_items"]),
                          now, fulfilled=status == "closed")
        self.webhooks.emit("orders/create", lambda: self.order(h.id))
        return h.id

    def _touch_order(self, oid: int, now: int) -> int:
        row = self.orders.materialize(oid)
        row["updated_at"] = iso_local(now, self.tz)
        row["note"] = f"Updated at {row['updated_at']}"
        row["tags"] = ", ".join(t for t in (row["tags"], "updated") if t)
        if row["closed_at"] is None and row["financial_status"] in ("pending", "authorized"):
            row["financial_status"] = "paid"
            self.payments.captured(oid, now)  # the payment is taken now: a charge today
        self.orders.touch(oid, now)
        self.webhooks.emit("orders/updated", lambda: self.order(oid))
        return oid

    def _new_customer(self, now: int) -> int:
        j = self.customers.next_index
        self.customers.next_index += 1
        base = customer_header(self.key, j, self.volume["customers"])
        h = Header(id=base.id, index=j, created=now, updated=now)
        self.customers.put(h, build_customer(self.key, h, self.tz, self.currency))
        self.webhooks.emit("customers/create", lambda: self.customer(h.id))
        return h.id

    def _touch_customer(self, cid: int, now: int) -> int:
        row = self.customers.materialize(cid)
        row["updated_at"] = iso_local(now, self.tz)
        row["tags"] = ", ".join(t for t in (row["tags"], "updated") if t)
        self.customers.touch(cid, now)
        self.webhooks.emit("customers/update", lambda: self.customer(cid))
        return cid

    def _touch_product(self, product: dict[str, Any], now: int) -> str:
        variant = product["_variants"][0]
        variant["_price"] += 100
        variant["price"] = f"{variant['_price'] // 100}.{variant['_price'] % 100:02d}"
        product["_updated"] = variant["_updated"] = now
        stamp_product(product)
        return str(product["id"])

    def _change_stock(self, item: dict[str, Any], now: int) -> str:
        level = item["_levels"][0]
        q = level["_q"]
        delta = self._mut_rng.choice((-3, -2, -1, 1, 2, 5))
        q["on_hand"] = max(q["committed"], q["on_hand"] + delta)
        q["available"] = q["on_hand"] - q["committed"]
        level["_updated"] = item["_updated"] = now
        stamp_product(item["_variant"]["_product"])
        return str(item["id"])

    def commit_stock(self, lines: Iterable[tuple[int, int]], now: int, *,
                     fulfilled: bool = False) -> None:
        """Take an order's units from stock, as Shopify does when the order is created.

        For every (variant id, quantity) whose tracked inventory item is stocked somewhere,
        the first location stocking it loses ``available`` and gains ``committed``; an order
        that is already fulfilled takes the units off ``on_hand`` instead of committing them.
        """
        touched: dict[int, dict[str, Any]] = {}
        for variant_id, quantity in lines:
            variant = self.variants_by_id.get(variant_id)
            if variant is None:
                continue
            item = variant["inventoryItem"]
            if not item["tracked"] or not item["_levels"]:
                continue
            level = item["_levels"][0]
            q = level["_q"]
            q["available"] -= quantity
            if fulfilled:
                q["on_hand"] -= quantity
            else:
                q["committed"] += quantity
            level["_updated"] = item["_updated"] = now
            touched[id(variant["_product"])] = variant["_product"]
        for product in touched.values():
            stamp_product(product)
