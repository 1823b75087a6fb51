"""The usual shape of a stock push: listings named by a target, written in batches.

Most channel APIs take absolute figures for the things a listing names (an item, a SKU):
changes of one target in a push are coalesced to the last figure, the targets go out in
batches of :attr:`~StockPublisher.max_batch`, and what the channel refuses fails only the
listings of the targets it names. A listing that names no target the API can take fails
without costing a call. :class:`BatchedStockPublisher` is that loop; a channel says how a
listing names its target and how one batch is written.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, ClassVar

from synchub.stock.publish.base import ListingChange, PushOutcome, StockPublisher


def last_figures(changes: Sequence[ListingChange],
                 target: Callable[[ListingChange], Hashable | None]) -> dict[Any, int]:
    """The last quantity of each target, in the order the targets first came (changes
    without a target left out)."""
    last: dict[Any, int] = {}
    for change in changes:
        found = target(change)
        if found is not None:
            last[found] = change.quantity
    return last


class BatchedStockPublisher(StockPublisher):
    """Coalesce per target, write in batches, one outcome per change.

    :meth:`write_batch` answers the refusal of each target it refused (a target it does not
    name went through); :attr:`unnamed` is the error of a listing without a target.
    """

    unnamed: ClassVar[str]

    @abstractmethod
    def target(self, change: ListingChange) -> Hashable | None:
        """What the API names the listing by (None: the listing names nothing it takes)."""

    @abstractmethod
    def write_batch(self, batch: list[tuple[Any, int]]) -> Mapping[Any, str | None]:
        """Write ``(target, quantity)`` pairs; the channel's refusal per target refused."""

    def minimum_calls(self, changes: Sequence[ListingChange]) -> int:
        """One call per ``max_batch`` distinct targets."""
        distinct = len({t for t in map(self.target, changes) if t is not None})
        return -(-distinct // self.max_batch)

    def push(self, changes: Sequence[ListingChange]) -> list[PushOutcome]:
        """Push every change; one outcome per change, same order."""
        pending = list(last_figures(changes, self.target).items())
        refusals: dict[Any, str | None] = {}
        for at in range(0, len(pending), self.max_batch):
            refusals.update(self.write_batch(pending[at:at + self.max_batch]))
        out = []
        for change in changes:
            found = self.target(change)
            if found is None:
                out.append(PushOutcome(change.listing_id, "failed", error=self.unnamed))
                continue
            refused = refusals.get(found)
            out.append(PushOutcome(change.listing_id, "failed" if refused else "pushed",
                                   error=refused,
                                   channel_quantity=None if refused else change.quantity))
        return out
