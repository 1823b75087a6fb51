"""What a channel itself says of a day's orders, read live from its API, never stored.

A connector declares the source in ``reconcile.orders`` (see
:mod:`synchub.config.connector_reconcile`): a stream incremental on the order's creation
time and where a record holds its total and currency. The day is ``[00:00, 24:00)`` UTC;
the stream is read through :class:`~synchub.runtime.ConnectorClient` with the window set
from it (cursor = the day's start, window end = the next day's start plus the stream's
safety lag) and records outside the day are dropped, whatever the API's bounds include.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import jmespath

from synchub.errors import ConfigError
from synchub.runtime.incremental import format_cursor, parse_cursor

if TYPE_CHECKING:
    from synchub.plan import Hub
    from synchub.runtime import ConnectorClient

ClientFor = Callable[[str], "ConnectorClient | None"]


@dataclass
class DayOrders:
    """Orders created on one day as the channel counts them, per currency."""

    connection: str
    stream: str
    counts: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    unreadable: int = 0  # records without a readable amount or currency (not counted)

    def add(self, currency: str, amount: Decimal) -> None:
        """Count one order."""
        self.counts[currency] = self.counts.get(currency, 0) + 1
        self.amounts[currency] = self.amounts.get(currency, Decimal(0)) + amount


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start of ``day`` and of the next day."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def has_order_source(hub: Hub, connection: str) -> bool:
    """Whether the connection's connector says where its own order figures are."""
    reconcile = hub.connection(connection).connector.reconcile
    return reconcile is not None and reconcile.orders is not None


def channel_orders(hub: Hub, connection: str, day: date, client: ConnectorClient
                   ) -> DayOrders | None:
    """The day's orders as ``connection`` counts them; None when its connector has no source.

    API errors propagate (the runtime's :class:`~synchub.errors.APIError` family).
    """
    spec = hub.connection(connection).connector
    source = spec.reconcile.orders if spec.reconcile is not None else None
    if source is None:
        return None
    stream = spec.streams[source.stream]
    inc = getattr(stream, "incremental", None)
    if inc is None:  # connector_reconcile.check_reconcile refuses such a file
        raise ConfigError(f"stream {source.stream!r} of {spec.system!r} is not incremental",
                          key="reconcile.orders.stream")
    start, end = day_bounds(day)
    out = DayOrders(connection=connection, stream=source.stream)
    amount_at, currency_at = jmespath.compile(source.amount), jmespath.compile(source.currency)
    zone = ZoneInfo(inc.cursor_timezone) if inc.cursor_timezone else None
    state = {"cursor": format_cursor(start)}
    for page in client.read(source.stream, state=state, window_end=end + inc.safety_lag):
        out.unreadable += len(page.rejected)   # not an object, or no time to place it by
        for record in page.records:
            raw_time = record.get(inc.cursor_field)
            try:
                created = parse_cursor(raw_time, zone)
            except ValueError:
                out.unreadable += 1
                continue
            if not start <= created < end:
                continue  # the API's bounds may be inclusive, or a lookback wider
            currency, amount = currency_at.search(record), amount_at.search(record)
            try:
                value = Decimal(str(amount)) if isinstance(amount, str | int | float | Decimal) \
                    and not isinstance(amount, bool) else None
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite() or not isinstance(currency, str):
                out.unreadable += 1
                continue
            out.add(currency.strip().upper(), value)
    return out
