"""One Amazon seller account as the sandbox simulates it: an LWA app and refresh token,
the marketplaces the seller sells in, and orders in the Orders API v2026-01-01 shape.

Every order is drawn from the seed and its index alone; times are epoch seconds in 2025
(UTC) until a mutation stamps the real time. Money is in integer cents, so every order's
``proceeds`` add up to its grand total. Knobs tests and the control API may turn:
``pii`` (whether the caller's role sees buyer and address details), ``token_ttl`` (access
token lifetime), ``pagination_ttl`` (pagination token lifetime), ``stated_rates`` (the
rates ``x-amzn-RateLimit-Limit`` states, per operation), ``plans`` (the enforced rate and
burst per operation), ``clock`` (epoch seconds: token and pagination expiry, the
two-minute rule) and ``limit_clock`` (the usage plans' buckets). Listings: ``listings``
(seller SKU -> product type, the seller-fulfilled quantity read back with :meth:`quantity`,
ASIN, fulfillment channel: ``DEFAULT``, or ``AMAZON_EU`` for the FBA SKUs; a patch stamps
its change time) and ``refusals`` (seller SKU -> an issue the next patches of it answer
INVALID with). FBA: ``fba`` (marketplace -> seller SKU -> the units Amazon holds; set with
:meth:`set_fba`). Money: the Finances API's groups and events are drawn from the orders
(:mod:`.finances`).
"""

from __future__ import annotations

import secrets
import time
import zlib
from collections.abc import Callable
from typing import Any

from synchub.sandbox.kit.money import cents, tax_on_net
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, person, rng_for
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.times import iso_utc_z

DAY = 86_400
# marketplace id -> (country, name, currency, VAT in basis points)
MARKETPLACES: dict[str, tuple[str, str, str, int]] = {
    "A1PA6795UKMFR9": ("DE", "Amazon.de", "EUR", 1900),
    "A13V1IB3VIYZZH": ("FR", "Amazon.fr", "EUR", 2000),
    "A1F83G8C2ARO7P": ("GB", "Amazon.co.uk", "GBP", 2000),
}
HOME_MARKETPLACE = "A1PA6795UKMFR9"   # where a hub's listings are written (Amazon.de)
# documented default usage plans: operation -> (requests per second, burst)
USAGE_PLANS: dict[str, tuple[float, int]] = {
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    "getMarketplaceParticipations": (0.016, 15),
    "patchListingsItem": (5.0, 5),
    "searchListingsItems": (5.0, 5),
    "getInventorySummaries": (2.0, 2),
    "listFinancialEventGroups": (0.5, 30),
    "listFinancialEventsByGroupId": (0.5, 30),
}
FBA_SKUS = range(40, 60)      # SKU-040 .. SKU-059 are stocked at Amazon in every marketplace
LISTED_SKUS = 60              # SKU-000 .. SKU-059, the SKUs the orders sell
AFN_CHANNEL = "AMAZON_EU"     # the fulfillment channel code of a listing Amazon fulfils
STATUSES = ("PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED")
STATUS_WEIGHTS = (1, 2, 1, 8, 1)
NEXT_STATUS = {"PENDING": "UNSHIPPED", "UNSHIPPED": "SHIPPED", "PARTIALLY_SHIPPED": "SHIPPED",
               "SHIPPED": "SHIPPED", "CANCELLED": "CANCELLED"}


