"""Canonical Product (one record per SKU-level variant) and InventoryLevel."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from synchub.canonical.base import (
    CanonicalRecord,
    ExternalId,
    Money,
    Name,
    Quantity,
    Reference,
    Sku,
    Strict,
    UtcDatetime,
)

ProductStatus = Literal["active", "draft", "archived", "unknown"]


class ParentProduct(Strict):
    """The product a variant belongs to."""

    external_id: ExternalId
    title: str | None = None
    handle: str | None = None
    vendor: str | None = None
    product_type: str | None = None


class Product(CanonicalRecord):
    """A sellable item at SKU level. Variants name their parent; simple products have none."""

    entity: ClassVar[str] = "product"

    external_id: ExternalId
    sku: Sku | None = Field(default=None, description="None when the source has no SKU.")
    title: str
    variant_title: str | None = None
    parent: ParentProduct | None = None
    options: dict[str, str] = Field(default_factory=dict)
    status: ProductStatus = "unknown"
    price: Money | None = None
    compare_at_price: Money | None = None
    barcode: str | None = None
    inventory_item_external_id: Reference | None = None
    inventory_tracked: bool = True
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None
    tags: list[str] = Field(default_factory=list)


class InventoryLevel(CanonicalRecord):
    """Stock of one SKU at one location: ``available = on_hand - reserved`` as the source says."""

    entity: ClassVar[str] = "inventory_level"

    external_id: ExternalId = Field(description="<inventory item id>:<location id>.")
    sku: Sku | None = None
    product_external_id: Reference | None = None
    inventory_item_external_id: Reference | None = None
    parent_external_id: Reference | None = Field(
        default=None, description="The parent product, where the channel addresses a "
                                  "variant's stock through it (WooCommerce variations).")
    location_external_id: Reference
    location_name: Name | None = None
    on_hand: Quantity | None = None
    reserved: Quantity = 0
    available: Quantity
    updated_at: UtcDatetime | None = None
