"""Shopify search syntax in ``query:`` arguments, e.g. ``updated_at:>'2025-01-01T00:00:00Z'``."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from synchub.sandbox.kit.times import parse_time

OPS = (">=", "<=", ">", "<", "=")


@dataclass(frozen=True, slots=True)
class Term:
    """One ``field:op value`` condition."""

    field: str
    op: str
    value: str


def parse_search(text: str | None) -> list[Term]:
    """Terms of a search string; connectives (AND) are implied, unknown words are ignored."""
    if not text:
        return []
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    terms = []
    for word in words:
        if ":" not in word or word.upper() in ("AND", "OR"):
            continue
        field, _, rest = word.partition(":")
        op = next((o for o in OPS if rest.startswith(o)), "=")
        value = rest[len(op):] if rest.startswith(op) else rest
        terms.append(Term(field.lower(), op, value.strip("'\"")))
    return terms


def compare(left: Any, op: str, right: Any) -> bool:
    """``left <op> right`` for one of :data:`OPS`."""
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    return bool(left == right)


def matches(terms: list[Term], fields: dict[str, Any]) -> bool:
    """True when the record's searchable ``fields`` satisfy every term it knows about.

    Time fields are epoch seconds in ``fields``; a term on a field the record does not have
    is ignored, as Shopify ignores unknown filters. ValueError on an unparseable time.
    """
    for term in terms:
        if term.field not in fields:
            continue
        have = fields[term.field]
        if term.field in ("updated_at", "created_at"):
            if not compare(have, term.op, parse_time(term.value)):
                return False
        elif isinstance(have, str):
            if not compare(have.lower(), term.op, term.value.lower()):
                return False
        elif not compare(str(have), term.op, term.value):
            return False
    return True
