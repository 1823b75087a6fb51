"""The sandbox: every simulated system on one seed, and the loopback server that serves them.

:data:`SIMULATED` is the table of systems. A new vendor simulator is a package with a
store (its seeded data) and a ``system.py`` whose ``SYSTEM`` gives its route table (see
docs/sandbox.md, "The simulator kit"); registering it is one line here.
"""

from __future__ import annotations

from typing import Any

from synchub.sandbox.aftership.store import AfterShipStore
from synchub.sandbox.aftership.system import SYSTEM as AFTERSHIP
from synchub.sandbox.amazon.system import SYSTEM as AMAZON
from synchub.sandbox.dhl.store import DhlStore
from synchub.sandbox.dhl.system import SYSTEM as DHL
from synchub.sandbox.ebay.system import SYSTEM as EBAY
from synchub.sandbox.erpnext.system import SYSTEM as ERPNEXT
from synchub.sandbox.fedex.system import SYSTEM as FEDEX
from synchub.sandbox.frankfurter.system import SYSTEM as FRANKFURTER
from synchub.sandbox.hubspot.store import HubSpotStore
from synchub.sandbox.hubspot.system import SYSTEM as HUBSPOT
from synchub.sandbox.jd.system import SYSTEM as JD
from synchub.sandbox.kit.registry import StoreRegistry, System
from synchub.sandbox.kit.server import LoopbackServer
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.magento.system import SYSTEM as MAGENTO
from synchub.sandbox.odoo.store import OdooStore
from synchub.sandbox.odoo.system import SYSTEM as ODOO
from synchub.sandbox.pinduoduo.system import SYSTEM as PINDUODUO
from synchub.sandbox.salesforce.system import SYSTEM as SALESFORCE
from synchub.sandbox.settlement_file.system import SYSTEM as SETTLEMENT_FILE
from synchub.sandbox.sf_express.system import SYSTEM as SF_EXPRESS
from synchub.sandbox.shopify.store import ShopifyStore
from synchub.sandbox.shopify.system import SYSTEM as SHOPIFY
from synchub.sandbox.squarespace.store import SquarespaceStore
from synchub.sandbox.squarespace.system import SYSTEM as SQUARESPACE
from synchub.sandbox.taobao.system import SYSTEM as TAOBAO
from synchub.sandbox.udesk.system import SYSTEM as UDESK
from synchub.sandbox.ups.system import SYSTEM as UPS
from synchub.sandbox.weidian.system import SYSTEM as WEIDIAN
from synchub.sandbox.weimob.system import SYSTEM as WEIMOB
from synchub.sandbox.woocommerce.store import WooStore
from synchub.sandbox.woocommerce.system import SYSTEM as WOOCOMMERCE
from synchub.sandbox.youzan.system import SYSTEM as YOUZAN

SIMULATED: tuple[System, ...] = (
    SHOPIFY,
    WOOCOMMERCE,
    ODOO,
    HUBSPOT,
    DHL,
    AFTERSHIP,
    FRANKFURTER,
    SETTLEMENT_FILE,
    SQUARESPACE,
    MAGENTO,
    AMAZON,
    EBAY,
    TAOBAO,
    PINDUODUO,
    SALESFORCE,
    JD,
    YOUZAN,
    WEIMOB,
    SF_EXPRESS,
    UPS,
    FEDEX,
    UDESK,
    WEIDIAN,
    ERPNEXT,
)
# system name -> store class (the systems whose stores the sandbox creates)
SYSTEMS: dict[str, type[BaseStore]] = {s.name: s.store for s in SIMULATED if s.store}


class Sandbox(StoreRegistry):
    """Seeded, deterministic stores of every simulated system; ``rate_limits=False`` for benches."""

    def __init__(self, seed: int = 42, rate_limits: bool = True) -> None:
        super().__init__(SIMULATED, seed, rate_limits)

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

    def squarespace(self, name: str = "demo", **volume: Any) -> SquarespaceStore:
        """The Squarespace site ``name`` (orders=, customers=, products=)."""
        store: SquarespaceStore = self.store("squarespace", name, **volume)
        return store


class SandboxServer(LoopbackServer):
    """A loopback HTTP server for a :class:`Sandbox`; ``port=0`` picks a free port."""

    def shopify_url(self, store: str = "demo") -> str:
        """The base URL a Shopify Connection uses as its host."""
        return self.url("shopify", store)

    def woocommerce_url(self, store: str = "demo") -> str:
        """The base URL a WooCommerce Connection uses as its host."""
        return self.url("woocommerce", store)

    def odoo_url(self, store: str = "demo") -> str:
        """The base URL an Odoo Connection uses as its host (JSON-RPC at ``<base>/jsonrpc``)."""
        return self.url("odoo", store)

    def hubspot_url(self, store: str = "demo") -> str:
        """The base URL a HubSpot Connection uses as its host (``<base>/crm/v3/...``)."""
        return self.url("hubspot", store)

    def squarespace_url(self, store: str = "demo") -> str:
        """The base URL a Squarespace Connection uses as its host (``<base>/1.0/...``)."""
        return self.url("squarespace", store)
