"""Loopback simulators of vendor APIs (Shopify, WooCommerce, Odoo, HubSpot, DHL, AfterShip,
Frankfurter, Squarespace), seeded and with fault injection, built on
:mod:`synchub.sandbox.kit`."""

from __future__ import annotations

from synchub.sandbox.kit.store import RequestLog
from synchub.sandbox.sandbox import Sandbox, SandboxServer
from synchub.sandbox.shopify.store import ShopifyStore
from synchub.sandbox.woocommerce.store import WooStore

__all__ = ["RequestLog", "Sandbox", "SandboxServer", "ShopifyStore", "WooStore"]
