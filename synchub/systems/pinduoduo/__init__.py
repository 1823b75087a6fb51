"""Pinduoduo: stock and shipments written through the signed gateway, registered by name.

The gateway itself (signing, transport, envelopes, windows) is shared with Taobao and JD
in :mod:`synchub.systems.cn_gateway`; this package holds what only Pinduoduo has.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Pinduoduo's strategies."""
    registry.add("stock_publisher", "pdd_goods_quantity",
                 "synchub.systems.pinduoduo.stock:PddGoodsQuantityPublisher")
