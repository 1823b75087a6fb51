"""The stock benchmark's world: the hub file, the master's stock, the channels' listings.

Master SKUs follow the sandbox's shared scheme ``SKU-{i+1:05d}-{v}`` (product index ``i``,
variant ``v`` 1..4), so one master covers every generated Shopify and WooCommerce store.
Master quantities are derived from a hash of the SKU, so any SKU's figures can be
re-created without generating the others (the 1 % change needs the old on-hand).
Channel listings are built from the same seeded catalog the served sandbox holds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from synchub.canonical import InventoryLevel, SourceRef

ROOT = Path(__file__).resolve().parents[2]
SEED = 42
MASTER = "odoo_master"
# (Odoo location id, complete name); WH/Stock and WH2/Stock have the sandbox's Odoo ids
LOCATIONS: tuple[tuple[str, str], ...] = (("8", "WH/Stock"), ("21", "WH2/Stock"),
                                          ("31", "WH3/Stock"))
CHANGED_LOCATION = LOCATIONS[0]  # every channel sells from WH/Stock, so every one sees it
SHOPIFY_PUBLISH_LOCATION = "61000000000"  # shopify_catalog.LOCATION_ID_BASE: the first one
# connection -> (system, sandbox store name)
CHANNELS: dict[str, tuple[str, str]] = {
    "shop_1": ("shopify", "s1"), "shop_2": ("shopify", "s2"), "shop_3": ("shopify", "s3"),
    "woo_1": ("woocommerce", "w1"), "woo_2": ("woocommerce", "w2"),
}
# rules per channel: every step of the arithmetic (buffer, percent, floor, max, overrides)
RULES: dict[str, dict[str, Any]] = {
    "shop_1": {"locations": ["WH/Stock", "WH2/Stock"], "buffer": 2,
               "skus": {"SKU-00001-1": {"buffer": 10}}},
    "shop_2": {"locations": ["WH/Stock", "WH2/Stock", "WH3/Stock"], "percent": 80},
    "shop_3": {"locations": ["WH/Stock"], "buffer": 1, "max": 120},
    "woo_1": {"locations": ["WH/Stock", "WH3/Stock"], "buffer": 3, "percent": 90, "floor": 1},
    "woo_2": {"locations": ["WH/Stock", "WH2/Stock"], "percent": 50,
              "skus": {"SKU-00002-1": {"sync": False}}},
}
PAGE = 1000  # records per write_page, like a connector page


def products_for(skus: int) -> int:
    """Products per sandbox store for a master of ``skus`` SKUs (four variants each)."""
    return max(skus // 4, 1)


def sku_of(index: int) -> str:
    """Master SKU number ``index`` (0-based) in the shared scheme."""
    return f"SKU-{index // 4 + 1:05d}-{index % 4 + 1}"


# -- hub file ------------------------------------------------------------------------------


def write_connectors(workdir: Path, client_limits: bool) -> Path:
    """The connectors directory: the project's, or a copy without client-side rate limits."""
    source = ROOT / "connectors"
    if client_limits:
        return source
    # the channels' connectors pace themselves (Shopify's cost bucket, WooCommerce's
    # 25 calls/s); against the unthrottled sandbox a copy without them measures the engine
    target = workdir / "connectors"
    for system in ("odoo", "shopify", "woocommerce"):
        spec = yaml.safe_load((source / system / "connector.yaml").read_text())
        if system != "odoo":
            spec.get("http", {}).pop("rate_limit", None)
        (target / system).mkdir(parents=True)
        (target / system / "connector.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return target


def write_hub(workdir: Path, client_limits: bool) -> Path:
    """A hub file with the master, three Shopify and two WooCommerce channels, and rules."""
    connections: dict[str, Any] = {
        MASTER: {"connector": "odoo", "conn_id": MASTER, "roles": ["erp"],
                 "streams": ["stock_quants"]}}
    stock_channels: dict[str, Any] = {}
    for name, (system, _) in CHANNELS.items():
        streams = (["inventory_levels"] if system == "shopify"
                   else ["products", "product_variations"])
        connections[name] = {"connector": system, "conn_id": name, "roles": ["channel"],
                             "streams": streams}
        rules = dict(RULES[name])
        if system == "shopify":
            rules["publish_location"] = SHOPIFY_PUBLISH_LOCATION
        stock_channels[name] = rules
    doc = {"version": 1, "connectors_dir": str(write_connectors(workdir, client_limits)),
           "mappings_dir": str(ROOT / "mappings"),
           "store": {"default_url": f"sqlite:///{workdir / 'unused.db'}"},
           "connections": connections,
           "stock": {"shards": 1,
                     "masters": {MASTER: {"locations": [n for _, n in LOCATIONS]}},
                     "defaults": {"buffer": 0, "percent": 100},
                     "channels": stock_channels}}
    path = workdir / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


# -- master stock --------------------------------------------------------------------------


def master_figures(index: int) -> list[tuple[int, int]]:
    """(on hand, reserved) of SKU ``index`` at each master location, from a hash of the SKU."""
    r = random.Random(f"{SEED}:master:{index}")
    out = []
    for _ in LOCATIONS:
        on_hand = r.randrange(0, 150)
        if r.random() < 0.01:
            on_hand = -r.randrange(1, 5)  # Odoo allows negative quants
        reserved = min(max(on_hand, 0), r.randrange(1, 6)) if r.random() < 0.2 else 0
        out.append((on_hand, reserved))
    return out


def _quant(index: int, loc: int, on_hand: int, reserved: int, now: datetime) -> InventoryLevel:
    quant_id = str(index * len(LOCATIONS) + loc + 1)
    location_id, location_name = LOCATIONS[loc]
    return InventoryLevel(
        source=SourceRef(connection=MASTER, system="odoo", external_id=quant_id),
        external_id=quant_id, sku=sku_of(index), product_external_id=str(index + 1),
        inventory_item_external_id=str(index + 1), location_external_id=location_id,
        location_name=location_name, on_hand=on_hand, reserved=reserved,
        available=on_hand - reserved, updated_at=now)


def master_pages(skus: int) -> Iterator[list[InventoryLevel]]:
    """Every master level (SKU x location), a page at a time."""
    now = datetime.now(UTC)
    page: list[InventoryLevel] = []
    for index in range(skus):
        for loc, (on_hand, reserved) in enumerate(master_figures(index)):
            page.append(_quant(index, loc, on_hand, reserved, now))
            if len(page) == PAGE:
                yield page
                page = []
    if page:
        yield page


def changed_indexes(skus: int, share: float = 0.01) -> list[int]:
    """The SKUs the change run moves (a fixed sample)."""
    count = max(int(skus * share), 1)
    return sorted(random.Random(f"{SEED}:change").sample(range(skus), count))


def changed_on_hand(index: int) -> int:
    """The new on-hand of SKU ``index`` at the changed location: always a different figure."""
    old = master_figures(index)[0][0]
    r = random.Random(f"{SEED}:change:{index}")
    return max(old, 0) + r.randrange(5, 30) if old < 20 else old - r.randrange(5, 20)


def change_pages(indexes: list[int], page_size: int = 500) -> Iterator[list[InventoryLevel]]:
    """The changed levels (one per SKU, at the changed location), in a master's page size."""
    now = datetime.now(UTC)
    page: list[InventoryLevel] = []
    for index in indexes:
        on_hand = changed_on_hand(index)
        reserved = min(master_figures(index)[0][1], max(on_hand, 0))
        page.append(_quant(index, 0, on_hand, reserved, now))
        if len(page) == page_size:
            yield page
            page = []
    if page:
        yield page


# -- channel listings ----------------------------------------------------------------------


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _sku(raw: Any) -> str | None:
    # the mappings strip SKUs and turn empty ones into null
    text = (raw or "").strip()
    return text or None


def shopify_listings(connection: str, store: Any) -> Iterator[InventoryLevel]:
    """Every inventory level of a sandbox Shopify store, as the inventory_levels stream maps it."""
    for product in store.products:
        for variant in product["_variants"]:
            item = variant["inventoryItem"]
            for level in item["_levels"]:
                location = level["location"]
                ext = f"{item['_id']}:{location['_id']}"
                q = level["_q"]
                yield InventoryLevel(
                    source=SourceRef(connection=connection, system="shopify", external_id=ext),
                    external_id=ext, sku=_sku(item["sku"]),
                    product_external_id=str(variant["_id"]),
                    inventory_item_external_id=str(item["_id"]),
                    location_external_id=str(location["_id"]), location_name=location["name"],
                    on_hand=q["on_hand"], reserved=q["committed"], available=q["available"],
                    updated_at=_utc(level["_updated"]))


def woo_listings(connection: str, store: Any) -> Iterator[InventoryLevel]:
    """Every stock-managed product and variation of a sandbox WooCommerce store."""
    for product in store.products:
        for obj in (product, *product["_variations"]):
            if obj.get("manage_stock") is not True:
                continue
            ext = f"{obj['id']}:default"
            parent = str(product["id"]) if obj is not product else None
            qty = obj["stock_quantity"]
            yield InventoryLevel(
                source=SourceRef(connection=connection, system="woocommerce", external_id=ext),
                external_id=ext, sku=_sku(obj["sku"]), product_external_id=str(obj["id"]),
                inventory_item_external_id=str(obj["id"]), parent_external_id=parent,
                location_external_id="default", on_hand=qty, reserved=0, available=qty,
                updated_at=_utc(obj["_updated"]))


def listing_pages(connection: str, store: Any) -> Iterator[list[InventoryLevel]]:
    """A channel's listings, a page at a time."""
    system = CHANNELS[connection][0]
    rows = shopify_listings(connection, store) if system == "shopify" else woo_listings(
        connection, store)
    page: list[InventoryLevel] = []
    for row in rows:
        page.append(row)
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page
