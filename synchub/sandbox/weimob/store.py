"""One Weimob shop as the sandbox simulates it: the app, tokens, orders, rights, goods.

Orders carry the fields the official SDK's ``weimob_shop/order/list/search`` and
``order/detail/get`` models name: ``orderInfo.orderBaseInfo`` (``orderNo``, ``orderStatus``,
``payStatus``, times in epoch milliseconds), ``buyerInfo`` (``wid``, ``userNickName``),
``merchantInfo`` (``bosId``, ``vid``), ``items[]`` (``itemId``, ``goodsId``, ``skuId``,
``skuCode``, ``goodsTitle``, ``skuNum``, ``salePrice`` and the line's ``payInfo``),
``payInfo`` (``totalAmount``, ``totalDiscountAmount``, ``payAmount``, ``amountInfos`` with
the freight, ``payItems``), ``discountInfos`` and ``orderFulfill.receiverInfo``; amounts
are yuan text. The figures add up:

- line ``payInfo.totalAmount = salePrice x skuNum``, ``payAmount = totalAmount -
  totalDiscountAmount``;
- order ``payInfo.totalAmount = sum(line totalAmount)``, ``totalDiscountAmount = sum(line
  discounts) + the order's own discount``, ``payAmount = totalAmount - totalDiscountAmount
  + freight``,

except on one order in 17, whose ``payAmount`` is 5 yuan lower (points spent, 积分抵扣, not
itemized) so that the hub's adjustment shows. Orders are placed in the day before the store
was created (Beijing day and night alike), updated after that. Orders cancelled after
payment have a finished right (refund) of the payment; one paid order in 9 has a right
waiting for the merchant.

Goods: ``goodsId`` ``100062025000837 + 1000 x index``, every goods with at least one SKU
(``skuId`` ``20000000000 + 100 x index + n``; codes ``LJ-250``, ``LJ-250-01``...), the
products of :mod:`synchub.sandbox.kit.cn_demo`.

The status codes are the sandbox's reading (docs/systems/weimob.md): ``orderStatus`` 0 待支付,
1 待发货, 2 已发货, 3 已完成, 4 已取消; ``rightsStatus`` 1 待商家处理, 3 退款中, 5 已完成, 6 已关闭.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from synchub.sandbox.kit.auth import IssuedTokens
from synchub.sandbox.kit.cn_demo import ADDRESSES, PEOPLE, PRODUCTS, mobile
from synchub.sandbox.kit.limits import CallQuota
from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.seed import hex128, rng_for, weighted
from synchub.sandbox.kit.store import BaseStore

TOKEN_SECONDS = 7200                # an access token, as the sandbox issues it
REFRESH_SECONDS = 30 * 86_400       # a refresh token (authorization-code grant)
PENDING, TO_SHIP, SHIPPED, DONE, CANCELLED = 0, 1, 2, 3, 4
STATUSES = ((PENDING, 10), (TO_SHIP, 40), (SHIPPED, 25), (DONE, 15), (CANCELLED, 10))
NEXT_STATUS = {PENDING: TO_SHIP, TO_SHIP: SHIPPED, SHIPPED: DONE}
UNKNOWN_STATUS = 99                 # served for poisoned orders: no such status
RIGHTS_WAITING, RIGHTS_DONE = 1, 5
FREIGHT = 2                         # the amountInfos type of the freight (sandbox's choice)
SKUS_PER_GOODS = 3
PLAIN = frozenset({"MOON-8", "BAMBOO-L"})      # single-spec goods: one SKU
GOODS_BASE, SKU_BASE, ORDER_BASE = 100_062_025_000_837, 20_000_000_000, 30_250_000_000_000
# express companies the sandbox knows (code -> name), as fulfill/logistics/update takes them
EXPRESS = {"shunfeng": "顺丰速运", "zhongtong": "中通快递", "yuantong": "圆通速递",
           "shentong": "申通快递", "yunda": "韵达快递", "ems": "EMS", "jd": "京东快递",
           "huitongkuaidi": "百世快递", "youzhengguonei": "邮政快递包裹"}


def ms(ts: int) -> int:
    """Epoch seconds as Weimob's epoch milliseconds."""
    return ts * 1000


