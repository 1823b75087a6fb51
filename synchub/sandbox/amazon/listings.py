"""``GET /listings/2021-08-01/items/{sellerId}`` (searchListingsItems), as the Listings
Items API v2021-08-01 model documents it.

- Usage plan 5 requests a second, burst 5 (the operation's description).
- ``marketplaceIds`` (required), ``includedData`` (``summaries`` by default; also
  ``attributes``, ``issues``, ``offers``, ``fulfillmentAvailability``, ``procurement``,
  ``relationships``, ``productTypes``), ``identifiers`` (at most 20) with
  ``identifiersType``, ``createdAfter``/``createdBefore`` and
  ``lastUpdatedAfter``/``lastUpdatedBefore`` (inclusive), ``sortBy`` (``sku``,
  ``createdDate``, ``lastUpdatedDate``, default the last) and ``sortOrder`` (``ASC``,
  ``DESC``, default ``DESC``), ``pageSize`` (at most 20, default 10), ``pageToken`` = the
  previous answer's ``pagination.nextToken`` (or ``previousToken``).
- Answer ``{numberOfResults, pagination: {nextToken, previousToken}, items: [{sku,
  summaries: [{marketplaceId, asin, productType, conditionType, status, itemName,
  createdDate, lastUpdatedDate}], fulfillmentAvailability: [{fulfillmentChannelCode,
  quantity}]}]}``; ``nextToken`` absent on the last page. At most 1,000 items of a search
  can be paged through, whatever ``numberOfResults`` says.
- Errors in the ``errors[]`` envelope: 400 for a bad parameter, 403 for another seller.

The sandbox's choices where the model is silent: a token carries its query (parameters
sent beside it are not checked again); equal sort keys are ordered by SKU; the page that
reaches the 1,000th item has no ``nextToken``; a listing Amazon fulfils shows its channel
(``AMAZON_EU``) without a quantity; every listing is offered in all the seller's
marketplaces with one change time; datasets other than summaries, attributes and
fulfillmentAvailability come back empty.
"""

from __future__ import annotations

import zlib
from typing import Any

from synchub.sandbox.amazon.replies import errors, invalid, list_of
from synchub.sandbox.amazon.store import MARKETPLACES, AmazonStore
from synchub.sandbox.kit.http import Reply
from synchub.sandbox.kit.paging import decode_token, encode_token
from synchub.sandbox.kit.routes import Call
from synchub.sandbox.kit.seed import YEAR_START
from synchub.sandbox.kit.times import iso_utc_z, parse_time

PAGE_DEFAULT, PAGE_MAX = 10, 20
SEARCH_CAP = 1000             # items a search can page through
DATASETS = frozenset({"summaries", "attributes", "issues", "offers", "fulfillmentAvailability",
                      "procurement", "relationships", "productTypes"})
IDENTIFIER_TYPES = frozenset({"ASIN", "EAN", "FNSKU", "GTIN", "ISBN", "JAN", "MINSAN", "SKU",
                              "UPC"})
SORT_KEYS = {"sku": None, "createdDate": "_created", "lastUpdatedDate": "_changed"}
TIME_FILTERS = (("createdAfter", "_created", 1), ("createdBefore", "_created", -1),
                ("lastUpdatedAfter", "_changed", 1), ("lastUpdatedBefore", "_changed", -1))


def search(store: AmazonStore, call: Call) -> Reply:
    """searchListingsItems: the seller's listings, filtered, sorted and paged."""
    if call.path["seller_id"] != store.seller_id:
        return errors(403, "Unauthorized", "Access to requested resource is denied.",
                      "The seller id does not match the authorized selling partner.")
    if "pageToken" in call.query:
        try:
            state = decode_token(call.query["pageToken"])
            q, offset = state["q"], int(state["offset"])
        except (KeyError, ValueError, TypeError):
            return invalid("Invalid pageToken.")
    else:
        q_or = _query(store, call.query)
        if isinstance(q_or, Reply):
            return q_or
        q, offset = q_or, 0
    with store.lock:
        found = _matching(store, q)
        reachable = min(len(found), SEARCH_CAP)
        shown = found[offset:min(offset + q["size"], reachable)]
        items = [_item(store, sku, q) for sku in shown]
    body: dict[str, Any] = {"numberOfResults": len(found), "items": items}
    pagination = {}
    if offset + q["size"] < reachable:
        pagination["nextToken"] = encode_token({"q": q, "offset": offset + q["size"]})
    if offset > 0:
        pagination["previousToken"] = encode_token(
            {"q": q, "offset": max(offset - q["size"], 0)})
    if pagination:
        body["pagination"] = pagination
    return Reply(200, body)


