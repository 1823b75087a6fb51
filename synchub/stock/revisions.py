"""Channels that cap revisions per listing per day: count them, hold back what can wait.

Some marketplaces refuse a listing's revisions past a daily cap (and block it until the next
day). A channel whose stock config names ``daily_revisions`` gets its changes through
:func:`gate` first: a listing below ``limit - reserve`` revisions today gets every change;
from there on only a change that matters goes (to zero, back from zero, or by at least
``min_change`` units); at ``limit`` nothing goes. What is held back stays unpublished, so
the next run (or the next day) sends the figure then due. :func:`count` adds one revision
per listing the channel took, in the store, with an atomic increment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from synchub.store.stock_tables import listing_revisions
from synchub.store.writer import dialect_insert

if TYPE_CHECKING:
    from synchub.config.stock import DailyRevisions
    from synchub.stock.publish import ListingChange
    from synchub.store import Store

_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class HeldChange:
    """A change not sent because its listing is near (or at) the day's cap."""

    listing_id: str
    sku: str | None
    quantity: int
    expected: int | None
    revisions: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """The change as the run's summary reports it."""
        return {"listing_id": self.listing_id, "sku": self.sku, "quantity": self.quantity,
                "expected": self.expected, "revisions": self.revisions,
                "reason": self.reason}


def channel_day(cfg: DailyRevisions, now: datetime) -> date:
    """The channel's calendar day at ``now``."""
    return now.astimezone(ZoneInfo(cfg.timezone)).date()


def matters(change: ListingChange, min_change: int) -> bool:
    """A change that goes even near the cap: to zero, from zero, or by ``min_change``."""
    if change.expected is None or change.quantity == 0 or change.expected == 0:
        return True
    return abs(change.quantity - change.expected) >= min_change


def revisions_today(store: Store, channel: str, day: date,
                    listing_ids: Iterable[str]) -> dict[str, int]:
    """Revisions each listing got on ``day`` (listings without a row are absent)."""
    ids = sorted(set(listing_ids))
    c = listing_revisions.c
    out: dict[str, int] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(ids), _CHUNK):
            rows = conn.execute(sa.select(c.listing_id, c.revisions).where(
                c.channel == channel, c.day == day,
                c.listing_id.in_(ids[start:start + _CHUNK])))
            out.update({r.listing_id: int(r.revisions) for r in rows})
    return out


def gate(changes: Sequence[ListingChange], counts: dict[str, int], cfg: DailyRevisions
         ) -> tuple[list[int], list[HeldChange]]:
    """Indexes of the changes to send, and the changes held back with the reason."""
    send: list[int] = []
    held: list[HeldChange] = []
    soft = cfg.limit - cfg.reserve
    for i, change in enumerate(changes):
        n = counts.get(change.listing_id, 0)
        if n >= cfg.limit:
            reason = f"daily cap reached: {n} of {cfg.limit} revisions today"
        elif n >= soft and not matters(change, cfg.min_change):
            reason = (f"near the daily cap ({n} of {cfg.limit} revisions today): a change "
                      f"of {abs(change.quantity - (change.expected or 0))} is below "
                      f"min_change {cfg.min_change}")
        else:
            send.append(i)
            continue
        held.append(HeldChange(change.listing_id, change.sku, change.quantity,
                               change.expected, n, reason))
    return send, held


def count(store: Store, channel: str, day: date, listing_ids: Sequence[str],
          now: datetime) -> None:
    """One more revision today for each listing (an atomic increment, one transaction)."""
    if not listing_ids:
        return
    rows = [{"channel": channel, "listing_id": lid, "day": day, "revisions": 1,
             "updated_at": now} for lid in sorted(set(listing_ids))]
    with store.transaction() as conn:
        for start in range(0, len(rows), _CHUNK):
            ins = dialect_insert(conn, listing_revisions)
            conn.execute(ins.on_conflict_do_update(
                index_elements=[listing_revisions.c.channel, listing_revisions.c.listing_id,
                                listing_revisions.c.day],
                set_={"revisions": listing_revisions.c.revisions + 1,
                      "updated_at": ins.excluded.updated_at}), rows[start:start + _CHUNK])
