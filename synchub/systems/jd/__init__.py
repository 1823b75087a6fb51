"""JD (JOS): stock and shipments written through the signed gateway, registered by name.

The gateway itself (signing, transport, envelopes, windows) is shared with Taobao and
Pinduoduo in :mod:`synchub.systems.cn_gateway`; this package holds what only JD has.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register JD's strategies."""
    registry.add("stock_publisher", "jd_sku_stock",
                 "synchub.systems.jd.stock:JdSkuStockPublisher")