def _query(store: AmazonStore, query: Any) -> dict[str, Any] | Reply:
    """The filters of a first search request, or its 400."""
    markets = list_of(query, "marketplaceIds")
    if not markets:
        return invalid("Missing required parameter: marketplaceIds.")
    unknown = [m for m in markets if m not in MARKETPLACES or m not in store.marketplace_ids]
    if unknown:
        return invalid("Invalid marketplaceIds.", f"Unknown marketplace id: {unknown[0]}")
    included = list_of(query, "includedData") or ["summaries"]
    bad = [d for d in included if d not in DATASETS]
    if bad:
        return invalid("Invalid includedData.", f"Unknown value: {bad[0]}")
    try:
        size = int(query.get("pageSize", PAGE_DEFAULT))
    except ValueError:
        return invalid("pageSize is not a number.")
    if not 1 <= size <= PAGE_MAX:
        return invalid(f"pageSize must be between 1 and {PAGE_MAX}.")
    sort_by, order = query.get("sortBy", "lastUpdatedDate"), query.get("sortOrder", "DESC")
    if sort_by not in SORT_KEYS or order not in ("ASC", "DESC"):
        return invalid("Invalid sortBy or sortOrder.", "sortBy: sku, createdDate, "
                       "lastUpdatedDate; sortOrder: ASC, DESC.")
    times: dict[str, int] = {}
    for name, _key, _sign in TIME_FILTERS:
        if name in query:
            try:
                times[name] = parse_time(query[name])
            except ValueError:
                return invalid(f"{name} is not an ISO 8601 date-time.")
    identifiers, kind = list_of(query, "identifiers"), query.get("identifiersType")
    if bool(identifiers) != bool(kind) or (kind and kind not in IDENTIFIER_TYPES):
        return invalid("identifiers and identifiersType go together.")
    if len(identifiers) > 20:
        return invalid("identifiers accepts at most 20 values.")
    return {"markets": markets, "included": included, "size": size, "sort": sort_by,
            "order": order, "times": times, "identifiers": identifiers, "kind": kind}


def _matching(store: AmazonStore, q: dict[str, Any]) -> list[str]:
    """The SKUs the search finds, in its order."""
    rows = []
    for sku, listing in store.listings.items():
        view = _view(sku, listing)
        if any((view[key] - q["times"][name]) * sign < 0
               for name, key, sign in TIME_FILTERS if name in q["times"]):
            continue
        if q["identifiers"] and _identifier(sku, view, q["kind"]) not in q["identifiers"]:
            continue
        key = SORT_KEYS[q["sort"]]
        rows.append(((view[key] if key else sku), sku))
    rows.sort(reverse=q["order"] == "DESC")
    return [sku for _key, sku in rows]


def _view(sku: str, listing: dict[str, Any]) -> dict[str, Any]:
    """A listing with every field a search shows (listings added by hand lack some)."""
    return {"productType": listing.get("productType", "PRODUCT"),
            "quantity": int(listing.get("quantity") or 0),
            "asin": listing.get("asin") or f"B0{zlib.crc32(sku.encode()) % 10**8:08d}",
            "channel": listing.get("channel", "DEFAULT"),
            "_created": int(listing.get("_created", YEAR_START)),
            "_changed": int(listing.get("_changed", YEAR_START))}


def _identifier(sku: str, view: dict[str, Any], kind: str) -> str | None:
    return {"SKU": sku, "ASIN": view["asin"]}.get(kind)


def _item(store: AmazonStore, sku: str, q: dict[str, Any]) -> dict[str, Any]:
    view = _view(sku, store.listings[sku])
    included = set(q["included"])
    item: dict[str, Any] = {"sku": sku}
    default = view["channel"] == "DEFAULT"
    if "summaries" in included:
        item["summaries"] = [{
            "marketplaceId": market, "asin": view["asin"], "productType": view["productType"],
            "conditionType": "new_new", "status": ["BUYABLE", "DISCOVERABLE"],
            "itemName": f"Item {sku}", "createdDate": iso_utc_z(view["_created"]),
            "lastUpdatedDate": iso_utc_z(view["_changed"])} for market in q["markets"]]
    availability: dict[str, Any] = {"fulfillmentChannelCode": view["channel"]}
    if default:
        availability["quantity"] = view["quantity"]
    if "fulfillmentAvailability" in included:
        item["fulfillmentAvailability"] = [availability]
    if "attributes" in included:
        item["attributes"] = {"item_name": [{"value": f"Item {sku}", "marketplace_id": m}
                                            for m in q["markets"]],
                              "fulfillment_availability": [
                                  {"fulfillment_channel_code": view["channel"],
                                   **({"quantity": view["quantity"]} if default else {})}]}
    for dataset in ("issues", "offers", "procurement", "relationships", "productTypes"):
        if dataset in included:
            item[dataset] = []
    return item
