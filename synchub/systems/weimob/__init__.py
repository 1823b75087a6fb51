"""Weimob (微盟) WOS open platform: OAuth2 tokens, the apigw JSON transport, stock, tracking.

Windows and backward pages come from :mod:`synchub.systems.cn_gateway` (the order search
by update time moves records between pages, as the gateways' do). What only Weimob has is
registered here.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Weimob's strategies."""
    here = "synchub.systems.weimob"
    registry.add("auth", "weimob_oauth2", f"{here}.auth:WeimobAuth.from_spec",
                 spec=f"{here}.specs:WeimobAuthSpec")
    registry.add("transport", "weimob", f"{here}.transport:WEIMOB",
                 spec=f"{here}.specs:WeimobStreamSpec")
    registry.add("stock_publisher", "weimob_stock_update", f"{here}.stock:WeimobStockPublisher")
    registry.add("writer", "weimob_logistics_update",
                 f"{here}.logistics:WeimobLogisticsWriter")
