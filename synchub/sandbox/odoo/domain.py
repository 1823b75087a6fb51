"""Odoo's search semantics over in-memory records: domains, ``order`` and field checks.

A domain is a list in prefix (Polish) notation: ``'&'``, ``'|'`` take the next two terms,
``'!'`` the next one, and top-level terms are joined by an implicit ``'&'``. A leaf is
``[field, operator, value]``; the field may follow many2one links (``location_id.usage``).
Empty values are ``false``; as in Odoo, ``!=``, ``not in`` and the negative ``like``
operators also match records whose value is empty, while comparisons never do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from synchub.sandbox.odoo.errors import invalid
from synchub.sandbox.odoo.models import MODELS, FieldInfo, Records

Predicate = Callable[[dict[str, Any]], bool]
OPERATORS = frozenset({"=", "!=", ">", ">=", "<", "<=", "in", "not in", "like", "ilike",
                       "not like", "not ilike", "=like", "=ilike"})
_NEGATIVE = frozenset({"!=", "not in", "not like", "not ilike"})
_TRUE_LEAF, _FALSE_LEAF = [1, "=", 1], [0, "=", 1]


def field_info(model: str, name: str) -> FieldInfo:
    """The field ``name`` of ``model``; ValueError (as Odoo) when it does not exist."""
    info = MODELS[model].get(name)
    if info is None:
        raise invalid(f"Invalid field {name!r} on model {model!r}")
    return info


def check_fields(model: str, fields: Any) -> list[str]:
    """The fields to read (all when none are given), each checked, ``id`` always included."""
    if fields in (None, False, []):
        return list(MODELS[model])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise invalid(f"fields must be a list of field names, not {fields!r}")
    for name in fields:
        field_info(model, name)
    return ["id", *(f for f in fields if f != "id")]


def to_time(value: Any) -> datetime | None:
    """A datetime operand or stored value (``2025-03-01 10:00:00``, ``T`` or date only)."""
    if value is False or value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"{value!r} is not a datetime")
    text = value.strip()
    if len(text) == 10:
        text += " 00:00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(f"{value!r} does not match format '%Y-%m-%d %H:%M:%S'") from None
    return parsed.replace(tzinfo=None)


def _like(pattern: str, insensitive: bool, anchored: bool) -> re.Pattern[str]:
    """SQL LIKE as a regex: ``%`` any run, ``_`` one character; ``like`` is a substring."""
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    if not anchored:
        body = f".*{body}.*"
    return re.compile(body, re.IGNORECASE | re.DOTALL if insensitive else re.DOTALL)


class DomainCompiler:
    """Turns a domain into a predicate over the raw records of one model."""

    def __init__(self, records: Records) -> None:
        self.records = records

    def compile(self, model: str, domain: Any) -> Predicate:
        """The predicate of ``domain`` (a list) on records of ``model``."""
        if domain in (None, False):
            domain = []
        if not isinstance(domain, list):
            raise invalid(f"Invalid domain {domain!r}: expected a list")
        items, pos = domain, 0
        terms: list[Predicate] = []

        def term() -> Predicate:
            nonlocal pos
            if pos >= len(items):
                raise invalid(f"Invalid domain {domain!r}: an operator misses its operands")
            item = items[pos]
            pos += 1
            if item == "!":
                inner = term()
                return lambda rec: not inner(rec)
            if item in ("&", "|"):
                left, right = term(), term()
                if item == "&":
                    return lambda rec: left(rec) and right(rec)
                return lambda rec: left(rec) or right(rec)
            return self.leaf(model, item)

        while pos < len(items):
            terms.append(term())
        return lambda rec: all(t(rec) for t in terms)

    def leaf(self, model: str, leaf: Any) -> Predicate:
        """The predicate of one ``[field, operator, value]`` term."""
        if isinstance(leaf, list | tuple) and list(leaf) in (_TRUE_LEAF, _FALSE_LEAF):
            result = list(leaf) == _TRUE_LEAF
            return lambda rec: result
        if not (isinstance(leaf, list | tuple) and len(leaf) == 3 and isinstance(leaf[0], str)):
            raise invalid(f"Invalid leaf {leaf!r}")
        path, op, value = leaf
        if op not in OPERATORS:
            raise invalid(f"Invalid leaf {list(leaf)!r}: unknown operator {op!r}")
        getter, info = self._getter(model, path.split("."), list(leaf))
        test = _operator(info, op, value, list(leaf))
        return lambda rec: test(getter(rec))

    def _getter(self, model: str, parts: list[str], leaf: list[Any]
                ) -> tuple[Callable[[dict[str, Any]], Any], FieldInfo]:
        name, rest = parts[0], parts[1:]
        info = MODELS[model].get(name)
        if info is None:
            raise invalid(f"Invalid field {model}.{name} in leaf {leaf!r}")
        if not rest:
            return (lambda rec: rec.get(name, False)), info
        if info.type != "many2one" or info.relation not in MODELS:
            raise invalid(f"Invalid field {model}.{name} in leaf {leaf!r}: cannot follow "
                          f"{'.'.join(rest)!r}")
        related = self.records[info.relation]
        inner, final = self._getter(info.relation, rest, leaf)

        def follow(rec: dict[str, Any]) -> Any:
            link = rec.get(name)
            target = related.get(link[0]) if isinstance(link, list) and link else None
            return False if target is None else inner(target)

        return follow, final


def _operator(info: FieldInfo, op: str, value: Any, leaf: list[Any]) -> Callable[[Any], bool]:
    """The test of one operator against a stored value (``False`` when empty)."""
    kind = info.type
    negative = op in _NEGATIVE
    if op in ("in", "not in"):
        if not isinstance(value, list):
            raise invalid(f"Invalid leaf {leaf!r}: {op!r} needs a list")
        wanted = [_operand(kind, v) for v in value]
        keep_empty = any(v is None for v in wanted)
        found = {v for v in wanted if v is not None}

        def member(stored: Any) -> bool:
            key = _key(kind, stored)
            hit = keep_empty if key is None else key in found
            return not hit if negative else hit

        return member
    if op in ("=", "!="):
        if kind == "many2one" and isinstance(value, str):
            return _text_test(op, value, lambda s: s[1] if isinstance(s, list) else None)
        target = _operand(kind, value)

        def equal(stored: Any) -> bool:
            # "!= value" keeps empty values too; "!= false" means "is set"
            key = _key(kind, stored)
            return bool(key != target if negative else key == target)

        return equal
    if "like" in op:
        if not isinstance(value, str):
            raise invalid(f"Invalid leaf {leaf!r}: {op!r} needs text")
        pick = (lambda s: s[1] if isinstance(s, list) else None) if kind == "many2one" \
            else (lambda s: s if isinstance(s, str) else None)
        return _text_test(op, value, pick)
    target = _operand(kind, value)
    if target is None:
        return lambda stored: False

    def compare(stored: Any) -> bool:
        key = _key(kind, stored)
        if key is None:
            return False
        try:
            return bool({">": key > target, ">=": key >= target, "<": key < target,
                         "<=": key <= target}[op])
        except TypeError:
            raise invalid(f"Invalid leaf {leaf!r}: cannot compare {stored!r} and "
                          f"{value!r}") from None

    return compare


def _text_test(op: str, value: str, pick: Callable[[Any], str | None]) -> Callable[[Any], bool]:
    if op in ("=", "!="):
        return lambda stored: (pick(stored) == value) != (op == "!=")
    pattern = _like(value, op.endswith("ilike"), op.startswith("="))
    negative = op.startswith("not")

    def test(stored: Any) -> bool:
        text = pick(stored)
        if text is None:
            return negative
        return (pattern.fullmatch(text) is None) if negative else bool(pattern.fullmatch(text))

    return test


def _operand(kind: str, value: Any) -> Any:
    """A domain value as a comparable key (None for ``false``)."""
    if value is False or value is None:
        return None if kind != "boolean" else False
    if kind == "datetime":
        return to_time(value)
    return value


def _key(kind: str, stored: Any) -> Any:
    """A stored value as a comparable key (None when empty)."""
    if kind == "boolean":
        return bool(stored)
    if stored is False or stored is None:
        return None
    if kind == "many2one":
        return stored[0]
    if kind == "datetime":
        return to_time(stored)
    return stored


def sort_ids(model: str, rows: list[dict[str, Any]], order: Any) -> list[dict[str, Any]]:
    """Rows sorted by an ``order`` such as ``"write_date asc, id asc"`` (default ``id``).

    Empty values sort last ascending and first descending, as PostgreSQL does; ties keep
    ascending id order.
    """
    rows = sorted(rows, key=lambda r: r["id"])
    if order in (None, False, ""):
        return rows
    if not isinstance(order, str):
        raise invalid(f"Invalid \"order\" specified ({order!r})")
    specs = []
    for part in order.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in (
                "asc", "desc")):
            raise invalid(f"Invalid \"order\" specified ({order!r}). A valid \"order\" "
                          "specification is a comma-separated list of valid field names "
                          "(optionally followed by asc/desc for the direction)")
        info = field_info(model, words[0])
        specs.append((words[0], info.type, len(words) == 2 and words[1].lower() == "desc"))
    for name, kind, desc in reversed(specs):
        def key(row: dict[str, Any], name: str = name, kind: str = kind) -> tuple[int, Any]:
            value = _key(kind, row.get(name, False))
            return (1, 0) if value is None else (0, value)
        rows.sort(key=key, reverse=desc)
    return rows
