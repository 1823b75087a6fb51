"""Store-fed streams: the hub's open parcels become the requests of a courier stream.

A stream with ``inputs: {from_store: open_parcels, carriers: [dhl]}`` is read by
:func:`synchub.pipeline.read_stream` instead of a cursor walk: the store is asked for the
open tracking numbers of those carriers (:func:`open_parcels`), then the API once per number. Every
record the API returns is tagged with ``_input`` (tracking number, carrier and the order the
parcel belongs to), so the courier's mapping can link its shipment to the order. A number
the API does not know (``not_found`` statuses, 404 by default) gives one record
``{"_input": ..., "_not_found": true}``, which the mapping turns into status ``unknown``:
one parcel too new or mistyped for the courier does not stop the others.

Each number's records are one page, committed on their own, so a run stopped midway keeps
what it fetched; the stream has no cursor (every run asks about every open number).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.couriers.status import FINAL_STATUSES
from synchub.store.tables import entity_table

if TYPE_CHECKING:
    from synchub.config.connector_inputs import StoreInputsSpec
    from synchub.store import Store


@dataclass(frozen=True, slots=True)
class ParcelInput:
    """One open tracking number and the parcel record it came from."""

    tracking_number: str
    carrier: str | None
    order_connection: str | None
    order_external_id: str | None
    shipment_id: str

    @property
    def key(self) -> str:
        """What a record of the answer is matched on (``match_field``)."""
        return self.tracking_number

    def as_dict(self) -> dict[str, Any]:
        """The ``_input`` a mapping sees."""
        return asdict(self)


def carrier_matches(carrier: str | None, words: list[str]) -> bool:
    """True when one of ``words`` is a word (or word start) of the carrier's name."""
    if not carrier:
        return False
    name = carrier.lower()
    return any(re.search(rf"(?<![a-z0-9]){re.escape(w.lower())}", name) for w in words)


def open_parcels(store: Store, *, connection: str, carriers: list[str], max_age: Any,
                 now: datetime | None = None) -> list[ParcelInput]:
    """The tracking numbers ``connection`` should ask about now, oldest parcel first.

    A number is open when a shipment of another connection carries it with a matching
    carrier and changed within ``max_age``, and no shipment with that number (the courier's
    own one included) says delivered, returned or expired. The order link comes from the
    first parcel that has one; a channel's own shipment points at its own connection.
    """
    table = entity_table("shipment")
    since = (now or datetime.now(UTC)) - max_age
    number = table.c.data["tracking_number"].as_string()
    query = (sa.select(table.c.id, table.c.connection, number.label("number"),
                       table.c.data["carrier"].as_string().label("carrier"),
                       table.c.data["status"].as_string().label("status"),
                       table.c.order_connection, table.c.order_external_id)
             .where(table.c.updated_at >= since, number.is_not(None))
             .order_by(table.c.first_seen_at, table.c.id))
    found: dict[str, ParcelInput] = {}
    final: set[str] = set()
    with store.engine.connect() as conn:
        for row in conn.execute(query):
            key = (row.number or "").strip()
            if not key:
                continue
            if row.status in FINAL_STATUSES:
                final.add(key)
            if row.connection == connection or not carrier_matches(row.carrier, carriers):
                continue
            order_conn = row.order_connection or (row.connection if row.order_external_id
                                                  else None)
            seen = found.get(key)
            if seen is None or (seen.order_external_id is None and row.order_external_id):
                found[key] = ParcelInput(key, row.carrier, order_conn, row.order_external_id,
                                         row.id)
    return [p for k, p in found.items() if k not in final]


def open_parcels_source(store: Store, *, connection: str, spec: StoreInputsSpec
                        ) -> list[ParcelInput]:
    """The ``open_parcels`` source: the open parcels of the stream's carriers."""
    return open_parcels(store, connection=connection, carriers=spec.carriers,
                        max_age=spec.max_age)
