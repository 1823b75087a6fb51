"""Load: a mapped page, its dead letters and the stream's new state in one transaction.

The store commits a page atomically (:meth:`synchub.store.Store.write_page`); a run killed
at any point resumes from the last committed page with nothing lost or stored twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DataError

from synchub.store import DeadLetterIn, PageResult, Store
from synchub.store.text import unstorable_in_json, unstorable_path

_KEPT = "; in the kept raw record such characters are shown as U+FFFD"


def load_page(store: Store, connection: str, stream: str, page: Any, mapped: Any,
              hooks: Any = ()) -> PageResult:
    """Write a page; records the database cannot hold go to dead letters instead.

    Such records hold a NUL character (PostgreSQL refuses it) or a lone surrogate (no
    UTF-8 encoder writes it). The check costs nothing on the normal path: only a page the
    database or its encoder rejected is searched for them, and they are quarantined with
    the field that holds one before the page is written again.
    """
    records, dead = mapped.records, list(mapped.dead)
    try:
        return store.write_page(connection=connection, stream=stream, records=records,
                                dead_letters=dead, state=page.state, hooks=hooks)
    except (DataError, UnicodeEncodeError):
        bad = {i for i, r in enumerate(records)
               if unstorable_in_json(r.document) or unstorable_in_json(r.external_id)}
        if not bad:
            raise
    keep = [r for i, r in enumerate(records) if i not in bad]
    for i in sorted(bad):
        rec = records[i]
        raw = page.records[mapped.origins[i]] if i < len(mapped.origins) else {}
        found = unstorable_path(raw)
        if found is None:  # not in the raw record: the mapping's context put it there
            field, reason = None, "holds a NUL character or a lone surrogate"
        else:
            field, what = found
            reason = f"{field}: holds {what}"
        dead.append(DeadLetterIn(entity=rec.entity, record_id=rec.external_id,
                                 reason=reason + _KEPT, field=field, raw=raw))
    return store.write_page(connection=connection, stream=stream, records=keep,
                            dead_letters=dead, state=page.state, hooks=hooks)
