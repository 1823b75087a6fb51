"""One Pinduoduo shop as the sandbox simulates it: app credentials, token, orders.

Orders carry the fields of ``pdd.order.number.list.increment.get``'s ``order_sn_list``
(open.pinduoduo.com, 订单增量接口): ``order_sn`` (``yyMMdd-`` and 15 digits), times as
``yyyy-MM-dd HH:mm:ss`` Beijing time, money as yuan text, lines under ``item_list``. The
figures add up as the docs state them:

- ``goods_amount = sum(goods_price x goods_count)``;
- ``discount_amount = platform_discount + seller_discount + capital_free_discount``;
- ``pay_amount = goods_amount - discount_amount + postage``,

except on one order in 17, whose pay_amount is 3 yuan lower than its parts, so that the
hub's adjustment shows. ``receiver_phone`` is plain only while the order waits to be shipped
(``order_status`` 1), masked (``138****1234``) after that, as the docs say; name and address
are masked the same way. Orders are placed in the day before the store was created.

The catalogue: one goods per product (``goods_id`` 300000000 + its index) with one SKU
(``sku_id`` 1100000000 + 10 x its index, ``outer_id`` the product's code), its stock in
``stock``; :meth:`PinduoduoStore.goods` is what ``pdd.goods.list.get`` lists.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from synchub.sandbox.kit.cn_demo import FARM_GOODS
from synchub.sandbox.kit.limits import BanningQuota
from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.seed import hex128, rng_for, weighted
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.times import BEIJING, beijing

# order_status: 1 待发货, 2 已发货待签收, 3 已签收; refund_status 1 无售后, 4 退款成功
STATUSES = ((1, 50), (2, 30), (3, 20))
# logistics_id pdd.logistics.online.send takes here (ids of pdd.logistics.companies.get)
LOGISTICS_IDS = frozenset({1, 44, 85, 115, 118, 121})
UNKNOWN_STATUS = 9                     # served for poisoned orders: no such order_status
PER_MINUTE, BAN_SECONDS = 600, 30      # the sandbox's quota; PDD's are per API and app
PRODUCTS = FARM_GOODS  # title, merchant code, price in fen, spec
PEOPLE = ("周杰", "吴婷", "郑浩", "孙丽", "马超", "朱琳")
ADDRESSES = (  # province, city, town, detail
    ("河南省", "郑州市", "金水区", "花园路 39 号 国贸中心 1806"),
    ("湖北省", "武汉市", "洪山区", "珞喻路 1037 号"),
    ("江苏省", "南京市", "鼓楼区", "中山北路 30 号 3 栋 502"),
    ("重庆", "重庆市", "渝中区", "解放碑步行街 88 号"),
)




def goods_sku(index: int) -> tuple[int, int]:
    """``(goods_id, sku_id)`` of the product at ``index``."""
    return 300_000_000 + index, 1_100_000_000 + index * 10


def mask_phone(phone: str) -> str:
    """``13812341234`` as PDD shows it once shipped: ``138****1234``."""
    return f"{phone[:3]}****{phone[-4:]}"


class PinduoduoStore(BaseStore):
    """One seller: the app's client id and secret, the seller's access token, the orders."""

    system = "pinduoduo"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.currency = "CNY"
        self.client_id = hex128(self.key, "client")[:32]
        self.client_secret = hex128(self.key, "secret")[:32] + hex128(self.key, "s2")[:8]
        self.access_token = hex128(self.key, "token") + hex128(self.key, "t2")[:8]
        self.token_valid = True
        self.bans: list[int] = []          # the next calls refused with a rate-limit error
        self.throttle()
        self.during_read: Any = None       # called (store, page) after a page is served
        self.calls: list[dict[str, str]] = []
        self.created_at = int(time.time())
        self.orders: dict[str, dict[str, Any]] = {}
        # the catalog's stock per (goods_id, sku_id): one SKU per product, as orders name it
        self.stock: dict[tuple[int, int], int] = {goods_sku(k): 0 for k in range(len(PRODUCTS))}
        self.promoted: set[int] = set()     # goods in a promotion slot: no decrease
        self.shipments: list[dict[str, Any]] = []
        poisoned = set(self.poisoned_indexes())
        for i in range(self.volume["orders"]):
            order = self._build(i)
            if i in poisoned:
                order["order_status"] = UNKNOWN_STATUS
            self.orders[order["order_sn"]] = order
        # after-sales (pdd.refund.list.increment.get): one order in six has one on its first
        # item, refunded (10) but one in four still waiting for the seller (2)
        self.refunds: dict[int, dict[str, Any]] = {}
        for i, order in enumerate(list(self.orders.values())):
            if i % 6 == 5:
                self.refund(order["order_sn"], at=order["_updated"] + 60,
                            status=2 if i % 24 == 5 else 10)

    def credentials(self) -> dict[str, str]:
        """The Connection's login (client_id), password (client_secret), extra.session."""
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "access_token": self.access_token}

    def connection(self, url: str) -> dict[str, Any]:
        """The client_id and client_secret as login and password, the token in extra."""
        return {"conn_type": "http", "host": url, "login": self.client_id,
                "password": self.client_secret, "extra": {"session": self.access_token}}

    def counts(self) -> dict[str, int]:
        """Orders."""
        with self.lock:
            return {"orders": len(self.orders)}

    def refund(self, order_sn: str, at: int | None = None, status: int = 10
               ) -> dict[str, Any]:
        """An after-sale refunding an order's first item, whole, updated now (or ``at``)."""
        with self.lock:
            order = self.orders[order_sn]
            item = order["item_list"][0]
            now = self.stamp() if at is None else at
            refund = {"id": 5_100_000_000 + len(self.refunds) * 17, "order_sn": order_sn,
                      "after_sales_status": status, "after_sales_type": 2,
                      "after_sale_reason": "不想要了", "order_amount": order["pay_amount"],
                      "refund_amount": item["goods_price"], "discount_amount": "0.00",
                      "goods_id": item["goods_id"], "sku_id": item["sku_id"],
                      "outer_id": item["outer_id"], "goods_name": item["goods_name"],
                      "goods_price": item["goods_price"], "goods_number": "1",
                      "created_time": beijing(now - 30), "updated_time": beijing(now),
                      "_updated": now}
            self.refunds[refund["id"]] = refund
            return refund

    def refunds_between(self, start: int, end: int, status: int) -> list[dict[str, Any]]:
        """After-sales updated in ``[start, end]`` in this status (1: all), newest first."""
        return sorted((r for r in self.refunds.values() if start <= r["_updated"] <= end
                       and status in (1, r["after_sales_status"])),
                      key=lambda r: (r["_updated"], r["id"]), reverse=True)

    def promote(self, goods_id: int) -> None:
        """Put goods in a promotion slot (资源位): their stock may no longer decrease."""
        with self.lock:
            self.promoted.add(goods_id)

    def goods(self) -> list[dict[str, Any]]:
        """The catalogue as ``pdd.goods.list.get`` lists it: one goods per product, on sale,
        with its one SKU (``sku_quantity`` the stock writes set), in goods_id order."""
        with self.lock:
            out = []
            for k, (title, outer, _price, spec) in enumerate(PRODUCTS):
                goods_id, sku = goods_sku(k)
                quantity = self.stock[(goods_id, sku)]
                out.append({
                    "goods_id": goods_id, "goods_name": title, "goods_quantity": quantity,
                    "goods_reserve_quantity": 0, "is_more_sku": 0, "is_onsale": 1,
                    "image_url": f"https://img.pddpic.com/sandbox/{goods_id}.jpeg",
                    "thumb_url": f"https://img.pddpic.com/sandbox/{goods_id}-thumb.jpeg",
                    "created_at": self.created_at - 30 * 86_400,
                    "sku_list": [{"sku_id": sku, "outer_id": outer,
                                  "outer_goods_id": outer.split("-")[0], "spec": spec,
                                  "sku_quantity": quantity, "reserve_quantity": 0,
                                  "is_sku_onsale": 1}]})
            return out

    def updated_between(self, start: int, end: int) -> list[dict[str, Any]]:
        """Orders updated in ``[start, end]``, newest update first."""
        return sorted((o for o in self.orders.values() if start <= o["_updated"] <= end),
                      key=lambda o: (o["_updated"], o["order_sn"]), reverse=True)

    def throttle(self, per_minute: int = PER_MINUTE, ban_seconds: int = BAN_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Allow ``per_minute`` calls; then refuse for ``ban_seconds``."""
        self.quota = BanningQuota(per_minute, ban_seconds, clock)

    def ban_left(self) -> int | None:
        """None when a call may go; else the whole seconds the refusal still lasts."""
        if self.bans:
            return self.bans.pop(0)
        return self.quota.ban_left() if self.rate_limits else None

    def expire_token(self) -> None:
        """The seller's authorization lapses: every call answers error_code 10019."""
        self.token_valid = False

    def touch(self, order_sn: str, at: int | None = None) -> dict[str, Any]:
        """Ship or deliver an order and stamp its ``updated_at`` now (or ``at``)."""
        with self.lock:
            order = self.orders[order_sn]
            if order["order_status"] in (1, 2):
                order["order_status"] += 1
                order["receiver_phone"] = mask_phone(order["_phone"])
            now = self.stamp() if at is None else at
            order["_updated"], order["updated_at"] = now, beijing(now)
            return order

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Orders placed and moved on now; the affected order_sn (other kinds: none)."""
        with self.lock:
            picked = self._mut_rng.sample(sorted(self.orders), min(orders_updated,
                                                                   len(self.orders)))
            for sn in picked:
                self.touch(sn)
            created = []
            for _ in range(orders_created):
                order = self._build(len(self.orders), placed=self.stamp())
                self.orders[order["order_sn"]] = order
                created.append(order["order_sn"])
            return {"orders_updated": picked, "orders_created": created}

    def place_order(self, outer_id: str, count: int) -> str:
        """A buyer pays now for ``count`` of the catalog SKU whose outer_id is ``outer_id``:
        a one-item order waiting to be shipped (order_status 1); its order_sn."""
        with self.lock:
            k = next(n for n, p in enumerate(PRODUCTS) if p[1] == outer_id)
            title, outer, price, spec = PRODUCTS[k]
            now = self.stamp()
            order = self._build(len(self.orders), placed=now)
            goods = price * count
            postage = 0 if goods >= 2900 else 600
            goods_id, sku = goods_sku(k)
            item = order["item_list"][0]
            item.update(goods_id=goods_id, sku_id=sku, outer_id=outer,
                        outer_goods_id=outer.split("-")[0], goods_name=title,
                        goods_price=cents(price), goods_spec=spec, goods_count=count)
            order.update(item_list=[item], order_status=1, refund_status=1,
                         goods_amount=cents(goods), discount_amount=cents(0),
                         platform_discount=cents(0), seller_discount=cents(0),
                         capital_free_discount=cents(0), postage=cents(postage),
                         pay_amount=cents(goods + postage), updated_at=beijing(now),
                         _updated=now)
            self.orders[order["order_sn"]] = order
            return str(order["order_sn"])

    def _build(self, i: int, placed: int | None = None) -> dict[str, Any]:
        r = rng_for(self.key, "order", i)
        if placed is None:   # in the day before the store opened
            placed = self.created_at - 23 * 3600 + r.randrange(22 * 3600)
        updated = placed if placed >= self.created_at else min(
            placed + r.randrange(3600), self.created_at - 600)
        status = 1 if placed >= self.created_at else weighted(r, STATUSES)
        items, goods = [], 0
        for _ in range(1 if r.random() < 0.7 else 2):
            k = r.randrange(len(PRODUCTS))
            title, outer, price, spec = PRODUCTS[k]
            count = r.choice((1, 1, 2, 3))
            goods += price * count
            goods_id, sku = goods_sku(k)
            items.append({"goods_id": goods_id, "sku_id": sku,
                          "outer_id": outer, "outer_goods_id": outer.split("-")[0],
                          "goods_name": title, "goods_price": cents(price),
                          "goods_spec": spec, "goods_count": count})
        platform = r.choice((0, 0, 100, 300))
        seller = r.choice((0, 0, 200, 500))
        capital_free = 0
        postage = 0 if goods >= 2900 else 600
        pay = goods - platform - seller - capital_free + postage
        if i % 17 == 16:
            pay -= 300               # an unitemized discount: the parts do not add up
        day = datetime.fromtimestamp(placed, BEIJING).strftime("%y%m%d")
        person_ = PEOPLE[r.randrange(len(PEOPLE))]
        province, city, town, detail = ADDRESSES[r.randrange(len(ADDRESSES))]
        phone = f"1{r.choice((35, 37, 50, 88))}{r.randrange(10**8):08d}"
        masked = status != 1
        return {
            "order_sn": f"{day}-{(i * 7_919_113 + r.randrange(10**6)) % 10**15:015d}",
            "order_status": status, "refund_status": 1, "confirm_status": 1,
            "group_status": 1, "trade_type": 0, "is_lucky_flag": 1, "pay_type": "WEIXIN",
            "created_time": beijing(placed), "confirm_time": beijing(placed + 30),
            "pay_time": beijing(placed + 20), "updated_at": beijing(updated),
            "goods_amount": cents(goods), "discount_amount": cents(platform + seller),
            "platform_discount": cents(platform), "seller_discount": cents(seller),
            "capital_free_discount": cents(capital_free), "postage": cents(postage),
            "pay_amount": cents(pay),
            "receiver_name": person_[0] + "**" if masked else person_,
            "receiver_phone": mask_phone(phone) if masked else phone,
            "country": "中国", "province": province, "city": city, "town": town,
            "receiver_address": detail[:2] + "****" if masked else detail,
            "address": province + city + town + (detail[:2] + "****" if masked else detail),
            "item_list": items,
            "_updated": updated, "_phone": phone,
        }
