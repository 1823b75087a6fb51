"""What a sink writer receives and answers, whatever the sink's API.

The engine (:mod:`synchub.delivery.engine`) routes stored changes to ``deliveries`` rows,
loads the due ones in dependency order, maps each canonical document through the route's
write mapping and hands batches of :class:`DeliveryItem` to the sink's writer. The writer
talks to the sink and answers one :class:`DeliveryResult` per item; the engine records the
outcome, retries with backoff, dead-letters, and keeps the sink's ids as bindings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from synchub.errors import FatalAPIError, RetriableAPIError

if TYPE_CHECKING:
    from synchub.config.connector_writes import WriterSpec
    from synchub.runtime import ConnectionInfo, ConnectorClient

Outcome = Literal["delivered", "skipped", "retry", "failed", "deferred"]


@dataclass(frozen=True, slots=True)
class DeliveryItem:
    """One record to write to one sink.

    ``payload`` is the route's write mapping applied to ``document`` (None for writers
    without a mapping). ``remote_id`` is the sink's id of this record when the hub has
    delivered it before, else None: a writer creates when it is None, after looking the
    record up by its idempotency reference (a timeout after the sink committed must not
    create a second record). ``parents`` maps a parent's entity to its id in this sink
    (e.g. ``{"order": "42"}`` for a refund), filled for the parents the writer declared.
    """

    delivery_id: int
    route: str
    entity: str
    record_id: str
    source_connection: str
    document: dict[str, Any]
    payload: Any
    idempotency_key: str
    remote_id: str | None = None
    delivered_hash: str | None = None
    attempt: int = 1
    parents: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What became of one item.

    ``delivered``: the sink holds this version now (``remote_id`` is its id there).
    ``skipped``: nothing was sent, the sink already held exactly this.
    ``retry``: a transient failure (timeout, 5xx, 429); tried again after a backoff
    (``retry_after`` seconds when the sink said), dead-lettered after ``max_attempts``.
    ``failed``: the sink refused it and retrying will not help (``error`` says why);
    dead-lettered at once, replayable after the cause is fixed.
    ``deferred``: a parent is not in the sink yet; tried again later, without using up
    an attempt.
    """

    delivery_id: int
    outcome: Outcome
    remote_id: str | None = None
    error: str | None = None
    retry_after: float | None = None


class NoOptions(BaseModel):
    """Writers without options refuse any."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SinkWriter(ABC):
    """Writes the records of one route to one sink in the fewest calls its API allows.

    Subclasses set ``options_model`` (validating ``WriterSpec.options``) and implement
    :meth:`write`. A writer raising :class:`~synchub.errors.RetriableAPIError` makes every
    item of the batch ``retry``; :class:`~synchub.errors.FatalAPIError` makes them
    ``failed``. Per-item problems are answered per item.
    """

    options_model: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, spec: WriterSpec, client: ConnectorClient | None, *, sink: str,
                 run_id: str, resolve: Callable[[str], ConnectionInfo] | None = None) -> None:
        self.spec, self.client, self.sink, self.run_id = spec, client, sink, run_id
        # a writer without a client (a feed consumer's) reads its Connection through this;
        # None: ``AIRFLOW_CONN_<ID>``
        self.resolve = resolve
        self.options: Any = self.options_model.model_validate(spec.options)

    @property
    def max_batch(self) -> int:
        """Items per :meth:`write` call."""
        return self.spec.batch_size

    def parents(self, document: dict[str, Any]) -> list[tuple[str, str]]:
        """``(entity, canonical id)`` of records that must be in this sink before this one.

        The engine defers the item until each parent routed to this sink is delivered and
        passes the parents' sink ids in :attr:`DeliveryItem.parents`.
        """
        return []

    @abstractmethod
    def write(self, items: Sequence[DeliveryItem]) -> list[DeliveryResult]:
        """Write the items (at most :attr:`max_batch`); one result per item, same order."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the writer holds (the engine closes the client itself)."""


class ItemFailure(Exception):
    """The sink refused one item for a reason retrying will not change (the message says it)."""


class PerItemWriter(SinkWriter):
    """A writer whose API takes one record per call: errors are answered per item."""

    def write(self, items: Sequence[DeliveryItem]) -> list[DeliveryResult]:
        """One result per item, same order; one item's failure never stops the others."""
        out = []
        for item in items:
            try:
                out.append(self.write_one(item))
            except ItemFailure as exc:
                out.append(DeliveryResult(item.delivery_id, "failed", error=str(exc)))
            except RetriableAPIError as exc:
                out.append(DeliveryResult(item.delivery_id, "retry", error=exc.message,
                                          retry_after=exc.retry_after))
            except FatalAPIError as exc:
                out.append(DeliveryResult(item.delivery_id, "failed", error=exc.message))
        return out

    @abstractmethod
    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """Write one item; raise :class:`ItemFailure` or an API error when it cannot."""


def settle_batch(items: Sequence[DeliveryItem],
                 work: Callable[[dict[int, DeliveryResult]], None]) -> list[DeliveryResult]:
    """Run a batch writer's ``work(results)``; what it left undecided when an API error
    stopped it is answered ``retry`` (transient) or ``failed`` (refused), the rest kept."""
    results: dict[int, DeliveryResult] = {}
    try:
        work(results)
    except RetriableAPIError as exc:
        for item in items:
            results.setdefault(item.delivery_id, DeliveryResult(
                item.delivery_id, "retry", error=exc.message, retry_after=exc.retry_after))
    except FatalAPIError as exc:
        for item in items:
            results.setdefault(item.delivery_id, DeliveryResult(
                item.delivery_id, "failed", error=exc.message))
    return [results[item.delivery_id] for item in items]
