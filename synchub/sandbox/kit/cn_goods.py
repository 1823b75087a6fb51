"""The goods the simulated Chinese shops sell, and the merchant codes they sell them under.

A merchant gives each SKU a code of its own (商家编码: ``outer_sku_id`` on Youzan) and keeps
the same code in its ERP, which is how an order line finds its product there. The shops'
simulators list these goods; the ERP's simulator stocks the same codes in its China
warehouse, so that the orders of those shops reach it as they would in a real deployment.
"""

from __future__ import annotations

# title, merchant code of the item, price in fen
GOODS: tuple[tuple[str, str, int], ...] = (
    ("西湖龙井 明前特级 250g", "LJ-250", 36800),
    ("真丝印花围巾", "SC-SILK-RED", 25900),
    ("景德镇青花瓷茶杯 两只装", "JDZ-CUP-2", 12800),
    ("羊绒开衫 女款", "CARD-W-M", 59900),
    ("无线蓝牙耳机", "BT-EAR-W", 19900),
    ("手工月饼礼盒 8枚", "MOON-8", 16800),
    ("竹编收纳篮", "BAMBOO-L", 4590),
)
SOLD_WITHOUT_SKUS = frozenset({"MOON-8", "BAMBOO-L"})
SKUS_PER_ITEM = 3               # the variants a shop and the ERP both carry


def sku_code(item_code: str, n: int) -> str:
    """The code of an item's ``n``-th SKU: the item's own for the first, then ``-01``..."""
    return item_code if n == 0 else f"{item_code}-{n:02d}"


def merchant_codes(skus_per_item: int = SKUS_PER_ITEM) -> list[tuple[str, str, int]]:
    """(code, title, price in fen) of every SKU the shops sell, items without SKUs once."""
    out = []
    for title, code, fen in GOODS:
        count = 1 if code in SOLD_WITHOUT_SKUS else skus_per_item
        out.extend((sku_code(code, n), title, fen) for n in range(count))
    return out
