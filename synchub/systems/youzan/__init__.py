"""Youzan Cloud (有赞云): token auth, the JSON-per-API transport, stock and tracking back.

Windows and backward pages come from :mod:`synchub.systems.cn_gateway` (Youzan's
update-time search is dynamic, as the gateways' are); Beijing-time bounds use its
``datetime_space_utc8`` format. What only Youzan has is registered here.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Youzan's strategies."""
    here = "synchub.systems.youzan"
    registry.add("auth", "youzan_token", f"{here}.auth:YouzanTokenAuth.from_spec",
                 spec=f"{here}.specs:YouzanTokenAuthSpec")
    registry.add("transport", "youzan", f"{here}.transport:YOUZAN",
                 spec=f"{here}.specs:YouzanStreamSpec")
    registry.add("stock_publisher", "youzan_quantity",
                 f"{here}.stock:YouzanQuantityPublisher")
    registry.add("writer", "youzan_logistics_confirm",
                 f"{here}.logistics:YouzanLogisticsWriter")
