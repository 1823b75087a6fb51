"""The seller's money as the Finances API v0 tells it, drawn from the simulated orders.

Each marketplace settles on its own: a financial event group opens every 14 days from the
start of the orders' year and closes 14 days later; a closed group was transferred an hour
after it closed (``FundTransferStatus`` ``Succeeded``), an open one is still collecting
events. Its ``OriginalTotal`` is the sum of what its events move, so the group pays out
exactly its events.

Events, in the v0 shapes (money as ``{CurrencyCode, CurrencyAmount}`` numbers):

- a ``ShipmentEvent`` a day after a shipped (or partly shipped) order was placed: per item
  the order's proceeds as ``ItemChargeList`` (``Principal``, ``Shipping``, ``Tax``,
  ``GiftWrap``) and its discount as a ``PromotionList`` entry (negative), so the charges
  and promotions add up to the order's grand total; ``ItemFeeList``: ``Commission`` (15 %
  of the item price, negative) and, for FBA orders, ``FBAPerUnitFulfillmentFee`` (2.50 a
  unit);
- a ``RefundEvent`` five days after placing for one shipped order in four: its first item
  given back whole (charges and promotion turned), the commission given back (positive)
  less a ``RefundCommission`` of 20 % of it, at most 5.00;
- a ``ServiceFeeEvent`` per group: the ``Subscription`` of the professional plan (39.00
  EUR, 25.00 GBP), without a date as in the model.

Nothing is posted in the future of the store's clock. The sandbox's choices where the docs
are silent: the rates of the fees, the groups' length, the order of events (by posting
time) and the page size of the events (``MaxResultsPerPage`` counts events).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from synchub.sandbox.kit.seed import YEAR_START, rng_for
from synchub.sandbox.kit.times import iso_utc_z

if TYPE_CHECKING:
    from synchub.sandbox.amazon.store import AmazonStore

GROUP_SECONDS = 14 * 86_400
SHIPPED = frozenset({"SHIPPED", "PARTIALLY_SHIPPED"})
SUBSCRIPTION = {"EUR": 3900, "GBP": 2500}
CHARGE_TYPES = {"ITEM": "Principal", "SHIPPING": "Shipping", "TAX": "Tax",
                "GIFT_WRAP": "GiftWrap"}


def amount(cents_: int, currency: str) -> dict[str, Any]:
    """``Currency`` as v0 writes it: a code and a JSON number."""
    return {"CurrencyCode": currency, "CurrencyAmount": cents_ / 100}


@dataclass
class Group:
    """One financial event group and the events posted in it, with their nets in cents."""

    group_id: str
    marketplace: str
    currency: str
    start: int
    end: int
    events: list[tuple[int, str, dict[str, Any], int]] = field(default_factory=list)

    def total(self) -> int:
        """What the group moves: the sum of its events' nets."""
        return sum(net for _at, _kind, _event, net in self.events)

    def render(self, now: float) -> dict[str, Any]:
        """The ``FinancialEventGroup``."""
        closed = self.end <= now
        out: dict[str, Any] = {
            "FinancialEventGroupId": self.group_id,
            "ProcessingStatus": "Closed" if closed else "Open",
            "FundTransferStatus": "Succeeded" if closed else "Unknown",
            "OriginalTotal": amount(self.total(), self.currency),
            "BeginningBalance": amount(0, self.currency),
            "FinancialEventGroupStart": iso_utc_z(self.start),
        }
        if closed:
            out["FinancialEventGroupEnd"] = iso_utc_z(self.end)
            out["FundTransferDate"] = iso_utc_z(self.end + 3600)
            out["ConvertedTotal"] = amount(self.total(), self.currency)
            out["TraceId"] = f"SBX{self.group_id[-10:].upper()}"
            out["AccountTail"] = "042"
        return out


def groups(store: AmazonStore, now: float) -> dict[str, Group]:
    """Every group that has opened by ``now``, by id, with its events."""
    from synchub.sandbox.amazon.store import MARKETPLACES

    out: dict[tuple[str, int], Group] = {}

    def group_at(market: str, at: int) -> Group:
        n = (at - YEAR_START) // GROUP_SECONDS
        key = (market, n)
        found = out.get(key)
        if found is None:
            start = YEAR_START + n * GROUP_SECONDS
            r = rng_for(store.key, "group", market, n)
            gid = "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-") for _ in range(43))
            found = out[key] = Group(gid, market, MARKETPLACES[market][2], start,
                                     start + GROUP_SECONDS)
        return found

    for oid, order in sorted(store.records.items()):
        if order["fulfillment"]["fulfillmentStatus"] not in SHIPPED:
            continue
        market = order["salesChannel"]["marketplaceId"]
        posted = order["_created"] + 86_400
        if posted > now:
            continue
        event, net = shipment_event(order)
        group_at(market, posted).events.append((posted, "ShipmentEventList", event, net))
        if rng_for(store.key, "refund", oid).random() < 0.25:
            refunded = posted + 4 * 86_400
            if refunded <= now:
                event, net = refund_event(order, refunded)
                group_at(market, refunded).events.append(
                    (refunded, "RefundEventList", event, net))
    for market in store.marketplace_ids:   # each group, from the first to the last, bills
        numbers = [n for m, n in out if m == market]   # the selling plan once
        fee = SUBSCRIPTION.get(MARKETPLACES[market][2], 3900)
        for n in range(min(numbers), max(numbers) + 1) if numbers else ():
            grp = group_at(market, YEAR_START + n * GROUP_SECONDS)
            grp.events.append((grp.end, "ServiceFeeEventList", {
                "FeeReason": "Subscription", "FeeDescription": "Professional selling plan",
                "FeeList": [{"FeeType": "Subscription",
                             "FeeAmount": amount(-fee, grp.currency)}]}, -fee))
    for grp in out.values():
        grp.events.sort(key=lambda e: (e[0], e[1], str(e[2].get("AmazonOrderId", ""))))
    return {g.group_id: g for g in out.values()}