class WeimobStore(BaseStore, IssuedTokens, CallQuota):
    """One shop: the app's client_id/secret, the shop (bosId) and store (vid), tokens,
    orders, rights, goods and their stock."""

    system = "weimob"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.currency = "CNY"
        self.client_id = hex128(self.key, "client")[:32].upper()
        self.client_secret = hex128(self.key, "client-secret")[:32].upper()
        self.shop_id = 4_020_000_000_000 + int(hex128(self.key, "bos")[:8], 16) % 10**9
        self.shop_type = "business_operation_system_id"
        self.vid = 6_000_000_000_000 + int(hex128(self.key, "vid")[:8], 16) % 10**9
        self.redirect_uri = "https://hub.example/weimob/callback"
        self.init_tokens(TOKEN_SECONDS)
        self.refresh_seconds = REFRESH_SECONDS
        self.refresh_tokens: dict[str, float] = {}    # live refresh token -> expiry
        self.codes: set[str] = set()                  # authorization codes not yet traded
        self.token_requests: list[str] = []           # the grant of each token issued
        self.init_quota()
        self.list_without_items = False               # the list leaves lines to the detail
        self.during_read: Callable[[WeimobStore, int], None] | None = None
        self.calls: list[tuple[str, dict[str, Any]]] = []   # action, body
        self.created_at = int(time.time())
        self.goods: dict[int, dict[str, Any]] = {}
        for index, (title, outer, price, prop) in enumerate(PRODUCTS):
            count = 1 if outer in PLAIN else SKUS_PER_GOODS
            skus = {SKU_BASE + 100 * index + n: {
                "skuCode": outer if n == 0 else f"{outer}-{n:02d}", "stock": 0,
                "attr": prop} for n in range(count)}
            self.goods[GOODS_BASE + 1000 * index] = {"title": title, "code": outer,
                                                     "price": price, "skus": skus}
        self.sku_refusals: dict[int, str] = {}        # skuId -> the failList message
        self.shipments: dict[int, dict[str, Any]] = {}
        self.orders_by_no: dict[int, dict[str, Any]] = {}
        self.rights: dict[int, dict[str, Any]] = {}
        poisoned = set(self.poisoned_indexes())
        for i in range(self.volume["orders"]):
            order = self._build(i)
            if i in poisoned:
                order["orderInfo"]["orderBaseInfo"]["orderStatus"] = UNKNOWN_STATUS
            self.orders_by_no[self._no(order)] = order

    # --- what the API reads ---------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """The Connection's login (client_id), password (client_secret), extra shop_id,
        shop_type and vid."""
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "shop_id": str(self.shop_id), "shop_type": self.shop_type,
                "vid": str(self.vid)}

    def connection(self, url: str) -> dict[str, Any]:
        """The app's client_id and client_secret; the shop, its type and the store (vid)."""
        return {"conn_type": "http", "host": url, "login": self.client_id,
                "password": self.client_secret,
                "extra": {"shop_id": str(self.shop_id), "shop_type": self.shop_type,
                          "vid": str(self.vid)}}

    def counts(self) -> dict[str, int]:
        """Orders, finished rights (refunds) and SKUs."""
        with self.lock:
            return {"orders": len(self.orders_by_no),
                    "refunds": sum(1 for r in self.rights.values()
                                   if r["rightsOrder"]["rightsStatus"] == RIGHTS_DONE),
                    "skus": sum(len(g["skus"]) for g in self.goods.values())}

    def orders_between(self, kind: int, start: int, end: int) -> list[dict[str, Any]]:
        """Orders whose creation (``kind`` 1) or update (2) time in ms is in [start, end],
        newest first."""
        field = "createTime" if kind == 1 else "updateTime"
        rows = [o for o in self.orders_by_no.values()
                if start <= o["orderInfo"]["orderBaseInfo"][field] <= end]
        return sorted(rows, key=lambda o: (o["orderInfo"]["orderBaseInfo"][field],
                                           self._no(o)), reverse=True)

    def stock(self, goods_id: int, sku_id: int) -> int | None:
        """What the shop shows for one SKU."""
        with self.lock:
            sku = self.goods.get(goods_id, {}).get("skus", {}).get(sku_id)
            return None if sku is None else int(sku["stock"])

    def refuse_sku(self, sku_id: int, message: str) -> None:
        """Make every stock write of a SKU come back in failList with this message."""
        with self.lock:
            self.sku_refusals[sku_id] = message

    # --- tokens ---------------------------------------------------------------------------
    def issue_code(self) -> str:
        """An authorization code, as the redirect after the merchant's consent carries it."""
        with self.lock:
            code = secrets.token_hex(8)
            self.codes.add(code)
            return code

    def issue_token(self, grant: str, *, refresh: bool) -> dict[str, Any]:
        """A new access token (and refresh token when ``refresh``), as the endpoint answers."""
        token, _expires = self.mint_token()
        self.token_requests.append(grant)
        body: dict[str, Any] = {
            "access_token": token, "token_type": "bearer", "expires_in": self.token_seconds,
            "scope": "default", "business_id": str(self.shop_id),
            "public_account_id": str(self.shop_id), "business_operation_system_id":
                str(self.shop_id)}
        if refresh:
            new = secrets.token_hex(16)
            self.refresh_tokens[new] = time.time() + self.refresh_seconds
            body.update(refresh_token=new, refresh_token_expires_in=self.refresh_seconds)
        return body

    # --- changes --------------------------------------------------------------------------
    def touch(self, order_no: int, at: int | None = None) -> dict[str, Any]:
        """Move an order on (pay, ship, finish) and stamp its update time now (or ``at``)."""
        with self.lock:
            order = self.orders_by_no[order_no]
            base = order["orderInfo"]["orderBaseInfo"]
            status = NEXT_STATUS.get(base["orderStatus"])
            now = self.stamp() if at is None else at
            if status is not None:
                base["orderStatus"] = status
                if status == TO_SHIP:
                    base["payStatus"], base["payTime"] = 2, ms(now)
            base["updateTime"] = ms(now)
            return order

    def ship(self, order_no: int, code: str, number: str) -> dict[str, Any]:
        """The order shipped with this waybill (what fulfill/logistics/update does)."""
        order = self.orders_by_no[order_no]
        now = self.stamp()
        base = order["orderInfo"]["orderBaseInfo"]
        base["orderStatus"], base["updateTime"] = SHIPPED, ms(now)
        order["fulfillOrderList"] = [{"fulfillNo": order_no * 10 + 1, "orderNo": order_no,
                                      "fulfillStatus": 2, "deliveryTime": ms(now),
                                      "deliveryInfo": {"companyCode": code,
                                                       "companyName": EXPRESS[code],
                                                       "number": number}}]
        self.shipments[order_no] = {"code": code, "number": number}
        return order

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Orders placed and moved on now; the affected order numbers."""
        with self.lock:
            picked = self._mut_rng.sample(sorted(self.orders_by_no),
                                          min(orders_updated, len(self.orders_by_no)))
            for no in picked:
                self.touch(no)
            created = [self._no(self.place(self.stamp())) for _ in range(orders_created)]
            return {"orders_updated": picked, "orders_created": created}

    def place(self, at: int) -> dict[str, Any]:
        """A new unpaid order now."""
        with self.lock:
            order = self._build(len(self.orders_by_no), placed=at, status=PENDING)
            self.orders_by_no[self._no(order)] = order
            return order

    def render(self, order: dict[str, Any], *, with_items: bool = True) -> dict[str, Any]:
        """The order as the API serves it (the list may leave the lines out)."""
        info = {k: v for k, v in order["orderInfo"].items() if with_items or k != "items"}
        return {"orderInfo": info, "rightsInfos": order["rightsInfos"],
                "fulfillOrderList": order["fulfillOrderList"]}

    @staticmethod
    def _no(order: dict[str, Any]) -> int:
        return int(order["orderInfo"]["orderBaseInfo"]["orderNo"])

    # --- generation -----------------------------------------------------------------------
    def _build(self, i: int, placed: int | None = None,
               status: int | None = None) -> dict[str, Any]:
        r = rng_for(self.key, "order", i)
        if placed is None:   # in the day before the store opened
            placed = self.created_at - 23 * 3600 + r.randrange(22 * 3600)
        updated = placed if placed >= self.created_at else min(
            placed + r.randrange(3600), self.created_at - 600)
        drawn = weighted(r, STATUSES)
        status = drawn if status is None else status
        order_no = ORDER_BASE + i * 1000 + r.randrange(1000)
        items, goods_total, line_discounts = [], 0, 0
        for j in range(1 if r.random() < 0.6 else r.randint(2, 3)):
            index = r.randrange(len(PRODUCTS))
            goods_id = GOODS_BASE + 1000 * index
            g = self.goods[goods_id]
            sku_id = r.choice(sorted(g["skus"]))
            num = r.choice((1, 1, 1, 2, 3))
            discount = r.choice((0, 0, 0, 500, 1000, g["price"] * num // 10))
            total = g["price"] * num
            goods_total, line_discounts = goods_total + total, line_discounts + discount
            items.append({
                "itemId": order_no * 10 + j, "goodsId": goods_id, "skuId": sku_id,
                "goodsTitle": g["title"], "goodsCode": g["code"],
                "skuCode": g["skus"][sku_id]["skuCode"], "skuAttrInfo": g["skus"][sku_id]["attr"],
                "skuNum": str(num), "salePrice": cents(g["price"]), "goodsType": 1,
                "payInfo": {"totalAmount": cents(total), "totalDiscountAmount": cents(discount),
                            "shouldPayAmount": cents(total - discount),
                            "payAmount": cents(total - discount)},
                "discountInfos": [{"discountType": 1, "name": "限时折扣",
                                   "discountAmount": cents(discount)}] if discount else [],
                "itemBizExt": {"outerGoodsId": g["code"],
                               "outerSkuId": g["skus"][sku_id]["skuCode"]}})
        shop_discount = 1000 if goods_total >= 50000 and i % 4 == 0 else 0
        freight = 0 if goods_total >= 9900 else r.choice((800, 1000))
        discount_total = line_discounts + shop_discount
        payment = goods_total - discount_total + freight
        points = 500 if i % 17 == 16 else 0          # not itemized: the parts do not add up
        payment -= points
        who = PEOPLE[r.randrange(len(PEOPLE))]
        province, city, county, detail, zip_code = ADDRESSES[r.randrange(len(ADDRESSES))]
        phone = mobile(r)
        paid = status in (TO_SHIP, SHIPPED, DONE) or (status == CANCELLED and r.random() < 0.5)
        base = {"orderNo": order_no, "orderStatus": status, "payStatus": 2 if paid else 0,
                "orderType": 1, "channelType": 0, "deliveryType": 1,
                "createTime": ms(placed), "updateTime": ms(updated),
                "payTime": ms(placed + 60) if paid else 0,
                "finishTime": ms(updated) if status == DONE else 0}
        discounts = [{"discountType": 3, "name": "满500减10", "discountLevel": 2,
                      "discountAmount": cents(shop_discount)}] if shop_discount else []
        amount_infos = [{"type": FREIGHT, "description": "运费", "amount": cents(freight)}]
        if points:
            amount_infos.append({"type": 5, "description": "积分抵扣", "amount": cents(points)})
        order: dict[str, Any] = {
            "orderInfo": {
                "orderBaseInfo": base,
                "buyerInfo": {"wid": 1_380_000_000 + r.randrange(10**7), "userNickName": who,
                              "buyerRemark": ""},
                "merchantInfo": {"bosId": self.shop_id, "vid": self.vid,
                                 "vidName": f"微盟沙箱店 {self.name}"},
                "items": items,
                "payInfo": {"totalAmount": cents(goods_total),
                            "totalDiscountAmount": cents(discount_total),
                            "shouldPayAmount": cents(payment), "payAmount": cents(payment),
                            "amountInfos": amount_infos,
                            "payItems": [{"payType": 1, "payTime": ms(placed + 60),
                                          "tradeId": f"4200{order_no}",
                                          "payItemExtInfo": {"amount": cents(payment)}}]
                            if paid else []},
                "discountInfos": discounts,
                "orderFulfill": {"deliveryType": 1, "receiverInfo": {
                    "name": who, "phone": phone, "province": province, "city": city,
                    "county": county, "address": detail, "zip": zip_code}}},
            "rightsInfos": [], "fulfillOrderList": []}
        if status == CANCELLED and paid:
            self._right(i, order, RIGHTS_DONE, payment, updated)
        elif paid and i % 9 == 4:
            self._right(i, order, RIGHTS_WAITING, (goods_total - discount_total) // 2, updated)
        return order

    def _right(self, i: int, order: dict[str, Any], status: int, fen: int, at: int) -> None:
        rights_id = 50_000_000 + i
        order_no = self._no(order)
        item = order["orderInfo"]["items"][0]
        self.rights[rights_id] = {
            "rightsOrder": {"rightsId": rights_id, "rightsStatus": status, "rightsType": 2,
                            "refundType": 1, "currency": "CNY", "createTime": ms(at - 60),
                            "updateTime": ms(at)},
            "originOrder": {"orderNo": order_no},
            "refundDetail": {"applyAmount": cents(fen),
                             "refundAmount": cents(fen) if status == RIGHTS_DONE else "0.00"},
            "rightsReason": {"rightsReason": "不想要了", "rightsRemark": ""},
            "rightsItems": [{"orderItemId": item["itemId"], "applyNum": item["skuNum"],
                             "goodsInfo": {"goodsId": item["goodsId"], "skuId": item["skuId"],
                                           "goodsTitle": item["goodsTitle"]}}]}
        order["rightsInfos"] = [{"rightsId": rights_id, "orderNo": order_no,
                                 "rightsStatus": status}]
