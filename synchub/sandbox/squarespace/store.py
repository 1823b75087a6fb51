"""One Squarespace site as the sandbox simulates it: its API key, its products and orders.

Orders carry the fields of the Orders API's Order resource (developers.squarespace.com,
"Retrieve a specific order"): ``orderNumber`` as text, times ISO 8601 UTC with
milliseconds, money as ``{"value": "12.34", "currency": "EUR"}``, ``fulfillmentStatus``
PENDING, FULFILLED or CANCELED, ``channel`` web or pos, ``testmode``. Their figures add up:

- ``subtotal`` is the sum of ``unitPricePaid x quantity``;
- ``grandTotal`` = subtotal - discountTotal + shippingTotal, + taxTotal when
  ``priceTaxInterpretation`` is EXCLUSIVE (INCLUSIVE prices hold the tax already: sites
  selling in EUR or GBP show VAT-inclusive prices here, the others add tax at checkout);
- ``refundedTotal`` is at most the grand total (the whole of it for a cancelled order).

Order ``i`` is drawn from the seed and ``i`` alone, placed in 2025 in number order; a
mutation stamps the real time. The API, the key and the rate limit: :mod:`.system`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from synchub.sandbox.kit import pools
from synchub.sandbox.kit.limits import RollingWindow
from synchub.sandbox.kit.money import cents, money_cents, tax_in_gross, tax_on_net
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, hex128, person, rng_for
from synchub.sandbox.kit.store import BaseStore

MINUTE_MS, DAY_MS = 60_000, 86_400_000
TAX_BP = {"EUR": 1900, "GBP": 2000, "USD": 887, "CAD": 1300}
INCLUSIVE = frozenset({"EUR", "GBP"})
SHIPPING = (("Standard", 590), ("Express", 1290))
FREE_SHIPPING = 10_000                      # cents of goods from which Standard is free
CARRIERS = (("USPS", "Priority Mail"), ("DHL", "Paket"), ("UPS", "Ground"))
STATUSES = ("PENDING", "FULFILLED", "CANCELED")
PER_MINUTE = 300                            # "Rate limits": 300 requests a minute
COOLDOWN_S = 60.0                           # and a one-minute cooldown once over it


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as Squarespace writes times: ``2025-03-01T10:15:00.187Z``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") \
        + f"{ms % 1000:03d}Z"


def money(amount: int, currency: str) -> dict[str, str]:
    """Integer cents as a Squarespace money object."""
    return {"value": cents(amount), "currency": currency}


def object_id(*parts: object) -> str:
    """A 24-hex-digit id like Squarespace's (stable for the same parts)."""
    return hex128(*parts)[:24]


def variant_id(*parts: object) -> str:
    """A UUID-shaped variant id (stable for the same parts)."""
    h = hex128(*parts)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


