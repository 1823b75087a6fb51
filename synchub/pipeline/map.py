"""Map: a page of raw records becomes canonical records and dead letters.

A record a mapping cannot convert is quarantined with its reason (a dead letter naming the
record and field); the rest of the page goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synchub.errors import RecordError
from synchub.mapping import MappingContext
from synchub.store import DeadLetterIn
from synchub.store.text import unstorable_path

if TYPE_CHECKING:
    from synchub.canonical import CanonicalRecord
    from synchub.plan import StreamPlan
    from synchub.runtime import RejectedRecord

# how a lone surrogate is refused: by Python's UTF-8 encoder (pydantic passes its message
# on), by pydantic's own check of a constrained string, or by the canonical model, which
# names its own field; the dead letter names the raw record's path instead
_SURROGATE_FAILURES = ("surrogates not allowed", "unable to parse raw data as a unicode string",
                       "contains a lone surrogate")


def map_page(
    raw_records: list[dict[str, Any]], plan: StreamPlan, connection: str, system: str,
    context: dict[str, Any], origins: list[int] | None = None,
) -> tuple[list[CanonicalRecord], list[Any], int]:
    """Map a page of raw records; return (records, dead letters, records that mapped to nothing).

    When ``origins`` is given it receives, per canonical record, the index of its raw record.
    """
    ctx = MappingContext(connection=connection, system=system, values=context)
    records: list[CanonicalRecord] = []
    dead: list[DeadLetterIn] = []
    skipped = 0
    for index, raw in enumerate(raw_records):
        produced = 0
        for mapping in plan.mappings:
            try:
                out = mapping.apply(raw, ctx)
            except RecordError as exc:
                rid = exc.record_id or _safe_record_id(mapping, raw)
                reason, field = exc.message, exc.field
                if any(marker in reason for marker in _SURROGATE_FAILURES):
                    # an encoder met a lone surrogate: name where it is in the record
                    reason, field = _unstorable_reason(mapping.entity, rid, raw, reason, field)
                dead.append(DeadLetterIn(entity=mapping.entity, record_id=rid,
                                         reason=reason, field=field, raw=raw))
                produced += 1
                continue
            records.extend(out)
            if origins is not None:
                origins.extend([index] * len(out))
            produced += len(out)
        if produced == 0:
            skipped += 1
    return records, dead, skipped


def rejected_letters(rejected: list[RejectedRecord], plan: StreamPlan) -> list[DeadLetterIn]:
    """Dead letters for the page items the runtime set aside (see ``Page.rejected``).

    They are named as the stream's first mapping names its records (entity, record id).
    """
    mapping = plan.mappings[0] if plan.mappings else None
    entity = mapping.entity if mapping is not None else None
    return [DeadLetterIn(entity=entity, record_id=_safe_record_id(mapping, r.raw)
                         if mapping is not None else None,
                         reason=r.reason, field=r.field, raw=r.raw) for r in rejected]


def _unstorable_reason(entity: str, rid: str | None, raw: Any, reason: str,
                       field: str | None) -> tuple[str, str | None]:
    found = unstorable_path(raw, nul=False)
    if found is None:
        return reason, field
    path, what = found
    return f"{entity} {rid or '(no id)'}: {path}: holds {what}", path


def _safe_record_id(mapping: Any, raw: Any) -> str | None:
    try:
        rid = mapping.record_id(raw)
    except Exception:  # a record too broken to name still goes to dead letters
        return None
    return None if rid is None else str(rid)
