"""Shopify fulfillments: fulfillment orders, ``fulfillmentCreate``, tracking updates and events.

Every order has one fulfillment order at the shop's first location, derived from the order
the first time it is read (so generated orders cost nothing until then): one line per order
line, ``remainingQuantity`` = the line's ``fulfillable_quantity``, status ``OPEN`` while
anything remains, else ``CLOSED``. Orders Shopify shows as fulfilled start with one
fulfillment without tracking (``fulfillmentTrackingInfoUpdate`` can add it). Writes update
the REST order too (``fulfillment_status``, ``fulfillable_quantity``, ``fulfillments``,
``updated_at``) so an incremental sync sees them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from synchub.sandbox.kit.relay import connection
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.times import iso_local, iso_utc_z, parse_time
from synchub.sandbox.shopify.catalog import gid
from synchub.sandbox.shopify.orders import order_id

FO_BASE = 6_100_000_000_000          # + order index
FO_LINE_BASE = 6_200_000_000_000     # + order index * 8 + line
PRESET_BASE = 4_300_000_000_000      # + order index: the fulfillment of a fulfilled order
CREATED_BASE = 4_400_000_000_000     # + a counter
EVENT_BASE = 2_800_000_000_000       # + a counter
FULFILLABLE = ("OPEN", "IN_PROGRESS")


@dataclass(slots=True)
class OrderBook:
    """The fulfillment side of one order."""

    order_id: int
    index: int
    fulfillment_orders: list[dict[str, Any]]
    fulfillments: list[dict[str, Any]] = field(default_factory=list)


def _number(global_id: Any, kind: str) -> int | None:
    prefix = f"gid://shopify/{kind}/"
    if not isinstance(global_id, str) or not global_id.startswith(prefix):
        return None
    tail = global_id[len(prefix):]
    return int(tail) if tail.isdigit() else None


def _user_error(field_path: list[str], message: str) -> dict[str, Any]:
    return {"field": field_path, "message": message}


class FulfillmentBook:
    """Fulfillment orders and fulfillments of one shop, keyed by order id."""

    def __init__(self, store: BaseStore) -> None:
        self.store = store
        self._books: dict[int, OrderBook] = {}
        self._fulfillments: dict[int, tuple[OrderBook, dict[str, Any]]] = {}
        self._next_fulfillment = CREATED_BASE
        self._next_event = EVENT_BASE

    # --- reads --------------------------------------------------------------------------
    def book(self, oid: int) -> OrderBook | None:
        """The order's fulfillment side, derived on first use (None for an unknown order)."""
        found = self._books.get(oid)
        if found is not None:
            return found
        header = self.store.orders.header(oid)
        row = self.store.orders.get(oid)
        if header is None or row is None:
            return None
        created = iso_utc_z(header.created)
        lines = [{
            "id": gid("FulfillmentOrderLineItem", FO_LINE_BASE + header.index * 8 + k),
            "sku": li.get("sku"), "totalQuantity": li["quantity"],
            "remainingQuantity": li.get("fulfillable_quantity", li["quantity"]),
            "lineItem": {"id": li["admin_graphql_api_id"], "sku": li.get("sku"),
                         "name": li["name"], "quantity": li["quantity"]},
            "_id": k, "_line_id": li["id"],
        } for k, li in enumerate(row["line_items"])]
        remaining = any(li["remainingQuantity"] > 0 for li in lines)
        cancelled = row.get("cancelled_at") is not None
        fo = {"id": gid("FulfillmentOrder", FO_BASE + header.index), "_id": 0,
              "status": "CANCELLED" if cancelled else ("OPEN" if remaining else "CLOSED"),
              "createdAt": created, "updatedAt": created, "lineItems": lines, "_order": oid}
        book = OrderBook(oid, header.index, [fo])
        if row.get("fulfillment_status") == "fulfilled":
            preset = self._new_fulfillment(book, PRESET_BASE + header.index, header.updated,
                                           [(li, li["totalQuantity"]) for li in lines], None)
            book.fulfillments.append(preset)
        self._books[oid] = book
        return book

    def order_node(self, oid: int) -> dict[str, Any] | None:
        """The GraphQL ``Order`` (only what the fulfillment side needs)."""
        row = self.store.orders.get(oid)
        book = self.book(oid)
        if row is None or book is None:
            return None
        return {"id": gid("Order", oid), "name": row["name"], "_oid": oid,
                "updatedAt": iso_utc_z(parse_time(row["updated_at"])),
                "displayFulfillmentStatus": _display_status(book)}

    def fulfillment(self, global_id: str) -> tuple[OrderBook, dict[str, Any]] | None:
        """The fulfillment named by a GraphQL id, with its order's book."""
        number = _number(global_id, "Fulfillment")
        if number is None:
            return None
        if number not in self._fulfillments and PRESET_BASE <= number < CREATED_BASE:
            index = number - PRESET_BASE
            self.book(order_id(index))  # a preset fulfillment exists once its order is read
        return self._fulfillments.get(number)

    def fulfillment_order(self, global_id: str) -> tuple[OrderBook, dict[str, Any]] | None:
        """The fulfillment order named by a GraphQL id, with its order's book."""
        number = _number(global_id, "FulfillmentOrder")
        if number is None or number < FO_BASE:
            return None
        oid = order_id(number - FO_BASE)
        book = self.book(oid) if oid in self.store.orders else None
        if book is None:
            return None
        fo = next((f for f in book.fulfillment_orders if f["id"] == global_id), None)
        return None if fo is None else (book, fo)

    # --- writes -------------------------------------------------------------------------
    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        """``fulfillmentCreate(fulfillment: data)``: all or nothing, as Shopify does."""
        groups = data.get("lineItemsByFulfillmentOrder") or []
        if not groups:
            return {"fulfillment": None, "userErrors": [_user_error(
                ["fulfillment", "lineItemsByFulfillmentOrder"],
                "Line items by fulfillment order must contain at least one fulfillment order.")]}
        book: OrderBook | None = None
        picks: list[tuple[dict[str, Any], int]] = []
        for g, group in enumerate(groups):
            where = ["fulfillment", "lineItemsByFulfillmentOrder", str(g)]
            found = self.fulfillment_order(group["fulfillmentOrderId"])
            if found is None:
                return _refused([*where, "fulfillmentOrderId"],
                                "Fulfillment order does not exist.")
            owner, fo = found
            if book is not None and owner is not book:
                return _refused(where, "All fulfillment orders must belong to the same order.")
            book = owner
            if fo["status"] not in FULFILLABLE:
                return _refused(where, f"Fulfillment order {fo['id']} has an unfulfillable "
                                       f"status= {fo['status'].lower()}.")
            wanted = group.get("fulfillmentOrderLineItems")
            if not wanted:  # no lines: everything that remains
                picks.extend((li, li["remainingQuantity"]) for li in fo["lineItems"]
                             if li["remainingQuantity"] > 0)
                continue
            by_id = {li["id"]: li for li in fo["lineItems"]}
            for n, item in enumerate(wanted):
                li = by_id.get(item["id"])
                if li is None:
                    return _refused([*where, "fulfillmentOrderLineItems", str(n), "id"],
                                    "Fulfillment order line item does not exist.")
                if not 0 < item["quantity"] <= li["remainingQuantity"]:
                    return _refused([*where, "fulfillmentOrderLineItems", str(n), "quantity"],
                                    "Invalid fulfillment order line item quantity requested.")
                picks.append((li, item["quantity"]))
        if book is None or not picks:
            return _refused(["fulfillment"], "Fulfillment has no line items to fulfill.")
        now = self.store.stamp()
        for li, quantity in picks:
            li["remainingQuantity"] -= quantity
        for fo in book.fulfillment_orders:
            if fo["status"] in FULFILLABLE:
                left = any(li["remainingQuantity"] > 0 for li in fo["lineItems"])
                fo["status"] = "IN_PROGRESS" if left else "CLOSED"
                fo["updatedAt"] = iso_utc_z(now)
        self._next_fulfillment += 1
        made = self._new_fulfillment(book, self._next_fulfillment, now, picks,
                                     data.get("trackingInfo"))
        made["_notified"] = bool(data.get("notifyCustomer"))
        book.fulfillments.append(made)
        self._sync_rest(book, now)
        return {"fulfillment": made, "userErrors": []}

    def add_event(self, data: dict[str, Any]) -> dict[str, Any]:
        """``fulfillmentEventCreate(fulfillmentEvent: data)``."""
        found = self.fulfillment(data["fulfillmentId"])
        if found is None:
            return {"fulfillmentEvent": None, "userErrors": [_user_error(
                ["fulfillmentEvent", "fulfillmentId"], "Fulfillment does not exist.")]}
        book, made = found
        if made["status"] == "CANCELLED":
            return {"fulfillmentEvent": None, "userErrors": [_user_error(
                ["fulfillmentEvent", "fulfillmentId"],
                "Cannot create an event for a cancelled fulfillment.")]}
        now = self.store.stamp()
        happened = data.get("happenedAt")
        try:
            at = parse_time(happened) if happened else now
        except ValueError:
            return {"fulfillmentEvent": None, "userErrors": [_user_error(
                ["fulfillmentEvent", "happenedAt"], "Happened at is invalid.")]}
        self._next_event += 1
        event = {"id": gid("FulfillmentEvent", self._next_event), "_id": self._next_event,
                 "status": data["status"], "happenedAt": iso_utc_z(at), "_at": at,
                 "message": data.get("message"), "createdAt": iso_utc_z(now)}
        made["events"].append(event)
        # the display status follows the latest event in time, not the latest one posted
        latest = max(made["events"], key=lambda e: (e["_at"], e["_id"]))
        made["displayStatus"] = latest["status"]
        made["updatedAt"] = iso_utc_z(now)
        self._sync_rest(book, now)
        return {"fulfillmentEvent": event, "userErrors": []}

    def update_tracking(self, fulfillment_id: str, tracking: dict[str, Any],
                        notify_customer: bool | None = None) -> dict[str, Any]:
        """``fulfillmentTrackingInfoUpdate``: the given tracking replaces the fulfillment's."""
        found = self.fulfillment(fulfillment_id)
        if found is None:
            return {"fulfillment": None, "userErrors": [_user_error(
                ["fulfillmentId"], "Fulfillment does not exist.")]}
        book, made = found
        if made["status"] != "SUCCESS":
            return {"fulfillment": None, "userErrors": [_user_error(
                ["fulfillmentId"], "Cannot update tracking information for a "
                                   f"{made['status'].lower()} fulfillment.")]}
        infos = _tracking_infos(tracking)
        if not infos:  # the sandbox keeps every tracking entry numbered
            return {"fulfillment": None, "userErrors": [_user_error(
                ["trackingInfoInput", "number"], "Tracking number can't be blank.")]}
        now = self.store.stamp()
        made["trackingInfo"] = infos
        if notify_customer:
            made["_notified"] = True
        made["updatedAt"] = iso_utc_z(now)
        self._sync_rest(book, now)
        return {"fulfillment": made, "userErrors": []}

    # --- helpers ------------------------------------------------------------------------
    def _new_fulfillment(self, book: OrderBook, number: int, at: int,
                         picks: list[tuple[dict[str, Any], int]],
                         tracking: dict[str, Any] | None) -> dict[str, Any]:
        row = self.store.orders.get(book.order_id) or {}
        infos = _tracking_infos(tracking or {})
        made = {"id": gid("Fulfillment", number), "_id": number,
                "name": f"{row.get('name', '#?')}.{len(book.fulfillments) + 1}",
                "status": "SUCCESS", "displayStatus": "FULFILLED",
                "createdAt": iso_utc_z(at), "updatedAt": iso_utc_z(at),
                "trackingInfo": infos, "events": [], "_order": book.order_id,
                "fulfillmentLineItems": [{
                    "id": gid("FulfillmentLineItem", number * 8 + k), "_id": k,
                    "quantity": quantity, "lineItem": li["lineItem"], "_line_id": li["_line_id"]}
                    for k, (li, quantity) in enumerate(picks)]}
        self._fulfillments[number] = (book, made)
        return made

    def _sync_rest(self, book: OrderBook, now: int) -> None:
        """Show the change in the REST order and move its ``updated_at``."""
        orders = self.store.orders
        row = orders.materialize(book.order_id)
        was = row.get("fulfillment_status")
        remaining = {li["_line_id"]: li["remainingQuantity"]
                     for fo in book.fulfillment_orders for li in fo["lineItems"]}
        for line in row["line_items"]:
            line["fulfillable_quantity"] = remaining.get(line["id"], 0)
        shipped = [f for f in book.fulfillments if f["status"] == "SUCCESS"]
        left = any(remaining.values())
        row["fulfillment_status"] = ("fulfilled" if shipped and not left
                                     else "partial" if shipped else None)
        row["fulfillments"] = [_rest_fulfillment(f, row, self.store) for f in book.fulfillments]
        row["updated_at"] = iso_local(now, self.store.tz)
        orders.touch(book.order_id, now)
        webhooks = getattr(self.store, "webhooks", None)
        if webhooks is not None:  # subscribers hear of it as Shopify tells them
            oid = book.order_id
            webhooks.emit("orders/updated", lambda: self.store.order(oid))
            if row["fulfillment_status"] == "fulfilled" and was != "fulfilled":
                webhooks.emit("orders/fulfilled", lambda: self.store.order(oid))


