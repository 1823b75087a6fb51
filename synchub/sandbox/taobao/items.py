"""The sandbox's Taobao catalogue reads: items on sale, items in the warehouse, item details.

As the TOP docs describe the three item APIs (open.taobao.com, 商品API):

- ``taobao.items.onsale.get``: the seller's items on sale; ``fields`` required (names of
  the Item structure: ``num_iid``, ``title``, ``outer_id``, ``num``, ``modified``,
  ``approve_status``...), ``page_no`` from 1, ``page_size`` 1..200 (default 40); answers
  ``items_onsale_get_response {total_results, items: {item: [...]}}``, no ``items`` key on
  an empty page. The list carries no SKUs.
- ``taobao.items.inventory.get``: the same for the items in the warehouse (仓库中:
  unlisted or sold out); answers ``items_inventory_get_response``.
- ``taobao.items.seller.list.get``: ``num_iids`` (at most 20, comma separated) and
  ``fields`` required; ``sku`` in the fields (not ``skus``) adds every SKU as
  ``skus.sku[{sku_id, outer_id, quantity, properties_name, modified}]``. An id that is not
  the seller's item is left out of the answer without an error.

Times are ``yyyy-MM-dd HH:mm:ss`` Beijing time; ``num_iid`` and ``sku_id`` numbers. The
listing order (newest ``num_iid`` first) and the sub code of more than 20 ids are the
sandbox's choice.
"""

from __future__ import annotations

from typing import Any

from synchub.sandbox.kit.times import beijing
from synchub.sandbox.taobao.store import ITEM_BASE, PRODUCTS, TaobaoStore
from synchub.sandbox.taobao.top import TopError, int_param

MAX_IDS = 20                   # taobao.items.seller.list.get: at most 20 num_iids a call
MAX_PAGE = 200                 # items.onsale.get / items.inventory.get page_size


def _fields(p: dict[str, str]) -> set[str]:
    names = {f.strip() for f in p.get("fields", "").split(",") if f.strip()}
    if not names:
        raise TopError(40, "Missing required arguments:fields")
    return names


def item_view(num_iid: int, item: dict[str, Any], fields: set[str]
              ) -> dict[str, Any]:
    """An item as TOP shows it, only the asked fields (``sku``: with its SKUs)."""
    modified = beijing(int(item["_modified"]))
    whole: dict[str, Any] = {"num_iid": num_iid, "title": item["title"],
                             "outer_id": item["outer_id"], "num": int(item["num"]),
                             "approve_status": item["approve_status"], "modified": modified}
    out = {k: v for k, v in whole.items() if k in fields}
    if "sku" in fields and item["skus"]:
        out["skus"] = {"sku": [
            {"sku_id": int(sid), "outer_id": sku["outer_id"], "quantity": int(sku["quantity"]),
             "properties_name": PRODUCTS[num_iid - ITEM_BASE][3],
             "modified": beijing(int(sku["_modified"]))}
            for sid, sku in item["skus"].items()]}
    return out


def _listed(store: TaobaoStore, p: dict[str, str], status: str) -> dict[str, Any]:
    fields = _fields(p)
    size = int_param(p, "page_size", 40, 1, MAX_PAGE)
    page = int_param(p, "page_no", 1, 1, 10**6)
    rows = store.catalog(status)
    shown = [item_view(iid, item, fields - {"sku"})
             for iid, item in rows[(page - 1) * size: page * size]]
    answer: dict[str, Any] = {"total_results": len(rows)}
    if shown:
        answer["items"] = {"item": shown}
    return answer


def onsale_get(store: TaobaoStore, p: dict[str, str]) -> dict[str, Any]:
    """``taobao.items.onsale.get``: the items on sale, a page of them."""
    return {"items_onsale_get_response": _listed(store, p, "onsale")}


def inventory_get(store: TaobaoStore, p: dict[str, str]) -> dict[str, Any]:
    """``taobao.items.inventory.get``: the items in the warehouse, a page of them."""
    return {"items_inventory_get_response": _listed(store, p, "instock")}


def seller_list_get(store: TaobaoStore, p: dict[str, str]) -> dict[str, Any]:
    """``taobao.items.seller.list.get``: up to 20 items by ``num_iids``, with their SKUs
    when ``sku`` is among the fields."""
    fields = _fields(p)
    raw = [part.strip() for part in p.get("num_iids", "").split(",") if part.strip()]
    if not raw:
        raise TopError(40, "Missing required arguments:num_iids")
    if len(raw) > MAX_IDS or not all(part.isdigit() for part in raw):
        raise TopError(41, "Invalid arguments:num_iids", "isv.invalid-parameter",
                       f"num_iids 为逗号分隔的数字商品 ID, 最多 {MAX_IDS} 个")
    with store.lock:
        found = [(int(part), store.items[int(part)]) for part in dict.fromkeys(raw)
                 if int(part) in store.items]
        shown = [item_view(iid, item, fields) for iid, item in found]
    answer: dict[str, Any] = {}
    if shown:
        answer["items"] = {"item": shown}
    return {"items_seller_list_get_response": answer}
