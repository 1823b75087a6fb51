"""One Weidian shop as the sandbox simulates it: the app, its tokens, orders, catalog.

Orders carry the fields the order APIs show (docs/systems/weidian.md): ``order_id``
(digits), ``status`` (the list's order types: ``unpay``, ``unship``, ``shiped``,
``finish``, ``close``) with ``status_ori`` (10 待付款, 20 待发货, 30 已发货, 50 已完成,
60 已关闭), ``add_time``/``pay_time``/``update_time`` as ``yyyy-MM-dd HH:mm:ss`` Beijing
time, ``buyer_info`` (``name``, ``phone``, ``province``, ``city``, ``region``,
``address``, ``post``), ``items[]`` (``item_id``, ``sku_id`` (0 without SKUs),
``item_name``, ``sku_title``, ``merchant_code``, ``sku_merchant_code``, ``quantity``,
``price``, ``total_price``), ``discount_list[]`` (``discount_type``, ``discount_info``,
``discount_price``), ``express_fee``, ``price`` and ``total`` (yuan text),
``refund_status_ori`` and ``buyer_refund_fee``. The figures add up:

- line ``total_price = price x quantity``;
- order ``price = sum(line total_price) - sum(discount_price)``,
  ``total = price + express_fee``.

Orders closed after payment were refunded in full; one paid order in 9 has part refunded.
The catalog: items ``2000000001 + index``, with SKUs ``90000000 + 100 x index + n`` except
``MOON-8`` and ``BAMBOO-L``, sold without SKUs.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from synchub.sandbox.kit.cn_demo import PEOPLE, PRODUCTS, SKUS_PER_ITEM, SOLD_WITHOUT_SKUS
from synchub.sandbox.kit.limits import BanningQuota
from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.seed import hex128, rng_for, weighted
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.times import beijing

TOKEN_SECONDS = 90_000          # expire_in as Weidian answers it: 25 hours
TOKENS_PER_DAY = 2_000          # token fetches an app may make a day
PER_MINUTE, BAN_SECONDS = 600, 5
STATUSES = (("unpay", 10), ("unship", 40), ("shiped", 25), ("finish", 15), ("close", 10))
STATUS_ORI = {"unpay": 10, "unship": 20, "shiped": 30, "finish": 50, "close": 60}
STATUS_DESC = {"unpay": "待付款", "unship": "待发货", "shiped": "已发货", "finish": "已完成",
               "close": "已关闭"}
NEXT_STATUS = {"unpay": "unship", "unship": "shiped", "shiped": "finish"}
UNKNOWN_STATUS = "frozen_sandbox"          # served for poisoned orders: no such type
ITEM_BASE, SKU_BASE = 2_000_000_001, 90_000_000
ADDRESSES = (  # province, city, region, detail, post
    ("浙江", "杭州", "西湖区", "文三路 478 号 华星时代广场 A 座 1203 室", "310012"),
    ("广东", "深圳", "南山区", "科技园南区 高新南一道 6 号", "518057"),
    ("上海", "上海", "浦东新区", "世纪大道 100 号 35 楼", "200120"),
    ("北京", "北京", "朝阳区", "建国门外大街 1 号 B 座", "100004"),
    ("四川", "成都", "武侯区", "人民南路四段 11 号", "610041"),
)
# Weidian's express companies (vdian.order.expresslist) as the sandbox serves them
EXPRESS = {"1": "顺丰速运", "2": "申通快递", "3": "圆通速递", "4": "中通快递",
           "5": "韵达快递", "6": "EMS", "7": "百世快递", "8": "京东快递", "9": "邮政快递包裹"}


class WeidianStore(BaseStore):
    """One shop: the app's appkey/secret, its tokens, orders and catalog."""

    system = "weidian"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.currency = "CNY"
        self.appkey = str(600_000 + int(hex128(self.key, "appkey")[:5], 16) % 99_999)
        self.secret = hex128(self.key, "secret")
        self.token_seconds = TOKEN_SECONDS
        self.tokens_per_day = TOKENS_PER_DAY
        self.tokens: dict[str, float] = {}          # token -> expiry, epoch seconds
        self.token_days: dict[str, int] = {}        # Beijing day -> token fetches
        self.token_requests = 0
        self.throttle()
        self.limited: list[int] = []                # the next calls refused as too frequent
        self.during_read: Callable[[WeidianStore, int], None] | None = None
        self.calls: list[tuple[str, str, dict[str, Any]]] = []   # method, version, param
        self.created_at = int(time.time())
        self.items: dict[int, dict[str, Any]] = {}
        for index, (title, code, price, sku_title) in enumerate(PRODUCTS):
            skus = {} if code in SOLD_WITHOUT_SKUS else {
                SKU_BASE + 100 * index + n: {
                    "title": sku_title if n == 0 else f"{sku_title} 款{n}",
                    "sku_merchant_code": code if n == 0 else f"{code}-{n:02d}",
                    "stock": 20 + n, "price": cents(price)}
                for n in range(SKUS_PER_ITEM)}
            self.items[ITEM_BASE + index] = {
                "itemid": str(ITEM_BASE + index), "item_name": title, "merchant_code": code,
                "price": cents(price), "stock": 0 if skus else 40, "skus": skus,
                "_updated": self.created_at - 7200}
        self.shipments: dict[str, dict[str, Any]] = {}   # order_id -> the waybill sent
        self.orders_by_id: dict[str, dict[str, Any]] = {}
        poisoned = set(self.poisoned_indexes())
        for i in range(self.volume["orders"]):
            order = self._build(i)
            if i in poisoned:
                order["status"] = UNKNOWN_STATUS
            self.orders_by_id[order["order_id"]] = order

    # --- what the API reads ---------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """The Connection's login (appkey) and password (secret)."""
        return {"appkey": self.appkey, "secret": self.secret}

    def connection(self, url: str) -> dict[str, Any]:
        """The app's appkey as login, its secret as password."""
        return {"conn_type": "http", "host": url, "login": self.appkey, "password": self.secret}

    def counts(self) -> dict[str, int]:
        """Orders, items and SKU listings."""
        with self.lock:
            return {"orders": len(self.orders_by_id), "items": len(self.items),
                    "listings": sum(max(1, len(i["skus"])) for i in self.items.values())}

    def updated_between(self, start: int, end: int) -> list[dict[str, Any]]:
        """Orders updated in ``[start, end]``, newest update first."""
        return sorted((o for o in self.orders_by_id.values() if start <= o["_updated"] <= end),
                      key=lambda o: (o["_updated"], o["order_id"]), reverse=True)

    def stock(self, item_id: int, sku_id: int | None = None) -> int | None:
        """What the shop shows: one SKU's stock, or the item's."""
        with self.lock:
            item = self.items.get(item_id)
            if item is None:
                return None
            if sku_id is None:
                return int(item["stock"])
            sku = item["skus"].get(sku_id)
            return None if sku is None else int(sku["stock"])

    def render(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order as the API serves it (private keys left out)."""
        return {k: v for k, v in order.items() if not k.startswith("_")}

    # --- tokens ---------------------------------------------------------------------------
    def issue_token(self) -> str | None:
        """A new token, or None when today's fetches are used up (Beijing day)."""
        day = beijing(int(time.time()))[:10]
        if self.token_days.get(day, 0) >= self.tokens_per_day:
            return None
        self.token_days[day] = self.token_days.get(day, 0) + 1
        token = secrets.token_hex(21)
        self.tokens[token] = time.time() + self.token_seconds
        self.token_requests += 1
        return token

    def token_state(self, token: str) -> str:
        """``valid``, ``expired`` or ``invalid`` (never issued here, or revoked)."""
        expires = self.tokens.get(token)
        if expires is None:
            return "invalid"
        return "valid" if time.time() < expires else "expired"

    def expire_tokens(self) -> None:
        """Every token issued so far lapses now (the next call needs a new one)."""
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def revoke_tokens(self) -> None:
        """Every token issued so far is refused long before its expiry."""
        with self.lock:
            self.tokens.clear()

    # --- the call quota -------------------------------------------------------------------
    def throttle(self, per_minute: int = PER_MINUTE, ban_seconds: int = BAN_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Allow ``per_minute`` calls, then refuse calls for ``ban_seconds``."""
        self.quota = BanningQuota(per_minute, ban_seconds, clock)

    def over_quota(self) -> bool:
        """Whether this call is refused as too frequent."""
        if self.limited:
            self.limited.pop(0)
            return True
        return bool(self.rate_limits) and self.quota.ban_left() is not None

    # --- changes --------------------------------------------------------------------------
    def touch(self, order_id: str, at: int | None = None) -> dict[str, Any]:
        """Move an order on (pay, ship, finish) and stamp its update time now (or ``at``)."""
        with self.lock:
            order = self.orders_by_id[order_id]
            status = NEXT_STATUS.get(order["status"])
            if status is not None:
                self._set_status(order, status)
                if status == "unship":
                    order["pay_time"] = beijing(self.stamp())
            self._stamp(order, self.stamp() if at is None else at)
            return order

    def ship(self, order_id: str, express_type: str, express_no: str) -> dict[str, Any]:
        """The order shipped with this waybill (what vdian.order.deliver does)."""
        order = self.orders_by_id[order_id]
        now = self.stamp()
        self._set_status(order, "shiped")
        order["send_time"] = beijing(now)
        order["express_no"], order["express_type"] = express_no, express_type
        self._stamp(order, now)
        self.shipments[order_id] = {"express_type": express_type, "express_no": express_no}
        return order

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Orders placed and moved on now; the affected order ids."""
        with self.lock:
            picked = self._mut_rng.sample(sorted(self.orders_by_id),
                                          min(orders_updated, len(self.orders_by_id)))
            for order_id in picked:
                self.touch(order_id)
            created = []
            for _ in range(orders_created):
                order = self._build(len(self.orders_by_id), placed=self.stamp())
                self.orders_by_id[order["order_id"]] = order
                created.append(order["order_id"])
            return {"orders_updated": picked, "orders_created": created}

    def _set_status(self, order: dict[str, Any], status: str) -> None:
        order["status"] = status
        order["status_ori"] = STATUS_ORI.get(status, 0)
        order["status_desc"] = STATUS_DESC.get(status, status)

    def _stamp(self, order: dict[str, Any], at: int) -> None:
        order["_updated"] = at
        order["update_time"] = beijing(at)

    # --- generation -----------------------------------------------------------------------
    def _build(self, i: int, placed: int | None = None) -> dict[str, Any]:
        r = rng_for(self.key, "order", i)
        fresh = placed is not None
        if placed is None:   # in the day before the store opened
            placed = self.created_at - 23 * 3600 + r.randrange(22 * 3600)
        updated = placed if placed >= self.created_at else min(
            placed + r.randrange(3600), self.created_at - 600)
        status = "unpay" if fresh else weighted(r, STATUSES)
        lines, goods = [], 0
        for j in range(1 if r.random() < 0.6 else r.randint(2, 3)):
            index = r.randrange(len(PRODUCTS))
            title, code, price, _sku_title = PRODUCTS[index]
            item_id = ITEM_BASE + index
            skus = self.items[item_id]["skus"]
            sku_id = r.choice(sorted(skus)) if skus else 0
            quantity = r.choice((1, 1, 1, 2, 3))
            goods += price * quantity
            lines.append({
                "item_id": str(item_id), "sku_id": str(sku_id), "item_name": title,
                "sku_title": skus[sku_id]["title"] if skus else "",
                "merchant_code": code,
                "sku_merchant_code": skus[sku_id]["sku_merchant_code"] if skus else "",
                "quantity": str(quantity), "price": cents(price),
                "total_price": cents(price * quantity),
                "sub_order_id": str(8_800_000_000 + i * 10 + j)})
        offs: list[tuple[str, str, int]] = []     # type, info, fen
        if r.random() < 0.4:
            off = r.choice((500, 1000, 2000))
            offs.append(("coupon", f"店铺优惠券 满减{off // 100}元", off))
        if r.random() < 0.2:
            offs.append(("vip", "会员95折", goods // 20))
        discounts = [{"discount_type": t, "discount_info": info, "discount_price": cents(fen)}
                     for t, info, fen in offs]
        discount = sum(fen for _t, _info, fen in offs)
        post = 0 if goods >= 9900 else r.choice((800, 1000))
        price = goods - discount
        total = price + post
        who = PEOPLE[r.randrange(len(PEOPLE))]
        province, city, region, detail, post_code = ADDRESSES[r.randrange(len(ADDRESSES))]
        phone = f"1{r.choice((38, 39, 58, 86))}{r.randrange(10**8):08d}"
        paid = status not in ("unpay",) and not (status == "close" and r.random() < 0.5)
        refunded = total if status == "close" and paid else (
            goods // 4 if paid and i % 9 == 4 else 0)
        order: dict[str, Any] = {
            "order_id": str(790_000_000_000 + int(hex128(self.key, "oid", i)[:8], 16) % 10**9
                            * 10 + i % 10),
            "add_time": beijing(placed), "update_time": beijing(updated),
            "pay_time": beijing(placed + 60) if paid else "",
            "send_time": beijing(placed + 3600) if status in ("shiped", "finish") else "",
            "pay_type": "微信支付" if paid else "", "buyer_note": "",
            "user_phone": phone, "buyer_info": {
                "buyer_id": str(1_200_000_000 + int(hex128(self.key, "buyer", who)[:6], 16)),
                "name": who, "phone": phone, "province": province, "city": city,
                "region": region, "address": detail, "post": post_code},
            "items": lines, "discount_list": discounts,
            "express_fee": cents(post), "price": cents(price), "total": cents(total),
            "refund_status_ori": 2 if refunded else 0, "buyer_refund_fee": cents(refunded),
            "_updated": updated,
        }
        self._set_status(order, status)
        return order
