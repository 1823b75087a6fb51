"""Store-fed streams: the hub's open parcels become the requests of a courier stream.

A stream with ``inputs: {from_store: open_parcels, carriers: [dhl]}`` is read by
:func:`read_stream` instead of a cursor walk: the store is asked for the open tracking
numbers of those carriers (:func:`open_parcels`), then the API once per number. Every
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
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.couriers.status import FINAL_STATUSES
from synchub.errors import FatalAPIError
from synchub.runtime.client import Page
from synchub.store.tables import entity_table

if TYPE_CHECKING:
    from synchub.config.connector_inputs import StoreInputsSpec
    from synchub.runtime import ConnectorClient
    from synchub.store import Store


@dataclass(frozen=True, slots=True)
class ParcelInput:
    """One open tracking number and the parcel record it came from."""

    tracking_number: str
    carrier: str | None
    order_connection: str | None
    order_external_id: str | None
    shipment_id: str

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


def read_stream(client: ConnectorClient, stream: str, *, store: Store, connection: str,
                state: dict[str, Any] | None, window_end: datetime | None,
                full_refresh: bool, spec: Any = None) -> Iterator[Page]:
    """The pages of ``stream``: from files (transport ``file``), store-fed when it declares
    ``inputs``, else the usual read.

    ``spec`` is the connection's stream spec (default: the client's).
    """
    if spec is None:
        spec = client.spec.streams.get(stream)
    if getattr(spec, "transport", None) == "file":
        # files in a folder or bucket: the location is the Connection's host
        from synchub.runtime.files import read_files

        return read_files(spec, client.conn, stream=stream, state=state,
                          window_end=window_end, full_refresh=full_refresh)
    inputs = getattr(spec, "inputs", None)
    if inputs is None:
        return client.read(stream, state=state, window_end=window_end,
                           full_refresh=full_refresh)
    parcels = open_parcels(store, connection=connection, carriers=inputs.carriers,
                           max_age=inputs.max_age)
    return _read_inputs(client, stream, inputs, parcels)


def _read_inputs(client: ConnectorClient, stream: str, spec: StoreInputsSpec,
                 parcels: list[ParcelInput]) -> Iterator[Page]:
    number = 0
    for parcel in parcels:
        tag = parcel.as_dict()
        values = {f"input.{k}": v for k, v in tag.items() if v is not None}
        try:
            for page in client.read_with(stream, values):
                number += 1
                records = _pick(page.records, spec.match_field, parcel.tracking_number)
                for rec in records:
                    rec["_input"] = tag
                yield Page(records, None, number)
        except FatalAPIError as exc:
            if exc.status not in spec.not_found:
                raise
            number += 1
            yield Page([{"_input": tag, "_not_found": True}], None, number)


def _pick(records: list[dict[str, Any]], field: str | None, wanted: str
          ) -> list[dict[str, Any]]:
    """All records, or (with ``field``) the one whose field is the number, else the first."""
    if field is None or len(records) <= 1:
        return records
    for rec in records:
        if str(rec.get(field, "")).strip() == wanted:
            return [rec]
    return records[:1]
