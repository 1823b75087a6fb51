"""What a channel's stock publisher receives and answers, whatever the channel's API."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from synchub.errors import ConfigError

if TYPE_CHECKING:
    from synchub.config.connector import StockPublisherSpec
    from synchub.runtime import ConnectorClient

OutcomeStatus = Literal["pushed", "unchanged", "conflict", "failed"]


@dataclass(frozen=True, slots=True)
class ListingChange:
    """One listing whose published quantity should change.

    ``listing_id`` is the channel's InventoryLevel external id (``<item>:<location>``).
    ``expected`` is what the hub believes the channel shows now (the compare value of a
    compare-and-set), or None when it has never seen a figure.
    """

    listing_id: str
    quantity: int
    expected: int | None
    sku: str | None = None
    inventory_item_id: str | None = None
    location_id: str | None = None
    product_id: str | None = None
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """What became of one change.

    ``pushed``: the channel now shows ``quantity``. ``unchanged``: nothing was sent, the
    channel already showed it. ``conflict``: the channel's figure moved under us and the
    hub did not overwrite it; ``channel_quantity`` is the figure re-read. ``failed``: the
    channel refused the listing (``error`` says why); the rest of the batch went through.
    """

    listing_id: str
    status: OutcomeStatus
    channel_quantity: int | None = None
    error: str | None = None


@dataclass
class PublishStats:
    """API calls a publisher made, split by purpose."""

    write_calls: int = 0
    read_calls: int = 0
    conflicts: int = 0
    retried_batches: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class NoOptions(BaseModel):
    """A publisher without options of its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StockPublisher(ABC):
    """Pushes absolute quantities to one channel in the fewest calls its API allows.

    ``Options`` is the model of the connector's ``stock_publisher.options``; a publisher
    with settings of its own overrides it.
    """

    Options: type[BaseModel] = NoOptions

    def __init__(self, spec: StockPublisherSpec, client: ConnectorClient, *,
                 run_id: str) -> None:
        self.spec, self.client, self.run_id = spec, client, run_id
        try:
            self.options: Any = self.Options.model_validate(spec.options)
        except ValidationError as exc:
            raise ConfigError(f"stock_publisher {spec.type!r}: {_first(exc)}",
                              key="stock_publisher.options") from None
        self.stats = PublishStats()

    @property
    def max_batch(self) -> int:
        """Listings per write call (the API's limit, or less if the connector says so)."""
        return self.spec.batch_size

    def minimum_calls(self, changes: Sequence[ListingChange]) -> int:
        """The fewest write calls the channel's API allows for these changes."""
        return -(-len(changes) // self.max_batch)

    @abstractmethod
    def push(self, changes: Sequence[ListingChange]) -> list[PushOutcome]:
        """Push every change (batching internally); one outcome per change, same order."""


def _first(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]
