"""Weidian (微店): the app token, the ``public``/``param`` API, stock and tracking back.

Windows and backward pages come from :mod:`synchub.systems.cn_gateway` (the update-time
search is dynamic, as the gateways' are); Beijing-time bounds use its
``datetime_space_utc8`` format. The token is asked of a token cache (``auth.cache``,
ADR 0020): Weidian counts token fetches per day.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Weidian's strategies."""
    here = "synchub.systems.weidian"
    registry.add("auth", "weidian_token", f"{here}.auth:WeidianTokenAuth.from_spec",
                 spec=f"{here}.specs:WeidianTokenAuthSpec")
    registry.add("transport", "weidian", f"{here}.transport:WEIDIAN",
                 spec=f"{here}.specs:WeidianStreamSpec")
    registry.add("stock_publisher", "weidian_stock", f"{here}.stock:WeidianStockPublisher")
    registry.add("writer", "weidian_deliver", f"{here}.deliver:WeidianDeliverWriter")
