"""Salesforce mapping transforms: Date fields take ``YYYY-MM-DD`` and nothing longer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from synchub.mapping.transforms import TransformTable

TRANSFORMS = TransformTable()


@TRANSFORMS("sf_date")
def sf_date(value: Any) -> Any:
    """An aware time (or ISO text) as its UTC day, ``2025-03-01``: a Date field refuses
    a time of day."""
    if value is None or value == "":
        return None
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        raise ValueError(f"time {str(value)[:40]!r} has no offset")
    return dt.astimezone(UTC).date().isoformat()
