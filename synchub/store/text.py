"""Text no database can hold: NUL characters and lone surrogates.

PostgreSQL refuses NUL (``\\u0000``) in text and JSONB; no UTF-8 encoder (psycopg's,
sqlite3's, pydantic's) can write a lone surrogate (``\\ud800``), which JSON escapes let a
source send. Neither is searched for on the normal path: a record holding one is found
when the database or an encoder refuses its page, and what is kept of it (a dead letter's
raw record, reason, field) has such characters replaced by U+FFFD.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# in serialized JSON a NUL is the escape \u0000; a surrogate stays a character
_UNSTORABLE_JSON = re.compile(r"\\u0000|[\ud800-\udfff]")


def storable(value: Any) -> Any:
    """``value`` with NUL and lone surrogates in its strings and keys replaced by U+FFFD.

    A value holding none is returned as it is (searched, not copied).
    """
    return value if unstorable_path(value) is None else _replaced(value)


def _replaced(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub(REPLACEMENT, value)
    if isinstance(value, dict):
        return {_replaced(k): _replaced(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replaced(v) for v in value]
    return value


def unstorable_in_json(document: str) -> bool:
    """Whether a serialized JSON document holds a NUL escape or a lone surrogate."""
    return _UNSTORABLE_JSON.search(document) is not None


def unstorable_path(value: Any, path: str = "", *, nul: bool = True
                    ) -> tuple[str, str] | None:
    """The first place in ``value`` holding such a character: (path, what), else None.

    ``path`` is dotted with list indexes (``line_items[0].name``); ``what`` says which
    character it is; ``nul=False`` looks for lone surrogates only. Walks the whole value:
    for records already refused, not every record.
    """
    if isinstance(value, str):
        found = (_UNSTORABLE if nul else _SURROGATE).search(value)
        if found is None:
            return None
        char = found.group()
        what = ("a NUL character (\\u0000), which PostgreSQL cannot store" if char == "\x00" else
                f"a lone surrogate (\\u{ord(char):04x}), which is not valid Unicode")
        return path or "(value)", what
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            hit = unstorable_path(key, here, nul=nul) or unstorable_path(item, here, nul=nul)
            if hit is not None:
                return hit
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            hit = unstorable_path(item, f"{path}[{n}]", nul=nul)
            if hit is not None:
                return hit
    return None
