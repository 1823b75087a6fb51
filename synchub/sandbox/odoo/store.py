"""The simulated Odoo database: a stock master with products, locations, quants and moves.

Besides the generic sandbox controls (``mutate``, ``faults``, ``stats``...), a warehouse can
be acted on directly: :meth:`OdooStore.set_stock` sets a quant as an inventory adjustment
does, and :meth:`OdooStore.deliver` ships lines the way a validated delivery order does
(done outgoing moves with an ``origin``, quants lowered). Every change stamps
``write_date`` with the real current time, strictly later than the store's previous stamp.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.odoo.catalog import (
    CUSTOMERS,
    build_catalog,
    new_move,
    new_picking,
    new_quant,
    odoo_time,
    picking_name,
)
from synchub.sandbox.odoo.domain import DomainCompiler, sort_ids
from synchub.sandbox.odoo.errors import FAULT_MESSAGES, RpcFault
from synchub.sandbox.odoo.models import MODELS
from synchub.sandbox.odoo.sales import sales_view, seed_sales

MAX_CACHED_SEARCHES = 64  # paging re-runs one search per page; cached until a write


@dataclass(frozen=True, slots=True)
class RpcCall:
    """One JSON-RPC call the store answered (the request log only sees ``/jsonrpc``)."""

    service: str
    method: str
    model: str | None = None
    model_method: str | None = None
    kwargs: dict[str, Any] | None = None


class OdooStore(BaseStore):
    """One Odoo database behind ``/odoo/<name>/jsonrpc``; volume key ``products``."""

    system = "odoo"

    def __init__(self, seed: int, name: str, *, products: int = 30, orders: int = 0,
                 customers: int = 0, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, orders=orders, customers=customers, products=products,
                         poisoned=poisoned, rate_limits=rate_limits)
        self.db, self.login, self.uid = name, "admin", 2
        self.password = f"odoo_sandbox_{name}"
        self.catalog = build_catalog(self.key, name, self.volume["products"], self.currency)
        self.records = self.catalog.records
        seed_sales(self.catalog, self.currency)  # countries, taxes, pricelists
        self.rpc_log: list[RpcCall] = []
        self.rpc_fail_next: deque[str] = deque()
        self._searches: dict[tuple[str, str, str, bool], list[int]] = {}

    def credentials(self) -> dict[str, str]:
        """Database, login and password (an API key works the same way in Odoo)."""
        return {"db": self.db, "login": self.login, "password": self.password}

    def connection(self, url: str) -> dict[str, Any]:
        """The database as the schema, the user's login and password."""
        return {"conn_type": "http", "host": url, "schema": self.db, "login": self.login,
                "password": self.password}

    def counts(self) -> dict[str, int]:
        """Number of records of each kind."""
        with self.lock:
            products = self.records["product.product"].values()
            moves = self.records["stock.move"].values()
            return {"products": len(products),
                    "products_with_sku": sum(1 for p in products if p["default_code"]),
                    "archived": sum(1 for p in products if not p["active"]),
                    "locations": len(self.records["stock.location"]),
                    "quants": len(self.records["stock.quant"]), "moves": len(moves),
                    "deliveries": sum(1 for m in moves if m["state"] == "done"
                                      and m["picking_code"] == "outgoing")}

    def sales(self) -> dict[str, Any]:
        """Sale orders with their lines, partners and credit notes the database holds now."""
        with self.lock:
            return sales_view(self.records)

    def add_product(self, sku: str, name: str, *, type_: str = "service",
                    price: float = 0.0) -> dict[str, Any]:
        """Add a product variant (e.g. the service product that carries shipping)."""
        with self.lock:
            pid = self.catalog.next_ids["product.product"]
            self.catalog.next_ids["product.product"] = pid + 1
            stamp = odoo_time(self.stamp())
            product = {"id": pid, "default_code": sku, "name": name,
                       "display_name": f"[{sku}] {name}", "barcode": False,
                       "list_price": float(price), "active": True, "type": type_,
                       "product_tmpl_id": False, "create_date": stamp, "write_date": stamp}
            self.records["product.product"][pid] = product
            self.changed()
            return dict(product)

    # --- queries ------------------------------------------------------------------------
    def search(self, model: str, domain: Any, order: Any = None, active_test: bool = True
               ) -> list[int]:
        """Ids matching ``domain`` in ``order``; archived records only if the domain asks."""
        key = (model, json.dumps(domain, sort_keys=True, default=str), str(order), active_test)
        with self.lock:
            found = self._searches.get(key)
            if found is None:
                match = DomainCompiler(self.records).compile(model, domain)
                if active_test and "active" in MODELS[model] and not _mentions(domain, "active"):
                    rows = [r for r in self.records[model].values() if r["active"] and match(r)]
                else:
                    rows = [r for r in self.records[model].values() if match(r)]
                found = [r["id"] for r in sort_ids(model, rows, order)]
                if len(self._searches) >= MAX_CACHED_SEARCHES:
                    self._searches.clear()  # every incremental window is a new domain
                self._searches[key] = found
            return found

    def changed(self) -> None:
        """Forget cached searches after a write."""
        self._searches.clear()

    def product_by_sku(self, sku: str) -> dict[str, Any]:
        """The product with this internal reference (archived ones too); KeyError if none."""
        for product in self.records["product.product"].values():
            if product["default_code"] == sku:
                return product
        raise KeyError(f"no product with default_code {sku!r}")

    def location(self, name: str | int) -> dict[str, Any]:
        """An internal location by id or full name (``WH/Stock``); KeyError otherwise."""
        for loc in self.records["stock.location"].values():
            if name in (loc["id"], loc["complete_name"]):
                if loc["usage"] != "internal":
                    raise KeyError(f"location {name!r} is not an internal location")
                return loc
        raise KeyError(f"no location {name!r}")

    def quant(self, sku: str, location: str | int = "WH/Stock") -> dict[str, Any] | None:
        """The quant of a SKU at a location, as ``search_read`` shows it (None if none)."""
        with self.lock:
            return self._quant(self.product_by_sku(sku), self.location(location))

    def _quant(self, product: dict[str, Any], loc: dict[str, Any]) -> dict[str, Any] | None:
        for quant in self.records["stock.quant"].values():
            if quant["product_id"][0] == product["id"] and quant["location_id"][0] == loc["id"]:
                return quant
        return None

    # --- warehouse actions ----------------------------------------------------------------
    def set_stock(self, sku: str, quantity: float, location: str | int = "WH/Stock"
                  ) -> dict[str, Any]:
        """Set the on-hand quantity of a SKU at an internal location (inventory adjustment)."""
        with self.lock:
            product, loc = self.product_by_sku(sku), self.location(location)
            now = self.stamp()
            quant = self._quant(product, loc)
            if quant is None:
                quant = new_quant(self.catalog, product, loc, quantity, 0, now)
            quant["quantity"] = float(quantity)
            quant["reserved_quantity"] = float(min(quant["reserved_quantity"],
                                                   max(quantity, 0)))
            quant["write_date"] = odoo_time(now)
            self.changed()
            return dict(quant)

    def deliver(self, origin: str, lines: list[dict[str, Any]], carrier: str | None = None,
                tracking_number: str | None = None) -> dict[str, Any]:
        """Ship lines as a validated delivery: done outgoing moves, quants lowered.

        One transfer per source location, as Odoo makes one per warehouse. Each line is
        ``{"sku", "quantity", "location"}`` (location defaults to ``WH/Stock``). ``carrier``
        (a delivery.carrier name such as ``DHL Express``) and ``tracking_number`` are set on
        the transfer; a tracking number needs a carrier and lines from one location.
        """
        if not isinstance(origin, str) or not origin:
            raise ValueError("origin must be a non-empty string")
        if not isinstance(lines, list) or not lines:
            raise ValueError("lines must be a non-empty list")
        if tracking_number is not None and (not isinstance(tracking_number, str)
                                            or not tracking_number.strip() or not carrier):
            raise ValueError("tracking_number must be a non-empty string, with a carrier")
        with self.lock:
            method = self._carrier(carrier) if carrier else None
            resolved = []
            for line in lines:
                if not isinstance(line, dict) or set(line) - {"sku", "quantity", "location"}:
                    raise ValueError(f"a line is {{sku, quantity, location}}, not {line!r}")
                qty = line.get("quantity")
                if not isinstance(qty, int | float) or isinstance(qty, bool) or qty <= 0:
                    raise ValueError(f"quantity must be a positive number, not {qty!r}")
                resolved.append((self.product_by_sku(str(line.get("sku"))),
                                 self.location(line.get("location", "WH/Stock")), qty))
            if tracking_number and len({loc["id"] for _, loc, _ in resolved}) > 1:
                raise ValueError("one tracking number cannot cover transfers from several "
                                 "locations; deliver each location on its own")
            now = self.stamp()
            pickings: dict[int, list[Any]] = {}
            moves = []
            for product, loc, qty in resolved:
                if loc["id"] not in pickings:
                    pid = self.catalog.next_ids["stock.picking"]
                    self.catalog.next_ids["stock.picking"] = pid + 1
                    pickings[loc["id"]] = [pid, picking_name(self.catalog, loc["id"], "OUT")]
                move = new_move(self.catalog, product, loc["id"], CUSTOMERS, qty, state="done",
                                origin=origin, picking=pickings[loc["id"]], code="outgoing",
                                stamp=now)
                moves.append(move["id"])
                if move["picking_id"][0] not in self.records["stock.picking"]:
                    new_picking(self.catalog, move["picking_id"], move, carrier=method,
                                tracking_ref=tracking_number, stamp=now)
                quant = self._quant(product, loc) or new_quant(self.catalog, product, loc, 0, 0,
                                                                now)
                quant["quantity"] = float(quant["quantity"] - qty)
                quant["reserved_quantity"] = float(min(quant["reserved_quantity"],
                                                       max(quant["quantity"], 0)))
                quant["write_date"] = odoo_time(now)
            self.changed()
            return {"pickings": [p[1] for p in pickings.values()], "moves": moves}

    def _carrier(self, name: str) -> dict[str, Any]:
        """A delivery method by name; KeyError naming the known ones otherwise."""
        for row in self.records["delivery.carrier"].values():
            if row["name"] == name:
                return row
        known = sorted(r["name"] for r in self.records["delivery.carrier"].values())
        raise KeyError(f"no delivery carrier {name!r}; known: {', '.join(known)}")

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Change products (price + 1.00) and quants (a few units); Odoo has no orders here."""
        with self.lock:
            now = self.stamp()
            out: dict[str, list[Any]] = {"orders_created": [], "orders_updated": [],
                                         "customers_created": [], "customers_updated": []}
            products = sorted(self.records["product.product"])
            out["products_updated"] = []
            for pid in sorted(self._mut_rng.sample(products, min(products_updated,
                                                                  len(products)))):
                product = self.records["product.product"][pid]
                product["list_price"] = round(product["list_price"] + 1.0, 2)
                product["write_date"] = odoo_time(now)
                out["products_updated"].append(pid)
            quants = sorted(self.records["stock.quant"])
            out["inventory_changed"] = []
            for qid in sorted(self._mut_rng.sample(quants, min(inventory_changed, len(quants)))):
                quant = self.records["stock.quant"][qid]
                quant["quantity"] = float(quant["quantity"] + self._mut_rng.choice(
                    (-3, -2, -1, 1, 2, 5)))
                quant["reserved_quantity"] = float(min(quant["reserved_quantity"],
                                                       max(quant["quantity"], 0)))
                quant["write_date"] = odoo_time(now)
                out["inventory_changed"].append(qid)
            self.changed()
            return out

    def rpc_faults(self, fail_next: list[str] | None = None) -> dict[str, Any]:
        """Answer the next ``object`` calls with these Odoo errors, one each (replaces earlier)."""
        unknown = [n for n in fail_next or [] if n not in FAULT_MESSAGES]
        if unknown:
            raise ValueError(f"unknown Odoo errors {unknown}; known: {sorted(FAULT_MESSAGES)}")
        with self.lock:
            self.rpc_fail_next = deque(fail_next or [])
            return {"fail_next": list(self.rpc_fail_next)}

    def next_rpc_fault(self) -> RpcFault | None:
        """The injected Odoo error for this call, if one is pending."""
        with self.lock:
            if not self.rpc_fail_next:
                return None
            name = self.rpc_fail_next.popleft()
            return RpcFault(name, FAULT_MESSAGES[name])


def _mentions(domain: Any, name: str) -> bool:
    """True when a leaf of the domain names field ``name`` (Odoo then shows archived rows)."""
    if isinstance(domain, list | tuple):
        if len(domain) == 3 and isinstance(domain[0], str) and domain[0] not in ("&", "|", "!"):
            return domain[0].split(".")[0] == name
        return any(_mentions(d, name) for d in domain)
    return False