class SquarespaceStore(BaseStore):
    """One Squarespace site: its API key, catalog, orders and rate limit."""

    system = "squarespace"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.api_key = f"squarespace_sandbox_{name}"
        self.tax_bp = TAX_BP[self.currency]
        self.interpretation = "INCLUSIVE" if self.currency in INCLUSIVE else "EXCLUSIVE"
        self.catalog = self._catalog(self.volume["products"])
        self.throttle()
        self.records: dict[str, dict[str, Any]] = {}
        self._ids: dict[int, str] = {}            # generation index -> order id
        count = self.volume["orders"]
        step = YEAR_SECONDS * 1000 // max(count, 1)
        for i in range(count):
            placed = YEAR_START * 1000 + i * step + rng_for(self.key, "at", i).randrange(step)
            self._add(self._build(i, placed))

    # --- the rate limit -------------------------------------------------------------------
    def throttle(self, per_minute: int = PER_MINUTE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Count requests against ``per_minute`` on ``clock`` (tests pass a fake one)."""
        self.clock = clock
        self.limiter = RollingWindow(per_minute, 60.0, clock=clock)
        self.cooldown_until = 0.0

    def admit_request(self) -> float | None:
        """None when a request may go; else the seconds left of the cooldown."""
        now = self.clock()
        if now >= self.cooldown_until and self.limiter.take():
            return None
        if now >= self.cooldown_until:
            self.cooldown_until = now + COOLDOWN_S
        return self.cooldown_until - now

    # --- what the API reads ---------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """The API key (the Connection's password)."""
        return {"api_key": self.api_key}

    def counts(self) -> dict[str, int]:
        """Orders, and how many of them are test orders."""
        with self.lock:
            return {"orders": len(self.records),
                    "testmode": sum(1 for o in self.records.values() if o["testmode"])}

    def modified(self, after: int | None, before: int | None, status: str | None
                 ) -> list[tuple[int, int]]:
        """(modifiedOn in ms, index) of the orders modified strictly between the bounds
        (and of that fulfillment status), oldest modification first."""
        return sorted((o["_modified"], o["_index"]) for o in self.records.values()
                      if (after is None or o["_modified"] > after)
                      and (before is None or o["_modified"] < before)
                      and (status is None or o["fulfillmentStatus"] == status))

    def by_index(self, index: int) -> dict[str, Any]:
        """The order generated as number ``index`` (KeyError when there is none)."""
        return self.records[self._ids[index]]

    # --- changes --------------------------------------------------------------------------
    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Orders placed and changed now: a pending order ships, a shipped one gets a
        partial refund, any other is touched (its ``modifiedOn`` moves); the affected ids."""
        with self.lock:
            now = self.stamp() * 1000
            picked = self._mut_rng.sample(sorted(self.records),
                                          min(orders_updated, len(self.records)))
            for oid in picked:
                order = self.records[oid]
                if order["fulfillmentStatus"] == "PENDING" and order["channel"] == "web":
                    self._ship(order, now, rng_for(self.key, "ship", oid, now))
                elif order["fulfillmentStatus"] == "FULFILLED" and not _refunded(order):
                    unit = money_cents(order["lineItems"][0]["unitPricePaid"]["value"])
                    grand = money_cents(order["grandTotal"]["value"])
                    order["refundedTotal"] = money(min(unit, grand), self.currency)
                order["modifiedOn"], order["_modified"] = iso_ms(now), now
            created = []
            for _ in range(orders_created):
                order = self._build(len(self.records), now, status="PENDING", channel="web")
                self._add(order)
                created.append(order["id"])
            return {"orders_updated": picked, "orders_created": created}

    # --- generation -----------------------------------------------------------------------
    def _add(self, order: dict[str, Any]) -> None:
        self.records[order["id"]] = order
        self._ids[order["_index"]] = order["id"]

    def _catalog(self, count: int) -> list[dict[str, Any]]:
        items = []
        for p in range(max(count, 1)):
            r = rng_for(self.key, "product", p)
            name = f"{r.choice(pools.PRODUCT_ADJECTIVES)} {r.choice(pools.PRODUCT_NOUNS)}"
            option, values = r.choice(pools.OPTION_SETS)
            price = r.randrange(800, 9000, 50)
            for v, value in enumerate(values[: r.randint(1, len(values))]):
                items.append({
                    "productId": object_id(self.key, "product", p),
                    "variantId": variant_id(self.key, "variant", p, v),
                    "sku": f"SQ{stable_sku(p, v)}", "productName": name,
                    "variantOptions": [{"optionName": option, "value": value}],
                    "_price": price + 100 * v})
        return items

    def _build(self, i: int, placed: int, *, status: str | None = None,
               channel: str | None = None) -> dict[str, Any]:
        """Order number ``i + 1``, placed at ``placed`` (ms), drawn from the seed; one placed
        now (a status given) has no history yet: no shipment, no refund."""
        r = rng_for(self.key, "order", i)
        history = status is None
        cur = self.currency
        channel = channel or ("pos" if r.random() < 0.1 else "web")
        status = status or ("FULFILLED" if channel == "pos" else
                            r.choices(STATUSES, (15, 80, 5))[0])
        who = person(self.key, r.randrange(max(self.volume["customers"], 1)))
        addr = who["address"]
        address = {"firstName": who["first_name"], "lastName": who["last_name"],
                   "address1": addr["address1"], "address2": addr["address2"] or None,
                   "city": addr["city"], "state": addr["province_code"],
                   "countryCode": addr["country_code"], "postalCode": addr["zip"],
                   "phone": who["phone"]}
        lines, goods = [], 0
        for n in range(r.randint(1, 4)):
            item, quantity = r.choice(self.catalog), r.randint(1, 3)
            goods += item["_price"] * quantity
            lines.append({"id": object_id(self.key, "line", i, n), "variantId": item["variantId"],
                          "sku": item["sku"], "productId": item["productId"],
                          "productName": item["productName"], "quantity": quantity,
                          "unitPricePaid": money(item["_price"], cur),
                          "variantOptions": item["variantOptions"], "customizations": None,
                          "lineItemType": "PHYSICAL_PRODUCT"})
        discount, discount_lines = 0, []
        if channel == "web" and r.random() < 0.25:
            code, bp = r.choice(pools.DISCOUNT_CODES)
            discount = (goods * bp + 5000) // 10000
            discount_lines.append({"description": f"{bp // 100}% off the order",
                                   "name": code.title(), "amount": money(discount, cur),
                                   "promoCode": code})
        shipping, shipping_lines = 0, []
        if channel == "web":
            method, shipping = r.choice(SHIPPING)
            if method == "Standard" and goods >= FREE_SHIPPING:
                shipping = 0
            shipping_lines.append({"method": method, "amount": money(shipping, cur)})
        net = goods - discount + shipping
        if self.interpretation == "INCLUSIVE":
            tax, grand = tax_in_gross(net, self.tax_bp), net
        else:
            tax = tax_on_net(net, self.tax_bp)
            grand = net + tax
        refunded, luck = 0, r.random()
        if status == "CANCELED" or (history and luck < 0.03):
            refunded = grand                        # cancelled orders are paid back
        elif history and luck < 0.09:
            refunded = min(grand, money_cents(lines[0]["unitPricePaid"]["value"]))
        order = {
            "id": object_id(self.key, "order", i), "orderNumber": str(i + 1),
            "createdOn": iso_ms(placed), "modifiedOn": iso_ms(placed), "channel": channel,
            "testmode": i % 40 == 7, "customerEmail": who["email"],
            "billingAddress": address,
            "shippingAddress": dict(address) if channel == "web" else None,
            "fulfillmentStatus": status, "lineItems": lines,
            "shippingLines": shipping_lines, "discountLines": discount_lines,
            "fulfillments": [], "subtotal": money(goods, cur),
            "shippingTotal": money(shipping, cur), "discountTotal": money(discount, cur),
            "taxTotal": money(tax, cur), "refundedTotal": money(refunded, cur),
            "grandTotal": money(grand, cur), "channelName": None,
            "externalOrderReference": None, "fulfilledOn": None,
            "priceTaxInterpretation": self.interpretation,
            "_index": i, "_modified": placed,
        }
        if status == "FULFILLED":
            self._ship(order, placed + r.randrange(DAY_MS, 3 * DAY_MS) if channel == "web"
                       else placed + MINUTE_MS, r)
        if refunded:
            later = order["_modified"] + r.randrange(DAY_MS, 5 * DAY_MS)
            order["modifiedOn"], order["_modified"] = iso_ms(later), later
        return order

    def _ship(self, order: dict[str, Any], at: int, r: Any) -> None:
        """Mark an order fulfilled at ``at`` (ms); a web order gets one tracked shipment."""
        order["fulfillmentStatus"], order["fulfilledOn"] = "FULFILLED", iso_ms(at)
        if order["channel"] == "web":
            carrier, service = r.choice(CARRIERS)
            number = f"{carrier[:2]}{r.randrange(10**11, 10**12)}"
            order["fulfillments"] = [{
                "shipDate": iso_ms(at), "carrierName": carrier, "service": service,
                "trackingNumber": number,
                "trackingUrl": f"https://tracking.example.com/{carrier.lower()}/{number}"}]
        order["modifiedOn"], order["_modified"] = iso_ms(at), at


def stable_sku(product: int, variant: int) -> str:
    """Seven digits naming a product's variant."""
    return f"{1_000_000 + product * 10 + variant:07d}"


def _refunded(order: dict[str, Any]) -> bool:
    return money_cents(order["refundedTotal"]["value"]) != 0
