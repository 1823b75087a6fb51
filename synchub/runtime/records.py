"""Page items the runtime cannot hand on as records, and why.

A page is a list of JSON objects. An item that is something else (a string, a number, a
list, null), or an object whose cursor field is not a time the window can compare, is set
aside as a :class:`RejectedRecord` beside the page's good records: the pipeline quarantines
it in the page's transaction while the rest of the page is stored and the cursor moves on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# JSON's names for Python's parsed values, as an operator reading a reason knows them
_JSON_TYPES = {str: "string", int: "number", float: "number", bool: "boolean",
               list: "array", dict: "object", type(None): "null"}
_IS_OBJECT = dict.__instancecheck__


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A page item set aside: the item (an object, else wrapped as ``{"value": item}``),
    the field at fault (None for the item as a whole) and the reason."""

    raw: Any
    reason: str
    field: str | None = None


def json_type(value: Any) -> str:
    """``string``, ``number``, ``boolean``, ``array``, ``object`` or ``null``."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def split_objects(items: list[Any]) -> tuple[list[dict[str, Any]], list[RejectedRecord]]:
    """The objects of a page, and its other items as rejected records ("page item N", from 1).

    Callers check :func:`only_objects` first: the split runs for a mixed page only.
    """
    good: list[dict[str, Any]] = []
    rejected: list[RejectedRecord] = []
    for n, item in enumerate(items, start=1):
        if isinstance(item, dict):
            good.append(item)
        else:
            kind = json_type(item)
            article = "an" if kind[0] in "aeiou" else "a"
            rejected.append(RejectedRecord(
                {"value": item}, f"page item {n} is {article} {kind}, not an object"))
    return good, rejected


def only_objects(items: list[Any]) -> bool:
    """True when every item is an object (the normal page; one pass in C, no record walk)."""
    return all(map(_IS_OBJECT, items))