class OperationBucket:
    """The server side of one operation's usage plan: a token bucket of ``burst``."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self._at = float(burst), clock()

    def take(self) -> bool:
        """Spend one token; False (nothing spent) when the bucket is empty."""
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self._at) * self.rate)
        self._at = now
        if self.tokens < 1 - 1e-9:   # a client waiting exactly 1/rate is on time
            return False
        self.tokens -= 1
        return True


class AmazonStore(BaseStore):
    """One seller account: its LWA credentials, marketplaces, orders and usage plans."""

    system = "amazon"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.client_id = f"amzn1.application-oa2-client.sandbox{name}"
        self.client_secret = f"amzn1.oa2-cs.v1.sandbox_{name}_secret"
        self.refresh_token = f"Atzr|sandbox_{name}_refresh"
        self.seller_id = f"A{rng_for(self.key, 'seller').randrange(10**12, 10**13)}"
        self.marketplace_ids = list(MARKETPLACES)
        self.pii = True
        self.token_ttl = 3600
        self.pagination_ttl = DAY
        self.clock: Callable[[], float] = time.time
        self.limit_clock: Callable[[], float] = time.monotonic
        self.plans: dict[str, tuple[float, int]] = dict(USAGE_PLANS)
        self.access_tokens: dict[str, float] = {}     # token -> expiry (clock seconds)
        self.stated_rates: dict[str, float] = {}      # default: the plan's rate
        self.buckets: dict[str, OperationBucket] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self.listings: dict[str, dict[str, Any]] = {
            f"SKU-{n:03d}": self._listing(n) for n in range(LISTED_SKUS)}
        self.refusals: dict[str, dict[str, Any]] = {}
        self.fba: dict[str, dict[str, dict[str, Any]]] = {
            mid: {f"SKU-{n:03d}": self._fba_unit(mid, n) for n in FBA_SKUS}
            for mid in self.marketplace_ids}
        count = self.volume["orders"]
        step = YEAR_SECONDS // max(count, 1)
        for i in range(count):
            created = YEAR_START + i * step
            changed = created + rng_for(self.key, "changed", i).randrange(3 * DAY)
            order = self._build(i, created, changed)
            self.records[order["orderId"]] = order

    # --- credentials and tokens ---------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """The LWA app's client id and secret, the seller's refresh token and seller id."""
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "refresh_token": self.refresh_token, "seller_id": self.seller_id}

    def connection(self, url: str) -> dict[str, Any]:
        """The LWA app and refresh token; the seller and the marketplace the hub sells on."""
        return {"conn_type": "http", "host": url, "login": self.client_id,
                "password": self.client_secret,
                "extra": {"refresh_token": self.refresh_token,
                          "token_url": f"{url}/auth/o2/token", "seller_id": self.seller_id,
                          "marketplace_id": HOME_MARKETPLACE}}

    def issue_token(self) -> tuple[str, int]:
        """A new access token and its lifetime in seconds."""
        token = f"Atza|sandbox_{secrets.token_urlsafe(24)}"
        self.access_tokens[token] = self.clock() + self.token_ttl
        return token, self.token_ttl

    def token_state(self, token: str) -> str:
        """``valid``, ``expired`` or ``unknown``."""
        expiry = self.access_tokens.get(token)
        if expiry is None:
            return "unknown"
        return "valid" if self.clock() < expiry else "expired"

    def admit_operation(self, operation: str) -> bool:
        """One call of ``operation`` against its usage plan (always true without limits)."""
        if not self.rate_limits:
            return True
        rate, burst = self.plans[operation]
        bucket = self.buckets.get(operation)
        if bucket is None:
            bucket = self.buckets[operation] = OperationBucket(rate, burst, self.limit_clock)
        bucket.rate, bucket.burst = rate, burst
        return bucket.take()

    def stated_rate(self, operation: str) -> float:
        """The rate ``x-amzn-RateLimit-Limit`` states for ``operation``."""
        return self.stated_rates.get(operation, self.plans[operation][0])

    # --- listings -----------------------------------------------------------------------
    def _listing(self, n: int) -> dict[str, Any]:
        """Listing ``SKU-<n>``: merchant-fulfilled, or Amazon's for the FBA SKUs."""
        return {"productType": "PRODUCT", "quantity": 0, "asin": f"B0{n:08d}",
                "channel": AFN_CHANNEL if n in FBA_SKUS else "DEFAULT",
                "_created": YEAR_START + n * DAY, "_changed": YEAR_START + n * DAY}

    def quantity(self, sku: str) -> int | None:
        """The seller-fulfilled (DEFAULT channel) quantity a listing now shows."""
        with self.lock:
            listing = self.listings.get(sku)
            return None if listing is None else int(listing["quantity"])

    def refuse(self, sku: str, code: str, message: str) -> None:
        """Make every patch of ``sku`` answer INVALID with this ERROR issue."""
        with self.lock:
            self.refusals[sku] = {"code": code, "message": message, "severity": "ERROR",
                                  "attributeNames": ["fulfillment_availability"]}

    # --- FBA inventory ------------------------------------------------------------------
    def _fba_unit(self, market: str, n: int) -> dict[str, Any]:
        r = rng_for(self.key, "fba", market, n)
        return {"asin": f"B0FBA{n:05d}", "fnSku": f"X00{n:07d}", "sellerSku": f"SKU-{n:03d}",
                "fulfillable": r.randrange(0, 80), "reserved": r.randrange(0, 4),
                "inbound": r.choice((0, 0, 12, 24)), "_changed": YEAR_START + n * DAY}

    def set_fba(self, market: str, sku: str, fulfillable: int, reserved: int = 0) -> None:
        """Amazon now holds these units of ``sku`` in ``market`` (its change time: now)."""
        with self.lock:
            unit = self.fba[market].setdefault(sku, {
                "asin": f"B0FBA{zlib.crc32(sku.encode()) % 10**5:05d}", "fnSku": f"X0{sku}",
                "sellerSku": sku, "inbound": 0})
            unit.update(fulfillable=fulfillable, reserved=reserved, _changed=self.stamp())

    def fulfillable(self, market: str, sku: str) -> int | None:
        """The FBA units Amazon can ship of ``sku`` in ``market``."""
        with self.lock:
            unit = self.fba.get(market, {}).get(sku)
            return None if unit is None else int(unit["fulfillable"])

    # --- orders -------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Number of orders."""
        with self.lock:
            return {"orders": len(self.records)}

    def changed_between(self, low: int | None, high: int | None) -> list[tuple[int, str]]:
        """(change time, id) of the orders changed in [low, high], oldest first."""
        return sorted((o["_changed"], oid) for oid, o in self.records.items()
                      if (low is None or o["_changed"] >= low)
                      and (high is None or o["_changed"] <= high))

    def created_between(self, low: int | None, high: int | None) -> list[tuple[int, str]]:
        """(creation time, id) of the orders created in [low, high], oldest first."""
        return sorted((o["_created"], oid) for oid, o in self.records.items()
                      if (low is None or o["_created"] >= low)
                      and (high is None or o["_created"] <= high))

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Place and move on orders now (the ``mutate`` control); the affected ids."""
        with self.lock:
            now = self.stamp()
            picked = self._mut_rng.sample(sorted(self.records),
                                          min(orders_updated, len(self.records)))
            for oid in picked:
                order = self.records[oid]
                fulfillment = order["fulfillment"]
                fulfillment["fulfillmentStatus"] = NEXT_STATUS[fulfillment["fulfillmentStatus"]]
                order["lastUpdatedTime"], order["_changed"] = iso_utc_z(now), now
            created = []
            for _ in range(orders_created):
                order = self._build(len(self.records), now, now)
                self.records[order["orderId"]] = order
                created.append(order["orderId"])
            return {"orders_updated": picked, "orders_created": created}

    def place_order(self, sku: str, quantity: int, unit_cents: int = 1999) -> str:
        """A buyer orders ``quantity`` of the seller SKU now: an unshipped FBM order of
        one item whose proceeds add up; its order id."""
        with self.lock:
            now = self.stamp()
            order = self._build(len(self.records), now, now)
            currency, vat = MARKETPLACES[order["salesChannel"]["marketplaceId"]][2:]
            goods = unit_cents * quantity
            parts = {"ITEM": goods, "TAX": tax_on_net(goods, vat)}
            breakdowns = [{"type": k, "subtotal": money(v, currency)} for k, v in parts.items()]
            item = order["orderItems"][0]
            item["quantityOrdered"] = quantity
            item["product"].update(sellerSku=sku, title=f"Item {sku}",
                                   price={"unitPrice": money(unit_cents, currency)})
            item["proceeds"] = {"proceedsTotal": money(sum(parts.values()), currency),
                                "breakdowns": breakdowns}
            order["orderItems"] = [item]
            order["proceeds"] = {"grandTotal": money(sum(parts.values()), currency),
                                 "breakdowns": [dict(b) for b in breakdowns]}
            order["fulfillment"].update(fulfillmentStatus="UNSHIPPED", fulfilledBy="MERCHANT")
            self.records[order["orderId"]] = order
            return str(order["orderId"])

    def _build(self, i: int, created: int, changed: int) -> dict[str, Any]:
        """Order ``i``: marketplace, buyer, items and proceeds, drawn from the seed."""
        r = rng_for(self.key, "order", i)
        market = r.choice(self.marketplace_ids)
        country, market_name, currency, vat = MARKETPLACES[market]
        who = person(self.key, r.randrange(max(self.volume["customers"], 1)))
        oid = f"{r.randrange(200, 1000):03d}-{r.randrange(10**7):07d}-{r.randrange(10**7):07d}"
        fulfilled_by = "AMAZON" if r.random() < 0.4 else "MERCHANT"
        items: list[dict[str, Any]] = []
        totals = {"ITEM": 0, "SHIPPING": 0, "TAX": 0, "DISCOUNT": 0, "GIFT_WRAP": 0}
        for _n in range(r.randint(1, 3)):
            unit, quantity = r.randrange(500, 9000), r.randint(1, 3)
            goods = unit * quantity
            discount = -(goods // 10) if r.random() < 0.2 else 0
            shipping = 0 if fulfilled_by == "AMAZON" else r.choice((0, 299, 499))
            gift = 199 if r.random() < 0.05 else 0
            tax = tax_on_net(goods + discount + shipping + gift, vat)
            parts = {"ITEM": goods, "SHIPPING": shipping, "TAX": tax, "DISCOUNT": discount,
                     "GIFT_WRAP": gift}
            for k, v in parts.items():
                totals[k] += v
            sku = f"SKU-{r.randrange(1, 60):03d}"
            items.append({
                "orderItemId": f"{r.randrange(10**13, 10**14)}",
                "quantityOrdered": quantity,
                "product": {"asin": f"B0{r.randrange(10**7, 10**8)}X", "title": f"Item {sku}",
                            "sellerSku": sku,
                            "price": {"unitPrice": money(unit, currency)}},
                "proceeds": {"proceedsTotal": money(sum(parts.values()), currency),
                             "breakdowns": [{"type": k, "subtotal": money(v, currency)}
                                            for k, v in parts.items() if v]},
            })
        status = r.choices(STATUSES, STATUS_WEIGHTS)[0]
        address = who["address"]
        return {
            "orderId": oid,
            "createdTime": iso_utc_z(created), "lastUpdatedTime": iso_utc_z(changed),
            "programs": ["PRIME"] if r.random() < 0.3 else [],
            "salesChannel": {"channelName": "AMAZON", "marketplaceId": market,
                             "marketplaceName": market_name},
            "buyer": {"buyerName": address["name"], "buyerEmail":
                      f"{oid.replace('-', '')}@marketplace.amazon.{country.lower()}"},
            "recipient": {"deliveryAddress": {
                "name": address["name"], "addressLine1": address["address1"],
                "addressLine2": address["address2"] or None, "city": address["city"],
                "stateOrRegion": address["province"], "postalCode": address["zip"],
                "countryCode": country, "phone": address["phone"],
                "addressType": "RESIDENTIAL"}},
            "proceeds": {"grandTotal": money(sum(totals.values()), currency),
                         "breakdowns": [{"type": k, "subtotal": money(v, currency)}
                                        for k, v in totals.items() if v]},
            "fulfillment": {"fulfillmentStatus": status, "fulfilledBy": fulfilled_by,
                            "fulfillmentServiceLevel": "STANDARD"},
            "orderItems": items,
            "packages": [],
            "_created": created, "_changed": changed,      # private: never served
        }


def money(amount_cents: int, currency: str) -> dict[str, str]:
    """``Money`` as the API writes it: a decimal string and a currency code."""
    return {"amount": cents(amount_cents), "currencyCode": currency}
