"""The sandbox: a registry of simulated stores that share one seed."""

from __future__ import annotations

import threading
from typing import Any

from synchub.sandbox.aftership import AfterShipStore
from synchub.sandbox.dhl import DhlStore
from synchub.sandbox.fx import FrankfurterStore
from synchub.sandbox.hubspot_store import HubSpotStore
from synchub.sandbox.odoo_store import OdooStore
from synchub.sandbox.shopify_store import ShopifyStore
from synchub.sandbox.store import DEFAULT_VOLUME, BaseStore
from synchub.sandbox.woo_store import WooStore

SYSTEMS: dict[str, type[BaseStore]] = {"shopify": ShopifyStore, "woocommerce": WooStore,
                                       "odoo": OdooStore}
SYSTEMS.update({"dhl": DhlStore, "aftership": AfterShipStore})
SYSTEMS["hubspot"] = HubSpotStore
SYSTEMS["frankfurter"] = FrankfurterStore


class Sandbox:
    """Seeded, deterministic stores of every simulated system; ``rate_limits=False`` for benches."""

    def __init__(self, seed: int = 42, rate_limits: bool = True) -> None:
        self.seed, self.rate_limits = seed, rate_limits
        self._stores: dict[tuple[str, str], BaseStore] = {}
        self._lock = threading.Lock()

    def store(self, system: str, name: str, **volume: Any) -> Any:
        """Get the store, creating it with ``volume`` (defaults filled in) on first use."""
        if system not in SYSTEMS:
            raise KeyError(f"unknown system {system!r}; expected one of {sorted(SYSTEMS)}")
        with self._lock:
            found = self._stores.get((system, name))
            if found is None:
                found = self._create(system, name, volume)
                self._stores[(system, name)] = found
            return found

    def reset(self, system: str, name: str, **volume: Any) -> Any:
        """Replace the store with a fresh one (same seed) of the given volume."""
        if system not in SYSTEMS:
            raise KeyError(f"unknown system {system!r}; expected one of {sorted(SYSTEMS)}")
        with self._lock:
            fresh = self._create(system, name, volume)
            self._stores[(system, name)] = fresh
            return fresh

    def _create(self, system: str, name: str, volume: dict[str, Any]) -> BaseStore:
        unknown = set(volume) - set(DEFAULT_VOLUME)
        if unknown:
            raise ValueError(f"unknown volume keys: {', '.join(sorted(unknown))}")
        return SYSTEMS[system](self.seed, name, rate_limits=self.rate_limits,
                               **{**DEFAULT_VOLUME, **volume})

    def shopify(self, name: str = "demo", **volume: Any) -> ShopifyStore:
        """The Shopify shop ``name`` (orders=, customers=, products=, poisoned=)."""
        store: ShopifyStore = self.store("shopify", name, **volume)
        return store

    def woocommerce(self, name: str = "demo", **volume: Any) -> WooStore:
        """The WooCommerce site ``name`` (orders=, customers=, products=, poisoned=)."""
        store: WooStore = self.store("woocommerce", name, **volume)
        return store

    def odoo(self, name: str = "demo", **volume: Any) -> OdooStore:
        """The Odoo database ``name`` (products=; other volume keys are ignored)."""
        store: OdooStore = self.store("odoo", name, **volume)
        return store

    def hubspot(self, name: str = "demo", **volume: Any) -> HubSpotStore:
        """The HubSpot account ``name`` (customers= seeds contacts; 0 for an empty CRM)."""
        store: HubSpotStore = self.store("hubspot", name, **volume)
        return store

    def dhl(self, name: str = "demo") -> DhlStore:
        """The DHL API account ``name``."""
        store: DhlStore = self.store("dhl", name)
        return store

    def aftership(self, name: str = "demo") -> AfterShipStore:
        """The AfterShip account ``name``."""
        store: AfterShipStore = self.store("aftership", name)
        return store

    def stores(self) -> list[BaseStore]:
        """Every store created so far."""
        with self._lock:
            return list(self._stores.values())
