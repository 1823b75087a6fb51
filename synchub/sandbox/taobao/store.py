"""One Taobao / Tmall shop as the sandbox simulates it: app credentials, session, trades.

Trades carry the fields of TOP's Trade structure (``taobao.trades.sold.increment.get``,
``taobao.trade.fullinfo.get``): ``tid`` (a number beyond 2^53, exact in the JSON), times as
``yyyy-MM-dd HH:mm:ss`` Beijing time, money as yuan text, ``coupon_fee`` (the platform's
red packet) in fen, sub-orders under ``orders.order``, receiver data masked the way TOP
serves it now (an ``oaid`` and ``*`` in name and phone) except on some older trades. The
figures add up:

- sub-order ``total_fee = price x num + adjust_fee - discount_fee``;
- trade ``total_fee = sum(price x num)``, ``discount_fee``/``adjust_fee`` the sums of the
  sub-orders', ``payment = sum(sub-order total_fee) + post_fee - coupon_fee / 100``,

except on one trade in 17, whose payment is 5 yuan lower than its parts (an unitemized shop
discount), so that the hub's adjustment shows. Trades are placed in the day before the store
was created and modified after that, so a day's window finds them all; the seeded types
include ``step`` and ``tmall_i18n``, which TOP leaves out unless ``type`` names them.

The catalog (``items``): one item per product, ``num_iid`` 600000000000 + its index; items
with SKUs have 25 (``sku_id`` 5100000000000 + 100 x index + n, outer ids ``LJ-250``,
``LJ-250-01``...) and their ``num`` is the sum of the SKUs'; ``MOON-8`` and ``BAMBOO-L`` have
none. Every item is on sale (``approve_status`` onsale) but ``BAMBOO-L``, which waits in the
warehouse (instock); a stock write stamps the item's and the written SKUs' ``modified``.
Tests read figures with :meth:`TaobaoStore.quantity` and make an item refuse stock writes
with :meth:`TaobaoStore.refuse_item`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from synchub.sandbox.kit.limits import BanningQuota
from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.seed import hex128, rng_for, weighted
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.times import beijing

TID_BASE = 4_200_000_000_000_000_000          # TOP tids are 19 digits
DEFAULT_TYPES = frozenset({"fixed", "auction", "auto_delivery", "ec", "cod"})
STATUSES = (("WAIT_BUYER_PAY", 10), ("WAIT_SELLER_SEND_GOODS", 35),
            ("SELLER_CONSIGNED_PART", 3), ("WAIT_BUYER_CONFIRM_GOODS", 25),
            ("TRADE_BUYER_SIGNED", 2), ("TRADE_FINISHED", 15), ("TRADE_CLOSED", 5),
            ("TRADE_CLOSED_BY_TAOBAO", 5))
NEXT_STATUS = {"WAIT_BUYER_PAY": "WAIT_SELLER_SEND_GOODS",
               "WAIT_SELLER_SEND_GOODS": "WAIT_BUYER_CONFIRM_GOODS",
               "SELLER_CONSIGNED_PART": "WAIT_BUYER_CONFIRM_GOODS",
               "WAIT_BUYER_CONFIRM_GOODS": "TRADE_FINISHED"}
UNKNOWN_STATUS = "TRADE_FROZEN_SANDBOX"       # served for poisoned trades: no such status
# the app's call quota: TOP publishes none; a minute's worth, then a ban (the sandbox's choice)
PER_MINUTE, BAN_SECONDS = 600, 30
TYPES = (("fixed", 80), ("step", 10), ("tmall_i18n", 10))
PRODUCTS = (  # title, outer_sku_id, price in fen, SKU properties
    ("西湖龙井 明前特级 250g", "LJ-250", 36800, "净含量:250g"),
    ("真丝印花围巾", "SC-SILK-RED", 25900, "颜色分类:中国红"),
    ("景德镇青花瓷茶杯 两只装", "JDZ-CUP-2", 12800, "套餐类型:两只装"),
    ("羊绒开衫 女款", "CARD-W-M", 59900, "尺码:M;颜色分类:燕麦色"),
    ("无线蓝牙耳机", "BT-EAR-W", 19900, "颜色分类:白色"),
    ("手工月饼礼盒 8枚", "MOON-8", 16800, "口味:五仁"),
    ("竹编收纳篮", "BAMBOO-L", 4590, "尺寸:大号"),
)
PEOPLE = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵敏", "黄磊")
ADDRESSES = (  # province, city, district, town, detail, zip
    ("浙江省", "杭州市", "西湖区", "文新街道", "文三路 478 号 华星时代广场 A 座 1203 室", "310012"),
    ("广东省", "深圳市", "南山区", "粤海街道", "科技园南区 高新南一道 6 号", "518057"),
    ("上海", "上海市", "浦东新区", "陆家嘴街道", "世纪大道 100 号 环球金融中心 35 楼", "200120"),
    ("北京", "北京市", "朝阳区", "建外街道", "建国门外大街 1 号 国贸大厦 B 座", "100004"),
    ("四川省", "成都市", "武侯区", "", "人民南路四段 11 号", "610041"),
)


ITEM_BASE, SKU_BASE = 600_000_000_000, 5_100_000_000_000
SKUS_PER_ITEM = 25             # more than one taobao.skus.quantity.update call takes
PLAIN_ITEMS = frozenset({"MOON-8", "BAMBOO-L"})  # sold without SKUs
# company codes taobao.logistics.offline.send takes here (taobao.logistics.companies.get)
COMPANIES = frozenset({"SF", "YTO", "ZTO", "STO", "YUNDA", "EMS", "HTKY", "JD"})
SHIPPABLE = frozenset({"WAIT_SELLER_SEND_GOODS", "SELLER_CONSIGNED_PART"})





class TaobaoStore(BaseStore):
    """One seller: the app's key and secret, the seller's session, the trades."""

    system = "taobao"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.currency = "CNY"
        self.app_key = str(10_000_000 + int(hex128(self.key, "app")[:6], 16) % 89_999_999)
        self.app_secret = f"taobao_sandbox_secret_{hex128(self.key, 'secret')[:20]}"
        self.session = f"6100{hex128(self.key, 'session')}{hex128(self.key, 's2')[:20]}"
        self.session_valid = True
        self.bans: list[int] = []          # the next calls refused with a ban of N seconds
        self.throttle()
        self.during_read: Any = None       # called (store, page_no) after a page is served
        self.calls: list[dict[str, str]] = []  # the parameters of every gateway call
        self.created_at = int(time.time())
        self.trades: dict[int, dict[str, Any]] = {}
        self.items: dict[int, dict[str, Any]] = {}
        for index, (title, outer, _price, _props) in enumerate(PRODUCTS):
            skus = {} if outer in PLAIN_ITEMS else {
                str(SKU_BASE + 100 * index + n): {
                    "outer_id": outer if n == 0 else f"{outer}-{n:02d}", "quantity": 0,
                    "_modified": self.created_at - 7 * 86_400}
                for n in range(SKUS_PER_ITEM)}
            self.items[ITEM_BASE + index] = {
                "title": title, "outer_id": outer, "num": 0, "skus": skus,
                # the last one waits in the warehouse (仓库中): taobao.items.inventory.get
                "approve_status": "instock" if index == len(PRODUCTS) - 1 else "onsale",
                "_modified": self.created_at - 7 * 86_400}
        self.item_refusals: dict[int, tuple[str, str]] = {}
        self.shipments: list[dict[str, Any]] = []   # taobao.logistics.offline.send, in order
        count = self.volume["orders"]
        poisoned = set(self.poisoned_indexes())
        for i in range(count):
            trade = self._build(i)
            if i in poisoned:
                trade["status"] = UNKNOWN_STATUS
            self.trades[trade["tid"]] = trade
        # refunds (taobao.refunds.receive.get): one trade in six has one on its first
        # sub-order, paid back (SUCCESS) but one in four still waiting for the seller
        self.refunds: dict[str, dict[str, Any]] = {}
        for i, trade in enumerate(self.trades.values()):
            if i % 6 == 5:
                self.refund(trade["tid"], at=trade["_modified"] + 60,
                            status="WAIT_SELLER_AGREE" if i % 24 == 5 else "SUCCESS")

    # --- the catalog's stock ------------------------------------------------------------
    def quantity(self, num_iid: int, sku_id: str | None = None) -> int | None:
        """What the shop shows: one SKU's quantity, or the item's ``num``."""
        with self.lock:
            item = self.items.get(num_iid)
            if item is None:
                return None
            if sku_id is None:
                return int(item["num"])
            sku = item["skus"].get(sku_id)
            return None if sku is None else int(sku["quantity"])

    def item_changed(self, num_iid: int, skus: Iterable[dict[str, Any]] = ()) -> int:
        """Stamp an item and the SKUs written modified now, as a stock write does; the time."""
        with self.lock:
            now = self.stamp_shared()
            self.items[num_iid]["_modified"] = now
            for sku in skus:
                sku["_modified"] = now
            return now

    def catalog(self, status: str) -> list[tuple[int, dict[str, Any]]]:
        """The items of one ``approve_status`` (onsale, instock), newest num_iid first."""
        with self.lock:
            return sorted(((iid, item) for iid, item in self.items.items()
                           if item["approve_status"] == status), reverse=True)

    def refuse_item(self, num_iid: int, sub_code: str, sub_msg: str) -> None:
        """Make every stock write of an item answer this refusal (an item in a promotion)."""
        with self.lock:
            self.item_refusals[num_iid] = (sub_code, sub_msg)

    # --- what the API reads ---------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """The Connection's login (AppKey), password (AppSecret) and extra.session."""
        return {"app_key": self.app_key, "app_secret": self.app_secret, "session": self.session}

    def connection(self, url: str) -> dict[str, Any]:
        """The AppKey and AppSecret as login and password, the seller's session in extra."""
        return {"conn_type": "http", "host": url, "login": self.app_key,
                "password": self.app_secret, "extra": {"session": self.session}}

    def counts(self) -> dict[str, int]:
        """Trades, and how many are of types TOP lists only when asked by name."""
        with self.lock:
            return {"orders": len(self.trades),
                    "not_default_type": sum(1 for t in self.trades.values()
                                            if t["type"] not in DEFAULT_TYPES)}

    def modified_between(self, start: int, end: int, types: set[str]) -> list[dict[str, Any]]:
        """Trades modified in ``[start, end]`` of these types, newest modification first."""
        return sorted((t for t in self.trades.values()
                       if start <= t["_modified"] <= end and t["type"] in types),
                      key=lambda t: (t["_modified"], t["tid"]), reverse=True)

    def refund(self, tid: int, at: int | None = None, status: str = "SUCCESS"
               ) -> dict[str, Any]:
        """A refund of a trade's first sub-order, whole, modified now (or ``at``)."""
        with self.lock:
            trade = self.trades[tid]
            order = trade["orders"]["order"][0]
            now = self.stamp() if at is None else at
            refund = {"refund_id": str(tid + 10**18 + len(self.refunds) * 7),
                      "tid": tid, "oid": order["oid"], "num_iid": order["num_iid"],
                      "outer_id": order["outer_sku_id"], "num": order["num"],
                      "total_fee": order["total_fee"], "refund_fee": order["payment"],
                      "status": status, "reason": "七天无理由退换货",
                      "has_good_return": False, "good_status": "BUYER_NOT_RECEIVED",
                      "created": beijing(now - 30), "modified": beijing(now), "_modified": now}
            self.refunds[refund["refund_id"]] = refund
            return refund

    def refunds_between(self, start: int, end: int, status: str | None
                        ) -> list[dict[str, Any]]:
        """Refunds modified in ``[start, end]`` (of this status), newest first."""
        return sorted((r for r in self.refunds.values()
                       if start <= r["_modified"] <= end and status in (None, r["status"])),
                      key=lambda r: (r["_modified"], r["refund_id"]), reverse=True)

    # --- the call quota -----------------------------------------------------------------
    def throttle(self, per_minute: int = PER_MINUTE, ban_seconds: int = BAN_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Allow ``per_minute`` calls; the next one starts a ban (tests pass a fake clock)."""
        self.quota = BanningQuota(per_minute, ban_seconds, clock)

    def ban_left(self) -> int | None:
        """None when a call may go; else the whole seconds of the ban still to run."""
        if self.bans:
            return self.bans.pop(0)
        return self.quota.ban_left() if self.rate_limits else None

    # --- changes ------------------------------------------------------------------------
    def expire_session(self) -> None:
        """The seller's authorization lapses: every call with the session answers code 27."""
        self.session_valid = False

    def touch(self, tid: int, at: int | None = None) -> dict[str, Any]:
        """Move a trade on (pay, ship, confirm) and stamp its ``modified`` now (or ``at``)."""
        with self.lock:
            trade = self.trades[tid]
            status = NEXT_STATUS.get(trade["status"])
            if status is not None:
                trade["status"] = status
                for order in trade["orders"]["order"]:
                    order["status"] = status
            now = self.stamp() if at is None else at
            trade["_modified"], trade["modified"] = now, beijing(now)
            return trade

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Trades placed and moved on now; the affected tids (the other kinds: none here)."""
        with self.lock:
            picked = self._mut_rng.sample(sorted(self.trades), min(orders_updated,
                                                                   len(self.trades)))
            for tid in picked:
                self.touch(tid)
            created = []
            for _ in range(orders_created):
                now = self.stamp()
                trade = self._build(len(self.trades), placed=now)
                trade["status"] = "WAIT_BUYER_PAY"
                for order in trade["orders"]["order"]:
                    order["status"] = "WAIT_BUYER_PAY"
                self.trades[trade["tid"]] = trade
                created.append(trade["tid"])
            return {"orders_updated": picked, "orders_created": created}

    def place_order(self, outer_sku_id: str, num: int) -> int:
        """A buyer pays now for ``num`` of the catalog SKU (or item without SKUs) whose
        outer id is ``outer_sku_id``: a one-line trade waiting to be sent; its tid."""
        with self.lock:
            num_iid, sku_id = next((iid, sid) for iid, item in self.items.items()
                                   for sid, sku in ({"": {"outer_id": item["outer_id"]}}
                                                    | item["skus"]).items()
                                   if sku["outer_id"] == outer_sku_id and (sid or not
                                                                            item["skus"]))
            now = self.stamp()
            trade = self._build(len(self.trades), placed=now)
            line = trade["orders"]["order"][0]
            title, _outer, price, props = PRODUCTS[num_iid - ITEM_BASE]
            total = price * num
            line.update(num_iid=num_iid, sku_id=sku_id, outer_iid=outer_sku_id.split("-")[0],
                        outer_sku_id=outer_sku_id, title=title, sku_properties_name=props,
                        num=num, price=cents(price), total_fee=cents(total),
                        payment=cents(total), discount_fee="0.00", adjust_fee="0.00",
                        divide_order_fee=cents(total), status="WAIT_SELLER_SEND_GOODS")
            trade["orders"]["order"] = [line]
            trade.update(status="WAIT_SELLER_SEND_GOODS", payment=cents(total),
                         total_fee=cents(total), post_fee="0.00", discount_fee="0.00",
                         adjust_fee="0.00", coupon_fee=0, pay_time=beijing(now))
            self.trades[trade["tid"]] = trade
            return int(trade["tid"])

    # --- generation -----------------------------------------------------------------------
    def _build(self, i: int, placed: int | None = None) -> dict[str, Any]:
        r = rng_for(self.key, "trade", i)
        tid = TID_BASE + i * 7919 + r.randrange(7919)
        if placed is None:   # in the day before the store opened, up to an hour apart
            placed = self.created_at - 23 * 3600 + r.randrange(22 * 3600)
        modified = placed if placed >= self.created_at else min(
            placed + r.randrange(3600), self.created_at - 600)
        status = weighted(r, STATUSES)
        orders, goods, discount, adjust, due = [], 0, 0, 0, 0
        for j in range(1 if r.random() < 0.6 else r.randint(2, 3)):
            title, sku, price, props = PRODUCTS[r.randrange(len(PRODUCTS))]
            num = r.choice((1, 1, 1, 2, 3))
            d = r.choice((0, 0, 0, 500, 1000, price * num // 10))
            a = r.choice((0, 0, 0, 0, -200, 300))
            total = price * num + a - d
            goods, discount, adjust, due = goods + price * num, discount + d, adjust + a, \
                due + total
            orders.append({
                "oid": tid + j + 1,
                "num_iid": 600_000_000_000 + PRODUCTS.index((title, sku, price, props)),
                "sku_id": str(5_000_000_000_000 + r.randrange(10**6)),
                "outer_iid": sku.split("-")[0], "outer_sku_id": sku, "title": title,
                "sku_properties_name": props, "num": num, "price": cents(price),
                "total_fee": cents(total), "payment": cents(total),
                "discount_fee": cents(d), "adjust_fee": cents(a),
                "divide_order_fee": cents(total), "part_mjz_discount": "0.00",
                "status": status, "refund_status": "NO_REFUND"})
        post = 0 if goods >= 9900 else r.choice((800, 1000))
        coupon = r.choice((0, 0, 0, 300, 500))
        payment = due + post - coupon
        if i % 17 == 16:
            payment -= 500          # an unitemized shop discount: the parts do not add up
        person_ = PEOPLE[r.randrange(len(PEOPLE))]
        province, city, district, town, detail, zip_code = ADDRESSES[r.randrange(len(ADDRESSES))]
        mobile = f"1{r.choice((38, 39, 58, 86))}{r.randrange(10**8):08d}"
        masked = i % 3 != 0
        trade: dict[str, Any] = {
            "tid": tid, "type": weighted(r, TYPES), "status": status,
            "created": beijing(placed), "modified": beijing(modified),
            "pay_time": None if status in ("WAIT_BUYER_PAY", "TRADE_CLOSED_BY_TAOBAO")
            else beijing(placed + 60),
            "payment": cents(payment), "total_fee": cents(goods), "post_fee": cents(post),
            "discount_fee": cents(discount), "adjust_fee": cents(adjust), "coupon_fee": coupon,
            "buyer_open_uid": f"AAH{hex128(self.key, 'buyer', person_)[:21]}",
            "receiver_name": person_[0] + "**" if masked else person_,
            "receiver_mobile": f"{mobile[:3]}****{mobile[-4:]}" if masked else mobile,
            "receiver_phone": "", "receiver_state": province, "receiver_city": city,
            "receiver_district": district, "receiver_town": town,
            "receiver_address": detail[:3] + "***" if masked else detail, "receiver_zip": zip_code,
            "receiver_country": "",
            "orders": {"order": orders},
            "_modified": modified,
        }
        if masked:
            trade["oaid"] = f"1{hex128(self.key, 'oaid', i)[:31]}"
        return trade