def _cents(money_: dict[str, str]) -> int:
    return round(float(money_["amount"]) * 100)


def _commission(item: dict[str, Any]) -> int:
    goods = sum(_cents(b["subtotal"]) for b in item["proceeds"]["breakdowns"]
                if b["type"] == "ITEM")
    return (goods * 15 + 50) // 100


def shipment_event(order: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The order's ``ShipmentEvent`` and what it adds to the balance, in cents."""
    currency = order["proceeds"]["grandTotal"]["currencyCode"]
    fba = order["fulfillment"]["fulfilledBy"] == "AMAZON"
    items, net = [], 0
    for item in order["orderItems"]:
        charges, promotions = [], []
        for part in item["proceeds"]["breakdowns"]:
            value = _cents(part["subtotal"])
            net += value
            if part["type"] == "DISCOUNT":
                promotions.append({"PromotionType": "PromotionMetaDataDefinitionValue",
                                   "PromotionId": "SBX-PROMO",
                                   "PromotionAmount": amount(value, currency)})
            else:
                charges.append({"ChargeType": CHARGE_TYPES[part["type"]],
                                "ChargeAmount": amount(value, currency)})
        fees = [{"FeeType": "Commission",
                 "FeeAmount": amount(-_commission(item), currency)}]
        net -= _commission(item)
        if fba:
            per_unit = 250 * item["quantityOrdered"]
            fees.append({"FeeType": "FBAPerUnitFulfillmentFee",
                         "FeeAmount": amount(-per_unit, currency)})
            net -= per_unit
        items.append({"SellerSKU": item["product"]["sellerSku"],
                      "OrderItemId": item["orderItemId"],
                      "QuantityShipped": item["quantityOrdered"],
                      "ItemChargeList": charges, "ItemFeeList": fees,
                      "PromotionList": promotions})
    event = {"AmazonOrderId": order["orderId"],
             "MarketplaceName": order["salesChannel"]["marketplaceName"],
             "PostedDate": iso_utc_z(order["_created"] + 86_400),
             "ShipmentItemList": items}
    return event, net


def refund_event(order: dict[str, Any], posted: int) -> tuple[dict[str, Any], int]:
    """The ``RefundEvent`` giving the order's first item back, and its effect in cents."""
    currency = order["proceeds"]["grandTotal"]["currencyCode"]
    item = order["orderItems"][0]
    charges, promotions, net = [], [], 0
    for part in item["proceeds"]["breakdowns"]:
        value = -_cents(part["subtotal"])
        net += value
        if part["type"] == "DISCOUNT":
            promotions.append({"PromotionType": "PromotionMetaDataDefinitionValue",
                               "PromotionId": "SBX-PROMO",
                               "PromotionAmount": amount(value, currency)})
        else:
            charges.append({"ChargeType": CHARGE_TYPES[part["type"]],
                            "ChargeAmount": amount(value, currency)})
    commission = _commission(item)
    admin = min((commission * 20 + 50) // 100, 500)
    net += commission - admin
    event = {"AmazonOrderId": order["orderId"],
             "MarketplaceName": order["salesChannel"]["marketplaceName"],
             "PostedDate": iso_utc_z(posted),
             "ShipmentItemAdjustmentList": [{
                 "SellerSKU": item["product"]["sellerSku"], "OrderItemId": item["orderItemId"],
                 "OrderAdjustmentItemId": f"{item['orderItemId']}9",
                 "QuantityShipped": item["quantityOrdered"],
                 "ItemChargeAdjustmentList": charges,
                 "ItemFeeAdjustmentList": [
                     {"FeeType": "Commission", "FeeAmount": amount(commission, currency)},
                     {"FeeType": "RefundCommission", "FeeAmount": amount(-admin, currency)}],
                 "PromotionAdjustmentList": promotions}]}
    return event, net


def events_page(grp: Group, start: int, size: int) -> tuple[dict[str, list[Any]], bool]:
    """Events ``start`` .. ``start + size`` of a group as a ``FinancialEvents`` object, and
    whether more follow."""
    chunk = grp.events[start:start + size]
    lists: dict[str, list[Any]] = {"ShipmentEventList": [], "RefundEventList": [],
                                   "ServiceFeeEventList": [], "AdjustmentEventList": []}
    for _at, kind, event, _net in chunk:
        lists[kind].append(event)
    return lists, start + size < len(grp.events)