def _tracking_infos(tracking: dict[str, Any]) -> list[dict[str, Any]]:
    """``FulfillmentTrackingInput`` as the fulfillment's ``trackingInfo`` entries."""
    numbers = list(tracking.get("numbers") or []) or (
        [tracking["number"]] if tracking.get("number") else [])
    urls = list(tracking.get("urls") or []) or (
        [tracking["url"]] if tracking.get("url") else [])
    return [{"number": n, "company": tracking.get("company"),
             "url": urls[i] if i < len(urls) else None} for i, n in enumerate(numbers)]


def _refused(field_path: list[str], message: str) -> dict[str, Any]:
    return {"fulfillment": None, "userErrors": [_user_error(field_path, message)]}


def _display_status(book: OrderBook) -> str:
    lines = [li for fo in book.fulfillment_orders for li in fo["lineItems"]]
    if all(fo["status"] == "CANCELLED" for fo in book.fulfillment_orders):
        return "UNFULFILLED"
    left = sum(li["remainingQuantity"] for li in lines)
    if left == 0:
        return "FULFILLED"
    return "PARTIALLY_FULFILLED" if left < sum(li["totalQuantity"] for li in lines) \
        else "UNFULFILLED"


def _rest_fulfillment(f: dict[str, Any], row: dict[str, Any],
                      store: BaseStore) -> dict[str, Any]:
    """A fulfillment as REST ``orders.json`` embeds it."""
    infos = f["trackingInfo"]
    shipment = None if f["displayStatus"] == "FULFILLED" else f["displayStatus"].lower()
    by_line = {li["id"]: li for li in row["line_items"]}
    return {
        "id": f["_id"], "admin_graphql_api_id": f["id"], "order_id": f["_order"],
        "name": f["name"], "status": f["status"].lower(), "shipment_status": shipment,
        "created_at": iso_local(parse_time(f["createdAt"]), store.tz),
        "updated_at": iso_local(parse_time(f["updatedAt"]), store.tz),
        "tracking_company": infos[0]["company"] if infos else None,
        "tracking_number": infos[0]["number"] if infos else None,
        "tracking_numbers": [i["number"] for i in infos],
        "tracking_url": infos[0]["url"] if infos else None,
        "tracking_urls": [i["url"] for i in infos if i["url"]],
        "line_items": [dict(by_line.get(li["_line_id"], {}), quantity=li["quantity"])
                       for li in f["fulfillmentLineItems"]],
    }


