"""Shopify products, variants, inventory items and levels, and customers, generated from a seed.

Products are held in memory as dicts keyed by their GraphQL field names (so the GraphQL
executor reads them directly); private bookkeeping keys start with ``_``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from synchub.sandbox.kit import pools
from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, person, rng_for, stable_int
from synchub.sandbox.kit.table import Header
from synchub.sandbox.kit.times import iso_local, iso_utc_z

PRODUCT_ID_BASE = 8_100_000_000_000
VARIANT_ID_BASE = 44_000_000_000_000
ITEM_ID_BASE = 46_000_000_000_000
CUSTOMER_ID_BASE = 7_200_000_000_000
LOCATION_ID_BASE = 61_000_000_000


@dataclass(frozen=True, slots=True)
class CatalogLine:
    """What an order line needs from a variant, frozen at store creation."""

    product_id: int
    variant_id: int
    sku: str | None
    product_title: str
    variant_title: str | None
    price: int
    rate_bp: int
    requires_shipping: bool


def gid(kind: str, number: int) -> str:
    """A Shopify global id."""
    return f"gid://shopify/{kind}/{number}"


def build_locations(key: str) -> list[dict[str, Any]]:
    """Three locations per store."""
    return [
        {"id": gid("Location", LOCATION_ID_BASE + n), "_id": LOCATION_ID_BASE + n,
         "name": pools.LOCATIONS[(stable_int(key, "loc") + n) % len(pools.LOCATIONS)],
         "isActive": True}
        for n in range(3)
    ]


def build_products(key: str, count: int, locations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``count`` products with 1..4 variants, each with inventory at 1..3 locations."""
    products = []
    for i in range(count):
        r = rng_for(key, "product", i)
        pid = PRODUCT_ID_BASE + i * 17
        created = YEAR_START + (i * YEAR_SECONDS // max(count, 1)) // 2 + r.randrange(3600)
        updated = created + r.randrange(200 * 24 * 3600)
        title = f"{r.choice(pools.PRODUCT_ADJECTIVES)} {r.choice(pools.PRODUCT_NOUNS)} {i + 1}"
        option_name, values = r.choice(pools.OPTION_SETS)
        n_variants = r.choice((1, 1, 2, 3, 4))
        base_price = r.choice((990, 1490, 1990, 2490, 3990, 5900, 8990, 12900))
        rate_bp = r.choice((1900, 1900, 1900, 700))
        status = r.choices(("ACTIVE", "DRAFT", "ARCHIVED"), (90, 6, 4))[0]
        product: dict[str, Any] = {
            "id": gid("Product", pid), "_id": pid, "title": title,
            "handle": f"product-{i + 1}", "vendor": r.choice(pools.VENDORS),
            "productType": r.choice(pools.PRODUCT_TYPES), "status": status,
            "tags": sorted(r.sample(pools.TAGS, r.randrange(3))),
            "_created": created, "_updated": updated, "_rate_bp": rate_bp,
        }
        variants = []
        for v in range(n_variants):
            vid = VARIANT_ID_BASE + i * 10 + v
            price = base_price + (v * 200 if option_name == "Size" else 0)
            sku: str | None = f"SKU-{i + 1:05d}-{v + 1}"
            if r.random() < 0.05:
                sku = r.choice((None, ""))  # real catalogs have variants without SKU
            variant: dict[str, Any] = {
                "id": gid("ProductVariant", vid), "_id": vid, "sku": sku,
                "title": values[v] if n_variants > 1 else "Default Title",
                "price": cents(price), "_price": price,
                "compareAtPrice": cents(price + 1000) if r.random() < 0.2 else None,
                "barcode": f"40{stable_int(key, vid) % 10**11:011d}" if r.random() < 0.7 else None,
                "selectedOptions": [
                    {"name": option_name if n_variants > 1 else "Title",
                     "value": values[v] if n_variants > 1 else "Default Title"}
                ],
                "position": v + 1, "taxable": True, "_product": product,
                "_created": created, "_updated": updated,
            }
            variant["inventoryItem"] = _inventory_item(r, i, v, variant, locations, updated)
            variants.append(variant)
        product["_variants"] = variants
        products.append(product)
        stamp_product(product)
    return products


def _inventory_item(
    r: Any, i: int, v: int, variant: dict[str, Any], locations: list[dict[str, Any]], updated: int
) -> dict[str, Any]:
    item_id = ITEM_ID_BASE + i * 10 + v
    item: dict[str, Any] = {
        "id": gid("InventoryItem", item_id), "_id": item_id, "sku": variant["sku"],
        "tracked": r.random() < 0.9, "_variant": variant, "_created": variant["_created"],
        "_updated": updated,
    }
    levels = []
    for loc in locations[: r.randint(1, len(locations))]:
        on_hand = r.randrange(0, 120)
        committed = min(on_hand, r.randrange(0, 6))
        levels.append({
            "id": f"gid://shopify/InventoryLevel/{loc['_id']}?inventory_item_id={item_id}",
            "_id": loc["_id"], "location": loc, "_item": item, "_created": variant["_created"],
            "_updated": updated,
            "_q": {"on_hand": on_hand, "committed": committed, "available": on_hand - committed,
                   "incoming": 0, "reserved": 0, "damaged": 0, "safety_stock": 0,
                   "quality_control": 0},
        })
    item["_levels"] = levels
    return item


def stamp_product(product: dict[str, Any]) -> None:
    """Refresh the formatted GraphQL timestamps from the private epoch seconds."""
    for obj in (product, *product["_variants"]):
        obj["createdAt"], obj["updatedAt"] = iso_utc_z(obj["_created"]), iso_utc_z(obj["_updated"])
        item = obj.get("inventoryItem")
        if item is not None:
            item["createdAt"], item["updatedAt"] = (
                iso_utc_z(item["_created"]), iso_utc_z(item["_updated"]))
            for level in item["_levels"]:
                level["createdAt"] = iso_utc_z(level["_created"])
                level["updatedAt"] = iso_utc_z(level["_updated"])
            obj["inventoryQuantity"] = sum(lv["_q"]["available"] for lv in item["_levels"])


def catalog_lines(products: list[dict[str, Any]]) -> tuple[CatalogLine, ...]:
    """The frozen price list orders are generated from (later product edits leave it alone)."""
    return tuple(
        CatalogLine(p["_id"], v["_id"], v["sku"], p["title"],
                    None if v["title"] == "Default Title" else v["title"],
                    v["_price"], p["_rate_bp"],
                    p["productType"] != "Stationery" or v["_id"] % 2 == 0)
        for p in products for v in p["_variants"]
    )


def customer_header(key: str, j: int, count: int) -> Header:
    """Cheap header of customer ``j``: id and timestamps."""
    r = rng_for(key, "customer-h", j)
    created = YEAR_START + j * (YEAR_SECONDS // 2) // max(count, 1) + r.randrange(3600)
    updated = created + r.randrange(150 * 24 * 3600)
    return Header(id=CUSTOMER_ID_BASE + j * 31, index=j, created=created, updated=updated)


def build_customer(key: str, h: Header, tz: tzinfo, currency: str) -> dict[str, Any]:
    """The REST ``customer`` object of customer ``h.index``."""
    p = person(key, h.index)
    r = rng_for(key, "customer", h.index)
    orders_count = r.randrange(0, 12)
    address = dict(p["address"], id=h.id + 1, customer_id=h.id, default=True)
    consent = r.choice(("subscribed", "not_subscribed", "unsubscribed", "pending"))
    return {
        "id": h.id, "email": p["email"], "phone": p["phone"],
        "first_name": p["first_name"], "last_name": p["last_name"],
        "created_at": iso_local(h.created, tz), "updated_at": iso_local(h.updated, tz),
        "state": r.choice(("enabled", "enabled", "disabled", "invited")),
        "verified_email": r.random() < 0.9, "tags": ", ".join(r.sample(pools.TAGS, r.randrange(3))),
        "currency": currency, "orders_count": orders_count,
        "total_spent": cents(orders_count * r.randrange(1500, 9000)),
        "note": r.choice(pools.NOTES), "tax_exempt": False,
        "email_marketing_consent": {"state": consent, "opt_in_level": "single_opt_in",
                                    "consent_updated_at": iso_local(h.created, tz)},
        "addresses": [address], "default_address": address,
        "admin_graphql_api_id": gid("Customer", h.id),
    }
