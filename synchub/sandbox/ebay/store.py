"""One eBay seller account as the sandbox simulates it: an OAuth app and the seller's refresh
token, orders in the Fulfillment API shape, inventory items and offers, payouts and
monetary transactions of the Finances API.

Every order is drawn from the seed and its index alone; times are epoch seconds in 2025
(UTC) until a mutation stamps the real time. Money is in integer cents, so every order's
pricingSummary adds up to its total, and every sale's fees add up to what eBay kept. The
demo seller sells in EUR from eBay Germany, any other account in USD from the US; buyers
on the other marketplaces pay in their own currency (``convertedFromValue``). Knobs tests and
the control API may turn: ``token_ttl`` (user token lifetime), ``clock`` (epoch seconds:
token expiry, revision days), ``call_limit`` / ``call_window`` (calls allowed per window
before a 429, with ``limit_clock``), ``revision_cap`` (revisions a listing takes per
calendar day), ``refusals`` (SKU -> the error its next updates get).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from synchub.sandbox.kit.limits import RollingWindow
from synchub.sandbox.kit.money import cents, money_cents
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, person, rng_for
from synchub.sandbox.kit.store import BaseStore

DAY = 86_400
# currency -> its worth in US cents per 100 units (what eBay converts at)
RATES = {"USD": 10000, "EUR": 10870, "GBP": 12700}
# marketplace -> its currency; the seller's home is the one of its own currency
MARKETPLACES = (("EBAY_US", "USD"), ("EBAY_DE", "EUR"), ("EBAY_GB", "GBP"))
REVISION_CAP = 250            # revisions a listing takes per calendar day
VARIANTS = 2                  # inventory items per product: SKU-<i>-1, SKU-<i>-2
FVF_BP = 1325                 # final value fee: 13.25 % of what the buyer paid
FVF_FIXED = 30                # and 0.30 per order
AD_BP = 500                   # promoted listings: 5 % on the sales it brought
CARRIERS = ("USPS", "UPS", "FedEx")


def iso_ms(ts: float) -> str:
    """eBay's timestamps: UTC with milliseconds and Z."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def amount(value_cents: int, currency: str) -> dict[str, str]:
    """eBay's ``Amount``: a decimal string and a currency code."""
    return {"value": cents(value_cents), "currency": currency}