def fulfillment_resolvers() -> dict[tuple[str, str], Any]:
    """(type, field) -> resolver, attached by :func:`shopify.graphql.shopify_schema`."""

    def book_of(info: Any) -> FulfillmentBook:
        book: FulfillmentBook = info.context.fulfillment_book
        return book

    def order(_root: Any, info: Any, id: str) -> Any:
        number = _number(id, "Order")
        return None if number is None else book_of(info).order_node(number)

    def fulfillment_orders(order: dict[str, Any], info: Any, **args: Any) -> Any:
        book = book_of(info).book(order["_oid"])
        return connection(book.fulfillment_orders if book else [], lambda f: f["_id"], args)

    def fulfillments(order: dict[str, Any], info: Any, first: int | None = None) -> Any:
        book = book_of(info).book(order["_oid"])
        found = book.fulfillments if book else []
        return found[:first] if first is not None else found

    def events(f: dict[str, Any], _info: Any, **args: Any) -> Any:
        by_time = args.get("sortKey") == "HAPPENED_AT"
        return connection(f["events"], (lambda e: e["_at"]) if by_time else (lambda e: e["_id"]),
                          args, reverse=bool(args.get("reverse")))

    def create(_root: Any, info: Any, fulfillment: dict[str, Any], **_kw: Any) -> Any:
        return book_of(info).create(fulfillment)

    def add_event(_root: Any, info: Any, fulfillmentEvent: dict[str, Any]) -> Any:
        return book_of(info).add_event(fulfillmentEvent)

    def update_tracking(_root: Any, info: Any, fulfillmentId: str,
                        trackingInfoInput: dict[str, Any],
                        notifyCustomer: bool | None = None) -> Any:
        return book_of(info).update_tracking(fulfillmentId, trackingInfoInput, notifyCustomer)

    def parent_order(obj: dict[str, Any], info: Any) -> Any:
        return book_of(info).order_node(obj["_order"])

    return {
        ("Query", "order"): order,
        ("Order", "fulfillmentOrders"): fulfillment_orders,
        ("Order", "fulfillments"): fulfillments,
        ("FulfillmentOrder", "lineItems"): lambda fo, _i, **a: connection(
            fo["lineItems"], lambda li: li["_id"], a),
        ("FulfillmentOrder", "order"): parent_order,
        ("Fulfillment", "order"): parent_order,
        ("Fulfillment", "trackingInfo"): lambda f, _i, first=None: (
            f["trackingInfo"][:first] if first is not None else f["trackingInfo"]),
        ("Fulfillment", "events"): events,
        ("Fulfillment", "fulfillmentLineItems"): lambda f, _i, **a: connection(
            f["fulfillmentLineItems"], lambda li: li["_id"], a),
        ("Mutation", "fulfillmentCreate"): create,
        ("Mutation", "fulfillmentEventCreate"): add_event,
        ("Mutation", "fulfillmentTrackingInfoUpdate"): update_tracking,
    }

