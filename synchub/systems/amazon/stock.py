"""Amazon (FBM): the seller-fulfilled quantity of a listing, through the Listings Items API.

``PATCH /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=<id>`` with
``{"productType": ..., "patches": [{"op": "replace", "path":
"/attributes/fulfillment_availability", "value": [{"fulfillment_channel_code": "DEFAULT",
"quantity": N}]}]}``. Amazon answers ``{sku, status: ACCEPTED|INVALID, submissionId,
issues[]}`` (200), or an ``errors[]`` envelope (400 invalid input, 404 unknown SKU).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from synchub.errors import ConfigError, FatalAPIError
from synchub.stock.publish.base import ListingChange, PushOutcome, StockPublisher

ATTRIBUTE = "/attributes/fulfillment_availability"
REFUSED_STATUSES = (400, 404)  # a listing Amazon will not take; 403 and the rest stop the run


# The FBA stock of a marketplace is stored as an InventoryLevel at this location
# (mappings/amazon/fba_inventory.yaml): Amazon's own, never a listing to write
FBA_PREFIX = "AMAZON_FBA:"
FBA_REFUSAL: tuple[Literal["pushed", "failed"], int | None, str | None] = (
    "failed", None, "an FBA location is the stock Amazon holds, not a listing: name it in "
                    "stock.masters.<connection>.locations with self_fulfilled: true")


class AmazonListingsPublisherOptions(BaseModel):
    """``stock_publisher.options`` of the Amazon connector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product_type: str = Field(
        default="PRODUCT", description="The productType sent with a patch when neither "
        "product_types nor the listing read (its inventory_item_external_id, the listings "
        "stream) names one; PRODUCT is Amazon's type for offer-level attributes such as "
        "fulfillment_availability.")
    product_types: dict[str, str] = Field(
        default_factory=dict, description="productType per seller SKU, where a listing's "
        "own type must be named; wins over the type read with the listing.")
    op: Literal["replace", "merge"] = Field(
        default="replace", description="replace sets the whole attribute (restock date and "
        "lead time left out); merge changes only the quantity.")
    fulfillment_channel_code: str = "DEFAULT"
    seller_id_field: str = Field(default="extra.seller_id",
                                 description="The Connection field holding the seller id.")
    marketplace_id_field: str = Field(
        default="extra.marketplace_id",
        description="The Connection field holding the marketplace written to, unless the "
        "listing names one (its location).")


class AmazonListingsPublisher(StockPublisher):
    """One ``patchListingsItem`` per seller SKU (Amazon has no batch for it).

    Changes for the same SKU and marketplace in one push are coalesced: only the last
    figure is sent, and every change of that SKU gets its outcome. Calls are paced by the
    connector's ``header_rate`` limiter for the operation (5 a second, burst 5, unless
    ``x-amzn-RateLimit-Limit`` says otherwise). A listing Amazon refuses (``INVALID`` with
    its issues, or a 400/404 ``errors[]``) fails alone with Amazon's message; the other
    SKUs go on. There is no compare-and-set: the figure is overwritten.
    """

    Options = AmazonListingsPublisherOptions

    @property
    def max_batch(self) -> int:
        """One SKU per call."""
        return 1

    def minimum_calls(self, changes: Sequence[ListingChange]) -> int:
        """One call per distinct (marketplace, SKU)."""
        return len({t for t in map(self._target, changes) if not t[0].startswith(FBA_PREFIX)})

    def push(self, changes: Sequence[ListingChange]) -> list[PushOutcome]:
        """Patch each distinct SKU once with its last figure; one outcome per change."""
        seller = str(self.client.conn.field(self.options.seller_id_field))
        last: dict[tuple[str, str], tuple[int, str | None]] = {}
        for change in changes:
            last[self._target(change)] = change.quantity, change.inventory_item_id
        answers = {target: (FBA_REFUSAL if target[0].startswith(FBA_PREFIX)
                            else self._patch(seller, *target, quantity, listed_type))
                   for target, (quantity, listed_type) in last.items()}
        out = []
        for change in changes:
            status, shown, error = answers[self._target(change)]
            out.append(PushOutcome(change.listing_id, status, channel_quantity=shown,
                                   error=error))
        return out

    def _target(self, change: ListingChange) -> tuple[str, str]:
        """(marketplace id, seller SKU) of a listing."""
        sku = change.sku or change.listing_id
        marketplace = change.location_id or self._default_marketplace()
        return marketplace, sku

    def _default_marketplace(self) -> str:
        try:
            return str(self.client.conn.field(self.options.marketplace_id_field))
        except ConfigError:
            raise ConfigError(
                f"connection {self.client.conn.conn_id!r}: the listing names no marketplace "
                f"and {self.options.marketplace_id_field} is empty",
                key="stock_publisher.options.marketplace_id_field") from None

    def body(self, sku: str, quantity: int, listed_type: str | None = None) -> dict[str, Any]:
        """The patch request of one SKU; ``listed_type`` is the productType read with the
        listing (searchListingsItems' summary), used unless ``product_types`` names one."""
        kind = self.options.product_types.get(sku) or listed_type or self.options.product_type
        return {"productType": kind,
                "patches": [{"op": self.options.op, "path": ATTRIBUTE, "value": [
                    {"fulfillment_channel_code": self.options.fulfillment_channel_code,
                     "quantity": quantity}]}]}

    def _patch(self, seller: str, marketplace: str, sku: str, quantity: int,
               listed_type: str | None
               ) -> tuple[Literal["pushed", "failed"], int | None, str | None]:
        # spec.path: /listings/2021-08-01/items
        url = (f"{self.client.base_url}{self.spec.path.rstrip('/')}/{quote(seller, safe='')}"
               f"/{quote(sku, safe='')}")
        self.stats.write_calls += 1
        try:
            _, answer = self.client.http.request(
                "rest", "PATCH", url, params={"marketplaceIds": marketplace},
                json=self.body(sku, quantity, listed_type))
        except FatalAPIError as exc:
            if exc.status not in REFUSED_STATUSES:
                raise
            return "failed", None, f"HTTP {exc.status}: {_errors_text(exc.body)}"
        if not isinstance(answer, dict):
            raise FatalAPIError(f"PATCH {url}: the answer is not an object", url=url)
        if answer.get("status") == "ACCEPTED":
            return "pushed", quantity, None
        issues = [i for i in answer.get("issues") or [] if isinstance(i, dict)]
        shown = [i for i in issues if i.get("severity") == "ERROR"] or issues
        text = "; ".join(f"{i.get('code')}: {i.get('message')}" for i in shown)
        return "failed", None, f"{answer.get('status')}: {text or 'no issue given'}"


def _errors_text(body: str | None) -> str:
    """``code: message`` of each entry of an SP-API ``errors[]`` envelope."""
    try:
        errors = json.loads(body or "").get("errors") or []
    except (ValueError, AttributeError):
        return (body or "no details")[:500]
    return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors
                     if isinstance(e, dict)) or "no details"
