"""One ERPNext site as the sandbox simulates it: its API key pair, time zone and documents.

Documents are kept per DocType as Frappe returns them: ``name``, ``docstatus``, naive
``creation``/``modified`` in the site's time zone (System Settings ``time_zone``) with
microseconds, child tables as lists. The site holds items (``SKU-<n>-<v>``), bins in two
warehouses, submitted delivery notes, accounts with account numbers, and whatever the hub
inserts. Item ``i`` and its bins are drawn from the seed and ``i`` alone.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, rng_for
from synchub.sandbox.kit.store import BaseStore

COMPANY, ABBR = "Synchub Demo", "SD"
WAREHOUSES = (f"Stores - {ABBR}", f"Shop - {ABBR}")
ACCOUNTS = (("1200", "Debtors"), ("1310", "Clearing"), ("1800", "Bank"), ("2200", "VAT"),
            ("4000", "Sales"), ("4100", "Freight"), ("6000", "Fees"), ("9999", "Suspense"))
# the sync user's roles: what the API lets it read and write (403 otherwise)
SYNC_ROLES = frozenset({"Item", "Bin", "Delivery Note", "Customer", "Sales Order",
                        "Journal Entry", "Account", "System Settings"})
PREFIX = {"Sales Order": "SAL-ORD-2025-", "Journal Entry": "ACC-JV-2025-",
          "Delivery Note": "MAT-DN-2025-"}


class ErpNextStore(BaseStore):
    """One site: key pair, time zone, DocTypes of documents, the sync user's roles."""

    system = "erpnext"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.api_key, self.api_secret = f"erpnext_key_{name}", f"erpnext_secret_{name}"
        self._last_micro = 0
        self.time_zone = "Asia/Kolkata" if name == "demo" else str(self.tz)
        self.zone = ZoneInfo(self.time_zone)
        self.roles: set[str] = set(SYNC_ROLES)
        self.docs: dict[str, dict[str, dict[str, Any]]] = {}
        self._counters: dict[str, itertools.count[int]] = {}
        self.put("System Settings", {"name": "System Settings",
                                     "time_zone": self.time_zone}, stamp=YEAR_START)
        for number, title in ACCOUNTS:
            self.put("Account", {"name": f"{title} - {ABBR}", "account_number": number,
                                 "company": COMPANY, "is_group": 0}, stamp=YEAR_START)
        step = YEAR_SECONDS // max(self.volume["products"], 1)
        for i in range(self.volume["products"]):
            self._seed_item(i, YEAR_START + i * step)

    def _seed_item(self, i: int, at: int) -> None:
        r = rng_for(self.key, "item", i)
        code = f"SKU-{i + 1:05d}-1"
        self.put("Item", {"name": code, "item_code": code, "item_name": f"Product {i + 1}",
                          "item_group": "Products", "stock_uom": "Nos", "disabled": 0,
                          "is_stock_item": 1, "has_variants": 0,
                          "variant_of": f"SKU-{i + 1:05d}"}, stamp=at)
        for w, warehouse in enumerate(WAREHOUSES):
            actual = r.randrange(0, 60)
            reserved = min(actual, r.randrange(0, 6))
            self.put("Bin", {"name": f"bin-{i}-{w}", "item_code": code, "warehouse": warehouse,
                             "actual_qty": float(actual), "reserved_qty": float(reserved),
                             "projected_qty": float(actual - reserved)}, stamp=at + 60 + w)

    # --- documents -----------------------------------------------------------------------
    def local(self, epoch: float) -> str:
        """An epoch time as Frappe stores it: naive, in the site's zone, microseconds."""
        at = datetime.fromtimestamp(epoch, UTC).astimezone(self.zone).replace(tzinfo=None)
        return at.strftime("%Y-%m-%d %H:%M:%S.%f")

    def new_name(self, doctype: str) -> str:
        """The next series name of a DocType (``SAL-ORD-2025-00001``)."""
        counter = self._counters.setdefault(doctype, itertools.count(1))
        return f"{PREFIX.get(doctype, doctype[:3].upper() + '-')}{next(counter):05d}"

    def now_micro(self) -> float:
        """The real time to the microsecond, strictly after every earlier one: Frappe stamps
        ``modified`` with microseconds, so a burst of writes stays at the real time rather
        than running a second ahead for each document (which would hide them behind a
        reader's safety lag)."""
        self._last_micro = max(time.time_ns() // 1000, self._last_micro + 1)
        return self._last_micro / 1_000_000

    def put(self, doctype: str, doc: dict[str, Any], stamp: float | None = None
            ) -> dict[str, Any]:
        """Store a document, stamping ``modified`` (and ``creation`` the first time)."""
        at = self.local(stamp if stamp is not None else self.now_micro())
        table = self.docs.setdefault(doctype, {})
        old = table.get(doc["name"])
        doc.setdefault("docstatus", 0)
        doc["creation"] = old["creation"] if old else doc.get("creation", at)
        doc["modified"] = at
        doc["doctype"] = doctype
        table[doc["name"]] = doc
        return doc

    def of(self, doctype: str) -> Iterable[dict[str, Any]]:
        """The documents of a DocType."""
        return self.docs.get(doctype, {}).values()

    # --- the kit's interface -------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """The sync user's API key and secret."""
        return {"api_key": self.api_key, "api_secret": self.api_secret}

    def connection(self, url: str) -> dict[str, Any]:
        """key as login, secret as password."""
        return {"conn_type": "http", "host": url, "login": self.api_key,
                "password": self.api_secret}

    def counts(self) -> dict[str, int]:
        """Documents per DocType."""
        with self.lock:
            return {doctype: len(table) for doctype, table in self.docs.items()}

    def mutate(self, orders_created: int = 0, orders_updated: int = 0,
               customers_created: int = 0, customers_updated: int = 0,
               products_updated: int = 0, inventory_changed: int = 0,
               ) -> dict[str, list[Any]]:
        """Move stock in ``inventory_changed`` bins and rename ``products_updated`` items."""
        with self.lock:
            bins = sorted(self.docs.get("Bin", {}))
            changed = self._mut_rng.sample(bins, min(inventory_changed, len(bins)))
            for name in changed:
                doc = dict(self.docs["Bin"][name])
                doc["actual_qty"] = float(max(0, doc["actual_qty"] - 1))
                doc["projected_qty"] = doc["actual_qty"] - doc["reserved_qty"]
                self.put("Bin", doc)
            items = sorted(self.docs.get("Item", {}))
            renamed = self._mut_rng.sample(items, min(products_updated, len(items)))
            for name in renamed:
                doc = dict(self.docs["Item"][name])
                doc["item_name"] += " (new)"
                self.put("Item", doc)
            return {"inventory": changed, "products": renamed}

    def ship(self, order_name: str, tracking: str | None = None,
             when: datetime | None = None, carrier: str | None = None) -> dict[str, Any]:
        """Deliver a submitted sales order: a submitted Delivery Note copying its po_no, the
        transporter (DHL Express when a number comes without one) and its receipt number."""
        with self.lock:
            so = self.docs["Sales Order"][order_name]
            if so.get("docstatus") != 1:
                raise ValueError(f"sales order {order_name} is not submitted")
            at = (when or datetime.now(UTC)).astimezone(self.zone)
            note = {"name": self.new_name("Delivery Note"), "customer": so["customer"],
                    "po_no": so.get("po_no"), "status": "To Bill", "docstatus": 1,
                    "is_return": 0,
                    "transporter_name": carrier or ("DHL Express" if tracking else None),
                    "lr_no": tracking, "posting_date": at.date().isoformat(),
                    "posting_time": f"{at.hour}:{at.minute:02d}:{at.second:02d}",
                    "items": [{"item_code": i["item_code"], "qty": i["qty"],
                               "against_sales_order": order_name} for i in so["items"]]}
            return self.put("Delivery Note", note)

    def ship_origin(self, po_no: str, carrier: str | None = None,
                    tracking: str | None = None) -> dict[str, Any]:
        """Deliver the submitted sales order whose ``po_no`` is ``po_no`` (the reference the
        hub writes), as the warehouse does when it packs the order."""
        with self.lock:
            found = [so for so in self.of("Sales Order")
                     if so.get("po_no") == po_no and so.get("docstatus") == 1]
            if not found:
                raise KeyError(f"no submitted sales order with po_no {po_no!r}")
            return self.ship(str(found[0]["name"]), tracking, carrier=carrier)
