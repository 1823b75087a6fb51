"""What every simulated store shares: identity, lock, request log, faults, mutation clock."""

from __future__ import annotations

import random
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from synchub.sandbox.kit.faults import FaultPlan
from synchub.sandbox.kit.seed import stable_int

DEFAULT_VOLUME = {"orders": 200, "customers": 50, "products": 30, "poisoned": 0}
CURRENCIES = {"EUR": "Europe/Berlin", "USD": "America/New_York", "GBP": "Europe/London",
              "CAD": "America/Toronto"}


def store_currency(name: str, default: str = "EUR") -> str:
    """The demo store sells in ``default``; other stores get a currency from their name."""
    if name == "demo":
        return default
    return sorted(CURRENCIES)[stable_int("currency", name) % len(CURRENCIES)]


@dataclass(frozen=True, slots=True)
class RequestLog:
    """One API request the store received (path relative to the store's base URL)."""

    method: str
    path: str
    query: dict[str, str]
    status: int


class BaseStore(ABC):
    """State and bookkeeping common to every simulated system.

    Order-specific parts (``orders``, :meth:`order`, :meth:`render_order`) matter only to
    the channels; a system without orders (an ERP such as Odoo) leaves ``orders`` unset.
    """

    system = ""
    orders: Any = None   # the store's order table (a LazyTable keyed by order id), if any
    # keys the ``order`` control action passes on to :meth:`place_order` besides lines and
    # status (Shopify: ``gateway``)
    order_options: frozenset[str] = frozenset()

    def __init__(
        self, seed: int, name: str, *, orders: int, customers: int, products: int,
        poisoned: int = 0, rate_limits: bool = True,
    ) -> None:
        for label, value in (("orders", orders), ("customers", customers),
                             ("products", products), ("poisoned", poisoned)):
            if int(value) < 0:
                raise ValueError(f"{label} must not be negative")
        if int(products) < 1 and int(orders) > 0:
            raise ValueError("orders need at least one product")
        if int(poisoned) > int(orders):
            raise ValueError("poisoned cannot exceed orders")
        self.seed, self.name, self.rate_limits = seed, name, rate_limits
        self.key = f"{seed}:{self.system}:{name}"
        self.volume = {"orders": int(orders), "customers": int(customers),
                       "products": int(products), "poisoned": int(poisoned)}
        self.lock = threading.RLock()
        self.requests: list[RequestLog] = []
        self.fault_plan = FaultPlan(self.key)
        self._last_stamp = 0
        self.currency = store_currency(name)
        self.tz = ZoneInfo(CURRENCIES[self.currency])
        self._mut_rng = random.Random(stable_int(self.key, "mutate"))
        # orders served broken on purpose (see poison_orders)
        self.bad_money_orders: set[int] = set()
        self.missing_id_orders: set[int] = set()

    def render_order(self, row: dict[str, Any]) -> dict[str, Any]:
        """The order as the API shows it now (channels break poisoned ones on purpose)."""
        return row

    # --- faults and logging -------------------------------------------------------------
    def order(self, record_id: int) -> dict[str, Any] | None:
        """The order the API would return now (None if unknown)."""
        with self.lock:
            row = self.orders.get(record_id) if self.orders is not None else None
            return None if row is None else self.render_order(row)

    def faults(
        self, rate_429: float = 0.0, rate_5xx: float = 0.0, latency_ms: int = 0,
        timeout_rate: float = 0.0, truncate_rate: float = 0.0,
        fail_next: list[int] | None = None, hang_seconds: float = 30.0,
        lost_reply_rate: float = 0.0, lost_reply_next: int = 0,
    ) -> dict[str, Any]:
        """Set the fault injection for this store (replaces earlier settings)."""
        with self.lock:
            return self.fault_plan.configure(
                rate_429=rate_429, rate_5xx=rate_5xx, latency_ms=latency_ms,
                timeout_rate=timeout_rate, truncate_rate=truncate_rate, fail_next=fail_next,
                hang_seconds=hang_seconds, lost_reply_rate=lost_reply_rate,
                lost_reply_next=lost_reply_next)

    def log(self, entry: RequestLog) -> None:
        """Record a served request."""
        with self.lock:
            self.requests.append(entry)

    def stats(self) -> dict[str, Any]:
        """Counts plus the number of requests by path and status."""
        with self.lock:
            by_path = Counter(r.path for r in self.requests)
            by_status = Counter(str(r.status) for r in self.requests)
            return {"system": self.system, "store": self.name, "counts": self.counts(),
                    "requests": len(self.requests), "requests_by_path": dict(by_path),
                    "requests_by_status": dict(by_status), "faults": self.fault_plan.settings()}

    # --- mutation clock -------------------------------------------------------------------
    def stamp(self) -> int:
        """The real current time in seconds, strictly after every earlier stamp."""
        self._last_stamp = max(int(time.time()), self._last_stamp + 1)
        return self._last_stamp

    def stamp_shared(self) -> int:
        """The real current time in seconds, never before an earlier stamp, but shared by
        every call in the same second (bulk writes: the clock must not run ahead)."""
        self._last_stamp = max(int(time.time()), self._last_stamp)
        return self._last_stamp

    def poisoned_indexes(self) -> list[int]:
        """Which generated records are broken on purpose (evenly spread, deterministic)."""
        k, n = self.volume["poisoned"], self.volume["orders"]
        return [j * n // k + n // (2 * k) for j in range(k)] if k else []

    def poison_orders(self, ids: list[int]) -> None:
        """Serve these orders broken: the last one (of two or more) without its id, the
        others with a bad money value (how is the vendor's :meth:`render_order`)."""
        self.missing_id_orders = set(ids[-1:]) if len(ids) > 1 else set()
        self.bad_money_orders = set(ids) - self.missing_id_orders

    @property
    def poisoned_ids(self) -> list[int]:
        """Ids of the orders that are served broken on purpose."""
        return sorted(self.bad_money_orders | self.missing_id_orders)

    def pick_ids(self, table: Any, count: int) -> list[int]:
        """``count`` ids of a :class:`~synchub.sandbox.kit.table.LazyTable` drawn by the
        mutation generator (the records a mutation changes)."""
        ids = sorted(h.id for h in table.headers())
        return self._mut_rng.sample(ids, min(count, len(ids)))

    # --- vendor specifics -----------------------------------------------------------------
    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Create and change records now (the ``mutate`` control action); the affected ids
        per key. By default nothing changes in bulk (couriers move parcels one by one,
        exchange rates follow the calendar)."""
        return {}

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Number of records of each kind."""

    @abstractmethod
    def credentials(self) -> dict[str, str]:
        """What a client needs to authenticate."""

    def connection(self, url: str) -> dict[str, Any]:
        """The Airflow Connection (``AIRFLOW_CONN_*`` JSON) through which a hub reaches this
        store at ``url``: the fields its connector reads, filled with this store's
        credentials. By default the one credential a store has is the password."""
        conn: dict[str, Any] = {"conn_type": "http", "host": url}
        creds = list(self.credentials().values())
        if len(creds) == 1:
            conn["password"] = creds[0]
        return conn
