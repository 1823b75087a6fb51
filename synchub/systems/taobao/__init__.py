"""Taobao / Tmall (TOP): stock written through the signed gateway, registered by name.

The gateway itself (signing, transport, envelopes, windows) is shared with JD and
Pinduoduo in :mod:`synchub.systems.cn_gateway`; this package holds what only Taobao has.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Taobao's strategies."""
    registry.add("stock_publisher", "taobao_quantity",
                 "synchub.systems.taobao.stock:TaobaoQuantityPublisher")
