"""One Squarespace Commerce account as the sandbox simulates it: an API key and seeded orders.

Written by ``synchub new-system`` for a plain REST order API: make the record shape, the
numbers and the statuses what the vendor's documentation shows, and keep :mod:`.system`
(auth, errors, paging) in step with ``connectors/squarespace/connector.yaml``. Every order is
drawn from the seed and its index alone; times are epoch seconds in 2025 (UTC) until a
mutation stamps the real time.
"""

from __future__ import annotations

from typing import Any

from synchub.sandbox.kit.limits import RollingWindow
from synchub.sandbox.kit.money import cents, tax_on_net
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, person, rng_for
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.times import iso_utc_z

DAY = 86_400
FIRST_ID = 1001
TAX_BP = 2000                 # 20 % on goods and shipping, on top of the prices
FREE_SHIPPING = 10_000        # cents of goods from which shipping is free
STATUSES = ("open", "completed", "cancelled")


class SquarespaceStore(BaseStore):
    """One Squarespace Commerce account: its API key, its orders and its rate limit."""

    system = "squarespace"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.api_key = f"squarespace_sandbox_{name}"
        self.limiter = RollingWindow(300, 60.0)     # change: the vendor's published limit
        self.records: dict[int, dict[str, Any]] = {}
        count = self.volume["orders"]
        step = YEAR_SECONDS // max(count, 1)
        for i in range(count):
            created = YEAR_START + i * step         # ids follow the creation time
            changed = created + rng_for(self.key, "changed", i).randrange(3 * DAY)
            self.records[FIRST_ID + i] = self._build(i, created, changed)

    def credentials(self) -> dict[str, str]:
        """The API key (the Connection's password)."""
        return {"api_key": self.api_key}

    def counts(self) -> dict[str, int]:
        """Number of orders."""
        with self.lock:
            return {"orders": len(self.records)}

    def changed_between(self, low: int | None, high: int | None) -> list[tuple[int, int]]:
        """(change time, id) of the orders changed in [low, high], oldest first."""
        return sorted((o["_changed"], oid) for oid, o in self.records.items()
                      if (low is None or o["_changed"] >= low)
                      and (high is None or o["_changed"] <= high))

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Place and change orders now (the ``mutate`` control); the affected ids."""
        with self.lock:
            now = self.stamp()
            picked = self._mut_rng.sample(sorted(self.records),
                                          min(orders_updated, len(self.records)))
            for oid in picked:
                order = self.records[oid]
                order["status"] = "completed" if order["status"] == "open" else "open"
                order["updated_at"], order["_changed"] = iso_utc_z(now), now
            created = []
            for _ in range(orders_created):
                i = len(self.records)
                self.records[FIRST_ID + i] = self._build(i, now, now)
                created.append(FIRST_ID + i)
            return {"orders_updated": picked, "orders_created": created}

    def _build(self, i: int, created: int, changed: int) -> dict[str, Any]:
        """Order ``i``: its customer, lines and totals, drawn from the seed."""
        r = rng_for(self.key, "order", i)
        j = r.randrange(max(self.volume["customers"], 1))
        who = person(self.key, j)
        oid = FIRST_ID + i
        lines: list[dict[str, Any]] = []
        goods = 0
        for n in range(r.randint(1, 3)):
            unit, quantity = r.randrange(500, 9000), r.randint(1, 3)
            goods += unit * quantity
            lines.append({"id": oid * 10 + n, "sku": f"SKU-{r.randrange(1, 60):03d}",
                          "title": f"Item {n + 1}", "quantity": quantity,
                          "unit_price": cents(unit)})
        shipping = 0 if goods >= FREE_SHIPPING else 590
        tax = tax_on_net(goods + shipping, TAX_BP)
        return {
            "id": oid, "number": str(oid), "status": r.choices(STATUSES, (3, 6, 1))[0],
            "currency": self.currency,
            "created_at": iso_utc_z(created), "updated_at": iso_utc_z(changed),
            "customer": {"id": 500 + j, "email": who["email"],
                         "first_name": who["first_name"], "last_name": who["last_name"]},
            "lines": lines, "subtotal": cents(goods), "discount_total": cents(0),
            "shipping_total": cents(shipping), "tax_total": cents(tax),
            "total": cents(goods + shipping + tax),
            "_changed": changed,                    # private: never served
        }
