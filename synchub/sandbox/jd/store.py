"""One JD (京东) POP shop as the sandbox simulates it: app credentials, token, orders.

Orders carry the fields of ``jingdong.pop.order.search``'s ``orderInfoList`` (jos.jd.com,
API 文档 "订单检索"): ``orderId`` (digits), times as ``yyyy-MM-dd HH:mm:ss`` Beijing time,
money as yuan text, items under ``itemInfoList``, the consignee under ``consigneeInfo``
(masked: ``张*``, ``138****1234``, the detail with ``*``). The figures add up:

- ``orderTotalPrice = sum(jdPrice x itemTotal)``;
- ``orderPayment = orderTotalPrice - sellerDiscount + freightPrice``,

except on one order in 17, whose payment is 10 yuan lower than its parts (a JD coupon not
itemized in the answer), so that the hub's adjustment shows. Orders are placed in the day
before the store was created.

The catalogue: one ware per product (``wareId`` 10000800000 + its index) with one SKU
(``skuId`` 100012000000 + its index, ``outerId`` the product's code), its stock in
``stock``; :meth:`JdStore.skus` is what ``jingdong.sku.read.searchSkuList`` lists.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from synchub.sandbox.kit.cn_demo import GROCERIES
from synchub.sandbox.kit.limits import BanningQuota
from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.seed import hex128, rng_for, weighted
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.times import beijing

STATES = (("WAIT_SELLER_STOCK_OUT", 45), ("WAIT_GOODS_RECEIVE_CONFIRM", 30),
          ("FINISHED_L", 20), ("TRADE_CANCELED", 5))
NEXT_STATE = {"WAIT_SELLER_STOCK_OUT": "WAIT_GOODS_RECEIVE_CONFIRM",
              "WAIT_GOODS_RECEIVE_CONFIRM": "FINISHED_L"}
# the carriers' logiCoprId jingdong.pop.order.shipment takes here (the seller's 签约承运商)
CARRIERS = frozenset({"463", "465", "467", "470", "1327", "1499", "2087", "3046"})
UNKNOWN_STATE = "SANDBOX_FROZEN"      # served for poisoned orders: no such orderState
PER_MINUTE, BAN_SECONDS = 600, 30     # the sandbox's quota
PRODUCTS = GROCERIES  # title, merchant code, price in fen
PEOPLE = ("刘强", "陈晨", "杨洋", "黄丽", "林峰")
ADDRESSES = (  # province, city, county, town, detail
    ("北京", "北京市", "大兴区", "亦庄地区", "科创十一街 18 号院"),
    ("广东", "广州市", "天河区", "珠江新城", "花城大道 85 号 高德置地广场"),
    ("浙江", "宁波市", "鄞州区", "首南街道", "天童南路 588 号"),
)





def sku_id(index: int) -> str:
    """The JD skuId of the product at ``index``."""
    return str(100_012_000_000 + index)


def ware_id(index: int) -> str:
    """The JD wareId (商品) of the product at ``index``: one SKU each here."""
    return str(10_000_800_000 + index)


class JdStore(BaseStore):
    """One POP seller: the app's key and secret, the seller's access_token, the orders."""

    system = "jd"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.currency = "CNY"
        self.app_key = hex128(self.key, "app")[:32].upper()
        self.app_secret = hex128(self.key, "secret")[:32]
        self.access_token = hex128(self.key, "token")[:32]
        self.token_valid = True
        self.vender_id = 10_000 + int(hex128(self.key, "vender")[:4], 16)
        self.bans: list[int] = []
        self.throttle()
        self.during_read: Any = None       # called (store, page) after a page is served
        self.calls: list[dict[str, str]] = []
        self.created_at = int(time.time())
        self.orders: dict[str, dict[str, Any]] = {}
        # the catalog's stock per skuId (the products' SKUs, as the orders name them)
        self.stock: dict[str, int] = {sku_id(k): 0 for k in range(len(PRODUCTS))}
        # when each SKU last changed (a stock write stamps it): searchSkuList's modified
        self.sku_modified: dict[str, int] = dict.fromkeys(self.stock, self.created_at - 7 * 86_400)
        self.stock_refusals: dict[str, tuple[str, str]] = {}
        self.shipments: list[dict[str, Any]] = []
        self.refunds: dict[str, dict[str, Any]] = {}
        poisoned = set(self.poisoned_indexes())
        for i in range(self.volume["orders"]):
            order = self._build(i)
            if i in poisoned:
                order["orderState"] = UNKNOWN_STATE
            self.orders[order["orderId"]] = order
        # refund applications (退款审核单): one order in six, approved (1) but one in four
        # refused (2)
        for i, oid in enumerate(list(self.orders)):
            if i % 6 == 5:
                self.refund(oid, at=self.orders[oid]["_modified"] + 60,
                            status="2" if i % 24 == 5 else "1")

    def credentials(self) -> dict[str, str]:
        """The Connection's login (app_key), password (app_secret), extra.session."""
        return {"app_key": self.app_key, "app_secret": self.app_secret,
                "access_token": self.access_token}

    def connection(self, url: str) -> dict[str, Any]:
        """The app_key and app_secret as login and password, the access token in extra."""
        return {"conn_type": "http", "host": url, "login": self.app_key,
                "password": self.app_secret, "extra": {"session": self.access_token}}

    def counts(self) -> dict[str, int]:
        """Orders."""
        with self.lock:
            return {"orders": len(self.orders)}

    def refund(self, order_id: str, at: int | None = None, status: str = "1"
               ) -> dict[str, Any]:
        """A refund application for the whole order, checked now (or ``at``)."""
        with self.lock:
            order = self.orders[order_id]
            now = self.stamp() if at is None else at
            refund = {"id": str(1_038_000 + len(self.refunds)), "orderId": order_id,
                      "buyerId": order["open_id_buyer"][:8] + "****",
                      "buyerName": order["consigneeInfo"]["fullname"],
                      "applyTime": beijing(now - 600), "checkTime": beijing(now),
                      "applyRefundSum": str(int(order["orderPayment"].replace(".", ""))),
                      "status": status, "checkUserName": "店铺客服", "reason": "不想买了",
                      "checkRemark": "", "_checked": now}
            self.refunds[refund["id"]] = refund
            return refund

    def skus(self) -> list[dict[str, Any]]:
        """The catalogue's SKUs as ``jingdong.sku.read.searchSkuList`` shows them (every
        field), in skuId order; all on sale (status 1)."""
        with self.lock:
            return [{"skuId": int(sku_id(k)), "wareId": int(ware_id(k)), "outerId": outer,
                     "skuName": title, "jdPrice": cents(price), "status": 1,
                     "stockNum": self.stock[sku_id(k)],
                     "created": beijing(self.created_at - 30 * 86_400),
                     "modified": beijing(self.sku_modified[sku_id(k)])}
                    for k, (title, outer, price) in enumerate(PRODUCTS)]

    def set_stock(self, sku: str, quantity: int) -> None:
        """A SKU's stock set now (``jingdong.stock.write.updateSkuStock``)."""
        with self.lock:
            self.stock[sku] = quantity
            self.sku_modified[sku] = self.stamp_shared()

    def refuse_sku(self, sku: str, code: str, zh_desc: str) -> None:
        """Make every stock write of a SKU answer this refusal."""
        with self.lock:
            self.stock_refusals[sku] = (code, zh_desc)

    def modified_between(self, start: int, end: int, states: set[str]) -> list[dict[str, Any]]:
        """Orders in these states modified in ``[start, end]``, newest first."""
        return sorted((o for o in self.orders.values()
                       if start <= o["_modified"] <= end and o["orderState"] in states),
                      key=lambda o: (o["_modified"], o["orderId"]), reverse=True)

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
        """The seller's authorization lapses: every call answers code 19."""
        self.token_valid = False

    def touch(self, order_id: str, at: int | None = None) -> dict[str, Any]:
        """Ship or confirm an order and stamp its ``modified`` now (or ``at``)."""
        with self.lock:
            order = self.orders[order_id]
            state = NEXT_STATE.get(order["orderState"])
            if state is not None:
                order["orderState"] = state
            now = self.stamp() if at is None else at
            order["_modified"], order["modified"] = now, beijing(now)
            return order

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Orders placed and moved on now; the affected orderIds (other kinds: none)."""
        with self.lock:
            picked = self._mut_rng.sample(sorted(self.orders), min(orders_updated,
                                                                   len(self.orders)))
            for oid in picked:
                self.touch(oid)
            created = []
            for _ in range(orders_created):
                order = self._build(len(self.orders), placed=self.stamp())
                self.orders[order["orderId"]] = order
                created.append(order["orderId"])
            return {"orders_updated": picked, "orders_created": created}

    def place_order(self, outer_sku_id: str, count: int) -> str:
        """A buyer pays now for ``count`` of the catalog SKU whose outerSkuId is
        ``outer_sku_id``: a one-item order waiting to be shipped; its orderId."""
        with self.lock:
            k = next(n for n, p in enumerate(PRODUCTS) if p[1] == outer_sku_id)
            title, outer, price = PRODUCTS[k]
            now = self.stamp()
            order = self._build(len(self.orders), placed=now)
            goods = price * count
            freight = 0 if goods >= 9900 else 600
            item = order["itemInfoList"][0]
            item.update(skuId=sku_id(k), outerSkuId=outer, skuName=title, jdPrice=cents(price),
                        itemTotal=str(count), wareId=ware_id(k), productNo=outer)
            order.update(itemInfoList=[item], orderState="WAIT_SELLER_STOCK_OUT",
                         orderTotalPrice=cents(goods), orderSellerPrice=cents(goods),
                         orderPayment=cents(goods + freight), freightPrice=cents(freight),
                         sellerDiscount=cents(0), modified=beijing(now), _modified=now)
            self.orders[order["orderId"]] = order
            return str(order["orderId"])

    def _build(self, i: int, placed: int | None = None) -> dict[str, Any]:
        r = rng_for(self.key, "order", i)
        if placed is None:
            placed = self.created_at - 23 * 3600 + r.randrange(22 * 3600)
        modified = placed if placed >= self.created_at else min(
            placed + r.randrange(3600), self.created_at - 600)
        state = "WAIT_SELLER_STOCK_OUT" if placed >= self.created_at else weighted(r, STATES)
        items, goods = [], 0
        for _ in range(1 if r.random() < 0.7 else 2):
            k = r.randrange(len(PRODUCTS))
            title, outer, price = PRODUCTS[k]
            count = r.choice((1, 1, 2))
            goods += price * count
            items.append({"skuId": sku_id(k), "outerSkuId": outer,
                          "skuName": title, "jdPrice": cents(price), "itemTotal": str(count),
                          "wareId": ware_id(k), "productNo": outer,
                          "giftPoint": "0"})
        seller = r.choice((0, 0, 1000, 2000))
        freight = 0 if goods >= 9900 else 600
        payment = goods - seller + freight
        if i % 17 == 16:
            payment -= 1000          # a JD coupon not itemized: the parts do not add up
        person_ = PEOPLE[r.randrange(len(PEOPLE))]
        province, city, county, town, detail = ADDRESSES[r.randrange(len(ADDRESSES))]
        mobile = f"1{r.choice((36, 39, 52, 87))}{r.randrange(10**8):08d}"
        return {
            "orderId": str(290_000_000_000 + i * 104_729 + r.randrange(104_729)),
            "venderId": str(self.vender_id), "orderType": "22", "payType": "4-在线支付",
            "orderState": state, "orderStateRemark": "",
            "orderTotalPrice": cents(goods), "orderSellerPrice": cents(goods - seller),
            "orderPayment": cents(payment), "freightPrice": cents(freight),
            "sellerDiscount": cents(seller),
            "orderStartTime": beijing(placed), "paymentConfirmTime": beijing(placed + 30),
            "modified": beijing(modified),
            "consigneeInfo": {
                "fullname": person_[0] + "*", "mobile": f"{mobile[:3]}****{mobile[-4:]}",
                "telephone": "", "province": province, "city": city, "county": county,
                "town": town, "fullAddress": f"{province}{city}{county}{town}{detail[:2]}***"},
            "itemInfoList": items,
            "open_id_buyer": f"jd_{hex128(self.key, 'buyer', person_)[:20]}",
            "_modified": modified,
        }
