"""Stock publishers over a signed gateway: the call and refusal handling the three share.

:class:`GatewayStockPublisher` makes one signed call per write and turns the vendor's
refusal (an error envelope that is neither a throttle nor a session error) into the failed
listings' message, ``sub_code: sub_msg`` in the vendor's words; a refused session stops the
run (the Connection needs a new one), throttles are waited out by the client.
:class:`PerSkuGatewayPublisher` is the shape of the APIs that take one SKU a call (JD's
``jingdong.stock.write.updateSkuStock``, Pinduoduo's ``pdd.goods.quantity.update``): the
vendor package says how a listing names its SKU, what the call carries and what a
successful answer looks like.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, ClassVar, Literal

from synchub.stock.publish.base import ListingChange, PushOutcome, StockPublisher
from synchub.systems.cn_gateway.calls import GatewayCallOptions, call_gateway
from synchub.systems.cn_gateway.errors import GatewayAuthError, GatewayError

Status = Literal["pushed", "failed"]
ItemSku = tuple[str, str | None]


def item_and_sku(change: ListingChange) -> ItemSku | None:
    """(item id, SKU id or None) of a listing ``<item_id>:<sku_id>`` (``<item_id>`` alone
    for an item without SKUs; the change's product and inventory item ids take
    precedence); None unless both are numbers (Youzan, Weidian)."""
    item, _, sku = change.listing_id.partition(":")
    item_id = (change.product_id or item).strip()
    sku_id = (change.inventory_item_id or sku).strip() or None
    if not item_id.isdigit() or (sku_id is not None and not sku_id.isdigit()):
        return None
    return item_id, sku_id


class GatewayStockPublisher(StockPublisher):
    """A stock publisher whose writes are signed gateway calls."""

    Options = GatewayCallOptions

    def call(self, method: str, business: dict[str, Any]) -> tuple[Any, str | None]:
        """One signed call, counted: ``(answer, None)``, or ``(None, the vendor's refusal)``."""
        self.stats.write_calls += 1
        try:
            answer = call_gateway(self.client, self.spec.path or "", self.options, method,
                                  business)
        except GatewayAuthError:
            raise
        except GatewayError as exc:
            return None, exc.refusal
        return answer, None


class PerSkuGatewayPublisher(GatewayStockPublisher):
    """One SKU a call, full set: the API's whole shape when it takes no batch.

    Changes of the same SKU in one push are coalesced to the last figure; each SKU is one
    call whose refusal fails that SKU alone; a listing that names no SKU the API can take
    fails with :attr:`unnamed` and costs no call.
    """

    method: ClassVar[str]
    unnamed: ClassVar[str]

    @property
    def max_batch(self) -> int:
        """One SKU a call."""
        return 1

    @abstractmethod
    def target(self, change: ListingChange) -> Hashable | None:
        """What the call names the SKU by (None: the listing names none)."""

    @abstractmethod
    def business(self, target: Any, quantity: int) -> dict[str, Any]:
        """The call's business parameters for one SKU's full-set quantity."""

    @abstractmethod
    def answer_refusal(self, answer: Any) -> str | None:
        """None when the answer says the quantity was taken, else why not."""

    def minimum_calls(self, changes: Sequence[ListingChange]) -> int:
        """One call per distinct SKU."""
        return len({t for t in map(self.target, changes) if t is not None})

    def push(self, changes: Sequence[ListingChange]) -> list[PushOutcome]:
        """Push every change, one call per SKU; one outcome per change, same order."""
        last: dict[Hashable, int] = {}
        for change in changes:
            target = self.target(change)
            if target is not None:
                last[target] = change.quantity
        results: dict[Hashable, tuple[Status, str | None]] = {}
        for target, quantity in last.items():
            answer, refusal = self.call(self.method, self.business(target, quantity))
            if refusal is None:
                refusal = self.answer_refusal(answer)
            results[target] = ("failed", refusal) if refusal else ("pushed", None)
        return outcomes(changes, self.target, results, self.unnamed)


def outcomes(changes: Sequence[ListingChange], target: Callable[[ListingChange], Any],
             results: Mapping[Any, tuple[Status, str | None]], unnamed: str
             ) -> list[PushOutcome]:
    """One outcome per change, same order, from the results per target (``unnamed``: the
    error of a change without one)."""
    out = []
    for change in changes:
        key = target(change)
        if key is None:
            out.append(PushOutcome(change.listing_id, "failed", error=unnamed))
            continue
        status, error = results[key]
        out.append(PushOutcome(change.listing_id, status, error=error,
                               channel_quantity=change.quantity if status == "pushed"
                               else None))
    return out