def converted(value_cents: int, seller: str, buyer: str) -> dict[str, str]:
    """An amount in the seller's currency with what the buyer paid in theirs, if another."""
    out = amount(value_cents, seller)
    if buyer != seller:
        out["convertedFromValue"] = cents(value_cents * RATES[seller] // RATES[buyer])
        out["convertedFromCurrency"] = buyer
    return out


class EbayStore(BaseStore):
    """One seller account: app credentials, orders, inventory, payouts and transactions."""

    system = "ebay"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.client_id = f"Sandbox-{name}-PRD-a1b2c3d4e-5f6a7b8c"
        self.client_secret = f"PRD-sandbox{name}secret-0a1b"
        self.refresh_token = f"v^1.1#i^1#r^1#sandbox_{name}_refresh"
        self.seller = f"sandbox_{name}_seller"
        # the demo seller sells from eBay Germany in EUR; any other account from the US
        self.currency = "EUR" if name == "demo" else "USD"
        self.home = next(m for m, c in MARKETPLACES if c == self.currency)
        self.token_ttl = 7200
        self.clock: Callable[[], float] = time.time
        self.limit_clock: Callable[[], float] = time.monotonic
        self.call_limit, self.call_window = 5000, 60.0
        self._window: RollingWindow | None = None
        self.revision_cap = REVISION_CAP
        self.access_tokens: dict[str, float] = {}
        self.refusals: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.offers: dict[str, str] = {}              # offer id -> SKU
        self.revisions: dict[tuple[str, str], int] = {}   # (offer or SKU, day) -> count
        self.fulfillments: dict[str, list[dict[str, Any]]] = {}
        for i in range(max(self.volume["products"], 1)):
            for v in range(1, VARIANTS + 1):
                sku = f"SKU-{i + 1:05d}-{v}"
                offer = f"{5000000000 + i * VARIANTS + v}"
                self.items[sku] = {"quantity": rng_for(self.key, "stock", sku).randrange(0, 30),
                                   "offerId": offer, "offerQuantity": None,
                                   "title": f"Item {sku}"}
                self.offers[offer] = sku
        self.records: dict[str, dict[str, Any]] = {}
        count = self.volume["orders"]
        step = YEAR_SECONDS // max(count, 1)
        for i in range(count):
            created = YEAR_START + i * step
            changed = created + rng_for(self.key, "changed", i).randrange(3 * DAY)
            order = self._build(i, created, changed)
            self.records[order["orderId"]] = order
        self.payouts: dict[str, dict[str, Any]] = {}
        self.transactions: dict[str, dict[str, Any]] = {}
        self._settle()

    def money(self, value_cents: int) -> dict[str, str]:
        """An amount in the seller's currency."""
        return amount(value_cents, self.currency)

    def converted(self, value_cents: int, buyer: str) -> dict[str, str]:
        """An amount in the seller's currency, with the buyer's where it is another."""
        return converted(value_cents, self.currency, buyer)

    # --- credentials, tokens, limits ------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """The app's client id and secret, and the seller's refresh token."""
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "refresh_token": self.refresh_token}

    def connection(self, url: str) -> dict[str, Any]:
        """The app's id and secret, the refresh token; the Finances host is this store too."""
        return {"conn_type": "http", "host": url, "login": self.client_id,
                "password": self.client_secret,
                "extra": {"refresh_token": self.refresh_token,
                          "token_url": f"{url}/identity/v1/oauth2/token",
                          "finances_host": url}}

    def issue_token(self) -> tuple[str, int]:
        """A new user access token and its lifetime in seconds."""
        token = f"v^1.1#i^1#p^3#sandbox_{secrets.token_urlsafe(24)}"
        self.access_tokens[token] = self.clock() + self.token_ttl
        return token, self.token_ttl

    def token_state(self, token: str) -> str:
        """``valid``, ``expired`` or ``unknown``."""
        expiry = self.access_tokens.get(token)
        if expiry is None:
            return "unknown"
        return "valid" if self.clock() < expiry else "expired"

    def admit_call(self) -> bool:
        """One call against the account's limit (always true without limits)."""
        if not self.rate_limits:
            return True
        window = self._window
        if window is None or (window.maximum, window.interval) != (self.call_limit,
                                                                   self.call_window):
            window = self._window = RollingWindow(self.call_limit, self.call_window,
                                                  clock=self.limit_clock)
        return window.take()

    # --- inventory ------------------------------------------------------------------------
    def quantity(self, sku: str) -> int | None:
        """The ship-to-home quantity an inventory item now has."""
        with self.lock:
            item = self.items.get(sku)
            return None if item is None else int(item["quantity"])

    def refuse(self, sku: str, error_id: int, message: str) -> None:
        """Make every update of ``sku`` answer this error."""
        with self.lock:
            self.refusals[sku] = {"errorId": error_id, "domain": "API_INVENTORY",
                                  "category": "REQUEST", "message": message}

    def revise(self, key: str) -> bool:
        """One revision of a listing today; False (nothing counted) past the cap."""
        day = datetime.fromtimestamp(self.clock(), UTC).date().isoformat()
        n = self.revisions.get((key, day), 0)
        if n >= self.revision_cap:
            return False
        self.revisions[(key, day)] = n + 1
        return True

    def revisions_today(self, key: str) -> int:
        """Revisions a listing (offer id, else SKU) took today."""
        day = datetime.fromtimestamp(self.clock(), UTC).date().isoformat()
        return self.revisions.get((key, day), 0)

    # --- orders ---------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Orders, inventory items, payouts and transactions."""
        with self.lock:
            return {"orders": len(self.records), "inventory_items": len(self.items),
                    "payouts": len(self.payouts), "transactions": len(self.transactions)}

    def changed_between(self, low: float | None, high: float | None
                        ) -> list[tuple[float, str]]:
        """(change time, id) of the orders changed in [low, high], oldest first."""
        return sorted((o["_changed"], oid) for oid, o in self.records.items()
                      if (low is None or o["_changed"] >= low)
                      and (high is None or o["_changed"] <= high))

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Place orders and ship open ones now (the ``mutate`` control); the affected ids."""
        with self.lock:
            now = self.stamp()
            picked = self._mut_rng.sample(sorted(self.records),
                                          min(orders_updated, len(self.records)))
            for oid in picked:
                order = self.records[oid]
                if order["orderFulfillmentStatus"] != "FULFILLED" \
                        and order["cancelStatus"]["cancelState"] != "CANCELED":
                    self.ship(oid, f"9400{self._mut_rng.randrange(10**17, 10**18)}",
                              "USPS", now)
                order["lastModifiedDate"], order["_changed"] = iso_ms(now), now
            created = []
            for _ in range(orders_created):
                order = self._build(len(self.records), now, now)
                self.records[order["orderId"]] = order
                created.append(order["orderId"])
            return {"orders_updated": picked, "orders_created": created}

    def place_order(self, sku: str, quantity: int, unit_cents: int = 1999) -> str:
        """A buyer on the seller's home marketplace pays now for ``quantity`` of the inventory
        item ``sku``: a one-line order not yet shipped whose pricing summary adds up; its id."""
        with self.lock:
            if sku not in self.items:
                raise KeyError(f"no inventory item {sku!r}")
            now = self.stamp()
            order = self._build(len(self.records), now, now)
            oid = order["orderId"]
            self.fulfillments.pop(oid, None)       # the builder may have shipped it
            cost = unit_cents * quantity
            line = order["lineItems"][0]
            line.pop("appliedPromotions", None)
            line.pop("taxes", None)
            line.update(sku=sku, title=self.items[sku]["title"],
                        legacyItemId=f"{110552400000 + sorted(self.items).index(sku)}",
                        lineItemCost=self.money(cost), quantity=quantity,
                        total=self.money(cost), lineItemFulfillmentStatus="NOT_STARTED",
                        purchaseMarketplaceId=self.home)
            order.update(
                lineItems=[line], orderFulfillmentStatus="NOT_STARTED",
                orderPaymentStatus="PAID", fulfillmentHrefs=[],
                cancelStatus={"cancelState": "NONE_REQUESTED", "cancelRequests": []},
                pricingSummary={"priceSubtotal": self.money(cost),
                                "deliveryCost": self.money(0), "total": self.money(cost)},
                _total=cost, _refunded=0)
            payment = order["paymentSummary"]
            payment.update(totalDueSeller=self.money(cost), refunds=[])
            payment["payments"][0]["amount"] = self.money(cost)
            self.records[oid] = order
            return str(oid)

    def ship(self, order_id: str, number: str, carrier: str, when: float,
             lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A shipping fulfillment of the order's line items (all of them without ``lines``)."""
        order = self.records[order_id]
        items = lines or [{"lineItemId": li["lineItemId"], "quantity": li["quantity"]}
                          for li in order["lineItems"]]
        fulfillment = {"fulfillmentId": number, "shipmentTrackingNumber": number,
                       "shippingCarrierCode": carrier, "shippedDate": iso_ms(when),
                       "lineItems": items}
        self.fulfillments.setdefault(order_id, []).append(fulfillment)
        shipped = {li["lineItemId"] for f in self.fulfillments[order_id]
                   for li in f["lineItems"]}
        for li in order["lineItems"]:
            if li["lineItemId"] in shipped:
                li["lineItemFulfillmentStatus"] = "FULFILLED"
        done = all(li["lineItemFulfillmentStatus"] == "FULFILLED" for li in order["lineItems"])
        order["orderFulfillmentStatus"] = "FULFILLED" if done else "IN_PROGRESS"
        order["fulfillmentHrefs"] = [f"/sell/fulfillment/v1/order/{order_id}/"
                                     f"shipping_fulfillment/{f['fulfillmentId']}"
                                     for f in self.fulfillments[order_id]]
        return fulfillment

    def _build(self, i: int, created: float, changed: float) -> dict[str, Any]:
        """Order ``i``: buyer, line items, pricing summary, cancellation and refunds."""
        r = rng_for(self.key, "order", i)
        marketplace, buyer_currency = r.choice(MARKETPLACES)
        who = person(self.key, r.randrange(max(self.volume["customers"], 1)))
        address = who["address"]
        oid = f"{r.randrange(10, 99)}-{r.randrange(10000, 99999)}-{r.randrange(10000, 99999)}"
        skus = sorted(self.items)
        lines, subtotal, discount, tax = [], 0, 0, 0
        taxed = marketplace == "EBAY_US" and self.currency == "USD" and r.random() < 0.5
        for n in range(r.randint(1, 3)):
            sku = r.choice(skus)
            unit, quantity = r.randrange(500, 9000), r.randint(1, 3)
            cost = unit * quantity
            off = cost // 10 if r.random() < 0.2 else 0
            line_tax = (cost - off) * 725 // 10_000 if taxed else 0
            subtotal, discount, tax = subtotal + cost, discount + off, tax + line_tax
            line: dict[str, Any] = {
                "lineItemId": f"{10041524917000 + i * 8 + n}",
                "legacyItemId": f"{110552400000 + skus.index(sku)}",
                "sku": sku, "title": self.items[sku]["title"],
                "lineItemCost": self.converted(cost, buyer_currency), "quantity": quantity,
                "total": self.money(cost - off + line_tax),
                "lineItemFulfillmentStatus": "NOT_STARTED",
                "listingMarketplaceId": self.home, "purchaseMarketplaceId": marketplace,
                "soldFormat": "FIXED_PRICE"}
            if off:
                line["appliedPromotions"] = [{"promotionId": "5000000001",
                                              "description": "10% off",
                                              "discountAmount": self.money(off)}]
            if line_tax:
                line["taxes"] = [{"amount": self.money(line_tax), "taxType": "STATE_SALES_TAX"}]
            lines.append(line)
        shipping = r.choice((0, 499, 799))
        total = subtotal - discount + shipping + tax
        summary: dict[str, Any] = {"priceSubtotal": self.converted(subtotal, buyer_currency),
                                   "deliveryCost": self.converted(shipping, buyer_currency),
                                   "total": self.converted(total, buyer_currency)}
        if discount:
            summary["priceDiscount"] = self.money(-discount)
        if tax:
            summary["tax"] = self.money(tax)
        cancelled = r.random() < 0.05
        refunds: list[dict[str, Any]] = []
        if cancelled:
            refunds.append({"refundId": f"{5000000000 + i}", "refundDate": iso_ms(changed),
                            "amount": self.money(total), "refundStatus": "REFUNDED"})
        elif r.random() < 0.08:
            refunds.append({"refundId": f"{5000000000 + i}", "refundDate": iso_ms(changed),
                            "amount": self.money(total // 4), "refundStatus": "REFUNDED"})
        refunded = sum(money_cents(x["amount"]["value"]) for x in refunds)
        payment = ("FULLY_REFUNDED" if refunded >= total and refunds
                   else "PARTIALLY_REFUNDED" if refunds else "PAID")
        order = {
            "orderId": oid, "legacyOrderId": f"{110552400000 + i}-{28971204000 + i}",
            "creationDate": iso_ms(created), "lastModifiedDate": iso_ms(changed),
            "orderFulfillmentStatus": "NOT_STARTED", "orderPaymentStatus": payment,
            "sellerId": self.seller,
            "buyer": {"username": f"{who['first_name'].lower()}_{i}",
                      "buyerRegistrationAddress": {
                          "fullName": address["name"], "email": who["email"],
                          "contactAddress": {"addressLine1": address["address1"],
                                             "city": address["city"],
                                             "postalCode": address["zip"],
                                             "countryCode": address["country_code"]}}},
            "pricingSummary": summary,
            "cancelStatus": ({"cancelState": "CANCELED", "cancelledDate": iso_ms(changed),
                              "cancelRequests": []} if cancelled
                             else {"cancelState": "NONE_REQUESTED", "cancelRequests": []}),
            "paymentSummary": {"totalDueSeller": self.money(total - refunded), "refunds": refunds,
                               "payments": [{"paymentMethod": "EBAY",
                                             "paymentReferenceId": f"PAY{i:09d}",
                                             "paymentDate": iso_ms(created),
                                             "amount": self.money(total),
                                             "paymentStatus": "PAID"}]},
            "fulfillmentStartInstructions": [{
                "fulfillmentInstructionsType": "SHIP_TO",
                "shippingStep": {
                    "shipTo": {"fullName": address["name"],
                               "contactAddress": {
                                   "addressLine1": address["address1"],
                                   "addressLine2": address["address2"] or None,
                                   "city": address["city"],
                                   "stateOrProvince": address["province"] or None,
                                   "postalCode": address["zip"],
                                   "countryCode": address["country_code"]},
                               "primaryPhone": {"phoneNumber": address["phone"]}},
                    "shippingCarrierCode": r.choice(CARRIERS),
                    "shippingServiceCode": "Standard"}}],
            "fulfillmentHrefs": [],
            "lineItems": lines,
            "salesRecordReference": f"{1000 + i}",
            "_created": created, "_changed": changed, "_total": total,
            "_refunded": refunded, "_promoted": r.random() < 0.3,
        }
        self.records[oid] = order
        if not cancelled and r.random() < 0.6:
            self.ship(oid, f"9400{r.randrange(10**17, 10**18)}", r.choice(CARRIERS),
                      changed)
        return order

    # --- money ----------------------------------------------------------------------------
    def _settle(self) -> None:
        """A sale (with its fees) per order, its refunds, ad fees apart, weekly payouts."""
        rows: list[dict[str, Any]] = []
        for oid, order in self.records.items():
            total, when = order["_total"], order["_created"]
            fvf = total * FVF_BP // 10_000 + FVF_FIXED
            fees = [{"feeType": "FINAL_VALUE_FEE", "amount": self.money(fvf - FVF_FIXED)},
                    {"feeType": "FINAL_VALUE_FEE_FIXED_PER_ORDER", "amount": self.money(FVF_FIXED)}]
            kept = fvf
            if order["_promoted"]:
                ad = total * AD_BP // 10_000
                fees.append({"feeType": "AD_FEE", "amount": self.money(ad)})
                kept += ad
            rows.append({"transactionId": f"TX{oid.replace('-', '')}S", "orderId": oid,
                         "transactionType": "SALE", "bookingEntry": "CREDIT",
                         "amount": self.money(total - kept), "totalFeeAmount": self.money(kept),
                         "totalFeeBasisAmount": self.money(total),
                         "orderLineItems": [{"lineItemId": order["lineItems"][0]["lineItemId"],
                                             "feeBasisAmount": self.money(total),
                                             "marketplaceFees": fees}],
                         "transactionDate": iso_ms(when + 60), "_at": when + 60})
            for refund in order["paymentSummary"]["refunds"]:
                at = order["_changed"]
                rows.append({"transactionId": f"TX{oid.replace('-', '')}R", "orderId": oid,
                             "transactionType": "REFUND", "bookingEntry": "DEBIT",
                             "amount": refund["amount"],
                             "references": [{"referenceId": refund["refundId"],
                                             "referenceType": "REFUND_ID"}],
                             "transactionDate": iso_ms(at), "_at": at})
        for week in range(0, 52, 4):
            at = YEAR_START + week * 7 * DAY + DAY
            rows.append({"transactionId": f"TXAD{week:02d}", "transactionType": "NON_SALE_CHARGE",
                         "feeType": "AD_FEE", "bookingEntry": "DEBIT",
                         "amount": self.money(150 + week * 10),
                         "transactionMemo": "Promoted Listings - Advanced",
                         "transactionDate": iso_ms(at), "_at": at})
        rows.sort(key=lambda row: (row["_at"], row["transactionId"]))
        # a payout every Monday of what the week before made; what is left is not paid out
        last = max((row["_at"] for row in rows), default=YEAR_START)
        start = YEAR_START
        n = 0
        while start < last:
            end = start + 7 * DAY
            batch = [row for row in rows if start <= row["_at"] < end]
            net = sum((1 if row["bookingEntry"] == "CREDIT" else -1)
                      * money_cents(row["amount"]["value"]) for row in batch)
            if batch and net > 0 and end + DAY <= YEAR_START + YEAR_SECONDS:
                pid = f"{6000000000 + n}"
                n += 1
                self.payouts[pid] = {
                    "payoutId": pid, "payoutStatus": "SUCCEEDED", "amount": self.money(net),
                    "payoutDate": iso_ms(end + DAY), "transactionCount": len(batch),
                    "payoutInstrument": {"instrumentType": "BANK", "nickname": "Checking",
                                         "accountLastFourDigits": "0042"},
                    "_at": end + DAY}
                for row in batch:
                    row["payoutId"], row["transactionStatus"] = pid, "PAYOUT"
            for row in batch:
                row.setdefault("transactionStatus", "FUNDS_AVAILABLE_FOR_PAYOUT")
            start = end
        for row in rows:
            self.transactions[row["transactionId"]] = row
