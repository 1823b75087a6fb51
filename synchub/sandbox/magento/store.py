"""One Magento 2 store as the sandbox simulates it: orders, credit memos, MSI source items.

Orders carry the fields of ``salesOrderRepositoryV1`` (entity_id, increment_id, state,
status, created_at and updated_at in UTC written ``YYYY-MM-DD HH:MM:SS``, amounts as
numbers, the order's ``discount_amount`` negative). A configurable product is ordered as a
parent item (``product_type: configurable``, the price) and a child simple item
(``parent_item_id``, price 0); a fixed-price bundle as a priced parent and zero-priced
children. ``subtotal + shipping_amount + tax_amount + discount_amount = grand_total``.
Order ``i`` is drawn from the seed and ``i`` alone; a mutation stamps the real time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from synchub.sandbox.kit.money import tax_on_net
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, person, rng_for
from synchub.sandbox.kit.store import BaseStore

TAX_BP = 825
SOURCES = ("default", "eu_warehouse")
SHIPPING_CENTS = 500   # flat rate per order


def when(epoch: int) -> str:
    """Unix seconds as Magento writes times: UTC, no offset."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def amount(value: int) -> float:
    """Integer cents as the number Magento answers."""
    return round(value / 100, 2)


class MagentoStore(BaseStore):
    """A Magento store: integration and admin credentials, orders, memos, source items."""

    system = "magento"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.access_token = f"magento_sandbox_token_{name}"
        self.consumer_key, self.consumer_secret = f"ck_{name}", f"cs_{name}_secret"
        self.token_secret = f"ts_{name}_secret"
        self.admin_user, self.admin_password = "admin", f"admin_{name}_pw1"
        self.bearer_allowed = True       # "Allow OAuth Access Tokens ... as standalone Bearer"
        self.repeat_last_page = False    # Magento before 2.4: a page past the end repeats
        self.admin_tokens: dict[str, float] = {}
        self.nonces: set[str] = set()
        # the merchant's codes, as its ERP knows them (the demo ERPs stock SKU-<n>-1)
        self.skus = [f"SKU-{p + 1:05d}-1" for p in range(max(self.volume["products"], 1))]
        self.prices = {sku: rng_for(self.key, "price", sku).randrange(900, 9000, 100)
                       for sku in self.skus}
        self.source_items = {(sku, src): rng_for(self.key, "qty", sku, src).randint(0, 80)
                             for sku in self.skus for src in SOURCES}
        self.orders_by_id: dict[int, dict[str, Any]] = {}
        self.memos: dict[int, dict[str, Any]] = {}
        self.shipments: dict[int, dict[str, Any]] = {}
        count = self.volume["orders"]
        step = YEAR_SECONDS // max(count, 1)
        for i in range(count):
            at = YEAR_START + i * step + rng_for(self.key, "at", i).randrange(step)
            self._add(self._build(i, at))

    def credentials(self) -> dict[str, str]:
        """What a Connection needs for each scheme."""
        return {"access_token": self.access_token, "consumer_key": self.consumer_key,
                "consumer_secret": self.consumer_secret,
                "access_token_secret": self.token_secret, "admin_user": self.admin_user,
                "admin_password": self.admin_password}

    def connection(self, url: str) -> dict[str, Any]:
        """The integration's access token as a Bearer (the store allows it)."""
        return {"conn_type": "http", "host": url, "password": self.access_token,
                "extra": {"auth_scheme": "bearer"}}

    def counts(self) -> dict[str, int]:
        """Orders, credit memos, source items, shipments."""
        with self.lock:
            return {"orders": len(self.orders_by_id), "credit_memos": len(self.memos),
                    "source_items": len(self.source_items), "shipments": len(self.shipments)}

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Orders placed and changed now (a changed order moves to complete); the other
        kinds of change are not simulated here."""
        with self.lock:
            now = self.stamp()
            ids = sorted(self.orders_by_id)
            picked = self._mut_rng.sample(ids, min(orders_updated, len(ids)))
            for oid in picked:
                order = self.orders_by_id[oid]
                if order["state"] == "processing":
                    order["state"] = order["status"] = "complete"
                order["updated_at"] = when(now)
            created = []
            for _n in range(orders_created):
                order = self._build(len(self.orders_by_id), now)
                self._add(order)
                created.append(order["entity_id"])
            return {"orders_updated": picked, "orders_created": created}

    def _add(self, order: dict[str, Any]) -> None:
        self.orders_by_id[order["entity_id"]] = order

    def _item(self, oid: int, n: int, ptype: str, sku: str, price: int, qty: int,
              tax: int = 0, parent: int | None = None) -> dict[str, Any]:
        item = {"item_id": oid * 10 + n, "order_id": oid, "product_type": ptype, "sku": sku,
                "name": f"Product {sku}", "product_id": 1000 + n, "price": amount(price),
                "base_price": amount(price), "qty_ordered": float(qty), "qty_refunded": 0.0,
                "qty_canceled": 0.0, "row_total": amount(price * qty), "tax_amount": amount(tax),
                "discount_amount": 0.0}
        if parent is not None:
            item["parent_item_id"] = parent
        return item

    def _build(self, i: int, at: int) -> dict[str, Any]:
        r = rng_for(self.key, "order", i)
        oid = i + 1
        who = person(self.key, r.randrange(max(self.volume["customers"], 1)))
        items: list[dict[str, Any]] = []
        goods = tax = 0
        for n in range(r.randint(1, 3)):
            sku, qty = r.choice(self.skus), r.randint(1, 2)
            price = self.prices[sku]
            line_tax = tax_on_net(price * qty, TAX_BP)
            goods, tax = goods + price * qty, tax + line_tax
            kind = r.choice(("simple", "configurable", "bundle"))
            base = n * 3 + 1
            if kind == "configurable":   # both rows carry the chosen simple's SKU
                items.append(self._item(oid, base, "configurable", sku, price, qty,
                                        line_tax))
                items.append(self._item(oid, base + 1, "simple", sku, 0, qty,
                                        parent=oid * 10 + base))
            elif kind == "bundle":
                other = r.choice(self.skus)
                items.append(self._item(oid, base, "bundle", f"{sku}-{other}", price, qty,
                                        line_tax))
                for k, part in enumerate((sku, other)):
                    items.append(self._item(oid, base + 1 + k, "simple", part, 0, qty,
                                            parent=oid * 10 + base))
            else:
                items.append(self._item(oid, base, "simple", sku, price, qty, line_tax))
        state = r.choice(("processing", "processing", "complete", "pending_payment",
                          "canceled"))
        grand = goods + SHIPPING_CENTS + tax
        return {"entity_id": oid, "increment_id": f"{oid:09d}", "state": state,
                "status": state, "created_at": when(at), "updated_at": when(at),
                "order_currency_code": "USD", "base_currency_code": "USD",
                "customer_email": who["email"], "customer_firstname": who["first_name"],
                "customer_lastname": who["last_name"], "customer_is_guest": 0,
                "subtotal": amount(goods), "shipping_amount": amount(SHIPPING_CENTS),
                "shipping_tax_amount": 0.0, "tax_amount": amount(tax),
                "discount_amount": 0.0, "grand_total": amount(grand),
                "total_paid": amount(grand) if state in ("processing", "complete") else 0.0,
                "shipping_description": "Flat Rate - Fixed",
                "payment": {"method": "checkmo"}, "items": items}
