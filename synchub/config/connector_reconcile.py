"""``reconcile:`` of a connector: where the reconciliation report reads the channel's own figures.

``reconcile: {orders: {stream: order_totals, amount: total_price, currency: currency}}``
says that the day's orders, as the channel counts them, come from stream ``order_totals``
(read live for the day's window, never stored; see :mod:`synchub.ledger.channel_counts`),
each record's total at ``amount`` and its currency at ``currency``. The stream's
incremental ``cursor_field`` is the record's creation time: it places a record in a day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from synchub.config.connector_parts import JMESPath, StrictModel

if TYPE_CHECKING:
    from synchub.config.connector import ConnectorSpec
    from synchub.config.loader import KeyPath


class ReconcileSourceSpec(StrictModel):
    """One figure the channel gives for a day: a stream and the fields it sums."""

    stream: str = Field(description="A stream of this connector, incremental on the "
                                    "record's creation time (its cursor_field).")
    amount: JMESPath = Field(description="Where a record holds its total, e.g. total_price.")
    currency: JMESPath = Field(description="Where a record holds its ISO 4217 currency.")


class ReconcileSpec(StrictModel):
    """What the daily reconciliation report asks this system (docs/ledger.md)."""

    orders: ReconcileSourceSpec | None = Field(
        default=None, description="The day's orders as the channel counts them.")


def check_reconcile(spec: ConnectorSpec) -> list[tuple[KeyPath, str]]:
    """Each ``reconcile`` source names a plain stream with a start param for its window."""
    if spec.reconcile is None:
        return []
    out: list[tuple[KeyPath, str]] = []
    for figure, source in (("orders", spec.reconcile.orders),):
        if source is None:
            continue
        where: KeyPath = ("reconcile", figure, "stream")
        stream = spec.streams.get(source.stream)
        if stream is None:
            out.append((where, f"unknown stream {source.stream!r}; streams: "
                               f"{', '.join(sorted(spec.streams))}"))
            continue
        if getattr(stream, "parent", None) is not None or getattr(stream, "inputs", None):
            out.append((where, f"stream {source.stream!r} is read for a day's window; it "
                               "cannot be a substream or fed by inputs"))
        inc = getattr(stream, "incremental", None)
        if inc is None or getattr(inc, "start_param", None) is None:
            out.append((where, f"stream {source.stream!r} needs incremental with start_param "
                               "(its cursor_field is the record's creation time)"))
    return out
