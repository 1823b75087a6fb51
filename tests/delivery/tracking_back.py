"""What the tests of tracking confirmed back to a Chinese shop share: a shipment picked
in the ERP for one of the shop's orders, its delivery item mapped through the shop's
tracking export, and a hub whose shop connection takes tracking from the ERP."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from synchub.canonical import SourceRef
from synchub.canonical.shipment import Shipment, TrackingEvent
from synchub.delivery.base import DeliveryItem
from synchub.mapping.engine import MappingContext
from synchub.mapping.export import CompiledExport
from synchub.plan import Hub, load_hub
from tests.e2e.conftest import write_hub

AT = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


def shipment(shop: str, order: str, *, carrier: str = "SF Express",
             number: str = "SF1234567890123", ext: str = "picking:1") -> Shipment:
    """A parcel the ERP (``erp``, Odoo) shipped in transit for ``order`` of ``shop``."""
    return Shipment(
        source=SourceRef(connection="erp", system="odoo", external_id=ext), external_id=ext,
        order_connection=shop, order_external_id=order, carrier=carrier,
        tracking_number=number, status="in_transit",
        events=[TrackingEvent(at=AT, status="in_transit")], updated_at=AT)


def tracking_item(s: Shipment, export: CompiledExport, ctx: MappingContext, n: int = 1,
                  remote_id: str | None = None) -> DeliveryItem:
    """The delivery of ``s`` to the shop ``ctx`` names, its payload mapped by ``export``."""
    doc = s.to_json_dict()
    return DeliveryItem(delivery_id=n, route="tracking", entity="shipment", record_id=s.id,
                        source_connection="erp", document=doc, payload=export.apply(doc, ctx),
                        idempotency_key=f"{ctx.connection}:tracking:{s.id}",
                        remote_id=remote_id)


def tracking_hub(tmp_path: Path, shop: str, connector: str) -> Hub:
    """A hub with the shop (a channel) and the ERP; the shop takes tracking from the ERP."""
    path = write_hub(tmp_path, {
        shop: {"connector": connector, "conn_id": shop, "roles": ["channel"]},
        "erp": {"connector": "odoo", "conn_id": "erp", "roles": ["erp"]}})
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    doc["sinks"] = {shop: {"tracking": {"from": ["erp"]}}}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_hub(path)
