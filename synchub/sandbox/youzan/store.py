"""One Youzan shop as the sandbox simulates it: app credentials, tokens, orders, catalog.

Orders carry the fields of ``full_order_info`` as ``youzan.trades.sold.get`` 4.0.x and the
``trade_TradeCreate`` push show them: ``order_info`` (``tid`` like ``E20250618200005...``,
``status``, times as ``yyyy-MM-dd HH:mm:ss`` Beijing time, ``pay_type_str``),
``buyer_info`` (``yz_open_id``, ``buyer_phone``), ``address_info`` (``delivery_province``,
``delivery_city``, ``delivery_district``, ``delivery_address``, ``receiver_name``,
``receiver_tel``; one order in three encrypted as ``$...$1$``), ``pay_info`` (yuan text)
and ``orders[]`` (``oid``, ``item_id``, ``sku_id`` (0 without SKUs), ``outer_sku_id``,
``outer_item_id``, ``num``, ``price``, ``total_fee``, ``payment``). The figures add up:

- line ``total_fee = price x num``, ``payment = total_fee - its discount``;
- ``pay_info.total_fee = sum(line total_fee)``, ``pay_info.payment = sum(line payment) +
  post_fee``,

except on one order in 17, whose payment is 5 yuan lower (an unitemized shop discount) so
that the hub's adjustment shows. Orders are placed in the day before the store was created
and updated after that. Orders closed after payment have a SUCCESS refund of the payment;
one paid order in 9 has a refund waiting for the seller.

The catalog: items ``600000001 + index``, with SKUs ``36000000 + 100 x index + n`` (outer
ids ``LJ-250``, ``LJ-250-01``...) except ``MOON-8`` and ``BAMBOO-L``, sold without SKUs;
every item on sale (``is_listing``) until a test takes it off the shelf.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from synchub.sandbox.kit.auth import IssuedTokens
from synchub.sandbox.kit.cn_demo import (
    ADDRESSES,
    PEOPLE,
    PRODUCTS,
    SKUS_PER_ITEM,
    SOLD_WITHOUT_SKUS,
    mobile,
    sku_code,
)
from synchub.sandbox.kit.limits import CallQuota
from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.seed import hex128, rng_for, weighted
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.times import beijing
from synchub.sandbox.kit.webhooks import WebhookSender
from synchub.sandbox.youzan.pushes import YouzanPushes

TOKEN_SECONDS = 7 * 86_400      # a self-built app's token, as the sandbox issues it
STATUSES = (("WAIT_BUYER_PAY", 10), ("WAIT_SELLER_SEND_GOODS", 40),
            ("WAIT_BUYER_CONFIRM_GOODS", 25), ("TRADE_SUCCESS", 15), ("TRADE_CLOSE", 10))
NEXT_STATUS = {"WAIT_BUYER_PAY": "WAIT_SELLER_SEND_GOODS",
               "WAIT_SELLER_SEND_GOODS": "WAIT_BUYER_CONFIRM_GOODS",
               "WAIT_BUYER_CONFIRM_GOODS": "TRADE_SUCCESS"}
STATUS_STR = {"WAIT_BUYER_PAY": "待支付", "WAIT_SELLER_SEND_GOODS": "待发货",
              "WAIT_BUYER_CONFIRM_GOODS": "已发货", "TRADE_SUCCESS": "已完成",
              "TRADE_CLOSE": "已关闭"}
UNKNOWN_STATUS = "TRADE_FROZEN_SANDBOX"   # served for poisoned orders: no such status

ITEM_BASE, SKU_BASE = 600_000_001, 36_000_000
# Youzan's express companies (youzan.logistics.express.get) as the sandbox serves them
EXPRESS = {1: "申通快递", 2: "圆通速递", 3: "中通快递", 4: "韵达快递", 6: "百世快递",
           7: "顺丰速运", 8: "邮政快递包裹", 11: "EMS", 138: "京东快递"}


def _encrypted(key: str, *parts: object) -> str:
    """A value as Youzan serves encrypted receiver data: ``$<base64-ish>$1$``."""
    return f"${hex128(key, 'enc', *parts)[:22]}==$1$"


class YouzanStore(BaseStore, IssuedTokens, CallQuota):
    """One shop: the app's client_id/secret, the shop's kdt_id, tokens, orders, catalog."""

    system = "youzan"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.currency = "CNY"
        self.client_id = hex128(self.key, "client")[:18]
        self.client_secret = hex128(self.key, "client-secret")
        self.kdt_id = 160_000_000 + int(hex128(self.key, "kdt")[:6], 16) % 9_999_999
        self.kdt_name = f"有赞沙箱店 {name}"
        self.init_tokens(TOKEN_SECONDS)
        self.token_requests = 0
        self.init_quota()                           # Youzan's quota is per package
        self.during_read: Callable[[YouzanStore, int], None] | None = None
        self.calls: list[tuple[str, str, dict[str, Any]]] = []   # method, version, body
        self.created_at = int(time.time())
        self.webhooks = WebhookSender(self, YouzanPushes(self))
        self.items: dict[int, dict[str, Any]] = {}
        for index, (title, outer, price, _prop) in enumerate(PRODUCTS):
            skus = {} if outer in SOLD_WITHOUT_SKUS else {
                SKU_BASE + 100 * index + n: {"outer_sku_id": sku_code(outer, n), "quantity": 0,
                                             "_modified": self.created_at}
                for n in range(SKUS_PER_ITEM)}
            self.items[ITEM_BASE + index] = {"title": title, "outer_item_id": outer,
                                             "price": price, "quantity": 0, "skus": skus,
                                             "is_listing": True, "_updated": self.created_at}
        self.item_refusals: dict[int, tuple[int, str]] = {}
        self.shipments: dict[str, dict[str, Any]] = {}   # tid -> the confirmed waybill
        self.trades: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        poisoned = set(self.poisoned_indexes())
        for i in range(self.volume["orders"]):
            info = self._build(i)
            if i in poisoned:
                info["order_info"]["status"] = UNKNOWN_STATUS
            self.trades[info["order_info"]["tid"]] = info

    # --- what the API reads ---------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """The Connection's login (client_id), password (client_secret), extra.kdt_id."""
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "kdt_id": str(self.kdt_id)}

    def connection(self, url: str) -> dict[str, Any]:
        """The app's client_id and client_secret, the shop's kdt_id in extra."""
        return {"conn_type": "http", "host": url, "login": self.client_id,
                "password": self.client_secret, "extra": {"kdt_id": str(self.kdt_id)}}

    def counts(self) -> dict[str, int]:
        """Orders, and refunds that went through."""
        with self.lock:
            return {"orders": len(self.trades),
                    "refunds": sum(1 for r in self.refunds.values()
                                   if r["status"] == "SUCCESS")}

    def updated_between(self, start: int, end: int) -> list[dict[str, Any]]:
        """Orders updated in ``[start, end]``, newest update first."""
        return sorted((t for t in self.trades.values() if start <= t["_updated"] <= end),
                      key=lambda t: (t["_updated"], t["order_info"]["tid"]), reverse=True)

    def quantity(self, item_id: int, sku_id: int | None = None) -> int | None:
        """What the shop shows: one SKU's quantity, or the item's."""
        with self.lock:
            item = self.items.get(item_id)
            if item is None:
                return None
            if sku_id is None:
                return int(item["quantity"])
            sku = item["skus"].get(sku_id)
            return None if sku is None else int(sku["quantity"])

    def set_quantity(self, item_id: int, sku_id: int | None, quantity: int) -> None:
        """Set what the shop shows, as a stock write does: an item's total follows its SKUs."""
        with self.lock:
            item, now = self.items[item_id], int(time.time())
            if sku_id is not None:
                sku = item["skus"][sku_id]
                sku["quantity"], sku["_modified"] = quantity, now
                quantity = sum(s["quantity"] for s in item["skus"].values())
            item["quantity"], item["_updated"] = quantity, now

    def refuse_item(self, item_id: int, code: int, message: str) -> None:
        """Make every stock write of an item answer this refusal."""
        with self.lock:
            self.item_refusals[item_id] = (code, message)

    # --- tokens ---------------------------------------------------------------------------
    def issue_token(self) -> tuple[str, int]:
        """A new token and its expiry in epoch milliseconds."""
        token, expires = self.mint_token()
        self.token_requests += 1
        return token, int(expires * 1000)

    # --- changes --------------------------------------------------------------------------
    def touch(self, tid: str, at: int | None = None) -> dict[str, Any]:
        """Move an order on (pay, ship, confirm) and stamp its update time now (or ``at``)."""
        with self.lock:
            info = self.trades[tid]
            status = NEXT_STATUS.get(info["order_info"]["status"])
            if status is not None:
                self._set_status(info, status)
            self._stamp(info, self.stamp() if at is None else at)
            return info

    def ship(self, tid: str, out_stype: int, out_sid: str) -> dict[str, Any]:
        """The order shipped with this waybill (what logistics.online.confirm does)."""
        info = self.trades[tid]
        now = self.stamp()
        self._set_status(info, "WAIT_BUYER_CONFIRM_GOODS")
        info["order_info"]["consign_time"] = beijing(now)
        self._stamp(info, now)
        self.shipments[tid] = {"out_stype": out_stype, "out_sid": out_sid}
        return info

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Orders placed and moved on now; the affected tids (the other kinds: none here)."""
        with self.lock:
            picked = self._mut_rng.sample(sorted(self.trades), min(orders_updated,
                                                                   len(self.trades)))
            for tid in picked:
                self.touch(tid)
            created = [self.place(self.stamp())["order_info"]["tid"]
                       for _ in range(orders_created)]
            return {"orders_updated": picked, "orders_created": created}

    def place(self, at: int) -> dict[str, Any]:
        """A new unpaid order now; subscribers get ``trade_TradeCreate``."""
        with self.lock:
            info = self._build(len(self.trades), placed=at)
            self._set_status(info, "WAIT_BUYER_PAY")
            info["order_info"]["pay_time"] = ""
            self.trades[info["order_info"]["tid"]] = info
            self.webhooks.emit("trade_TradeCreate", lambda: self.push_message(info))
            return info

    def push_message(self, info: dict[str, Any]) -> dict[str, Any]:
        """``msg`` of a trade message: the order as the list shows it."""
        return {"_id": info["order_info"]["tid"], "_status": info["order_info"]["status"],
                "full_order_info": self.render(info), "order_promotion": {},
                "refund_order": []}

    def render(self, info: dict[str, Any]) -> dict[str, Any]:
        """The order as the API serves it (private keys left out)."""
        return {k: v for k, v in info.items() if not k.startswith("_")}

    def _set_status(self, info: dict[str, Any], status: str) -> None:
        info["order_info"]["status"] = status
        info["order_info"]["status_str"] = STATUS_STR.get(status, status)

    def _stamp(self, info: dict[str, Any], at: int) -> None:
        info["_updated"] = at
        info["order_info"]["update_time"] = beijing(at)

    # --- generation -----------------------------------------------------------------------
    def _build(self, i: int, placed: int | None = None) -> dict[str, Any]:
        r = rng_for(self.key, "trade", i)
        if placed is None:   # in the day before the store opened, up to an hour apart
            placed = self.created_at - 23 * 3600 + r.randrange(22 * 3600)
        updated = placed if placed >= self.created_at else min(
            placed + r.randrange(3600), self.created_at - 600)
        status = weighted(r, STATUSES)
        tid = f"E{beijing(placed).replace('-', '').replace(' ', '').replace(':', '')}" \
              f"{i:06d}{r.randrange(10**4):04d}"
        lines, goods, due = [], 0, 0
        for j in range(1 if r.random() < 0.6 else r.randint(2, 3)):
            index = r.randrange(len(PRODUCTS))
            title, outer, price, prop = PRODUCTS[index]
            item_id = ITEM_BASE + index
            skus = sorted(self.items[item_id]["skus"])
            sku_id = r.choice(skus) if skus else 0
            sku_outer = self.items[item_id]["skus"][sku_id]["outer_sku_id"] if skus else ""
            num = r.choice((1, 1, 1, 2, 3))
            discount = r.choice((0, 0, 0, 500, 1000, price * num // 10))
            total, pay = price * num, price * num - discount
            goods, due = goods + total, due + pay
            lines.append({
                "oid": str(1_480_500_000_000_000_000 + i * 10 + j), "item_id": item_id,
                "sku_id": sku_id, "outer_item_id": outer, "outer_sku_id": sku_outer,
                "title": title, "sku_properties_name": f'[{{"v":"{prop}"}}]' if prop else "[]",
                "num": num, "price": cents(price), "total_fee": cents(total),
                "payment": cents(pay), "discount_price": cents(pay // num), "item_type": 0,
                "is_present": False})
        post = 0 if goods >= 9900 else r.choice((800, 1000))
        payment = due + post
        if i % 17 == 16:
            payment -= 500          # an unitemized shop discount: the parts do not add up
        who = PEOPLE[r.randrange(len(PEOPLE))]
        province, city, district, detail, zip_code = ADDRESSES[r.randrange(len(ADDRESSES))]
        phone = mobile(r)
        encrypted = i % 3 == 1
        paid = status != "WAIT_BUYER_PAY" and not (status == "TRADE_CLOSE" and r.random() < 0.5)
        info: dict[str, Any] = {
            "order_info": {
                "tid": tid, "status": status, "status_str": STATUS_STR[status], "type": 0,
                "created": beijing(placed), "update_time": beijing(updated),
                "pay_time": beijing(placed + 60) if paid else "",
                "consign_time": beijing(placed + 3600) if status in (
                    "WAIT_BUYER_CONFIRM_GOODS", "TRADE_SUCCESS") else "",
                "expired_time": beijing(placed + 3600), "pay_type": 10 if paid else 0,
                "pay_type_str": "WEIXIN_DAIXIAO" if paid else "", "refund_state": 0,
                "close_type": 0, "express_type": 0, "node_kdt_id": self.kdt_id,
                "root_kdt_id": self.kdt_id},
            "buyer_info": {"yz_open_id": f"lDWyZBas{hex128(self.key, 'buyer', who)[:18]}",
                           "buyer_phone": _encrypted(self.key, "tel", i) if encrypted
                           else phone, "fans_type": 1, "outer_user_id": ""},
            "address_info": {
                "receiver_name": _encrypted(self.key, "name", i) if encrypted else who,
                "receiver_tel": _encrypted(self.key, "tel", i) if encrypted else phone,
                "delivery_province": province, "delivery_city": city,
                "delivery_district": district,
                "delivery_address": _encrypted(self.key, "addr", i) if encrypted else detail,
                "delivery_postal_code": zip_code, "self_fetch_info": ""},
            "pay_info": {"total_fee": cents(goods), "payment": cents(payment),
                         "post_fee": cents(post), "outer_transactions": [],
                         "transaction": []},
            "remark_info": {"buyer_message": ""},
            "orders": lines,
            "_updated": updated,
        }
        if status == "TRADE_CLOSE" and paid:
            self._refund(i, info, "SUCCESS", payment, updated)
        elif paid and i % 9 == 4:
            self._refund(i, info, "WAIT_SELLER_AGREE", due // 2, updated)
        return info

    def _refund(self, i: int, info: dict[str, Any], status: str, fen: int, at: int) -> None:
        refund_id = str(uuid.UUID(hex=hex128(self.key, "refund", i)).int % 10**18)
        self.refunds[refund_id] = {
            "refund_id": refund_id, "tid": info["order_info"]["tid"], "status": status,
            "return_goods": False, "reason": 12, "refund_fee": fen / 100,
            "created": beijing(at - 60), "modified": beijing(at), "cs_status": 1,
            "_updated": at}
