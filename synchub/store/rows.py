"""Rows the store writes: entity rows with their typed columns, bindings, dead letters."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from synchub.canonical import (
    BalanceTransaction,
    CanonicalRecord,
    Customer,
    FxRate,
    InventoryLevel,
    LedgerEntry,
    Order,
    Payout,
    Product,
    Refund,
    ServiceTicket,
    Shipment,
)
from synchub.store.engine import RawJson, dumps
from synchub.store.tables import dead_letters
from synchub.store.text import storable
from synchub.store.types import DeadLetterIn, StoredRecord


def _typed_values(record: CanonicalRecord) -> dict[str, Any]:
    # Read straight from the model (exact Decimal, aware datetime), not from the JSON dump.
    if isinstance(record, Order):
        return {
            "number": record.number,
            "status": record.status,
            "currency": record.currency,
            "total_amount": record.total.amount,
            "placed_at": record.placed_at,
            "source_updated_at": record.updated_at,
        }
    if isinstance(record, Product):
        return {"sku": record.sku}
    if isinstance(record, InventoryLevel):
        return {
            "sku": record.sku,
            "location_external_id": record.location_external_id,
            "available": record.available,
            "on_hand": record.on_hand,
            "reserved": record.reserved,
            "location_name": record.location_name,
            "item_external_id": record.inventory_item_external_id,
            "product_external_id": record.product_external_id,
            "parent_external_id": record.parent_external_id,
            "source_updated_at": record.updated_at,
        }
    if isinstance(record, Shipment):
        return {"order_connection": record.order_connection,
                "order_external_id": record.order_external_id}
    if isinstance(record, Customer):
        return {"source_updated_at": record.updated_at}
    if isinstance(record, ServiceTicket):
        return {"status": record.status, "customer_connection": record.customer_connection,
                "customer_external_id": record.customer_external_id,
                "order_connection": record.order_connection,
                "order_external_id": record.order_external_id,
                "source_updated_at": record.updated_at}
    return _money_values(record)


def _money_values(record: CanonicalRecord) -> dict[str, Any]:
    if isinstance(record, Refund):
        return {"order_external_id": record.order_external_id, "created_at": record.created_at,
                "currency": record.amount.currency, "amount": record.amount.amount}
    if isinstance(record, Payout):
        return {"status": record.status, "currency": record.amount.currency,
                "amount": record.amount.amount, "issued_at": record.issued_at}
    if isinstance(record, BalanceTransaction):
        return {"type": record.type, "currency": record.amount.currency,
                "amount": record.amount.amount, "net": record.net.amount,
                "processed_at": record.processed_at,
                "order_external_id": record.order_external_id,
                "payout_external_id": record.payout_external_id}
    if isinstance(record, FxRate):
        return {"base": record.base, "quote": record.quote, "rate_date": record.rate_date,
                "rate": record.rate, "provider": record.provider}
    if isinstance(record, LedgerEntry):
        debit, credit, fdebit, fcredit = record.totals()
        return {"kind": record.kind, "channel": record.channel, "posted_on": record.posted_on,
                "posted_at": record.posted_at, "currency": record.currency,
                "functional_currency": record.functional_currency, "total_debit": debit,
                "total_credit": credit, "functional_total_debit": fdebit,
                "functional_total_credit": fcredit, "corrects": record.corrects}
    return {}


def to_stored(record: CanonicalRecord | StoredRecord) -> StoredRecord:
    """The write-ready form of a canonical record (its JSON document serialized once)."""
    if isinstance(record, StoredRecord):
        return record
    return StoredRecord(entity=record.entity, id=record.id,
                        connection=record.source.connection,
                        external_id=record.source.external_id,
                        content_hash=record.content_hash, document=record.document_json(),
                        typed=_typed_values(record))


def entity_row(record: StoredRecord, now: datetime) -> dict[str, Any]:
    """The row of one canonical record; ``data`` is its JSON document, dumped once."""
    row: dict[str, Any] = {
        "id": record.id,
        "connection": record.connection,
        "external_id": record.external_id,
        "content_hash": record.content_hash,
        "data": RawJson(record.document),
        "first_seen_at": now,
        "updated_at": now,
        # a stored version is a record that exists: a changed version of a deleted record
        # brings it back (synchub.store.tombstones)
        "deleted_at": None,
    }
    row.update(record.typed)
    return row


def binding_row(record: StoredRecord, now: datetime) -> dict[str, Any]:
    """The id-map row of a record: (connection, entity, external id) -> canonical id."""
    return {
        "connection": record.connection,
        "entity": record.entity,
        "external_id": record.external_id,
        "canonical_id": record.id,
        "first_seen_at": now,
    }


_RECORD_ID_LENGTH: int = getattr(dead_letters.c.record_id.type, "length", None) or 255
_FIELD_LENGTH: int = getattr(dead_letters.c.field.type, "length", None) or 255


def _fit(text: str | None, length: int) -> str | None:
    if text is None or len(text) <= length:
        return text
    return text[:length - 1] + "\u2026"


def dead_letter_key(letter: DeadLetterIn) -> str:
    """Identity of "the same problem with the same record": record id (or raw hash) + reason."""
    if letter.record_id is not None:
        who = f"id:{letter.record_id}"
    else:
        raw = dumps(letter.raw, sort_keys=True)
        who = "raw:" + hashlib.sha256(raw.encode()).hexdigest()
    return hashlib.sha256(f"{who}\x1f{letter.reason}".encode()).hexdigest()


def storable_letter(letter: DeadLetterIn) -> DeadLetterIn:
    """The letter with NUL and lone surrogates replaced by U+FFFD in every text it holds."""
    try:
        raw = storable(letter.raw)
    except RecursionError:  # nested deeper than Python walks: keep the letter, not the raw
        raw = {"_error": "the raw record is nested too deep to keep"}
    return DeadLetterIn(entity=letter.entity, record_id=storable(letter.record_id),
                        reason=storable(letter.reason), field=storable(letter.field), raw=raw)


def dead_letter_rows(
    letters: Iterable[DeadLetterIn], connection: str, stream: str, now: datetime
) -> list[dict[str, Any]]:
    """Rows for the dead-letter upsert, one per dedupe key (repeats in a page add attempts)."""
    rows: dict[str, dict[str, Any]] = {}
    for letter in letters:
        # whatever a bad record holds, its dead letter can be written (and keyed)
        letter = storable_letter(letter)
        key = dead_letter_key(letter)
        if key in rows:
            rows[key]["attempts"] += 1
            rows[key]["raw"] = letter.raw
            continue
        rows[key] = {
            "connection": connection,
            "stream": stream,
            "entity": letter.entity,
            # a record can be quarantined for an id or a field path too long for the
            # columns: both are cut to fit (the key above and the raw record keep them whole)
            "record_id": _fit(letter.record_id, _RECORD_ID_LENGTH),
            "dedupe_key": key,
            "reason": letter.reason,
            "field": _fit(letter.field, _FIELD_LENGTH),
            "raw": letter.raw,
            "attempts": 1,
            "first_seen_at": now,
            "last_seen_at": now,
            "resolved_at": None,
        }
    return list(rows.values())
