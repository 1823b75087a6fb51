"""Amazon Selling Partner API: Login with Amazon auth and FBM stock through
the Listings Items API, registered by name."""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Amazon's strategies."""
    here = "synchub.systems.amazon"
    registry.add("auth", "lwa_refresh_token", f"{here}.auth:LwaAuth.from_spec",
                 spec=f"{here}.auth:LwaAuthSpec")
    registry.add("stock_publisher", "amazon_listings",
                 f"{here}.stock:AmazonListingsPublisher")
