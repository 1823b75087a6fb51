"""Sink writers, chosen by the ``type`` of a connector's ``writers:`` entry.

Registered by import path so that a connector file can be validated without importing
every writer (and the HTTP clients they use).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from synchub.errors import ConfigError

if TYPE_CHECKING:
    from synchub.delivery.base import SinkWriter

WRITERS: dict[str, str] = {
    "odoo_sale_order": "synchub.delivery.writers.odoo:OdooSaleOrderWriter",
    "odoo_refund": "synchub.delivery.writers.odoo:OdooRefundWriter",
    "odoo_journal_entry": "synchub.delivery.writers.odoo_journal:OdooJournalEntryWriter",
    "hubspot_batch_upsert": "synchub.delivery.writers.hubspot:HubSpotBatchUpsertWriter",
    "shopify_fulfillment": "synchub.delivery.writers.shopify:ShopifyFulfillmentWriter",
    "woocommerce_order_tracking":
        "synchub.delivery.writers.woocommerce:WooCommerceTrackingWriter",
    "signed_webhook": "synchub.delivery.writers.webhook:SignedWebhookWriter",
    "aftership_tracking": "synchub.delivery.writers.aftership:AfterShipTrackingWriter",
}


def writer_class(type_name: str) -> type[SinkWriter]:
    """The writer class registered under ``type_name``."""
    target = WRITERS.get(type_name)
    if target is None:
        raise ConfigError(f"unknown writer type {type_name!r}; expected one of "
                          f"{', '.join(sorted(WRITERS))}", key="writers.type")
    module, _, name = target.partition(":")
    cls: type[SinkWriter] = getattr(import_module(module), name)
    return cls
