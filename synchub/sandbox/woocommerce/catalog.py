"""WooCommerce products (simple, variable with variations, external) and customers."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from synchub.sandbox.kit import pools
from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, person, rng_for
from synchub.sandbox.kit.table import Header
from synchub.sandbox.kit.times import iso_naive_gmt, iso_naive_local

PRODUCT_ID_BASE = 1000
CUSTOMER_ID_BASE = 2


def _stock(r: Any, managed: bool) -> dict[str, Any]:
    qty = r.randrange(0, 80) if managed else None
    status = "instock" if qty is None or qty > 0 else r.choice(("outofstock", "onbackorder"))
    return {"manage_stock": managed, "stock_quantity": qty, "stock_status": status}


def _prices(r: Any, regular: int) -> dict[str, Any]:
    sale = regular - regular // 5 if r.random() < 0.15 else None
    return {"price": cents(sale or regular), "regular_price": cents(regular),
            "sale_price": cents(sale) if sale else "", "_price": sale or regular}


def stamp_dates(obj: dict[str, Any], tz: tzinfo) -> None:
    """Refresh the local and GMT date strings from the private epoch seconds."""
    obj["date_created"] = iso_naive_local(obj["_created"], tz)
    obj["date_created_gmt"] = iso_naive_gmt(obj["_created"])
    obj["date_modified"] = iso_naive_local(obj["_updated"], tz)
    obj["date_modified_gmt"] = iso_naive_gmt(obj["_updated"])


def build_products(key: str, count: int, tz: tzinfo) -> list[dict[str, Any]]:
    """``count`` products: about 60 % simple, 35 % variable (2..4 variations), 5 % external."""
    products = []
    for i in range(count):
        r = rng_for(key, "product", i)
        pid = PRODUCT_ID_BASE + i * 10
        created = YEAR_START + (i * YEAR_SECONDS // max(count, 1)) // 2 + r.randrange(3600)
        kind = r.choices(("simple", "variable", "external"), (60, 35, 5))[0]
        name = f"{r.choice(pools.PRODUCT_ADJECTIVES)} {r.choice(pools.PRODUCT_NOUNS)} {i + 1}"
        regular = r.choice((990, 1490, 1990, 2490, 3990, 5900, 8990))
        # the Shopify sandbox's SKU scheme, so one stock master covers both shops; some shops
        # leave SKUs empty
        has_sku = r.random() > 0.06
        base_sku = f"SKU-{i + 1:05d}" if has_sku else ""
        sku = base_sku if kind == "variable" or not has_sku else f"{base_sku}-1"
        option_name, values = r.choice(pools.OPTION_SETS)
        product: dict[str, Any] = {
            "id": pid, "name": name, "slug": f"product-{i + 1}", "permalink": "",
            "type": kind, "status": r.choices(("publish", "draft", "private"), (92, 5, 3))[0],
            "featured": False, "catalog_visibility": "visible", "sku": sku,
            **_prices(r, regular), "tax_status": "taxable",
            "tax_class": "" if r.random() < 0.8 else "reduced-rate",
            **_stock(r, kind == "simple" and r.random() < 0.9),
            "variations": [], "attributes": [],
            "categories": [{"id": 15 + i % 5, "name": pools.PRODUCT_TYPES[i % 5],
                            "slug": pools.PRODUCT_TYPES[i % 5].lower()}],
            "tags": [{"id": 40 + n, "name": t, "slug": t} for n, t in enumerate(pools.TAGS)
                     if r.random() < 0.15],
            "_created": created, "_updated": created + r.randrange(200 * 86400),
            "_variations": [],
        }
        if kind == "variable":
            opts = list(values[: r.randint(2, 4)])
            product["attributes"] = [{"id": 1, "name": option_name, "position": 0,
                                      "visible": True, "variation": True, "options": opts}]
            product.update(manage_stock=False, stock_quantity=None, stock_status="instock")
            for v, opt in enumerate(opts):
                variation: dict[str, Any] = {
                    "id": pid + v + 1, "sku": f"{base_sku}-{v + 1}" if base_sku else "",
                    **_prices(r, regular + v * 100), "status": "publish",
                    **_stock(r, True), "attributes": [{"id": 1, "name": option_name,
                                                       "option": opt}],
                    "tax_class": product["tax_class"], "_created": created,
                    "_updated": product["_updated"], "_parent": pid,
                }
                stamp_dates(variation, tz)
                product["_variations"].append(variation)
            product["variations"] = [v["id"] for v in product["_variations"]]
            product["price"] = min((v["price"] for v in product["_variations"]), key=float)
        stamp_dates(product, tz)
        products.append(product)
    return products


def customer_header(key: str, j: int, count: int) -> Header:
    """Cheap header of customer ``j`` (name kept for the default ``orderby=name``)."""
    p = person(key, j)
    r = rng_for(key, "customer-h", j)
    created = YEAR_START + j * (YEAR_SECONDS // 2) // max(count, 1) + r.randrange(3600)
    return Header(id=CUSTOMER_ID_BASE + j, index=j, created=created,
                  updated=created + r.randrange(150 * 86400),
                  name=f"{p['first_name']} {p['last_name']}".casefold())


def woo_address(p: dict[str, Any], with_email: bool) -> dict[str, Any]:
    """A Woo ``billing``/``shipping`` block from a person (Woo uses empty strings, not null)."""
    a = p["address"]
    out = {"first_name": p["first_name"], "last_name": p["last_name"],
           "company": a["company"] or "", "address_1": a["address1"],
           "address_2": a["address2"] or "", "city": a["city"], "state": a["province_code"],
           "postcode": a["zip"], "country": a["country_code"], "phone": p["phone"] or ""}
    if with_email:
        out["email"] = p["email"]
    return out


EMPTY_SHIPPING = {k: "" for k in ("first_name", "last_name", "company", "address_1",
                                   "address_2", "city", "state", "postcode", "country", "phone")}


def build_customer(key: str, h: Header, tz: tzinfo) -> dict[str, Any]:
    """The REST customer object."""
    p = person(key, h.index)
    r = rng_for(key, "customer", h.index)
    has_shipping = r.random() < 0.8
    out = {
        "id": h.id, "email": p["email"], "first_name": p["first_name"],
        "last_name": p["last_name"], "role": "customer",
        "username": p["email"].split("@")[0], "is_paying_customer": r.random() < 0.7,
        "avatar_url": "", "billing": woo_address(p, True),
        "shipping": woo_address(p, False) if has_shipping else dict(EMPTY_SHIPPING),
        "_created": h.created, "_updated": h.updated,
    }
    stamp_dates(out, tz)
    return out
