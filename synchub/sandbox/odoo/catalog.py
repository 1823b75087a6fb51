"""Seeded Odoo data: companies, currencies, locations, products, stock quants and moves.

Records are kept the way ``search_read`` returns them: many2one values as ``[id, display
name]``, empty values as ``false``, datetimes as ``"YYYY-MM-DD HH:MM:SS"`` in naive UTC and
quantities as floats. :data:`.models.MODELS` describes each model's fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from synchub.sandbox.kit import pools
from synchub.sandbox.kit.cn_demo import merchant_codes
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, rng_for, stable_int
from synchub.sandbox.odoo.models import MODELS

ODOO_TIME = "%Y-%m-%d %H:%M:%S"
CURRENCIES = {"EUR": (1, "€"), "USD": (2, "$"), "GBP": (3, "£"), "CAD": (4, "$"),
              "CNY": (5, "¥")}
VARIANTS = 4  # product.product records per template: SKU-<i>-1 .. SKU-<i>-4
PRODUCT_ID_BASE, TEMPLATE_ID_BASE, EXTRA_ID_BASE = 1000, 500, 90_000
CUSTOMERS, VENDORS, WH_STOCK, WH2_STOCK, CN_STOCK = 5, 4, 8, 21, 31
# the China warehouse's products: the merchant codes the Chinese shops sell under
CN_PRODUCT_ID_BASE, CN_TEMPLATE_ID_BASE = 95_000, 9_500
# (id, name, complete_name, usage, parent id)
LOCATIONS: tuple[tuple[int, str, str, str, int | None], ...] = (
    (1, "Physical Locations", "Physical Locations", "view", None),
    (2, "Partners", "Partners", "view", None),
    (VENDORS, "Vendors", "Partners/Vendors", "supplier", 2),
    (CUSTOMERS, "Customers", "Partners/Customers", "customer", 2),
    (7, "WH", "WH", "view", 1),
    (WH_STOCK, "Stock", "WH/Stock", "internal", 7),
    (20, "WH2", "WH2", "view", 1),
    (WH2_STOCK, "Stock", "WH2/Stock", "internal", 20),
    (30, "CN", "CN", "view", 1),           # the China warehouse (Shenzhen)
    (CN_STOCK, "Stock", "CN/Stock", "internal", 30),
)
WAREHOUSE_CODE = {WH_STOCK: "WH", WH2_STOCK: "WH2", CN_STOCK: "CN"}


def odoo_time(ts: int) -> str:
    """Epoch seconds as Odoo writes a datetime: naive UTC, whole seconds."""
    return datetime.fromtimestamp(ts, UTC).strftime(ODOO_TIME)


@dataclass
class Catalog:
    """Every seeded record by model and id, plus the counters new records continue from."""

    records: dict[str, dict[int, dict[str, Any]]]
    next_ids: dict[str, int] = field(default_factory=dict)
    picking_numbers: dict[str, int] = field(default_factory=dict)


def _many2one(record: dict[str, Any] | None, label: str = "display_name") -> Any:
    return [record["id"], record[label]] if record else False


def build_catalog(key: str, store_name: str, products: int, currency: str) -> Catalog:
    """The seeded Odoo database of one sandbox store."""
    records: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in MODELS}
    cur_id = CURRENCIES[currency][0]
    for code, (cid, sym) in CURRENCIES.items():
        records["res.currency"][cid] = {"id": cid, "name": code, "display_name": code,
                                        "symbol": sym, "active": code == currency,
                                        "create_date": odoo_time(YEAR_START),
                                        "write_date": odoo_time(YEAR_START)}
    company = f"{store_name.replace('_', ' ').title()} Trading"
    records["res.company"][1] = {"id": 1, "name": company, "display_name": company,
                                 "currency_id": [cur_id, currency],
                                 "create_date": odoo_time(YEAR_START),
                                 "write_date": odoo_time(YEAR_START)}
    for lid, name, complete, usage, parent in LOCATIONS:
        records["stock.location"][lid] = {
            "id": lid, "name": name, "complete_name": complete, "display_name": complete,
            "usage": usage, "active": True,
            "location_id": [parent, records["stock.location"][parent]["complete_name"]]
            if parent else False,
            "create_date": odoo_time(YEAR_START), "write_date": odoo_time(YEAR_START)}
    _products(key, products, records)
    _china_products(key, records)
    catalog = Catalog(records)
    _quants(key, catalog)
    _moves(key, catalog, products)
    _carriers_and_pickings(catalog)
    for model, rows in records.items():
        catalog.next_ids[model] = max(rows, default=0) + 1
    return catalog


def _products(key: str, count: int, records: dict[str, dict[int, dict[str, Any]]]) -> None:
    """``count`` templates of 4 variants with SKUs (about 3 % archived), and a few without."""
    for i in range(count):
        r = rng_for(key, "odoo-product", i)
        name = f"{r.choice(pools.PRODUCT_ADJECTIVES)} {r.choice(pools.PRODUCT_NOUNS)} {i + 1}"
        _option, values = r.choice(pools.OPTION_SETS)
        price = r.choice((9.9, 14.9, 19.9, 24.9, 39.9, 59.0, 89.9, 129.0))
        created = YEAR_START + (i * YEAR_SECONDS // max(count, 1)) // 2 + r.randrange(3600)
        for v in range(1, VARIANTS + 1):
            pid = PRODUCT_ID_BASE + i * 10 + v
            code = f"SKU-{i + 1:05d}-{v}"
            barcode = f"40{stable_int(key, 'odoo-barcode', pid) % 10**11:011d}" \
                if r.random() < 0.7 else False
            records["product.product"][pid] = {
                "id": pid, "default_code": code, "name": name,
                "display_name": f"[{code}] {name} ({values[v - 1]})",
                "barcode": barcode, "list_price": price, "active": r.random() >= 0.03,
                "type": "product", "product_tmpl_id": [TEMPLATE_ID_BASE + i, name],
                "create_date": odoo_time(created),
                "write_date": odoo_time(created + r.randrange(200 * 86400)),
            }
    for j in range(max(1, count // 10)):
        r = rng_for(key, "odoo-extra", j)
        pid = EXTRA_ID_BASE + j
        name = f"{r.choice(pools.PRODUCT_NOUNS)} sample {j + 1}"
        created = YEAR_START + r.randrange(YEAR_SECONDS // 2)
        records["product.product"][pid] = {
            "id": pid, "default_code": False, "name": name, "display_name": name,
            "barcode": False, "list_price": 0.0, "active": True, "type": "product",
            "product_tmpl_id": [TEMPLATE_ID_BASE + count + j, name],
            "create_date": odoo_time(created), "write_date": odoo_time(created + 3600),
        }


def _china_products(key: str, records: dict[str, dict[int, dict[str, Any]]]) -> None:
    """A product per merchant code of the Chinese shops, stocked only in ``CN/Stock``."""
    for j, (code, title, fen) in enumerate(merchant_codes()):
        r = rng_for(key, "odoo-cn-product", j)
        created = YEAR_START + r.randrange(YEAR_SECONDS // 2)
        pid = CN_PRODUCT_ID_BASE + j
        records["product.product"][pid] = {
            "id": pid, "default_code": code, "name": title, "display_name": f"[{code}] {title}",
            "barcode": False, "list_price": fen / 100, "active": True, "type": "product",
            "product_tmpl_id": [CN_TEMPLATE_ID_BASE + j, title],
            "create_date": odoo_time(created), "write_date": odoo_time(created + 3600),
        }


def new_quant(catalog: Catalog, product: dict[str, Any], location: dict[str, Any],
              quantity: float, reserved: float, stamp: int) -> dict[str, Any]:
    """Add a quant of ``product`` at ``location`` and return it."""
    qid = catalog.next_ids.get("stock.quant") or max(catalog.records["stock.quant"],
                                                     default=0) + 1
    catalog.next_ids["stock.quant"] = qid + 1
    quant = {"id": qid, "product_id": _many2one(product),
             "location_id": _many2one(location, "complete_name"),
             "display_name": f"{location['complete_name']} - {product['display_name']}",
             "quantity": float(quantity), "reserved_quantity": float(reserved),
             "create_date": odoo_time(stamp), "write_date": odoo_time(stamp)}
    catalog.records["stock.quant"][qid] = quant
    return quant


def _quants(key: str, catalog: Catalog) -> None:
    """Stock at one or both internal locations for every active storable product."""
    locations = catalog.records["stock.location"]
    for pid, product in sorted(catalog.records["product.product"].items()):
        if not product["active"]:
            continue  # Odoo will not archive a product that still has stock
        r = rng_for(key, "odoo-quant", pid)
        where = (CN_STOCK,) if pid >= CN_PRODUCT_ID_BASE else r.choices(
            ((WH_STOCK,), (WH2_STOCK,), (WH_STOCK, WH2_STOCK)), (55, 20, 25))[0]
        changed = datetime.strptime(product["write_date"], ODOO_TIME).replace(tzinfo=UTC)
        for lid in where:
            quantity = r.randrange(0, 151)
            reserved = min(quantity, r.randrange(0, 6))
            if r.random() < 0.03:  # Odoo lets stock go negative when more was shipped
                quantity, reserved = -r.randint(1, 5), 0
            stamp = int(changed.timestamp()) + r.randrange(30 * 86400)
            new_quant(catalog, product, locations[lid], quantity, reserved, stamp)


def picking_name(catalog: Catalog, location_id: int, kind: str) -> str:
    """The next transfer reference of a warehouse, e.g. ``WH/OUT/00012``."""
    prefix = f"{WAREHOUSE_CODE.get(location_id, 'WH')}/{kind}/"
    number = catalog.picking_numbers.get(prefix, 0) + 1
    catalog.picking_numbers[prefix] = number
    return f"{prefix}{number:05d}"


def new_move(catalog: Catalog, product: dict[str, Any], source: int, dest: int,
             quantity: float, *, state: str, origin: Any, picking: list[Any], code: str,
             stamp: int) -> dict[str, Any]:
    """Add a stock move and return it (quants are not touched here)."""
    locations = catalog.records["stock.location"]
    mid = catalog.next_ids.get("stock.move") or max(catalog.records["stock.move"],
                                                    default=0) + 1
    catalog.next_ids["stock.move"] = mid + 1
    move = {"id": mid, "name": product["name"], "display_name": picking[1],
            "product_id": _many2one(product), "product_uom_qty": float(quantity),
            "quantity": float(quantity) if state in ("done", "assigned") else 0.0,
            "state": state, "origin": origin, "reference": picking[1], "picking_id": picking,
            "location_id": _many2one(locations[source], "complete_name"),
            "location_dest_id": _many2one(locations[dest], "complete_name"),
            "picking_code": code, "date": odoo_time(stamp),
            "create_date": odoo_time(stamp), "write_date": odoo_time(stamp)}
    catalog.records["stock.move"][mid] = move
    return move


# the delivery methods a warehouse ships with (Odoo's delivery.carrier names)
CARRIERS = ("DHL Express", "DHL Parcel", "UPS Standard", "Pick up in store", "SF Express")


def new_picking(catalog: Catalog, picking: list[Any], move: dict[str, Any], *,
                carrier: dict[str, Any] | None, tracking_ref: str | None, stamp: int
                ) -> dict[str, Any]:
    """Add the transfer (stock.picking) of ``move`` and return it."""
    row = {"id": picking[0], "name": picking[1], "display_name": picking[1],
           "origin": move["origin"], "state": move["state"],
           "picking_type_code": move["picking_code"],
           "carrier_id": _many2one(carrier, "name"), "carrier_tracking_ref": tracking_ref or False,
           "date_done": odoo_time(stamp) if move["state"] == "done" else False,
           "location_id": move["location_id"], "location_dest_id": move["location_dest_id"],
           "create_date": odoo_time(stamp), "write_date": odoo_time(stamp)}
    catalog.records["stock.picking"][picking[0]] = row
    return row


def _carriers_and_pickings(catalog: Catalog) -> None:
    """Delivery methods, and a transfer for every seeded move (none with tracking)."""
    for cid, name in enumerate(CARRIERS, start=1):
        catalog.records["delivery.carrier"][cid] = {
            "id": cid, "name": name, "display_name": name, "active": True,
            "create_date": odoo_time(YEAR_START), "write_date": odoo_time(YEAR_START)}
    for move in catalog.records["stock.move"].values():
        stamp = int(datetime.strptime(move["date"], ODOO_TIME).replace(tzinfo=UTC).timestamp())
        new_picking(catalog, move["picking_id"], move, carrier=None, tracking_ref=None,
                    stamp=stamp)


def _moves(key: str, catalog: Catalog, count: int) -> None:
    """History: deliveries of the shop's own sales orders and receipts from vendors."""
    coded = [p for pid, p in sorted(catalog.records["product.product"].items())
             if p["default_code"] and pid < CN_PRODUCT_ID_BASE]
    pickings = 0
    for n in range(max(3, count // 2) if coded else 0):
        r = rng_for(key, "odoo-move", n)
        product = r.choice(coded)
        stamp = YEAR_START + n * (YEAR_SECONDS // 2) // max(count, 1) + r.randrange(3600)
        source = r.choice((WH_STOCK, WH2_STOCK))
        state = r.choices(("done", "assigned", "cancel"), (70, 15, 15))[0]
        incoming = r.random() < 0.2
        pickings += 1
        name = picking_name(catalog, source, "IN" if incoming else "OUT")
        picking = [pickings, name]
        if incoming:
            new_move(catalog, product, VENDORS, source, r.randint(5, 50), state=state,
                     origin=f"P{n + 1:05d}", picking=picking, code="incoming", stamp=stamp)
        else:
            new_move(catalog, product, source, CUSTOMERS, r.randint(1, 4), state=state,
                     origin=f"S{n + 1:05d}" if r.random() < 0.9 else False, picking=picking,
                     code="outgoing", stamp=stamp)
    catalog.next_ids["stock.picking"] = pickings + 1
