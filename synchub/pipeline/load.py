"""Load: a mapped page, its dead letters and the stream's new state in one transaction.

The store commits a page atomically (:meth:`synchub.store.Store.write_page`); a run killed
at any point resumes from the last committed page with nothing lost or stored twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DataError

from synchub.store import DeadLetterIn, PageResult, Store

_NUL_REASON = ("contains a NUL character (\\u0000), which PostgreSQL cannot store; "
               "NULs in the kept raw record are shown as U+FFFD")


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def load_page(store: Store, connection: str, stream: str, page: Any, mapped: Any,
              hooks: Any = ()) -> PageResult:
    """Write a page; records the database refuses to hold (NUL) go to dead letters instead.

    The check costs nothing on the normal path: only a page the database rejected is searched
    for such records, which are quarantined before the page is written again.
    """
    records, dead = mapped.records, list(mapped.dead)
    try:
        return store.write_page(connection=connection, stream=stream, records=records,
                                dead_letters=dead, state=page.state, hooks=hooks)
    except DataError:
        bad = {i for i, r in enumerate(records) if "\\u0000" in r.document}
        if not bad:
            raise
    keep = [r for i, r in enumerate(records) if i not in bad]
    for i in sorted(bad):
        rec = records[i]
        raw = page.records[mapped.origins[i]] if i < len(mapped.origins) else {}
        dead.append(DeadLetterIn(entity=rec.entity, record_id=rec.external_id,
                                 reason=_NUL_REASON, field=None, raw=_without_nul(raw)))
    return store.write_page(connection=connection, stream=stream, records=keep,
                            dead_letters=dead, state=page.state, hooks=hooks)
