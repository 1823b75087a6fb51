"""Chinese demo data the Chinese storefront simulators share: goods, buyers, addresses.

Prices are fen (integer cents of CNY); each product has an outer code the merchant's ERP
knows it by and a spec (规格) property, empty for goods sold without specs. A merchant gives
each SKU a code of its own (商家编码) and keeps the same code in its ERP, which is how an
order line finds its product there: the shops list these codes, and the ERP's simulator
stocks them in its China warehouse (:func:`merchant_codes`). People and
addresses are made up; the addresses name real provinces, cities and districts with their
postal codes so that the province/city/district split of a Chinese address shows.
"""

from __future__ import annotations

import random

PRODUCTS = (  # title, outer code, price in fen, spec property
    ("西湖龙井 明前特级 250g", "LJ-250", 36800, "净含量:250g"),
    ("真丝印花围巾", "SC-SILK-RED", 25900, "颜色:中国红"),
    ("景德镇青花瓷茶杯 两只装", "JDZ-CUP-2", 12800, "套餐:两只装"),
    ("羊绒开衫 女款", "CARD-W-M", 59900, "尺码:M"),
    ("无线蓝牙耳机", "BT-EAR-W", 19900, "颜色:白色"),
    ("手工月饼礼盒 8枚", "MOON-8", 16800, ""),
    ("竹编收纳篮", "BAMBOO-L", 4590, ""),
)
# goods a marketplace shop of the same merchant sells, one SKU each (title, merchant code,
# price in fen): electronics and groceries, and farm and household goods
GROCERIES = (
    ("小米手环 8 NFC版 黑色", "MI-BAND8-NFC", 24900),
    ("华为 FreeBuds 5i 无线耳机", "HW-FB5I", 44900),
    ("五粮液 普五 第八代 500ml", "WLY-500", 109900),
    ("金龙鱼 葵花籽油 5L", "JLY-5L", 7990),
    ("蒙牛 特仑苏 纯牛奶 250ml 12盒装", "TLS-12", 5980),
)
FARM_GOODS = (  # with the spec a buyer picks
    ("新疆阿克苏冰糖心苹果 5斤", "APPLE-5", 2990, "5斤装,中果"),
    ("云南普洱熟茶饼 357g", "PUER-357", 8800, "357g"),
    ("纯棉四件套 1.8m床", "BED-18", 15900, "1.8m,灰色"),
    ("手撕面包 整箱 1kg", "BREAD-1K", 1990, "1kg"),
    ("儿童保温杯 500ml", "CUP-K500", 3980, "500ml,粉色"),
    ("东北五常大米 10斤", "RICE-10", 5990, "10斤"),
)
SOLD_WITHOUT_SKUS = frozenset({"MOON-8", "BAMBOO-L"})
SKUS_PER_ITEM = 3               # the variants a shop and the ERP both carry
PEOPLE = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵敏", "黄磊")
ADDRESSES = (  # province, city, district, detail, postal code
    ("浙江省", "杭州市", "西湖区", "文三路 478 号 华星时代广场 A 座 1203 室", "310012"),
    ("广东省", "深圳市", "南山区", "科技园南区 高新南一道 6 号", "518057"),
    ("上海市", "上海市", "浦东新区", "世纪大道 100 号 环球金融中心 35 楼", "200120"),
    ("北京市", "北京市", "朝阳区", "建国门外大街 1 号 国贸大厦 B 座", "100004"),
    ("四川省", "成都市", "武侯区", "人民南路四段 11 号", "610041"),
)


def mobile(r: random.Random) -> str:
    """A made-up mainland mobile number (11 digits)."""
    return f"1{r.choice((38, 39, 58, 86))}{r.randrange(10**8):08d}"


def sku_code(item_code: str, n: int) -> str:
    """The code of an item's ``n``-th SKU: the item's own for the first, then ``-01``..."""
    return item_code if n == 0 else f"{item_code}-{n:02d}"


def merchant_codes(skus_per_item: int = SKUS_PER_ITEM) -> list[tuple[str, str, int]]:
    """(code, title, price in fen) of every SKU the shops sell, items without SKUs once,
    the marketplace goods (one SKU each) after them."""
    out: list[tuple[str, str, int]] = []
    for title, code, fen, _spec in PRODUCTS:
        count = 1 if code in SOLD_WITHOUT_SKUS else skus_per_item
        out.extend((sku_code(code, n), title, fen) for n in range(count))
    out.extend((code, title, fen) for title, code, fen in GROCERIES)
    out.extend((code, title, fen) for title, code, fen, _spec in FARM_GOODS)
    return out
