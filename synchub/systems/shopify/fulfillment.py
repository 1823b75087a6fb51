"""Shopify: shipments back to the order as fulfillments with tracking (Admin GraphQL 2026-04).

Per shipment: read the order's fulfillment orders and fulfillments; a fulfillment that
already carries the tracking number is the one (a retry after a lost reply, or a second
canonical shipment with the same number, creates nothing); otherwise ``fulfillmentCreate``
for the shipment's lines (matched by SKU to the fulfillment order line items) or for all
that remains. When nothing of that is open (the order was marked fulfilled without tracking,
by the merchant or another app), ``fulfillmentTrackingInfoUpdate`` puts the number on the
successful fulfillment that has none (the one holding the shipment's SKUs). Then the
tracking status as ``fulfillmentEventCreate``, only when it differs from the fulfillment's
newest event and is not older than it, so the fulfillment follows the newest courier status
whichever shipment record brought it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.errors import FatalAPIError, RetriableAPIError

if TYPE_CHECKING:
    from synchub.runtime.http import HttpClient

# fulfillment states that no longer count as the parcel being on its way
DEAD_FULFILLMENTS = frozenset({"CANCELLED", "ERROR", "FAILURE"})
FULFILLABLE_ORDERS = frozenset({"OPEN", "IN_PROGRESS"})
MAX_ERROR = 300

READ_ORDER = """
query OrderFulfillment($id: ID!) {
  order(id: $id) {
    id
    name
    fulfillmentOrders(first: 5) {
      nodes {
        id
        status
        lineItems(first: 50) { nodes { id sku remainingQuantity totalQuantity } }
      }
    }
    fulfillments(first: 50) {
      id
      status
      displayStatus
      trackingInfo(first: 10) { number company url }
      events(first: 1, sortKey: HAPPENED_AT, reverse: true) { nodes { status happenedAt } }
    }
  }
}
""".strip()

CREATE = """
mutation CreateFulfillment($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status displayStatus trackingInfo(first: 10) { number company url } }
    userErrors { field message }
  }
}
""".strip()

ADD_TRACKING = """
mutation AddTracking($fulfillmentId: ID!, $trackingInfoInput: FulfillmentTrackingInput!,
                     $notifyCustomer: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId,
                                trackingInfoInput: $trackingInfoInput,
                                notifyCustomer: $notifyCustomer) {
    fulfillment { id status displayStatus trackingInfo(first: 10) { number company url } }
    userErrors { field message }
  }
}
""".strip()

# read only when a shipment's SKUs must be matched to a fulfillment without tracking; kept
# apart from READ_ORDER so the query every shipment pays for stays cheap
READ_FULFILLED_LINES = """
query FulfilledLines($id: ID!) {
  order(id: $id) {
    fulfillments(first: 20) {
      id
      fulfillmentLineItems(first: 20) { nodes { lineItem { sku } } }
    }
  }
}
""".strip()

ADD_EVENT = """
mutation AddFulfillmentEvent($event: FulfillmentEventInput!) {
  fulfillmentEventCreate(fulfillmentEvent: $event) {
    fulfillmentEvent { id status happenedAt }
    userErrors { field message }
  }
}
""".strip()


class ShopifyFulfillmentOptions(BaseModel):
    """``options`` of a ``shopify_fulfillment`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notify_customer: bool = Field(
        default=True, description="Shopify emails the customer the shipping confirmation "
                                  "when the fulfillment is created or the tracking is "
                                  "added to a fulfillment that had none.")


def order_gid(order_id: str) -> str:
    """``gid://shopify/Order/<n>`` from a numeric order id (a gid is kept as it is)."""
    text = str(order_id).strip()
    if text.startswith("gid://shopify/Order/"):
        return text
    if not text.isdigit():
        raise ItemFailure(f"order id {text!r} is not a Shopify order id")
    return f"gid://shopify/Order/{text}"


def _when(value: Any) -> datetime | None:
    """An ISO 8601 time (``Z`` accepted) or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _same_number(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.strip().upper() == b.strip().upper()


def find_fulfillment(order: dict[str, Any], number: str) -> dict[str, Any] | None:
    """The live fulfillment of the order that carries this tracking number."""
    for f in order.get("fulfillments") or []:
        if f.get("status") in DEAD_FULFILLMENTS:
            continue
        if any(_same_number(t.get("number"), number) for t in f.get("trackingInfo") or []):
            return dict(f)
    return None


def _wanted_skus(lines: list[dict[str, Any]]) -> set[str]:
    return {str(li["sku"]) for li in lines if li.get("sku") and int(li.get("quantity") or 0) > 0}


def untracked_fulfillments(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's successful fulfillments that carry no tracking number, in Shopify's order."""
    return [dict(f) for f in order.get("fulfillments") or []
            if f.get("status") == "SUCCESS"
            and not any(str(t.get("number") or "").strip() for t in f.get("trackingInfo") or [])]


def line_items_by_fulfillment_order(order: dict[str, Any], lines: list[dict[str, Any]],
                                    order_id: str) -> list[dict[str, Any]]:
    """``lineItemsByFulfillmentOrder`` for the shipment's lines, or for all that remains.

    Lines with a SKU are matched to open fulfillment order line items with that SKU, up to
    the quantity that remains; without lines (or SKUs) every open fulfillment order is
    fulfilled whole.
    """
    open_orders = [fo for fo in (order.get("fulfillmentOrders") or {}).get("nodes") or []
                   if fo.get("status") in FULFILLABLE_ORDERS]
    if not open_orders:
        raise ItemFailure(f"order {order_id} has nothing left to fulfill (no open "
                          "fulfillment order)")
    wanted = [(str(li["sku"]), int(li.get("quantity") or 0)) for li in lines
              if li.get("sku") and int(li.get("quantity") or 0) > 0]
    if not wanted:
        return [{"fulfillmentOrderId": fo["id"]} for fo in open_orders]
    left = {li["id"]: int(li.get("remainingQuantity") or 0)
            for fo in open_orders for li in (fo.get("lineItems") or {}).get("nodes") or []}
    picked: dict[str, dict[str, int]] = {}
    missing = []
    for sku, quantity in wanted:
        for fo in open_orders:
            for li in (fo.get("lineItems") or {}).get("nodes") or []:
                if quantity == 0 or li.get("sku") != sku or left[li["id"]] <= 0:
                    continue
                take = min(quantity, left[li["id"]])
                left[li["id"]] -= take
                quantity -= take
                per_fo = picked.setdefault(fo["id"], {})
                per_fo[li["id"]] = per_fo.get(li["id"], 0) + take
        if quantity:
            missing.append(sku)
    if not picked:
        raise ItemFailure(f"order {order_id}: no open line for SKU(s) "
                          f"{', '.join(sorted(set(missing)))}")
    return [{"fulfillmentOrderId": fo_id,
             "fulfillmentOrderLineItems": [{"id": i, "quantity": q} for i, q in items.items()]}
            for fo_id, items in picked.items()]


def _user_errors(what: str, payload: dict[str, Any]) -> str | None:
    errors = payload.get("userErrors") or []
    if not errors:
        return None
    text = "; ".join(f"{'.'.join(e.get('field') or []) or what}: {e.get('message')}"
                     for e in errors[:3])
    return f"{what} refused: {text}"[:MAX_ERROR]


class ShopifyFulfillmentWriter(PerItemWriter):
    """Writes shipments as fulfillments with tracking, then their tracking status as events.

    Each shipment stands alone: a problem with one (unknown order, nothing left to fulfill
    and no fulfillment without tracking, a user error) fails that one only; a transient
    error makes it ``retry``. Mutations are sent once, never resent blindly: when a reply is
    lost the order is read again and the write counts as done if Shopify shows it, else the
    shipment is retried later (and the next attempt starts by looking the tracking number
    up).
    """

    options_model = ShopifyFulfillmentOptions

    @property
    def url(self) -> str:
        """The GraphQL endpoint the connector names (its path carries the API version)."""
        return self._http_base() + (self.spec.path or "")

    @property
    def _http(self) -> HttpClient:
        self._http_base()
        assert self.client is not None
        return self.client.http

    def _http_base(self) -> str:
        if self.client is None or not self.spec.path:
            raise FatalAPIError(f"{self.sink}: the shopify_fulfillment writer needs the "
                                "connection's client and the GraphQL path")
        return self.client.base_url

    # --- one shipment -------------------------------------------------------------------
    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """One shipment: found or created on the order, then its status."""
        p = item.payload
        if not isinstance(p, dict):
            raise ItemFailure(f"shipment {item.record_id}: no payload (the route needs the "
                              "tracking write mapping)")
        tracking = p.get("tracking") or {}
        number = str(tracking.get("number") or "").strip()
        order_id = str(p.get("order_id") or "").strip()
        if not number or not order_id:
            raise ItemFailure(f"shipment {item.record_id}: a tracking number and an order id "
                              "are required")
        gid = order_gid(order_id)
        order = self._read_order(gid, order_id)
        found = find_fulfillment(order, number)
        sent = False
        if found is None:
            found = self._place(item, gid, order_id, order, p, number)
            sent = True
        if self._send_event(found, p, gid, order_id, number):
            sent = True
        return DeliveryResult(item.delivery_id, "delivered" if sent else "skipped",
                              remote_id=found["id"])

    def _read_order(self, gid: str, order_id: str) -> dict[str, Any]:
        _, body = self._http.graphql(self.url, READ_ORDER, {"id": gid})
        order = ((body or {}).get("data") or {}).get("order")
        if not isinstance(order, dict):
            raise ItemFailure(f"order {order_id} is not in {self.sink}")
        return order

    def _place(self, item: DeliveryItem, gid: str, order_id: str, order: dict[str, Any],
               p: dict[str, Any], number: str) -> dict[str, Any]:
        """A new fulfillment for the shipment, else its tracking on one fulfilled without."""
        tracking = {k: v for k, v in (p.get("tracking") or {}).items()
                    if k in ("number", "company", "url") and v}
        lines = list(p.get("lines") or [])
        try:
            groups = line_items_by_fulfillment_order(order, lines, order_id)
        except ItemFailure as refused:
            # nothing open for it: the goods may have left already, marked fulfilled
            # without tracking (by the merchant or another app); the number belongs there
            target = self._untracked_for(gid, order, lines)
            if target is None:
                raise ItemFailure(self._why_not(order, lines, str(refused))) from None
            return self._add_tracking(item, gid, order_id, target, tracking, number)
        return self._create(item, gid, order_id, groups, tracking, number)

    def _untracked_for(self, gid: str, order: dict[str, Any],
                       lines: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The fulfillment without tracking that should take the shipment's number, if any.

        Without SKUs the first one; with SKUs the one holding most of them (None when none
        holds any: the shipment's goods went out with another tracking number).
        """
        candidates = untracked_fulfillments(order)
        skus = _wanted_skus(lines)
        if not candidates or not skus:
            return candidates[0] if candidates else None
        held = self._fulfilled_skus(gid)
        best = max(candidates, key=lambda f: len(held.get(f["id"], set()) & skus))
        return best if held.get(best["id"], set()) & skus else None

    def _fulfilled_skus(self, gid: str) -> dict[str, set[str]]:
        _, body = self._http.graphql(self.url, READ_FULFILLED_LINES, {"id": gid})
        order = ((body or {}).get("data") or {}).get("order") or {}
        held: dict[str, set[str]] = {}
        for f in order.get("fulfillments") or []:
            items = [n.get("lineItem") or {}
                     for n in (f.get("fulfillmentLineItems") or {}).get("nodes") or []]
            held[str(f.get("id"))] = {str(li["sku"]) for li in items if li.get("sku")}
        return held

    @staticmethod
    def _why_not(order: dict[str, Any], lines: list[dict[str, Any]], refused: str) -> str:
        live = [f for f in order.get("fulfillments") or []
                if f.get("status") not in DEAD_FULFILLMENTS]
        if not live:
            return refused
        if untracked_fulfillments(order) and _wanted_skus(lines):
            return f"{refused}; its fulfillments without tracking hold none of these SKUs"
        return f"{refused}; every fulfillment of it carries another tracking number"

    def _create(self, item: DeliveryItem, gid: str, order_id: str,
                groups: list[dict[str, Any]], tracking: dict[str, Any],
                number: str) -> dict[str, Any]:
        variables = {"fulfillment": {"lineItemsByFulfillmentOrder": groups,
                                     "trackingInfo": tracking,
                                     "notifyCustomer": self.options.notify_customer}}
        try:
            body = self._send_once(CREATE, variables)
        except RetriableAPIError as lost:
            # the reply may be lost after Shopify committed: look before anything is resent
            return self._found_again(lost, gid, order_id, number)
        payload = ((body or {}).get("data") or {}).get("fulfillmentCreate")
        if not isinstance(payload, dict):
            raise FatalAPIError("fulfillmentCreate answered without a payload", url=self.url)
        problem = _user_errors("fulfillmentCreate", payload)
        if problem:
            raise ItemFailure(f"shipment {item.record_id} -> order {order_id}: {problem}")
        made = payload.get("fulfillment")
        if not isinstance(made, dict) or not made.get("id"):
            raise FatalAPIError("fulfillmentCreate answered without a fulfillment",
                                url=self.url)
        return dict(made, events={"nodes": []})

    def _add_tracking(self, item: DeliveryItem, gid: str, order_id: str,
                      target: dict[str, Any], tracking: dict[str, Any],
                      number: str) -> dict[str, Any]:
        variables = {"fulfillmentId": target["id"], "trackingInfoInput": tracking,
                     "notifyCustomer": self.options.notify_customer}
        try:
            body = self._send_once(ADD_TRACKING, variables)
        except RetriableAPIError as lost:
            return self._found_again(lost, gid, order_id, number)
        payload = ((body or {}).get("data") or {}).get("fulfillmentTrackingInfoUpdate")
        if not isinstance(payload, dict):
            raise FatalAPIError("fulfillmentTrackingInfoUpdate answered without a payload",
                                url=self.url)
        problem = _user_errors("fulfillmentTrackingInfoUpdate", payload)
        if problem:
            raise ItemFailure(f"shipment {item.record_id} -> order {order_id}: {problem}")
        made = payload.get("fulfillment")
        if not isinstance(made, dict) or not made.get("id"):
            raise FatalAPIError("fulfillmentTrackingInfoUpdate answered without a "
                                "fulfillment", url=self.url)
        # the fulfillment keeps its events: the status is compared with its newest one
        return dict(made, events=target.get("events") or {"nodes": []})

    def _found_again(self, lost: RetriableAPIError, gid: str, order_id: str,
                     number: str) -> dict[str, Any]:
        """After a lost reply: the fulfillment if Shopify shows the number, else ``lost``."""
        found = find_fulfillment(self._read_order(gid, order_id), number)
        if found is None:
            raise lost
        return found

    def _send_event(self, fulfillment: dict[str, Any], p: dict[str, Any], gid: str,
                    order_id: str, number: str) -> bool:
        """Post the tracking status when it is news to the fulfillment; True if posted."""
        status = p.get("event_status")
        if not status:
            return False
        last = next(iter((fulfillment.get("events") or {}).get("nodes") or []), None)
        at = _when(p.get("status_at"))
        if last is not None:
            if last.get("status") == status:
                return False
            last_at = _when(last.get("happenedAt"))
            if at is not None and last_at is not None and at < last_at:
                return False  # an older status (say the warehouse's) must not win
        event: dict[str, Any] = {"fulfillmentId": fulfillment["id"], "status": status}
        if at is not None:
            event["happenedAt"] = at.isoformat().replace("+00:00", "Z")
        if p.get("message"):
            event["message"] = str(p["message"])[:255]
        try:
            body = self._send_once(ADD_EVENT, {"event": event})
        except RetriableAPIError:
            again = find_fulfillment(self._read_order(gid, order_id), number)
            newest = next(iter(((again or {}).get("events") or {}).get("nodes") or []), None)
            if newest is None or newest.get("status") != status:
                raise
            return True
        payload = ((body or {}).get("data") or {}).get("fulfillmentEventCreate")
        if not isinstance(payload, dict):
            raise FatalAPIError("fulfillmentEventCreate answered without a payload",
                                url=self.url)
        problem = _user_errors("fulfillmentEventCreate", payload)
        if problem:
            raise ItemFailure(f"order {order_id}, tracking {number}: {problem}")
        return True

    def _send_once(self, query: str, variables: dict[str, Any]) -> Any:
        """POST a mutation exactly once: the client's own retries could apply it twice.

        A throttled or failed call raises :class:`RetriableAPIError` for the caller to
        decide (after reading the order again) whether anything needs resending.
        """
        _, body = self._http.graphql(self.url, query, variables, once=True)
        return body
