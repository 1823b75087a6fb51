"""Loopback simulators of the Shopify and WooCommerce APIs, seeded and with fault injection."""

from __future__ import annotations

from synchub.sandbox.sandbox import Sandbox
from synchub.sandbox.server import SandboxServer
from synchub.sandbox.shopify_store import ShopifyStore
from synchub.sandbox.store import RequestLog
from synchub.sandbox.woo_store import WooStore

__all__ = ["RequestLog", "Sandbox", "SandboxServer", "ShopifyStore", "WooStore"]
